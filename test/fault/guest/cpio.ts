/**
 * A cpio archive in the "newc" format, the one the kernel unpacks as an initramfs (no cpio
 * program needed on the host). Archives can be concatenated: the kernel unpacks each in turn,
 * which is how a cached base and a small per-boot part make one initramfs.
 */
export type CpioEntry =
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'file'; data: Buffer | string; mode?: number }
  | { path: string; type: 'symlink'; target: string }
  | { path: string; type: 'char'; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

function record(ino: number, name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  const header = Buffer.from(
    [
      '070701',
      hex(ino),
      hex(mode),
      hex(0), // uid
      hex(0), // gid
      hex(1), // nlink
      hex(0), // mtime
      hex(data.length),
      hex(0), // dev major
      hex(0), // dev minor
      hex(rdev[0]),
      hex(rdev[1]),
      hex(nameBytes.length),
      hex(0), // check
    ].join(''),
  );
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** The archive of `entries` (paths relative, without a leading slash), with its trailer. */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    switch (e.type) {
      case 'dir':
        parts.push(...record(ino++, name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0)));
        break;
      case 'file':
        parts.push(...record(ino++, name, S_IFREG | (e.mode ?? 0o644), Buffer.from(e.data)));
        break;
      case 'symlink':
        parts.push(...record(ino++, name, S_IFLNK | 0o777, Buffer.from(e.target)));
        break;
      case 'char':
        parts.push(...record(ino++, name, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), [e.major, e.minor]));
        break;
    }
  }
  parts.push(...record(ino, 'TRAILER!!!', 0, Buffer.alloc(0)));
  const body = Buffer.concat(parts);
  // The kernel reads archives in 512-byte blocks: pad so that another can follow.
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}
