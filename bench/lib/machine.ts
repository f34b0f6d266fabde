// What the numbers were measured on, for the header of every results section.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  date: string; // ISO 8601, UTC
}

export function describeMachine(now: Date = new Date()): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown CPU').trim(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${distroName() ?? os.type()} (${os.type()} ${os.release()} ${os.arch()})`,
    date: now.toISOString(),
  };
}

/** One line: "2 cores AMD EPYC · 23.5 GiB · Node v20.20.2 · Debian … · 2026-…Z". */
export function formatMachine(m: MachineInfo): string {
  return `${m.cores} cores ${m.cpuModel} · ${m.memoryGiB} GiB · Node ${m.node} · ${m.os} · ${m.date}`;
}

function distroName(): string | null {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return match?.[1] ?? null;
  } catch {
    return null; // not Linux, or no os-release: the kernel name is enough
  }
}
