// Many simulated buttons at once, connected with bounded concurrency so a load run measures the
// broker, not a SYN flood of our own making.
import type { SimCredential } from './credentials.js';
import { connectDevice, type ConnectDeviceOptions, type SimDevice } from './device.js';

export type FleetOptions = Omit<ConnectDeviceOptions, 'id' | 'secret' | 'localAddress'> & {
  /** Connections in progress at once. Default 50. */
  concurrency?: number | undefined;
  /**
   * Source addresses used in turn (device i gets localAddresses[i % n]), to go past the ~28k
   * ephemeral ports per source/destination pair (127.0.0.2, 127.0.0.3, … on loopback).
   */
  localAddresses?: readonly string[] | undefined;
  /** Called after each device connects, e.g. for a progress line. */
  onConnected?: ((device: SimDevice, connectedSoFar: number) => void) | undefined;
};

/**
 * Connects one device per credential; resolves with them in the credentials' order. If any
 * fails, starts no more, closes those already connected and rejects with the first error.
 */
export async function connectFleet(credentials: readonly SimCredential[], opts: FleetOptions): Promise<SimDevice[]> {
  const { concurrency = 50, localAddresses, onConnected, ...deviceOpts } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`connectFleet: concurrency must be a positive integer, got ${concurrency}`);
  }
  if (localAddresses !== undefined && localAddresses.length === 0) {
    throw new RangeError('connectFleet: localAddresses must not be empty when given');
  }

  const devices: Array<SimDevice | undefined> = new Array(credentials.length);
  let failure: { error: unknown } | undefined;
  let connected = 0;
  await forEachLimited(credentials, concurrency, async (cred, i) => {
    if (failure) return;
    try {
      const device = await connectDevice({
        ...deviceOpts,
        id: cred.id,
        secret: cred.secret,
        localAddress: localAddresses?.[i % localAddresses.length],
      });
      devices[i] = device;
      connected += 1;
      onConnected?.(device, connected);
    } catch (error) {
      failure ??= { error };
    }
  });

  const ready = devices.filter((d): d is SimDevice => d !== undefined);
  if (failure) {
    await closeFleet(ready);
    const cause = failure.error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `connectFleet: ${ready.length} of ${credentials.length} devices connected before a failure: ${why}`,
      { cause },
    );
  }
  return ready;
}

/** Closes every device cleanly (DISCONNECT, no will); never rejects. */
export async function closeFleet(
  devices: readonly SimDevice[],
  opts: { concurrency?: number; timeoutMs?: number } = {},
): Promise<void> {
  const { concurrency = 200, timeoutMs } = opts;
  await forEachLimited(devices, concurrency, async (device) => {
    await device.close(timeoutMs).catch(() => undefined);
  });
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
