// What one process can hold: a light device is one socket (one file descriptor) and one local
// port per source/destination address pair, so a fleet is checked against both limits before it
// starts rather than failing part-way with EMFILE or EADDRNOTAVAIL.
import { readdirSync, readFileSync } from 'node:fs';

/** File descriptors kept free for everything else in the process (logs, a database, timers' epoll…). */
export const FD_RESERVE = 200;

/** "Max open files" soft limit of this process from /proc/self/limits; null when unreadable. */
export function readOpenFileLimit(): number | null {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line?.[1]) return null;
    return line[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(line[1]);
  } catch {
    return null;
  }
}

function countOpenFiles(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** Ports one source address may use towards one destination (net.ipv4.ip_local_port_range). */
export function readLocalPortRange(): number | null {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return lo !== undefined && hi !== undefined && hi >= lo ? hi - lo + 1 : null;
  } catch {
    return null;
  }
}

/**
 * Checks the fleet against this process's open-file limit and the local port range; throws a
 * RangeError naming the limit when it cannot fit, warns when it is within 10 % of one.
 */
export function checkFleetLimits(devices: number, sources: number, warn: (message: string) => void): void {
  const limit = readOpenFileLimit();
  if (limit !== null && Number.isFinite(limit)) {
    const allowed = limit - FD_RESERVE;
    if (devices > allowed) {
      throw new RangeError(
        `light fleet: ${devices} devices need ${devices} sockets, but this process may open at most ${limit} files ` +
          `(Max open files in /proc/self/limits) and ${FD_RESERVE} are kept for everything else: at most ${allowed} devices here. ` +
          'Split the fleet over several processes or raise the limit (ulimit -n).',
      );
    }
    const open = countOpenFiles() ?? 0;
    if (open + devices > limit - FD_RESERVE || devices > allowed * 0.9) {
      warn(
        `light fleet: ${devices} devices + ${open} files already open is near this process's open-file limit of ${limit}`,
      );
    }
  }
  const ports = readLocalPortRange();
  if (ports !== null) {
    const perSource = Math.ceil(devices / Math.max(1, sources));
    const how = sources > 1 ? `${sources} source addresses` : 'one source address';
    if (perSource > ports) {
      throw new RangeError(
        `light fleet: ${devices} devices over ${how} is ${perSource} connections per source/destination address pair, ` +
          `but only ${ports} local ports exist per pair (net.ipv4.ip_local_port_range). ` +
          'Pass more localAddresses (127.0.0.2, 127.0.0.3, … on loopback).',
      );
    }
    if (perSource > ports * 0.9) {
      warn(
        `light fleet: ${perSource} connections per source address is near the ${ports} local ports per address pair; pass more localAddresses`,
      );
    }
  }
}
