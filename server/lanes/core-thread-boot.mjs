// The safety core's thread starts here: plain JavaScript, so it loads without a loader, then
// registers tsx for this thread (Node 20's workers do not take the parent's `--import tsx`)
// and runs the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./core-thread.ts');
