// The built menu-bar app (dist/tray.js) as a separate process on a test display with a real tray
// host, and what it traced (PRAXIS_BACKUP_TRAY_TRACE): views, menus, clicks, notifications.
import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestDisplay } from './display';
import { registerCleanup, waitUntil } from './temp';

export const TRAY = resolve(import.meta.dirname, '../../dist/tray.js');

export interface TraceEntry {
  ts: string;
  t: string;
  [k: string]: any;
}

export interface RunningTray {
  child: ResultPromise;
  pid: number;
  startedAt: number;
  trace(): TraceEntry[];
  /** Waits for a trace entry matching `pred` that is newer than `after` entries. */
  waitFor(pred: (e: TraceEntry) => boolean, timeoutMs?: number, after?: number): Promise<TraceEntry>;
  /** The tray icon's window as trayer embedded it: centre on screen. */
  iconCentre(): Promise<{ x: number; y: number } | null>;
  /** Opens the menu with a real right click on the icon; returns the menu the app built for it. */
  openMenu(): Promise<TraceEntry>;
  /** Picks an enabled entry of the open menu with the keyboard (Down × n, Return); waits until the app traced the click. */
  choose(menu: TraceEntry, action: string, arg?: string): Promise<TraceEntry>;
  /** What the app printed so far on its stdout and stderr. */
  output(): { stdout: string; stderr: string };
  stop(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How many Down presses select the entry (Qt skips disabled entries and info lines). */
function downsTo(menu: TraceEntry, action: string, arg?: string): number {
  const enabled = (menu.menu as any[]).filter((e) => e.kind === 'action' && e.enabled);
  const i = enabled.findIndex((e) => e.action === action && (arg === undefined || e.arg === arg));
  if (i < 0) throw new Error(`${action}${arg ? ` (${arg})` : ''} is not an enabled menu entry: ${enabled.map((e) => e.action).join(', ')}`);
  return i + 1;
}

export async function startTrayApp(display: TestDisplay, args: string[], env: Record<string, string>, traceFile: string): Promise<RunningTray> {
  const startedAt = Date.now();
  const child = execa(process.execPath, ['--max-semi-space-size=1', TRAY, ...args], {
    env: { ...env, ...display.env, PRAXIS_BACKUP_TRAY_TRACE: traceFile },
    reject: false,
    stdin: 'ignore',
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const stop = async () => {
    child.kill('SIGTERM');
    await child;
  };
  registerCleanup(stop, { label: 'tray app', sync: () => child.kill('SIGKILL') });
  const trace = () =>
    existsSync(traceFile)
      ? readFileSync(traceFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as TraceEntry)
      : [];
  const waitFor: RunningTray['waitFor'] = async (pred, timeoutMs = 60_000, after = 0) => {
    let found: TraceEntry | undefined;
    const ok = await waitUntil(async () => {
      if (child.exitCode !== null) return true;
      found = trace().slice(after).find(pred);
      return !!found;
    }, timeoutMs);
    if (!found) throw new Error(`tray trace: nothing matching within ${timeoutMs} ms${ok && child.exitCode !== null ? ` (app exited ${child.exitCode}: ${stderr.slice(-2000)})` : ''}`);
    return found;
  };
  const iconCentre: RunningTray['iconCentre'] = async () => {
    // trayer's panel window holds a socket window per icon; ours is the one named "node".
    const full = await display.tree();
    const tree = full.slice(Math.max(0, full.indexOf('"panel"')));
    const m = /^\s*0x[0-9a-f]+ "node": \("node" "node"\)\s+(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)/m.exec(tree);
    if (!m) return null;
    const [w, h, x, y] = m.slice(1).map(Number) as [number, number, number, number];
    return { x: x + Math.floor(w / 2), y: y + Math.floor(h / 2) };
  };
  /** The app's windows directly below the root (its open menu, its windows), as xwininfo lists them. */
  const topLevelWindows = async () => new Set([...(await display.tree()).matchAll(/^ {5}(0x[0-9a-f]+) "node": \("node" "node"\)/gm)].map((m) => m[1]!));
  return {
    child,
    pid: child.pid!,
    startedAt,
    trace,
    waitFor,
    iconCentre,
    openMenu: async () => {
      const before = trace().length;
      const windows = await topLevelWindows();
      const c = await iconCentre();
      if (!c) throw new Error('the tray icon is not embedded in the tray');
      await display.xdotool(['mousemove', String(c.x), String(c.y), 'click', '3']);
      const menu = await waitFor((e) => e.t === 'menu', 60_000, before);
      // The app traces the menu when it builds it, before Qt shows it; keys sent before the popup
      // is on screen go nowhere. So: wait for its window (a top-level window of the app that was not there).
      const appeared = async () => [...(await topLevelWindows())].some((id) => !windows.has(id));
      if (!(await waitUntil(appeared, 60_000))) throw new Error('the menu was built but never appeared on screen');
      await pause(400); // drawn and holding the keyboard
      return menu;
    },
    choose: async (menu, action, arg) => {
      const before = trace().length;
      await display.xdotool(['key', ...Array(downsTo(menu, action, arg)).fill('Down'), 'Return']);
      return waitFor((e) => e.t === 'action' && e.action === action && (arg === undefined || e.arg === arg), 60_000, before);
    },
    output: () => ({ stdout, stderr }),
    stop,
  };
}

/** Reads the process's resident memory (kB → MiB) and CPU ticks, for the README's figures. */
export function procStats(pid: number): { rssMiB: number; cpuTicks: number } {
  const status = readFileSync(join('/proc', String(pid), 'status'), 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  const stat = readFileSync(join('/proc', String(pid), 'stat'), 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssMiB: rss, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}
