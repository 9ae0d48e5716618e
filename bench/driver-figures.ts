// What every bench driver reports besides its own figures: the event timeline (every event but
// progress, as [ms since start(), type, message key or name], and how many events came) and the
// Node process's own time and memory.
import { readFileSync } from 'node:fs';
import type { EventSink, StampedEvent } from '../src/run/events';

export interface EventTimeline {
  timeline: [number, string, string][];
  events: number;
  progressEvents: number;
  sink: EventSink;
  /** From now on, times count from here (call it right before the timed step). */
  start(): void;
}

export function eventTimeline(also?: (e: StampedEvent) => void): EventTimeline {
  let t0 = performance.now();
  const t: EventTimeline = {
    timeline: [],
    events: 0,
    progressEvents: 0,
    sink: (e) => {
      t.events++;
      if (e.type === 'progress') {
        t.progressEvents++;
        return;
      }
      const what = e.type === 'log' || e.type === 'warning' || e.type === 'notification' ? e.message.key : 'name' in e ? e.name : '';
      t.timeline.push([Math.round(performance.now() - t0), e.type, what]);
      also?.(e);
    },
    start: () => {
      t0 = performance.now();
    },
  };
  return t;
}

/** The Node process's figures after the timed step: CPU since `cpu0` (children excluded), peak RSS, wall time since its start. */
export function processFigures(cpu0: NodeJS.CpuUsage, rssBeforeKiB: number) {
  const cpu = process.cpuUsage(cpu0);
  return {
    processMs: performance.now(), // performance.timeOrigin is the process start
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSystemMs: Math.round(cpu.system / 1000),
    maxRssKiB: process.resourceUsage().maxRSS,
    rssBeforeKiB,
  };
}

export interface ChildRecord {
  /** ms since start() of the recorder. */
  startMs: number;
  endMs: number;
  program: string;
  args: string[];
}

/**
 * Every child the product starts through its runner (src/process/runner.ts), with its start, end
 * and argv, so a slow run shows where its time went and the bench can say which command the
 * product really ran. libuv's spawn returns only after the exec, so /proc/<pid>/cmdline is
 * already the child's own argv when we are told.
 */
export function childRecorder(onChildGroups: (l: (groups: { pid: number; program: string }[]) => void) => unknown): { children: ChildRecord[]; start(): void } {
  let t0 = performance.now();
  const children: ChildRecord[] = [];
  const running = new Map<number, ChildRecord>();
  onChildGroups((groups) => {
    const now = Math.round(performance.now() - t0);
    const live = new Set(groups.map((g) => g.pid));
    for (const [pid, c] of running) {
      if (live.has(pid)) continue;
      c.endMs = now;
      running.delete(pid);
    }
    for (const g of groups) {
      if (running.has(g.pid)) continue;
      let args: string[] = [];
      try {
        args = readFileSync(`/proc/${g.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
      } catch {
        /* gone already */
      }
      const c = { startMs: now, endMs: NaN, program: g.program, args };
      running.set(g.pid, c);
      children.push(c);
    }
  });
  return {
    children,
    start: () => {
      t0 = performance.now();
    },
  };
}
