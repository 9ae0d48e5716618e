// The CLI's `run --json` output as the tray reads it: one JSON object per line (src/cli/output.ts).
// Messages arrive as { key, params, text } with the text already in the run's language.
import type { OwnRun } from './tray-state';

export interface JsonMessage {
  key: string;
  params?: Record<string, unknown>;
  text: string;
}

export interface JsonSummary {
  result: 'success' | 'warning' | 'failed';
  exitCode: number;
  backupId?: string;
  bytes?: number;
  durationMs?: number;
  warnings?: JsonMessage[];
  error?: JsonMessage;
  mirrors?: { name: string; result: string; ejected?: boolean; message?: JsonMessage }[];
}

export type CliEvent =
  | { type: 'started'; id: string; components: string[]; pid: number; ts: string }
  | { type: 'component-started'; name: string; componentType: string; ts: string }
  | { type: 'component-finished'; name: string; ts: string }
  /** percent null: a database dump, whose end is not known before it comes. */
  | { type: 'progress'; name: string; percent: number | null; phase: string; ts: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: JsonMessage; ts: string }
  | { type: 'warning'; message: JsonMessage; ts: string }
  | { type: 'notification'; message: JsonMessage; ts: string }
  | { type: 'mirror-started'; name: string; ts: string }
  | { type: 'mirror-finished'; name: string; result: string; ejected?: boolean; ts: string }
  | { type: 'restore-plan'; plan: Record<string, unknown>; text: string[]; ts?: string }
  | { type: 'finished'; summary: JsonSummary; ts?: string };

/** A line of the CLI's stdout, or null for anything that is not one of its events (never throws). */
export function parseCliLine(line: string): CliEvent | null {
  const s = line.trim();
  if (!s.startsWith('{')) return null;
  try {
    const e = JSON.parse(s) as { type?: unknown };
    return typeof e?.type === 'string' ? (e as CliEvent) : null;
  } catch {
    return null;
  }
}

/**
 * The followed run after one more event. Overall percent: components done plus the current one's
 * own progress where rsync reports it, so the icon's pie moves during a long copy too.
 */
export function applyEvent(run: OwnRun & { components?: string[]; done?: number }, e: CliEvent): OwnRun & { components?: string[]; done?: number } {
  switch (e.type) {
    case 'started':
      return { ...run, phase: 'running', components: e.components, done: 0, percent: 0 };
    case 'component-started':
      return { ...run, phase: 'component', component: e.name };
    case 'component-finished': {
      const done = (run.done ?? 0) + 1;
      return { ...run, done, percent: run.components?.length ? (100 * done) / run.components.length : run.percent };
    }
    case 'progress': {
      // 'total' is the engine's coarse count of components, which we already follow finer here.
      if (e.name === 'total' || e.percent === null) return run;
      // A mirror copy reports its own 0–100 % (rsync over the whole backup).
      if (e.name.startsWith('mirror:')) return { ...run, phase: 'mirror', component: e.name.slice('mirror:'.length), percent: e.percent };
      const n = run.components?.length;
      if (!n) return run;
      return { ...run, percent: Math.min(100, (100 * ((run.done ?? 0) + e.percent / 100)) / n) };
    }
    case 'mirror-started':
      return { ...run, phase: 'mirror', component: e.name, percent: 0 };
    default:
      return run;
  }
}
