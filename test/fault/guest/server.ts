import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { type BundleOptions, bundleServer, GUEST_APP_DIR } from './bundle.js';
import type { Guest } from './qemu.js';
import { buildRootImage, type RootSpec } from './rootfs.js';

/** Where the server keeps its database in the guest (DATA_DIR), on the data disk mounted at /data. */
export const GUEST_DATA_DIR = '/data/ribbon';
/** The embedded broker's port in the guest (forward it: `forwards: [GUEST_MQTT_PORT]`). */
export const GUEST_MQTT_PORT = 1883;
/** The HTTP port in the guest. */
export const GUEST_HTTP_PORT = 8080;

/**
 * A root image with the bundled server at /app (node /app/main.js), Node and busybox, plus what
 * `extra` adds (e.g. `binaries: ['dmsetup', 'tc', 'ip']`). Cached by content: the same code gives
 * the same image, built once.
 */
export async function serverRootImage(
  opts: BundleOptions & {
    extra?: RootSpec;
    /** The image's name in the cache (default server / server-unsafe): a test with its own `extra` names its own, so that its builds and another test's do not prune each other. */
    name?: string;
  } = {},
): Promise<string> {
  const bundle = await bundleServer(opts);
  try {
    const extra = opts.extra ?? {};
    const name = opts.name ?? (opts.unsafeAckBeforeSync ? 'server-unsafe' : 'server');
    return buildRootImage(name, {
      ...extra,
      files: { ...(extra.files ?? {}), [GUEST_APP_DIR]: bundle.dir, '/static': path.join(bundle.dir, 'static') },
      libsOf: [...(extra.libsOf ?? []), bundle.addon],
      finish: { key: 'compile-cache-v1', run: (root) => makeCompileCache(path.join(root, GUEST_APP_DIR)) },
    });
  } finally {
    bundle.remove();
  }
}

/** The bundle's V8 code cache in the root image, beside main.js (Node's module compile cache). */
const COMPILE_CACHE_DIR = '.node-cache';

/**
 * V8's code cache of main.js (and the addon's JavaScript), made on the host by the very Node
 * binary the guest runs, with `main.js --help` (which loads the whole bundle and exits). Portable:
 * keyed by the path from the cache folder, so it holds at /app in the guest, where Node accepts it
 * (checked with NODE_DEBUG_NATIVE=COMPILE_CACHE: the folder's name, Node's version and V8's flag
 * hash, matched). The server's start in the guest was 0–3.5 s shorter with it in three pairs of
 * starts in one guest, and power-cut boots took 23–30 s with it, 31–35 s without (one run each).
 * A cache Node cannot use is only ignored, so a failure here is a warning, not a failed build.
 * The worker threads' files are not in it: they cannot run alone.
 */
function makeCompileCache(appDir: string): void {
  try {
    execFileSync(process.execPath, ['main.js', '--help'], {
      cwd: appDir,
      // Only what the cache needs: NODE_OPTIONS (flags, --import) would change or break it.
      env: { PATH: process.env.PATH ?? '', NODE_COMPILE_CACHE: COMPILE_CACHE_DIR, NODE_COMPILE_CACHE_PORTABLE: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 60_000,
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    console.warn(`guest root image: no code cache for the bundle (${String(err)}${stderr ? `: ${stderr}` : ''})`);
  }
}

/**
 * Guest shell that runs the server in the foreground on the data disk (mounted at /data), its
 * JSON log lines on the console, then prints `guest: server exited <code>`. `env` is added to
 * (and overrides) the defaults: HOST 0.0.0.0, MQTT_PORT 1883, PORT 8080, DATA_DIR /data/ribbon.
 * `before` runs first (e.g. dmsetup), in the same shell.
 */
export function serverScript(opts: { env?: Readonly<Record<string, string>>; before?: string } = {}): string {
  const env = {
    HOST: '0.0.0.0',
    MQTT_PORT: String(GUEST_MQTT_PORT),
    PORT: String(GUEST_HTTP_PORT),
    DATA_DIR: GUEST_DATA_DIR,
    LOG_LEVEL: 'info',
    // The root is read-only: Node reads the cache made with the image and writes nothing.
    NODE_COMPILE_CACHE: `${GUEST_APP_DIR}/${COMPILE_CACHE_DIR}`,
    NODE_COMPILE_CACHE_PORTABLE: '1',
    ...opts.env,
  };
  const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
  return [
    ...exports,
    opts.before ?? '',
    `mkdir -p ${GUEST_DATA_DIR}`,
    `cd ${GUEST_APP_DIR}`,
    'node main.js',
    'echo "guest: server exited $?"',
  ].join('\n');
}

/** The server's "listening" log line (server/main.ts), parsed; rejects after timeoutMs. */
export async function waitForServer(guest: Guest, timeoutMs: number, from = 0): Promise<{ index: number }> {
  const { index } = await guest.waitForLine(/"msg":"ribbon-pact listening"/, timeoutMs, from);
  return { index };
}
