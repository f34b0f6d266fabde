import { afterAll } from 'vitest';
import { releaseHeavyLock, takeHeavyLock } from './heavy-lock.js';

// Set-up file of the e2e and bench-smoke projects (vitest.config.ts): the file waits for the
// heavy-file lock before it runs and gives it back after its last hook.
await takeHeavyLock();
process.once('exit', releaseHeavyLock);
afterAll(releaseHeavyLock);
