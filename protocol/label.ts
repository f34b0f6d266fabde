/**
 * The installer's label (docs/protocol.md §1): the QR code's text is
 * `{"v":1,"host","port","tls","id","secret"}`, keys in this order. One function builds it for the
 * single device (POST /api/devices, …/rotate, the dashboard's card) and for a batch (the fleet's
 * sheet and labels page), so a button configured from either reads the same thing.
 */
export type LabelConnect = { host: string; port: number; tls: boolean };

/** The label's text for a device and where it connects. */
export function labelPayload(connect: LabelConnect, device: { id: string; secret: string }): string {
  return JSON.stringify({
    v: 1,
    host: connect.host,
    port: connect.port,
    tls: connect.tls,
    id: device.id,
    secret: device.secret,
  });
}
