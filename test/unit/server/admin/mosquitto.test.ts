import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mosquittoAcl, mosquittoPasswordLine } from '../../../../server/admin/mosquitto.js';

const LINE = /^([^:]+):\$7\$(\d+)\$([A-Za-z0-9+/]{16})\$([A-Za-z0-9+/]{86}==)$/;

function parts(line: string) {
  const m = LINE.exec(line);
  if (m === null) throw new Error(`not a $7$ line: ${line}`);
  const [, user, iterations, salt, hash] = m as unknown as [string, string, string, string, string];
  return { user, iterations: Number(iterations), salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

function verifies(line: string, password: string): boolean {
  const { iterations, salt, hash } = parts(line);
  return timingSafeEqual(pbkdf2Sync(password, salt, iterations, 64, 'sha512'), hash);
}

describe('mosquittoPasswordLine', () => {
  it('when a line is written, then it is user:$7$101$<12-byte salt b64>$<64-byte hash b64> on one line', () => {
    const line = mosquittoPasswordLine('rp-0123456789ab', 'Qm9vdC1zZWNyZXQ');
    expect(line).toMatch(LINE);
    expect(line).not.toContain('\n');
    const { user, iterations, salt, hash } = parts(line);
    expect(user).toBe('rp-0123456789ab');
    expect(iterations).toBe(101);
    expect(salt).toHaveLength(12);
    expect(hash).toHaveLength(64);
  });

  it('when the hash is checked with PBKDF2-SHA512, then only the right password verifies', () => {
    const line = mosquittoPasswordLine('rp-abc', 'right password');
    expect(verifies(line, 'right password')).toBe(true);
    expect(verifies(line, 'right passwore')).toBe(false);
    expect(verifies(line, '')).toBe(false);
  });

  it('when iterations are given, then they are written and used', () => {
    const line = mosquittoPasswordLine('server', 'pw', 1000);
    expect(parts(line).iterations).toBe(1000);
    expect(verifies(line, 'pw')).toBe(true);
    const { salt, hash } = parts(line);
    expect(pbkdf2Sync('pw', salt, 101, 64, 'sha512').equals(hash)).toBe(false);
  });

  it('when the same password is written twice, then the salts (and hashes) differ', () => {
    const a = parts(mosquittoPasswordLine('rp-abc', 'same'));
    const b = parts(mosquittoPasswordLine('rp-abc', 'same'));
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.hash.equals(b.hash)).toBe(false);
  });

  it.each(['rp:abc', ':', 'rp-abc:', 'rp abc', 'rp\tabc', 'rp-abc\n', '\nuser'])(
    'when the username is %j, then it is refused',
    (username) => {
      expect(() => mosquittoPasswordLine(username, 'pw')).toThrow(
        new RangeError('username must not contain ":" or spaces'),
      );
    },
  );

  it('when the password contains ":" or "$", then the line still verifies', () => {
    const line = mosquittoPasswordLine('rp-abc', 'a:b$c d');
    expect(verifies(line, 'a:b$c d')).toBe(true);
  });
});

describe('mosquittoAcl', () => {
  it('when the server holds several connections, then each of its accounts (NAME, NAME-1 …) reads every device channel and writes every ack', () => {
    const many = mosquittoAcl('ribbon-server', 3).split('\n');
    const users = many.filter((l) => l.startsWith('user '));
    expect(users).toEqual(['user ribbon-server', 'user ribbon-server-1', 'user ribbon-server-2']);
    for (const user of users) {
      const at = many.indexOf(user);
      expect(many.slice(at + 1, at + 6)).toEqual([
        'topic read ribbon/+/state',
        'topic read ribbon/+/heartbeat',
        'topic read ribbon/+/online',
        'topic write ribbon/+/ack',
        'topic write ribbon/+/config',
      ]);
    }
  });

  const acl = mosquittoAcl('ribbon-server');
  const lines = acl.split('\n');

  it('when written, then each device may write only its own state, heartbeat and online, and read only its own ack and config', () => {
    expect(lines.filter((l) => l.startsWith('pattern '))).toEqual([
      'pattern write ribbon/%u/state',
      'pattern write ribbon/%u/heartbeat',
      'pattern write ribbon/%u/online',
      'pattern read ribbon/%u/ack',
      'pattern read ribbon/%u/config',
    ]);
  });

  it('when written, then the server user reads every device channel and writes every ack and config, after its user line', () => {
    const userLine = lines.indexOf('user ribbon-server');
    expect(userLine).toBeGreaterThan(lines.indexOf('pattern read ribbon/%u/ack'));
    expect(lines.slice(userLine + 1).filter((l) => l !== '')).toEqual([
      'topic read ribbon/+/state',
      'topic read ribbon/+/heartbeat',
      'topic read ribbon/+/online',
      'topic write ribbon/+/ack',
      'topic write ribbon/+/config',
    ]);
  });

  it('when written, then no line grants a wildcard to devices, no topic line comes before the user line, and it ends with a newline', () => {
    const userLine = lines.indexOf('user ribbon-server');
    expect(lines.slice(0, userLine).filter((l) => l.startsWith('topic '))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('pattern ') && /[#+]/.test(l))).toEqual([]);
    expect(acl.endsWith('\n')).toBe(true);
    expect(
      lines.filter((l) => l !== '' && !l.startsWith('#') && !/^(pattern|topic) (read|write) |^user /.test(l)),
    ).toEqual([]);
  });
});
