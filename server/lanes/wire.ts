import type { AddressInfo } from 'node:net';
import type { DeviceAddresses } from '../ingest/device-input.js';
import type { PeopleSide } from '../people.js';

/** What the wiring needs of a safety core, on this thread or its own. */
export type StartableCore = {
  start(): Promise<DeviceAddresses>;
  stop(): Promise<void>;
};

export type WiredLanes = {
  readonly people: PeopleSide;
  /** The core listens (broker, scheduler), then HTTP; if either fails, both are stopped and the error thrown. */
  listen(): Promise<DeviceAddresses & { httpAddress: AddressInfo }>;
  /** People first (no new commands), then the core drains what devices sent and closes. Once. */
  stop(): Promise<void>;
};

/**
 * The one order of the two lanes (docs/design.md §2), for both compositions (system.ts on one
 * thread, lanes.ts on two): the core is built first, the people side on it (if that fails, the
 * core is stopped again); started in that order, stopped in reverse. `closePeople` runs after
 * the people side stops and before the core does (its own database connection, across threads).
 */
export async function wireLanes(
  core: StartableCore,
  composePeople: () => Promise<PeopleSide>,
  closePeople: () => void = () => {},
): Promise<WiredLanes> {
  let people: PeopleSide;
  try {
    people = await composePeople();
  } catch (err) {
    closePeople();
    await core.stop();
    throw err;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await people.stop();
    closePeople();
    await core.stop();
  };
  return {
    people,
    async listen() {
      try {
        const addresses = await core.start();
        return { ...addresses, httpAddress: await people.listen() };
      } catch (err) {
        await stop();
        throw err;
      }
    },
    stop,
  };
}
