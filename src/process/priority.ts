// The practice keeps working while the backup runs (issue 19): `run`, `mirror` and `verify` lower
// their own process's CPU and I/O priority first thing, so every child they start afterwards
// (pg_dump, mariadb-dump, gbak, rsync, restic, gzip, …) inherits it, and so does the reading our
// own verification does in this process.
//
// Linux: nice 19, and the idle I/O class (`ionice -c3`): with mq-deadline or BFQ the disk serves
// our requests only when nobody else's are waiting. Both are per thread on Linux
// (setpriority(PRIO_PROCESS) and ioprio_set(IOPRIO_WHO_PROCESS) take a thread id), and Node already
// runs threads of its own (libuv's pool reads files for us): every thread in /proc/self/task gets
// both; threads started later inherit from the thread that starts them. Node has no ioprio_set,
// hence util-linux's ionice.
// macOS: nice 19 and `taskpolicy -b -p <pid>` (setpriority PRIO_DARWIN_BG: background CPU, I/O
// and network throttling; taskpolicy(8): children inherit it).
//
// Lowering a priority needs no privilege. When a part cannot be lowered the backup runs anyway
// and the log says why: a backup must never fail for want of ionice.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Platform } from '../platform/paths';
import { msg, type Message } from '../i18n';
import { CommandError, run, type CommandPlan } from './runner';
import type { ToolLocator, ToolSpec } from './tool-locator';

/** The lowest CPU priority there is (nice's 19). */
export const LOWEST_NICE = 19;

/** Part of the macOS base system (system_cmds), in launchd's default PATH. */
export const TASKPOLICY = '/usr/sbin/taskpolicy';

export const IONICE: ToolSpec = { name: 'ionice', alternatives: ['ionice'], hint: 'Debian/Ubuntu: apt install util-linux' };

export type PriorityPart = 'nice' | 'ionice' | 'taskpolicy';

export interface LowPriorityPlan {
  /** Threads (Linux) or the process (macOS) that get nice 19 from us directly. */
  nice: { ids: number[]; value: number };
  /** The program that lowers the I/O (and on macOS the background) priority: which part, and its call. */
  command: { part: 'ionice' | 'taskpolicy'; plan: CommandPlan };
}

/**
 * What lowering this process's priority takes on `platform`: pure, so a test asserts the argv.
 * `threads`: the process's thread ids (Linux; /proc/self/task); `ionice`: where ionice is.
 */
export function planLowPriority(platform: Platform, pid: number, threads: readonly number[], ionice: string): LowPriorityPlan {
  if (platform === 'darwin') {
    // PRIO_DARWIN_BG is per process on macOS, as is setpriority there.
    return {
      nice: { ids: [pid], value: LOWEST_NICE },
      command: { part: 'taskpolicy', plan: { label: 'taskpolicy -b', file: TASKPOLICY, args: ['-b', '-p', String(pid)], timeoutMs: 10_000 } },
    };
  }
  const ids = threads.length ? [...threads] : [pid];
  return {
    nice: { ids, value: LOWEST_NICE },
    // -c3: the idle class. ionice takes several ids after -p and sets each.
    command: { part: 'ionice', plan: { label: 'ionice -c3', file: ionice, args: ['-c3', '-p', ...ids.map(String)], timeoutMs: 10_000 } },
  };
}

export interface PriorityOutcome {
  /** What took effect, in the order it was applied. */
  lowered: PriorityPart[];
  /** What did not, and why (a message for the log). */
  notLowered: { part: PriorityPart; reason: Message }[];
}

/** This process's threads (Linux), or none where /proc is not there. */
export function ownThreads(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** Lowers this process's CPU and I/O priority; never throws (what failed is in the outcome). */
export async function lowerOwnPriority(platform: Platform, tools: Pick<ToolLocator, 'find'>): Promise<PriorityOutcome> {
  const out: PriorityOutcome = { lowered: [], notLowered: [] };
  let ionice = '';
  let ioniceMissing: Message | null = null;
  if (platform === 'linux') {
    try {
      ionice = (await tools.find(IONICE)).path;
    } catch {
      ioniceMissing = msg('priority.reason.missing', { tool: 'ionice', hint: IONICE.hint });
    }
  }
  const plan = planLowPriority(platform, process.pid, platform === 'linux' ? ownThreads() : [], ionice);
  try {
    // A thread that ended since /proc was read is no reason to stop: the main thread comes first.
    for (const [i, id] of plan.nice.ids.entries()) {
      try {
        setPriority(id, plan.nice.value);
      } catch (e) {
        if (i === 0) throw e;
      }
    }
    out.lowered.push('nice');
  } catch (e) {
    out.notLowered.push({ part: 'nice', reason: msg('priority.reason.failed', { tool: 'setpriority', detail: (e as Error).message }) });
  }
  const { part, plan: call } = plan.command;
  if (ioniceMissing) {
    out.notLowered.push({ part, reason: ioniceMissing });
    return out;
  }
  try {
    await run(call);
    out.lowered.push(part);
  } catch (e) {
    const detail = e instanceof CommandError ? e.stderrTail.slice(-2).join(' ') || e.message : (e as Error).message;
    out.notLowered.push({ part, reason: msg('priority.reason.failed', { tool: call.label, detail }) });
  }
  return out;
}

/** The log's line for an outcome: what was used, and what was not and why. */
export function priorityMessages(o: PriorityOutcome): Message[] {
  const used = o.lowered.map((p): Message => ({ key: `priority.part.${p}` }));
  const out: Message[] = [];
  if (used.length) out.push(msg('priority.lowered', { used: used.reduce((a, b) => msg('priority.both', { a, b })) }));
  for (const n of o.notLowered) out.push(msg('priority.notLowered', { part: { key: `priority.part.${n.part}` }, reason: n.reason }));
  return out;
}
