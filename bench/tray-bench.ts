// `npm run bench:tray`: the menu-bar app against a bare NodeGui tray icon, same display, one run.
//
//   npm run bench:tray [-- --rounds N] [--idle-seconds S] [--tray FILE] [--compare FILE]…
//
//   window   spawn → the process's first X window (CreateNotify on the root)
//   start    spawn → icon embedded in the tray: the ReparentNotify that moves the icon's window
//            from the root into trayer's panel, read from `xev -root` as it happens      goal ≤ 1.0 s
//   rss      resident memory 3 s after the icon is up, and after the idle period         goal ≤ 170 MiB
//   idle     CPU while nothing happens: utime+stime over S seconds (default 60), counted
//            from 5 s after the icon is up, % of one core (ticks are 10 ms: short
//            periods are noisy)                                                          goal ≤ 0.5 %
//
// How "start" is taken (bench/x-root-events.ts): before each spawn the bench sets a root property
// and waits until xev reports it, so the observer is known to be current; then it spawns and waits
// on xev's output, idle — no poller competes with the app for the CPU (an earlier version polled
// `xwininfo -root -tree` every 10 ms, which on 2 busy cores added hundreds of ms to both figures).
// The app also traces its own view of it (PRAXIS_BACKUP_TRAY_TRACE): `shown` (icon handed to Qt)
// and `ready` (config and status read), in ms since its process started.
//
// The baseline ("bare") is bench/bare-tray.mjs: load NodeGui the same way, show one QSystemTrayIcon
// with a one-entry menu, pump Qt every 10 ms (the figure nodegui-linux.md measured). The app starts
// with a config of one folder and an empty status, like a new installation. Alternating, medians
// over rounds; "delta" = app − bare is what the app adds to NodeGui's own start.
// --tray FILE measures another build of dist/tray.js; each --compare FILE adds one (e.g. an older
// commit's, built elsewhere) to every round as a column c1, c2, …, for before/after in one run.
// Display: a private Xvfb with trayer (test/helpers/display.ts). Exit 0 even when a goal is missed.
import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cliEnv } from '../test/helpers/cli';
import { startDisplay, type TestDisplay } from '../test/helpers/display';
import { makeTempDir, runCleanups } from '../test/helpers/temp';
import { procStats } from '../test/helpers/tray-app';
import { RootEvents } from './x-root-events';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'idle-seconds': { type: 'string', default: '60' }, tray: { type: 'string', default: join(root, 'dist', 'tray.js') }, compare: { type: 'string', multiple: true } } });
const rounds = Number(values.rounds);
const idleSeconds = Number(values['idle-seconds']);
const CLK_TCK = 100; // Linux USER_HZ

const median = (xs: number[]) => {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)]! : NaN;
};

const iconInPanel = async (display: TestDisplay) => {
  const tree = await display.tree();
  return /"node": \("node" "node"\)/.test(tree.slice(Math.max(0, tree.indexOf('"panel"'))));
};

interface Sample {
  windowMs: number;
  startMs: number;
  /** The app's own trace, ms since its process started (NaN for bare, or an app without the entry). */
  shownMs: number;
  readyMs: number;
  rssMiB: number;
  rssIdleMiB: number;
  idlePct: number;
}

async function measure(display: TestDisplay, x: RootEvents, argv: string[], env: Record<string, string>, withIdle: boolean, traceFile?: string): Promise<Sample> {
  const from = await x.mark();
  const t0 = performance.now();
  const child: ResultPromise = execa(process.execPath, argv, { env: { ...env, ...display.env, ...(traceFile ? { PRAXIS_BACKUP_TRAY_TRACE: traceFile } : {}) }, reject: false, stdin: 'ignore' });
  try {
    const { firstWindow, reparent } = await x.embedded(from).catch((e: Error) => {
      throw new Error(`no tray icon for ${argv.join(' ')}: ${e.message}`);
    });
    const windowMs = firstWindow.at - t0;
    const startMs = reparent.at - t0;
    await new Promise((r) => setTimeout(r, 3000));
    const { rssMiB } = procStats(child.pid!);
    let idlePct = NaN;
    let rssIdleMiB = NaN;
    if (withIdle) {
      await new Promise((r) => setTimeout(r, 2000));
      const c0 = procStats(child.pid!).cpuTicks;
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      const end = procStats(child.pid!);
      idlePct = ((end.cpuTicks - c0) / CLK_TCK / idleSeconds) * 100;
      rssIdleMiB = end.rssMiB;
    }
    const traced = traceFile && existsSync(traceFile) ? readFileSync(traceFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: string; ms?: number }) : [];
    const at = (t: string) => traced.find((e) => e.t === t)?.ms ?? NaN;
    return { windowMs, startMs, shownMs: at('shown'), readyMs: at('ready'), rssMiB, rssIdleMiB, idlePct };
  } finally {
    child.kill('SIGTERM');
    await child;
    // The next start must not find the previous icon still embedded (not part of any figure).
    for (let i = 0; i < 100 && (await iconInPanel(display)); i++) await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const tmp = await makeTempDir('bench-tray');
  const { env } = await cliEnv(tmp, { PRAXIS_BACKUP_KEYRING: 'off' });
  const configFile = join(tmp, 'config.json');
  writeFileSync(configFile, JSON.stringify({ backupDir: join(tmp, 'backups'), components: [{ name: 'anhaenge', type: 'folder', path: tmp }] }));
  const display = await startDisplay({ tray: true });
  const x = new RootEvents(display.name);
  // Exactly as `npm start` runs it.
  const appArgs = (file: string) => ['--max-semi-space-size=1', resolve(file), '--config', configFile];
  const variants = [
    { name: 'app', argv: appArgs(values.tray), traced: true, samples: [] as Sample[] },
    ...(values.compare ?? []).map((file, k) => ({ name: `c${k + 1}`, argv: appArgs(file), traced: true, samples: [] as Sample[] })),
    { name: 'bare', argv: [join(root, 'bench', 'bare-tray.mjs')], traced: false, samples: [] as Sample[] },
  ];
  const load0 = loadavg();
  for (let i = 0; i < rounds; i++) {
    // Idle CPU is measured in the first and last round only: it takes idleSeconds each.
    const idle = i === 0 || i === rounds - 1;
    // Each variant goes first in turn: none always starts on a display the others just left.
    const order = variants.map((_, k) => variants[(k + i) % variants.length]!);
    for (const v of order) v.samples.push(await measure(display, x, v.argv, env, idle, v.traced ? join(tmp, `trace-${v.name}-${i}.jsonl`) : undefined));
    const said = variants.map((v) => {
      const s = v.samples.at(-1)!;
      return `${v.name} ${s.startMs.toFixed(0)} ms (first window ${s.windowMs.toFixed(0)}${Number.isNaN(s.shownMs) ? '' : `, traced shown ${s.shownMs} / ready ${s.readyMs}`})`;
    });
    process.stderr.write(`round ${i + 1}/${rounds}: ${said.join('; ')}\n`);
  }
  x.stop();
  const load1 = loadavg();
  const m = (name: string, k: keyof Sample) => median(variants.find((v) => v.name === name)!.samples.map((s) => s[k]));
  const rows: [string, keyof Sample, string][] = [
    ['spawn → first X window (ms)', 'windowMs', ''],
    ['start → icon embedded (ms)', 'startMs', '≤ 1000 ms'],
    ['app trace: icon shown (ms)', 'shownMs', ''],
    ['app trace: ready (ms)', 'readyMs', ''],
    ['RSS 3 s after start (MiB)', 'rssMiB', '≤ 170 MiB'],
    [`RSS after ${idleSeconds} s idle (MiB)`, 'rssIdleMiB', '≤ 170 MiB'],
    [`idle CPU over ${idleSeconds} s (% core)`, 'idlePct', '≤ 0.5 %'],
  ];
  console.log(`\nPraxis-Backup tray (app: ${values.tray}${(values.compare ?? []).map((f, k) => `, c${k + 1}: ${f}`).join('')}) vs bare NodeGui tray: ${rounds} rounds, medians`);
  console.log(`${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${load0.map((l) => l.toFixed(2)).join(' ')} at the start, ${load1.map((l) => l.toFixed(2)).join(' ')} at the end`);
  console.log('what'.padEnd(34) + variants.map((v) => v.name.padStart(9)).join('') + 'app−bare'.padStart(10) + 'app/bare'.padStart(10) + '  goal');
  const f = (v: number, d: number) => (Number.isNaN(v) ? '–' : v.toFixed(d));
  for (const [what, k, goal] of rows) {
    const d = k === 'idlePct' ? 2 : 0;
    const [app, bare] = [m('app', k), m('bare', k)];
    console.log(what.padEnd(34) + variants.map((v) => f(m(v.name, k), d).padStart(9)).join('') + f(app - bare, d).padStart(10) + f(app / bare, 2).padStart(10) + `  ${goal}`);
  }
  console.log(JSON.stringify(Object.fromEntries(variants.map((v) => [v.name, v.samples]))));
  await runCleanups();
}

main().then(
  () => process.exit(0),
  async (e) => {
    console.error(e);
    await runCleanups();
    process.exit(1);
  },
);
