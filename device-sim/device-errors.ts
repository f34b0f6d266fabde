// How a simulated button fails, as classes tests and the CLI can tell apart (instanceof).

/** CONNECT refused by the broker (CONNACK return code 1–5). */
export class ConnectRefusedError extends Error {
  readonly returnCode: number;
  constructor(deviceId: string, returnCode: number, reason: string, options?: ErrorOptions) {
    super(
      `device ${deviceId}: the broker refused CONNECT (CONNACK return code ${returnCode}: ${reason || 'unknown'})`,
      options,
    );
    this.name = 'ConnectRefusedError';
    this.returnCode = returnCode;
  }
}

/** A publish that can no longer be acknowledged: the device was closed or killed first. */
export class DeviceClosedError extends Error {
  constructor(deviceId: string, what: string) {
    super(`device ${deviceId}: ${what}: the device was closed before the broker acknowledged it`);
    this.name = 'DeviceClosedError';
  }
}
