// `npm run bench:tray`: the menu-bar app against a bare NodeGui tray icon, same display, one run.
//
//   npm run bench:tray [-- --rounds N] [--idle-seconds S]
//
//   start    spawn → icon embedded in the tray (polled in the X window tree every 10 ms)   goal ≤ 1.0 s
//   rss      resident memory 3 s after the icon is up, and after the idle period         goal ≤ 170 MiB
//   idle     CPU while nothing happens: utime+stime over S seconds (default 60), counted
//            from 5 s after the icon is up, % of one core (ticks are 10 ms: short
//            periods are noisy)                                                          goal ≤ 0.5 %
//
// The baseline ("raw") is bench/bare-tray.mjs: load NodeGui the same way, show one QSystemTrayIcon
// with a one-entry menu, pump Qt every 10 ms (the figure nodegui-linux.md measured). The app starts
// with a config of one folder and an empty status, like a new installation. Medians over rounds.
// Display: a private Xvfb with trayer (test/helpers/display.ts). Exit 0 even when a goal is missed.
import { execa, type ResultPromise } from 'execa';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cliEnv } from '../test/helpers/cli';
import { startDisplay, type TestDisplay } from '../test/helpers/display';
import { makeTempDir, runCleanups } from '../test/helpers/temp';
import { procStats } from '../test/helpers/tray-app';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'idle-seconds': { type: 'string', default: '60' } } });
const rounds = Number(values.rounds);
const idleSeconds = Number(values['idle-seconds']);
const CLK_TCK = 100; // Linux USER_HZ

const root = resolve(import.meta.dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function iconUp(display: TestDisplay, timeoutMs = 15_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const tree = await display.tree();
    const panel = tree.slice(Math.max(0, tree.indexOf('"panel"')));
    if (/"node": \("node" "node"\)/.test(panel)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

interface Sample {
  startMs: number;
  rssMiB: number;
  rssIdleMiB: number;
  idlePct: number;
}

async function measure(display: TestDisplay, argv: string[], env: Record<string, string>, withIdle: boolean): Promise<Sample> {
  const t0 = performance.now();
  const child: ResultPromise = execa(process.execPath, argv, { env: { ...env, ...display.env }, reject: false, stdin: 'ignore' });
  try {
    if (!(await iconUp(display))) throw new Error(`no tray icon for ${argv.join(' ')}`);
    const startMs = performance.now() - t0;
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
    return { startMs, rssMiB, rssIdleMiB, idlePct };
  } finally {
    child.kill('SIGTERM');
    await child;
    // The next start must not find the previous icon still embedded.
    for (let i = 0; i < 100 && /"node": \("node" "node"\)/.test((await display.tree()).slice(Math.max(0, (await display.tree()).indexOf('"panel"')))); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function main(): Promise<void> {
  const tmp = await makeTempDir('bench-tray');
  const { env } = await cliEnv(tmp, { PRAXIS_BACKUP_KEYRING: 'off' });
  const configFile = join(tmp, 'config.json');
  writeFileSync(configFile, JSON.stringify({ backupDir: join(tmp, 'backups'), components: [{ name: 'anhaenge', type: 'folder', path: tmp }] }));
  const display = await startDisplay({ tray: true });
  // Exactly as `npm start` runs it.
  const app = ['--max-semi-space-size=1', join(root, 'dist', 'tray.js'), '--config', configFile];
  const bare = [join(root, 'bench', 'bare-tray.mjs')];
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    // Idle CPU is measured in the first and last round only: it takes idleSeconds each.
    const idle = i === 0 || i === rounds - 1;
    const pair = i % 2 === 0 ? [true, false] : [false, true];
    for (const isApp of pair) {
      const s = await measure(display, isApp ? app : bare, env, idle);
      (isApp ? a : b).push(s);
    }
    process.stderr.write(`round ${i + 1}/${rounds}: app ${a.at(-1)!.startMs.toFixed(0)} ms, bare ${b.at(-1)!.startMs.toFixed(0)} ms\n`);
  }
  const idleOf = (xs: Sample[], k: 'idlePct' | 'rssIdleMiB' = 'idlePct') => median(xs.map((s) => s[k]).filter((x) => !Number.isNaN(x)));
  const rows = [
    ['start → icon (ms)', median(a.map((s) => s.startMs)), median(b.map((s) => s.startMs)), '≤ 1000 ms'],
    ['RSS 3 s after start (MiB)', median(a.map((s) => s.rssMiB)), median(b.map((s) => s.rssMiB)), '≤ 170 MiB'],
    [`RSS after ${idleSeconds} s idle (MiB)`, idleOf(a, 'rssIdleMiB'), idleOf(b, 'rssIdleMiB'), '≤ 170 MiB'],
    [`idle CPU over ${idleSeconds} s (% core)`, idleOf(a), idleOf(b), '≤ 0.5 %'],
  ] as const;
  console.log(`\nPraxis-Backup tray vs bare NodeGui tray (${rounds} rounds, medians)`);
  console.log('what'.padEnd(32) + 'app'.padStart(10) + 'bare'.padStart(10) + 'ratio'.padStart(8) + '  goal');
  for (const [what, x, y, goal] of rows) {
    console.log(what.padEnd(32) + x.toFixed(what.startsWith('idle') ? 2 : 0).padStart(10) + y.toFixed(what.startsWith('idle') ? 2 : 0).padStart(10) + (x / y).toFixed(2).padStart(8) + `  ${goal}`);
  }
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
