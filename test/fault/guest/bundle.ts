import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository's root folder. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the server's files are in the guest (the bundle's main.js is /app/main.js). */
export const GUEST_APP_DIR = '/app';

/**
 * Entry points, each bundled to <name>.js in one folder: the server, and the worker threads it
 * starts by name beside its own module (server/worker-thread.ts `startWorker(import.meta.url, name)`:
 * in a bundle import.meta.url is main.js's, so `./core-thread.js` must sit beside it).
 */
const ENTRIES = {
  main: 'server/main.ts',
  'core-thread': 'server/lanes/core-thread.ts',
  'roster-check-worker': 'server/api/roster-check-worker.ts',
} as const;

/** Files the bundled code reads beside its own module (readFileSync(new URL('./x', import.meta.url))). */
const BESIDE = ['server/api/routes/ack-page.css'];

/** The native addon stays outside the bundle (copied whole, see copyAddonPackage). */
const EXTERNAL_PACKAGES = ['better-sqlite3'];

export type ServerBundle = {
  /** A folder to copy to GUEST_APP_DIR: main.js, the workers, package.json, node_modules/… */
  dir: string;
  /** The addon (for its shared libraries in the root image). */
  addon: string;
  /** Removes the folder. */
  remove(): void;
};

export type BundleOptions = {
  /**
   * TEST-ONLY: the build in which device batches are acknowledged before their WAL sync
   * (server/ingest/test-build.ts). A compile-time constant: no setting can turn it on.
   */
  unsafeAckBeforeSync?: boolean;
};

/**
 * The addon's package in `to`/node_modules: its package.json, lib/ and this platform's prebuilt
 * binary (better-sqlite3 13 loads prebuilds/<platform>-<arch>.node; no sources, no other platforms).
 */
function copyAddonPackage(to: string): string {
  const require = createRequire(path.join(REPO, 'package.json'));
  const root = path.dirname(require.resolve('better-sqlite3/package.json'));
  const target = path.join(to, 'node_modules', 'better-sqlite3');
  const prebuilt = `prebuilds/${process.platform}-${process.arch}.node`;
  fs.mkdirSync(path.join(target, 'prebuilds'), { recursive: true });
  for (const file of ['package.json', 'lib', prebuilt]) {
    fs.cpSync(path.join(root, file), path.join(target, file), { recursive: true, dereference: true });
  }
  return path.join(target, prebuilt);
}

/**
 * The server bundled with esbuild (ESM, one file per entry, minified whitespace only) into a new
 * temporary folder: under emulation `node --import tsx` takes ~84 s to start, the bundle seconds.
 */
export async function bundleServer(opts: BundleOptions = {}): Promise<ServerBundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bundle-'));
  let addon: string;
  try {
    await build({
      absWorkingDir: REPO,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(REPO, file)])),
      outdir: dir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      external: EXTERNAL_PACKAGES,
      logLevel: 'error',
      legalComments: 'none',
      // CommonJS dependencies bundled into ESM call require() and read __dirname: give them both.
      banner: {
        js: [
          "import { createRequire as __ribbonRequire } from 'node:module';",
          "import { fileURLToPath as __ribbonPath } from 'node:url';",
          'const require = __ribbonRequire(import.meta.url);',
          'const __filename = __ribbonPath(import.meta.url);',
          "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
        ].join(' '),
      },
      define: opts.unsafeAckBeforeSync ? { RIBBON_UNSAFE_ACK_BEFORE_SYNC: 'true' } : {},
    });
    fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    for (const file of BESIDE) fs.copyFileSync(path.join(REPO, file), path.join(dir, path.basename(file)));
    // @fastify/swagger-ui reads its files at <__dirname>/static and <__dirname>/../static: in the
    // bundle __dirname is the bundle's folder (GUEST_APP_DIR), so the root image has them at /static too.
    const require = createRequire(path.join(REPO, 'package.json'));
    const swaggerUi = path.dirname(require.resolve('@fastify/swagger-ui/package.json'));
    fs.cpSync(path.join(swaggerUi, 'static'), path.join(dir, 'static'), { recursive: true, dereference: true });
    addon = copyAddonPackage(dir);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    addon,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
