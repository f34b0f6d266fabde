import { expect, onTestFinished } from 'vitest';
import { connectDevice } from '../../device-sim/device.js';
import type { TestSystem } from './system.js';

export type Reported = { battery: number; model: string; fw: string };

/**
 * A device inventory (issue 16): `count` devices of compound › building, the first ones
 * connecting, one after another, to send a heartbeat with their battery, model and firmware
 * (each stored before the next connects, so their last-seen times are in that order); the rest
 * never connect. Their buttons are closed when the test finishes.
 */
export async function inventory(
  system: TestSystem,
  opts: { compound: string; building: string; firstRoom: number; count: number; reports: readonly Reported[] },
) {
  const made = Array.from({ length: opts.count }, (_, i) =>
    system.provision({ compound: opts.compound, building: opts.building, room: `${opts.firstRoom + i}` }),
  );
  for (const [i, about] of opts.reports.entries()) {
    const d = made[i];
    if (d === undefined) throw new Error(`only ${opts.count} devices for ${opts.reports.length} reports`);
    const button = await connectDevice({ url: system.mqttUrl, id: d.id, secret: d.secret });
    onTestFinished(() => button.close());
    await button.heartbeat(about.battery, { model: about.model, fw: about.fw });
    await expect.poll(() => system.stores.devices.get(d.id)?.model, { timeout: 10_000 }).toBe(about.model);
  }
  return made;
}
