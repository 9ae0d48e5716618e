// Which process a PID names, precisely enough to survive reboots and PID reuse: the lock records
// it (lock.ts), and a later run compares. A PID alone is not enough: after a power cut the PID of
// the dead run is soon given to anything (seen: every run refused for days, "already running").
//
// Linux: boot id (/proc/sys/kernel/random/boot_id, new at every boot), the process's start time
// in clock ticks since boot (field 22 of /proc/PID/stat, fixed for the life of a process) and its
// command line. macOS has no /proc: `sysctl -n kern.boottime` and `ps -o lstart=,command= -p PID`
// (planned here and tested by argv and recorded output; they cannot run on this machine).
import { existsSync, readFileSync } from 'node:fs';
import { run, type CommandPlan } from '../process/runner';

export interface ProcessIdentity {
  /** Changes with every boot. */
  bootId: string;
  /** The process's start, as the platform states it (Linux: ticks since boot; macOS: ps lstart). */
  start: string;
  command: string;
  /** The start as epoch ms where it can be computed (judging locks of older versions, which lack the fields above). */
  startMs?: number;
  /** The boot as epoch ms, likewise. */
  bootMs?: number;
}

/** Linux's USER_HZ: 100 on every architecture Linux runs on for user space (sysconf(_SC_CLK_TCK)). */
const USER_HZ = 100;

const hasProc = () => existsSync('/proc/self/stat');

/** Fields after the command (which may itself hold spaces and parentheses): [0] is field 3, the state. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
}

function linuxBootMs(): number | undefined {
  const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  return m ? Number(m[1]) * 1000 : undefined;
}

export function linuxIdentity(pid: number): ProcessIdentity | null {
  try {
    const fields = statFields(pid);
    const ticks = fields[19]!;
    const bootMs = linuxBootMs();
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    return {
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      start: ticks,
      command,
      bootMs,
      startMs: bootMs !== undefined ? bootMs + (Number(ticks) * 1000) / USER_HZ : undefined,
    };
  } catch {
    return null; // gone meanwhile
  }
}

export function planProcessInfo(pid: number): CommandPlan {
  return { label: `ps (PID ${pid})`, file: '/bin/ps', args: ['-o', 'lstart=,command=', '-p', String(pid)], okExitCodes: [0], timeoutMs: 10_000 };
}

export function planBootTime(): CommandPlan {
  return { label: 'sysctl kern.boottime', file: '/usr/sbin/sysctl', args: ['-n', 'kern.boottime'], okExitCodes: [0], timeoutMs: 10_000 };
}

/** `ps -o lstart=,command=`: "Wed Dec  2 04:10:35 2026 /usr/local/bin/node /…/cli.js run" (lstart is always 24 characters). */
export function parseProcessInfo(out: string): { start: string; command: string; startMs?: number } | null {
  const line = out.split('\n').find((l) => l.trim());
  if (!line) return null;
  const m = /^\s*(\w{3}\s+\w{3}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\s+\d{4})\s+(.*)$/.exec(line);
  if (!m) return null;
  const startMs = Date.parse(m[1]!.replace(/\s+/g, ' '));
  return { start: m[1]!.replace(/\s+/g, ' '), command: m[2]!.trim(), startMs: Number.isNaN(startMs) ? undefined : startMs };
}

/** `sysctl -n kern.boottime`: "{ sec = 1764648000, usec = 12345 } Wed Dec  2 04:00:00 2026". */
export function parseBootTime(out: string): string | null {
  const m = /sec = (\d+), usec = (\d+)/.exec(out);
  return m ? `${m[1]}.${m[2]}` : null;
}

async function macosIdentity(pid: number): Promise<ProcessIdentity | null> {
  try {
    const [ps, boot] = await Promise.all([run(planProcessInfo(pid)), run(planBootTime())]);
    const info = parseProcessInfo(ps.stdoutTail.join('\n'));
    const bootId = parseBootTime(boot.stdoutTail.join('\n'));
    if (!info || !bootId) return null;
    return { bootId, start: info.start, command: info.command, startMs: info.startMs, bootMs: Number(bootId.split('.')[0]) * 1000 };
  } catch {
    return null; // ps exits 1 for a PID that is gone
  }
}

export async function processIdentity(pid: number): Promise<ProcessIdentity | null> {
  return hasProc() ? linuxIdentity(pid) : macosIdentity(pid);
}
