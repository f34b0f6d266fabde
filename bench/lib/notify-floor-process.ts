// The floor process of bench/notify.ts (forked by notify-floor.ts, which describes it and the
// protocol): a bare aedes broker and an in-process subscriber that sends one signed SendSms per
// message. It exits at once if the parent goes away.
import net from 'node:net';
import { Aedes } from 'aedes';
import { createAliyunSms } from '../../server/notify/providers/aliyun.js';
import type { FloorConfig, FloorResult, FromFloor, ToFloor } from './notify-floor.js';

function send(message: FromFloor): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function listen(c: FloorConfig): Promise<{ port: number; finish: () => Promise<FloorResult> }> {
  const sms = createAliyunSms({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, endpoint: c.endpoint });
  const counts = { messages: 0, ok: 0, failed: 0, errors: [] as string[] };
  const inFlight = new Set<Promise<void>>();
  const broker = await Aedes.createBroker();
  // As the server reads a press: the device from the topic, the state from the JSON payload.
  await new Promise<void>((resolve) =>
    broker.subscribe(
      'ribbon/+/state',
      (packet, done) => {
        done();
        counts.messages += 1;
        const deviceId = packet.topic.split('/')[1] ?? '';
        const phone = c.phones[deviceId];
        let state: unknown;
        try {
          state = (JSON.parse(packet.payload.toString()) as { state?: unknown }).state;
        } catch {
          state = null;
        }
        if (phone === undefined || state !== 'red') {
          counts.failed += 1;
          if (counts.errors.length < 5) counts.errors.push(`no phone or not red: ${packet.topic}`);
          return;
        }
        const request = sms
          .sendSms({ phone, signName: c.signName, templateCode: c.templateCode, params: { name: deviceId } })
          .then((r) => {
            if (r.ok) counts.ok += 1;
            else {
              counts.failed += 1;
              if (counts.errors.length < 5) counts.errors.push(r.error);
            }
          })
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
      },
      resolve,
    ),
  );
  const server = net.createServer({ noDelay: true }, (socket) => broker.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  return {
    port: (server.address() as net.AddressInfo).port,
    async finish() {
      await Promise.all([...inFlight]);
      const cpu = process.cpuUsage(cpuBefore);
      return {
        ...counts,
        cpuPercent: ((cpu.user + cpu.system) / 1000 / (performance.now() - startedAt)) * 100,
      };
    },
  };
}

let floor: { finish: () => Promise<FloorResult> } | null = null;
const fail = (err: unknown): Promise<never> =>
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }).then(() =>
    process.exit(1),
  );
process.on('disconnect', () => process.exit(1));
process.on('message', (message: ToFloor) => {
  switch (message.type) {
    case 'config':
      listen(message.config).then((f) => {
        floor = f;
        return send({ type: 'ready', port: f.port });
      }, fail);
      break;
    case 'finish': {
      if (floor === null) {
        void fail(new Error('finish before config'));
        break;
      }
      // Broker sockets and kept-alive fetch connections would keep the process up: exit once sent.
      floor.finish().then((result) => send({ type: 'result', result }).then(() => process.exit(0)), fail);
      break;
    }
    default: {
      const never: never = message;
      void send({ type: 'error', message: `unknown message ${JSON.stringify(never)}` });
    }
  }
});
