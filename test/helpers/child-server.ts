import { onTestFinished } from 'vitest';
import { startChildServer as start, type ChildServer, type ChildServerOptions } from './child-server-core.js';

export {
  freePort,
  loginOverHttp,
  ROOT_DIR,
  type ChildExit,
  type ChildServer,
  type ServerLogLine,
} from './child-server-core.js';

/** startChildServer that SIGKILLs the server's process group when the test finishes. */
export function startChildServer(opts: ChildServerOptions): Promise<ChildServer> {
  return start({ ...opts, onCleanup: (cleanup) => onTestFinished(cleanup) });
}
