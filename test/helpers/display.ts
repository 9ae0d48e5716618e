// A real X display for the NodeGui tests: Xvfb on a free display number, optionally `trayer` as
// the system-tray host (so a QSystemTrayIcon is really embedded and can be clicked), xdotool for
// clicks and keys, imagemagick's `import` for screenshots. All started here, stopped by cleanup.
import { execa, type ResultPromise } from 'execa';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { registerCleanup, waitUntil } from './temp';

export interface TestDisplay {
  /** ":123" */
  name: string;
  env: Record<string, string>;
  /** Saves a PNG of the whole screen and returns its path. */
  screenshot(file: string): Promise<string>;
  xdotool(args: string[]): Promise<string>;
  /** The X windows below the root, as `xwininfo -root -tree` prints them. */
  tree(): Promise<string>;
  stop(): Promise<void>;
}

/** Screenshots go here (gitignored); the closing note and README cite these paths. */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../test-output/screenshots');

/**
 * Xvfb on a display number it picks itself (-displayfd: it tries numbers until one is free and
 * writes it back), so two test files, or a server still shutting down, never race for one number.
 */
/** How long Xvfb and trayer may take to come up: only a limit for a hang (a loaded 2-core CI machine took over 10 s). */
const STARTUP_MS = 60_000;

async function startXvfb(width: number, height: number): Promise<{ xvfb: ResultPromise; name: string }> {
  const xvfb = execa('Xvfb', ['-displayfd', '1', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], { reject: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', buffer: false });
  let out = '';
  let err = '';
  xvfb.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-2000);
  });
  const n = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Xvfb reported no display within 60 s: ${err}`)), STARTUP_MS);
    xvfb.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void xvfb.then((r) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${r.exitCode ?? r.signal}) before reporting a display: ${err}`));
    });
  });
  return { xvfb, name: `:${n}` };
}

/**
 * trayer as the tray host. Once in a fresh-clone CI run (1 of ~60 display starts) trayer showed
 * no panel within 60 s with its output thrown away, so nobody could say why: its stderr is kept
 * now, and a trayer that exits before its panel appears is started again (up to three times)
 * instead of waiting out the limit for a process that is gone.
 */
async function startTrayer(name: string, children: ResultPromise[], panel: () => Promise<boolean>): Promise<void> {
  const said: string[] = [];
  const deadline = Date.now() + STARTUP_MS;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const trayer = execa('trayer', ['--edge', 'top', '--align', 'right', '--widthtype', 'request', '--height', '32'], { env: { ...process.env, DISPLAY: name }, reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false });
    children.push(trayer);
    let err = '';
    trayer.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    let exited: string | undefined;
    void trayer.then((r) => {
      exited = `exit ${r.exitCode ?? r.signal}`;
    });
    const shown = await waitUntil(async () => exited !== undefined || (await panel()), Math.max(1000, deadline - Date.now()));
    if (shown && exited === undefined) return;
    said.push(`attempt ${attempt}: ${exited ?? 'no panel'}${err.trim() ? ` (${err.trim()})` : ''}`);
    if (exited === undefined) break;
  }
  throw new Error(`trayer did not show its panel on ${name}: ${said.join('; ')}`);
}

export async function startDisplay(opts: { tray?: boolean; width?: number; height?: number } = {}): Promise<TestDisplay> {
  const { xvfb, name } = await startXvfb(opts.width ?? 1024, opts.height ?? 700);
  const children: ResultPromise[] = [];
  children.push(xvfb);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of children.reverse()) c.kill('SIGTERM');
    await Promise.allSettled(children);
  };
  // Registered before the waits below: when one of them gives up, Xvfb and trayer are still
  // stopped (left running, they kept the test process alive after its last test).
  registerCleanup(stop, { label: `Xvfb ${name}`, sync: () => children.forEach((c) => c.kill('SIGKILL')) });
  const env = { DISPLAY: name, XDG_RUNTIME_DIR: '', QT_QPA_PLATFORM: 'xcb' };
  const x = (file: string, args: string[]) => execa(file, args, { env: { ...process.env, DISPLAY: name } });
  if (!(await waitUntil(() => x('xdpyinfo', []).then(() => true, () => false), STARTUP_MS))) throw new Error(`Xvfb did not start on ${name}`);
  // xwininfo lists the root's children, then asks each for its own: a window destroyed in between
  // (an icon being re-parented, a menu closing) fails the whole call with "Bad Window … Can't query
  // window tree" (seen in CI). That is a moment of change, not an error: ask again.
  const windowTree = async (): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await x('xwininfo', ['-root', '-tree'])).stdout;
      } catch (e) {
        if (attempt >= 10 || !/Can't query window tree|Bad Window|Bad Drawable/.test(String((e as { stderr?: string }).stderr ?? ''))) throw e;
      }
    }
  };
  if (opts.tray) await startTrayer(name, children, async () => (await windowTree()).includes('"panel"'));
  return {
    name,
    env,
    screenshot: async (file) => {
      const path = resolve(SCREENSHOT_DIR, file);
      mkdirSync(dirname(path), { recursive: true });
      await x('import', ['-window', 'root', path]);
      return path;
    },
    xdotool: async (args) => (await x('xdotool', args)).stdout,
    tree: windowTree,
    stop,
  };
}
