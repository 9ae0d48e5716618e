// What every bench driver reports besides its own figures: the event timeline (every event but
// progress, as [ms since start(), type, message key or name], and how many events came) and the
// Node process's own time and memory.
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
