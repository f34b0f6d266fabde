// What the network-fault test (test/fault/network.test.ts) and its programs in the guest say to
// each other. The host serves a Plan; the conductor (conductor.ts, in the guest's root network
// namespace) builds one namespace per group, joined to it by a veth pair, relays the group's MQTT
// to the server, impairs the veths with tc netem and starts one farm (farm.ts) per namespace; farms
// report what happened to their devices as FarmEvents, which the conductor forwards to the host.
// All of it is plain JSON: these files are bundled apart (esbuild) and only share types.

/** tc netem parameters of one direction of a link (both ends of a veth get the same). */
export type Netem = {
  delayMs: number;
  jitterMs: number;
  lossPct: number;
  duplicatePct: number;
  /** Share of packets sent at once (not delayed): with a delay, they overtake the others. */
  reorderPct: number;
};

export type DeviceCredential = { id: string; secret: string };

export type GroupPlan = {
  /** Short name: a, b, … (namespace nf-<name>, veths nf<name>0 / nf<name>1). */
  name: string;
  devices: DeviceCredential[];
  /** The link from the first press on; null: a clean link. */
  rough: Netem | null;
  /** Whether the group is cut off (netem loss 100 % both ways) during the partition phase. */
  partitioned: boolean;
};

export type Plan = {
  /** The server's MQTT listener as the guest's root namespace reaches it (10.0.2.2: the host's loopback). */
  mqtt: { host: string; port: number };
  groups: GroupPlan[];
  device: { keepaliveSec: number; reconnectPeriodMs: number; reconnectMaxMs: number; connectTimeoutMs: number };
  /** Each device presses every pressEveryMs (± half) with at most inFlight presses unacknowledged. */
  pressEveryMs: number;
  inFlight: number;
  /** Phase lengths. */
  roughMs: number;
  partitionMs: number;
  /** Reds each partitioned device presses while cut off, spread over the partition. */
  redsInPartition: number;
  /** After healing: the bound on waiting for every press's PUBACK and every device back. */
  drainMs: number;
  /** Bounds on everything before the first press (namespaces, farms up, devices connected). */
  setupMs: number;
};

export type FarmCommand =
  | { do: 'press'; states: Array<'red' | 'yellow' | 'blue'> }
  | { do: 'red' }
  | { do: 'stop' }
  | { do: 'drain'; timeoutMs: number }
  | { do: 'exit' };

/** Times are the guest's Date.now() (one clock for the conductor and every farm). */
export type FarmEvent =
  | { ev: 'ready'; group: string; devices: number; t: number }
  | {
      ev: 'ack';
      group: string;
      id: string;
      boot: number;
      seq: number;
      state: string;
      t: number;
      /** From the press to its PUBACK. */
      ms: number;
    }
  | {
      ev: 'connect';
      group: string;
      id: string;
      t: number;
      /** When mqtt.js started the attempt that got this CONNACK (null: the first connection). */
      attemptAt: number | null;
    }
  | { ev: 'lost'; group: string; id: string; t: number }
  | { ev: 'drained'; group: string; pending: number; offline: number; t: number }
  | { ev: 'error'; group: string; message: string; t: number }
  | { ev: 'log'; group: string; message: string; t: number };

/** Phase marks and failures of the conductor itself. */
export type ConductorEvent =
  | { ev: 'phase'; phase: 'setup' | 'rough' | 'partition' | 'healing' | 'healed' | 'drain' | 'done'; t: number }
  | { ev: 'fail'; message: string; t: number }
  | { ev: 'note'; message: string; t: number }
  /** `tc -s qdisc show` of each group's outer veth, just before the heal: netem's own counters. */
  | { ev: 'qdisc'; group: string; text: string; t: number };

export type NetEvent = FarmEvent | ConductorEvent;

/** The tc netem arguments for one direction ("netem delay 30ms 20ms loss 5% …"). */
export function netemArgs(n: Netem): string[] {
  const args = ['netem'];
  if (n.delayMs > 0) args.push('delay', `${n.delayMs}ms`, ...(n.jitterMs > 0 ? [`${n.jitterMs}ms`] : []));
  if (n.lossPct > 0) args.push('loss', `${n.lossPct}%`);
  if (n.duplicatePct > 0) args.push('duplicate', `${n.duplicatePct}%`);
  // netem reorders only delayed traffic: reorderPct of the packets skip the delay.
  if (n.reorderPct > 0 && n.delayMs > 0) args.push('reorder', `${n.reorderPct}%`, '50%');
  return args;
}

/** A cut link: every packet dropped, both ways (the sockets stay up and hear nothing). */
export const PARTITION: Netem = { delayMs: 0, jitterMs: 0, lossPct: 100, duplicatePct: 0, reorderPct: 0 };
