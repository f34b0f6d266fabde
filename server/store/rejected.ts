import type { RejectedMessage, RejectedStore } from '../app/ports.js';
import type { Db } from './db.js';

export function createRejectedStore(db: Db): RejectedStore {
  const insert = db.prepare<[string, string, Buffer, string, number]>(
    'INSERT INTO rejected_messages (device_id, topic, payload, reason, received_at) VALUES (?, ?, ?, ?, ?)',
  );
  const list = db.prepare<
    [string],
    { id: number; device_id: string; topic: string; payload: Buffer; reason: string; received_at: number }
  >('SELECT * FROM rejected_messages WHERE device_id = ? ORDER BY id');
  return {
    insert(message: Omit<RejectedMessage, 'id'>): number {
      return Number(
        insert.run(message.deviceId, message.topic, message.payload, message.reason, message.receivedAt)
          .lastInsertRowid,
      );
    },
    listForDevice(deviceId: string): RejectedMessage[] {
      return list.all(deviceId).map((r) => ({
        id: r.id,
        deviceId: r.device_id,
        topic: r.topic,
        payload: r.payload,
        reason: r.reason,
        receivedAt: r.received_at,
      }));
    },
  };
}
