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
export async function serverRootImage(opts: BundleOptions & { extra?: RootSpec } = {}): Promise<string> {
  const bundle = await bundleServer(opts);
  try {
    const extra = opts.extra ?? {};
    const name = opts.unsafeAckBeforeSync ? 'server-unsafe' : 'server';
    return buildRootImage(name, {
      ...extra,
      files: { ...(extra.files ?? {}), [GUEST_APP_DIR]: bundle.dir, '/static': path.join(bundle.dir, 'static') },
      libsOf: [...(extra.libsOf ?? []), bundle.addon],
    });
  } finally {
    bundle.remove();
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
