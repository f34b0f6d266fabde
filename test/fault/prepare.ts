// Builds what the fault suites' guests need into the cache before they run, so that the suites'
// time limits in .ci/run measure the tests, not a fresh machine's download (the Debian kernel,
// ~70 MB) and image builds (~10 s each): `npm run test:faults:prepare`. Safe to run again: every
// piece is cached by its content (test/fault/guest/cache.ts).
import { ensureKernel, requireGuest, serverRootImage } from './guest/index.js';

const started = Date.now();
const unavailable = requireGuest(); // throws under CI=true when qemu or a tool is missing
if (unavailable !== null) {
  console.log(`fault suites' guest not prepared: ${unavailable}`);
} else {
  const kernel = ensureKernel();
  console.log(`kernel: ${kernel.version}`);
  for (const opts of [{}, { unsafeAckBeforeSync: true }, { name: 'diskfault', extra: { binaries: ['dmsetup'] } }])
    console.log(`root image: ${await serverRootImage(opts)}`);
  console.log(`fault suites' guest prepared in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
