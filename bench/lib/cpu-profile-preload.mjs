// Loaded into the server with NODE_OPTIONS="--import <this file>" by `bench/live.ts --cpu-prof DIR`
// (RIBBON_CPU_PROF_DIR=DIR): Node does not accept --cpu-prof in NODE_OPTIONS, and the bench
// starts the server exactly as `npm start` does. It samples the main thread from start-up and
// writes DIR/server-<pid>.cpuprofile (Chrome DevTools format) when the process exits.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.RIBBON_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // The in-process session answers synchronously, so this also works inside process.exit().
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      writeFileSync(path.join(dir, `server-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  const exit = process.exit.bind(process);
  process.exit = (code) => {
    write();
    return exit(code);
  };
  process.once('exit', write);
}
