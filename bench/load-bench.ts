// `npm run bench:load`: does the practice keep working while the backup runs? (issue 19)
//
//   npm run bench:load [-- --quick] [--rounds N] [--scale N] [--clients N] [--threads N] [--work DIR] [--out FILE]
//
// A real PostgreSQL holds a pgbench database (`pgbench -i -s N`): the practice database. pgbench
// (PostgreSQL's own load generator, the standard TPC-B-like script) runs against it with fixed
// settings in three conditions:
//   idle       nothing else of ours runs
//   low on     a full `praxis-backup run` (dist/cli.js, what the scheduler starts) with
//              performance.lowPriority: true
//   low off    the same with performance.lowPriority: false
// The backup's config has the pgbench database as a postgres component and a ~1 GB / 50 000-file
// attachment tree as a folder component: dump, copy, index and the check after the backup
// (with the restore test the default `verify.afterBackup: "auto"` chooses), all of it.
// Goal: TPS during the backup ≥ 0.85 × idle TPS.
//
// Method
// - pgbench writes a per-transaction log (-l: one line per transaction with its latency and its
//   completion time). The window of a backup condition is exactly the CLI process's life (spawn →
//   exit); TPS = transactions completed inside the window / its length, p95 = the nearest-rank 95th
//   percentile of their latencies. No sampling, no aggregation: exact for the window.
// - pgbench starts ahead of the backup (lead-in) and runs on after it (tail), then gets SIGINT. Its
//   log is buffered per thread, so the last lines of a killed pgbench can be lost: every client must
//   have a logged transaction completed after the window's end, which proves its thread's file
//   holds everything before it; otherwise the run counts as failed (it could not be measured).
// - Idle: the same pgbench, window of the same length as the backup's untimed warm-up run.
// - Before every measurement, untimed: VACUUM of the pgbench tables, CHECKPOINT, `sync`, and the
//   source tree is dropped from the page cache (posix_fadvise DONTNEED on its files, see
//   bench/evict-cache.ts — only our files, not a global cache drop): at night the attachments are
//   not in memory, and the DAMON page-out on the dev VM would otherwise leave some cached, some not.
// - Conditions rotate from round to round (idle, on, off / off, idle, on / on, off, idle), so a
//   neighbour that starts or stops biases no condition; figures are medians over rounds, and the
//   ratio is median(TPS during) / median(TPS idle), with the per-round ratios printed too.
// - Realistic database: on the same disk as the backup (not the test helper's tmpfs), with fsync,
//   synchronous_commit and full_page_writes on, shared_buffers 128 MB (PostgreSQL's default).
// - While a backup runs, the nice value and I/O class of the CLI and its children are sampled once
//   a second from /proc and `ionice -p`, so the results show what priority the product really ran at.
//
// --quick: 5 000 files (~100 MB), scale 5, 1 round: a try-out in a few minutes.
// Output: a table on stdout, the figures in bench/load-results.json. Exit 0 even when the goal is
// missed (a measurement); 1 only when the benchmark could not run.
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLI, cliEnv } from '../test/helpers/cli';
import { startPostgres, type PgServer } from '../test/helpers/postgres';
import { makeTempDir, runCleanups } from '../test/helpers/temp';
import { evictFromPageCache } from './evict-cache';
import { makeTree } from './tree';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH_DIR);
const MiB = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    scale: { type: 'string' },
    clients: { type: 'string' },
    threads: { type: 'string' },
    work: { type: 'string' },
    out: { type: 'string' },
  },
  allowPositionals: false,
});

const quick = args.quick!;
const P = {
  files: quick ? 5_000 : 50_000,
  profile: 'attachments-large' as const,
  scale: Number(args.scale ?? (quick ? 5 : 20)),
  clients: Number(args.clients ?? 4),
  threads: Number(args.threads ?? 2),
  rounds: args.rounds ? Math.max(1, Number(args.rounds)) : quick ? 1 : 3,
  /** pgbench runs this long before the backup starts (connections up, caches warm) … */
  leadInS: 5,
  /** … and this long after it ended (so every thread's log reaches past the window, see above). */
  tailS: 3,
  /** Idle window: the warm-up backup's length, within these bounds. */
  minWindowS: 15,
  maxWindowS: 60,
};
for (const [k, v] of Object.entries({ scale: P.scale, clients: P.clients, threads: P.threads })) {
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`--${k} must be a whole number ≥ 1 (got ${v})\n`);
    process.exit(2);
  }
}
const RESULTS_FILE = args.out ?? join(BENCH_DIR, 'load-results.json');
const GOAL = 0.85;
const DB = 'praxis';
const CONDITIONS = ['idle', 'low on', 'low off'] as const;
type Condition = (typeof CONDITIONS)[number];

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s`;
const log = (s: string) => process.stdout.write(`[${elapsed()}] ${s}\n`);
const fmtMiB = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
const r1 = (x: number) => Number(x.toFixed(1));
const r3 = (x: number) => Number(x.toFixed(3));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------------------------------------------------------------- pgbench

/** pgbench of the server's own installation (Debian: /usr/lib/postgresql/N/bin), else from PATH. */
async function findPgbench(pg: PgServer): Promise<string> {
  const own = join(pg.binDir, 'pgbench');
  if (existsSync(own)) return own;
  const r = await execa('sh', ['-c', 'command -v pgbench'], { reject: false });
  if (r.exitCode === 0 && r.stdout.trim()) return r.stdout.trim();
  throw new Error(`pgbench not found in ${pg.binDir} nor on PATH (Debian: it comes with the postgresql-15 package)`);
}

/** One transaction from pgbench's per-transaction log: which client, latency, completion time. */
interface Tx {
  client: number;
  latencyUs: number;
  endMs: number;
}

interface LoadRun {
  child: ResultPromise;
  logPrefix: string;
  startedMs: number;
}

function pgbenchConn(pg: PgServer): { argv: string[]; env: Record<string, string> } {
  return { argv: ['-h', pg.host, '-p', String(pg.port), '-U', pg.user], env: { PGPASSWORD: pg.password } };
}

/**
 * Starts pgbench (no time limit worth the name: it is stopped by stopLoad) and resolves once its
 * first progress line shows transactions running.
 */
async function startLoad(pg: PgServer, pgbench: string, logPrefix: string): Promise<LoadRun> {
  const conn = pgbenchConn(pg);
  const startedMs = Date.now();
  const child = execa(
    pgbench,
    [...conn.argv, '-n', '-c', String(P.clients), '-j', String(P.threads), '-T', '7200', '-P', '1', '-l', `--log-prefix=${logPrefix}`, DB],
    { env: conn.env, reject: false, stdin: 'ignore', buffer: { stderr: true, stdout: true } },
  );
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (/progress: [\d.]+ s, [\d.]+ tps/.test(String(d))) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    void child.then((r) => reject(new Error(`pgbench ended before it ran (exit ${r.exitCode}): ${String(r.stderr).split('\n').slice(-5).join(' ')}`)));
  });
  return { child, logPrefix, startedMs };
}

async function stopLoad(run: LoadRun): Promise<Tx[]> {
  run.child.kill('SIGINT');
  await run.child;
  const dir = dirname(run.logPrefix);
  const base = run.logPrefix.slice(dir.length + 1);
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${base}.`));
  if (!files.length) throw new Error(`pgbench wrote no transaction log (${run.logPrefix}.*)`);
  const txs: Tx[] = [];
  for (const f of files) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) {
      // client_id transaction_no time script_no time_epoch time_us   (time: latency in µs)
      const m = /^(\d+) \d+ (\d+) \d+ (\d+) (\d+)/.exec(line);
      if (m) txs.push({ client: Number(m[1]), latencyUs: Number(m[2]), endMs: Number(m[3]) * 1000 + Number(m[4]) / 1000 });
    }
  }
  return txs;
}

interface WindowFigures {
  windowS: number;
  transactions: number;
  tps: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

function nearestRank(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** Exact figures for the transactions that completed in [fromMs, toMs). */
function windowFigures(txs: Tx[], fromMs: number, toMs: number): WindowFigures {
  for (let c = 0; c < P.clients; c++) {
    if (!txs.some((t) => t.client === c && t.endMs >= toMs)) {
      throw new Error(`pgbench's log of client ${c} ends before the window does: its transactions cannot be counted (a client aborted, or the log was cut)`);
    }
  }
  const inside = txs.filter((t) => t.endMs >= fromMs && t.endMs < toMs).map((t) => t.latencyUs / 1000).sort((a, b) => a - b);
  if (!inside.length) throw new Error('no pgbench transaction completed inside the window');
  const windowS = (toMs - fromMs) / 1000;
  return {
    windowS: r3(windowS),
    transactions: inside.length,
    tps: r1(inside.length / windowS),
    p50Ms: r3(nearestRank(inside, 0.5)),
    p95Ms: r3(nearestRank(inside, 0.95)),
    maxMs: r3(inside.at(-1)!),
  };
}

// ---------------------------------------------------------------- priority seen

interface PrioritySample {
  /** Nice values seen in the CLI process and its descendants, by command name. */
  nice: Record<string, number[]>;
  /** I/O classes seen (`ionice -p`: "idle", "none: prio 0", …), by command name. */
  io: Record<string, string[]>;
}

/** The CLI's process and its descendants: pid → [comm, nice], from /proc. */
async function processTree(root: number): Promise<Map<number, [string, number]>> {
  const all = new Map<number, { ppid: number; comm: string; nice: number }>();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' '); // f[0] = state (field 3), so field n is f[n - 3]
    all.set(Number(d), { ppid: Number(f[1]), comm, nice: Number(f[16]) });
  }
  const out = new Map<number, [string, number]>();
  const add = (pid: number) => {
    const p = all.get(pid);
    if (!p || out.has(pid)) return;
    out.set(pid, [p.comm, p.nice]);
    for (const [c, q] of all) if (q.ppid === pid) add(c);
  };
  add(root);
  return out;
}

function samplePriority(pid: number): { stop: () => Promise<PrioritySample> } {
  const seen: PrioritySample = { nice: {}, io: {} };
  const note = <T>(m: Record<string, T[]>, k: string, v: T) => {
    m[k] ??= [];
    if (!m[k]!.includes(v)) m[k]!.push(v);
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      const tree = await processTree(pid).catch(() => new Map<number, [string, number]>());
      const pids = [...tree.keys()];
      if (pids.length) {
        const io = await execa('ionice', ['-p', ...pids.map(String)], { reject: false });
        const lines = String(io.stdout).split('\n');
        pids.forEach((p, i) => {
          const [comm, nice] = tree.get(p)!;
          note(seen.nice, comm, nice);
          // ionice prints one line per pid, in order; a pid that ended meanwhile prints to stderr only.
          if (lines.length === pids.length && lines[i]) note(seen.io, comm, lines[i]!.trim());
        });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

// ---------------------------------------------------------------- the backup

/** A stretch of the backup, from the CLI's own event stamps (ms since the epoch). */
interface Phase {
  name: string;
  fromMs: number;
  toMs: number;
}

interface BackupRun {
  startMs: number;
  endMs: number;
  exitCode: number;
  phases: Phase[];
  /** component → seconds (component-started → component-finished, from the CLI's events). */
  components: Record<string, number>;
  /** The CLI's own log lines about its priority (priority.lowered / priority.off / priority.notLowered). */
  priorityLog: string[];
  priority: PrioritySample;
}

let RUNS = '';
let runCount = 0;

async function backup(pg: PgServer, tree: string, lowPriority: boolean, tag: string): Promise<BackupRun> {
  const dir = join(RUNS, `${String(++runCount).padStart(2, '0')}-${tag}`);
  await mkdir(dir, { recursive: true });
  const config = {
    backupDir: join(dir, 'backups'),
    retention: { keep: 10 },
    performance: { lowPriority },
    components: [
      { name: 'praxisdb', type: 'postgres', database: DB, host: pg.host, port: pg.port, user: pg.user },
      { name: 'dateien', type: 'folder', path: tree },
    ],
  };
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const env = await cliEnv(join(dir, 'cli'), { PRAXIS_BACKUP_PASSWORD_PRAXISDB: pg.password, LANG: 'en_US.UTF-8' });
  const startMs = Date.now();
  const child = execa(process.execPath, [CLI, 'run', '--config', configFile, '--json'], { env: env.env, cwd: REPO, reject: false, stdin: 'ignore' });
  const sampler = samplePriority(child.pid!);
  const r = await child;
  const endMs = Date.now();
  const priority = await sampler.stop();
  const events = String(r.stdout)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
  if (r.exitCode !== 0 && r.exitCode !== 3) {
    // 3: done with warnings (the log says which); anything else means the backup did not happen.
    throw new Error(`praxis-backup run (${tag}) exited ${r.exitCode}:\n${String(r.stderr).split('\n').slice(-15).join('\n')}`);
  }
  const started = new Map<string, number>();
  const components: Record<string, number> = {};
  const priorityLog: string[] = [];
  const phases: Phase[] = [];
  let lastComponentEnd = 0;
  let restoreTestStart = 0;
  let finished = endMs;
  for (const e of events) {
    const ts = Date.parse(e.ts);
    if (e.type === 'component-started') started.set(e.name, ts);
    if (e.type === 'component-finished' && started.has(e.name)) {
      components[e.name] = r3((ts - started.get(e.name)!) / 1000);
      phases.push({ name: `${e.name === 'praxisdb' ? 'dump' : 'copy'} (${e.name})`, fromMs: started.get(e.name)!, toMs: ts });
      lastComponentEnd = ts;
    }
    const key = e.message?.key;
    if (typeof key === 'string' && key.startsWith('priority.')) priorityLog.push(e.message?.text ?? key);
    if (key === 'verify.restoreTest') restoreTestStart = ts;
    if (key === 'verify.restoreTestPassed' && restoreTestStart) phases.push({ name: 'restore test', fromMs: restoreTestStart, toMs: ts });
    if (e.type === 'finished') finished = ts;
  }
  if (lastComponentEnd) phases.push({ name: 'check after the backup', fromMs: lastComponentEnd, toMs: restoreTestStart || finished });
  phases.sort((a, b) => a.fromMs - b.fromMs);
  return { startMs, endMs, exitCode: r.exitCode ?? -1, phases, components, priorityLog, priority };
}

// ---------------------------------------------------------------- one measurement

async function settle(pg: PgServer, tree: string): Promise<void> {
  await pg.psql('VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_accounts, pgbench_history; CHECKPOINT;', DB);
  await execa('sync');
  if ((await evictFromPageCache(tree)) === null && !warnedNoEvict) {
    warnedNoEvict = true;
    log('WARNING: python3 not found, so the tree cannot be taken out of the page cache: the backups read it from memory, not from disk as at night');
  }
}
let warnedNoEvict = false;

interface Measurement extends WindowFigures {
  round: number;
  condition: Condition;
  backupS?: number;
  backupExit?: number;
  components?: Record<string, number>;
  /** pgbench during each stretch of the backup (≥ 1 s): which part of it the practice feels. */
  phases?: (WindowFigures & { name: string })[];
  priorityLog?: string[];
  priority?: PrioritySample;
  load1m: number;
}

async function measure(pg: PgServer, pgbench: string, tree: string, condition: Condition, round: number, idleWindowS: number): Promise<Measurement> {
  await settle(pg, tree);
  const load1m = loadavg()[0]!;
  const prefix = join(RUNS, `pgbench-r${round}-${condition.replace(' ', '-')}`);
  const load = await startLoad(pg, pgbench, prefix);
  await new Promise((r) => setTimeout(r, P.leadInS * 1000));
  let from: number;
  let to: number;
  let run: BackupRun | undefined;
  try {
    if (condition === 'idle') {
      from = Date.now();
      await new Promise((r) => setTimeout(r, idleWindowS * 1000));
      to = Date.now();
    } else {
      run = await backup(pg, tree, condition === 'low on', `r${round}-${condition.replace(' ', '-')}`);
      from = run.startMs;
      to = run.endMs;
    }
    await new Promise((r) => setTimeout(r, P.tailS * 1000));
  } catch (e) {
    await stopLoad(load).catch(() => []);
    throw e;
  }
  const txs = await stopLoad(load);
  const fig = windowFigures(txs, from, to);
  const phases = (run?.phases ?? []).filter((p) => p.toMs - p.fromMs >= 1000).map((p) => ({ name: p.name, ...windowFigures(txs, p.fromMs, p.toMs) }));
  return {
    round,
    condition,
    ...fig,
    ...(run ? { backupS: r3((run.endMs - run.startMs) / 1000), backupExit: run.exitCode, components: run.components, phases, priorityLog: run.priorityLog, priority: run.priority } : {}),
    load1m: r3(load1m),
  };
}

// ---------------------------------------------------------------- main

interface Summary {
  condition: Condition;
  tpsMedian: number;
  p95MsMedian: number;
  p50MsMedian: number;
  backupSMedian?: number;
  ratioToIdle?: number;
  perRoundRatios?: number[];
  pass?: boolean;
}

async function main(): Promise<number> {
  log(`Praxis-Backup bench:load ${quick ? '(--quick) ' : ''}— ${P.files} files (~${quick ? '100 MB' : '1 GB'}), pgbench scale ${P.scale}, ${P.clients} clients / ${P.threads} threads, ${P.rounds} round(s)`);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first (npm run bench:load does)`);
  const load0 = loadavg();
  log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${fmtMiB(totalmem())} RAM, node ${process.version}, load ${load0.map((l) => l.toFixed(2)).join(' ')}`);

  const work = args.work ?? (await makeTempDir('praxis-load-bench'));
  await mkdir(work, { recursive: true });
  RUNS = join(work, `runs-${Date.now()}`);
  await mkdir(RUNS, { recursive: true });
  const fs = await statfs(work);
  const free = fs.bavail * fs.bsize;
  const needed = (quick ? 1 : 12) * 1024 * MiB;
  log(`work dir ${work} (${fmtMiB(free)} free)`);
  if (free < needed) throw new Error(`need about ${fmtMiB(needed)} free in ${work}; use --work DIR on a bigger disk`);

  log(`preparing the attachment tree: ${P.files} files …`);
  const tree = await makeTree(join(work, 'data', `attachments-large-${P.files}`), P.files, {
    profile: P.profile,
    onProgress: (d, n) => log(`  ${d}/${n} files written`),
  });
  log(`  ${tree.reused ? 'reused' : 'written'}: ${tree.files} files in ${tree.dirs} folders, ${fmtMiB(tree.bytes)}`);

  log('starting PostgreSQL (data on disk, fsync on) …');
  // The practice's database lives on the server's disk with durable commits: what the backup
  // competes with. The test helper's defaults (tmpfs, fsync off) would hide every I/O effect.
  const pg = await startPostgres({
    dir: join(RUNS, 'pg'),
    ramdisk: false,
    settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', shared_buffers: '128MB' },
  });
  try {
    const pgbench = await findPgbench(pg);
    const version = (await execa(pgbench, ['--version'])).stdout.trim();
    log(`  PostgreSQL ${pg.version} on ${pg.host}:${pg.port}; ${pgbench} (${version})`);
    await pg.createDb(DB);
    log(`  pgbench -i -s ${P.scale} …`);
    const conn = pgbenchConn(pg);
    await execa(pgbench, [...conn.argv, '-i', '-q', '-s', String(P.scale), DB], { env: conn.env });
    const dbBytes = Number((await pg.psql('SELECT pg_database_size(current_database())', DB)).trim());
    log(`  practice database: ${fmtMiB(dbBytes)}`);

    log('warm-up (untimed): one backup alone, then 10 s of pgbench …');
    await settle(pg, tree.root);
    const warm = await backup(pg, tree.root, true, 'warm');
    const warmS = (warm.endMs - warm.startMs) / 1000;
    log(`  backup alone: ${warmS.toFixed(1)} s (${Object.entries(warm.components).map(([k, v]) => `${k} ${v} s`).join(', ')})`);
    log(`  the product says: ${warm.priorityLog.join(' | ') || '(nothing about its priority: this build does not lower it)'}`);
    const warmLoad = await startLoad(pg, pgbench, join(RUNS, 'pgbench-warm'));
    await new Promise((r) => setTimeout(r, 10_000));
    await stopLoad(warmLoad);
    // As long as a backup takes, but a TPS over a minute is as good as over five.
    const idleWindowS = Math.min(P.maxWindowS, Math.max(P.minWindowS, Math.round(warmS)));

    const rotations: Condition[][] = [
      ['idle', 'low on', 'low off'],
      ['low off', 'idle', 'low on'],
      ['low on', 'low off', 'idle'],
    ];
    const machine = {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model,
      ramBytes: totalmem(),
      node: process.version,
      loadAtStart: load0,
      ioScheduler: await readFile('/sys/block/vda/queue/scheduler', 'utf8').then((s) => s.trim()).catch(() => 'unknown'),
      date: new Date().toISOString(),
    };
    const measurements: Measurement[] = [];
    // Written after every measurement, so a run cut short still leaves what it measured.
    const save = async (complete: boolean) => {
      const summary = summarize(measurements);
      const results = {
        complete,
        params: { ...P, pgbench: version, pgbenchArgs: `-n -c ${P.clients} -j ${P.threads} -l (TPC-B-like, built-in)`, goal: `TPS during the backup ≥ ${GOAL} × idle` },
        machine,
        data: { tree: { files: tree.files, dirs: tree.dirs, bytes: tree.bytes }, databaseBytes: dbBytes, postgres: pg.version },
        warmUp: { backupS: r3(warmS), components: warm.components, priorityLog: warm.priorityLog },
        idleWindowS,
        summary,
        measurements,
        totalS: r1((performance.now() - t0) / 1000),
      };
      await writeFile(RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');
      return summary;
    };
    for (let round = 1; round <= P.rounds; round++) {
      for (const condition of rotations[(round - 1) % rotations.length]!) {
        const m = await measure(pg, pgbench, tree.root, condition, round, idleWindowS);
        measurements.push(m);
        log(
          `round ${round}/${P.rounds} ${condition.padEnd(7)}: ${m.tps.toFixed(1)} TPS, p95 ${m.p95Ms.toFixed(1)} ms (${m.transactions} tx in ${m.windowS.toFixed(1)} s)` +
            (m.backupS !== undefined ? `, backup ${m.backupS.toFixed(1)} s (exit ${m.backupExit})` : ''),
        );
        await save(false);
      }
    }
    const summary = await save(true);
    printTable(summary, measurements);
    log(`results written to ${RESULTS_FILE}`);
  } finally {
    await pg.stop();
  }
  return 0;
}

function summarize(measurements: Measurement[]): Summary[] {
  const of = (c: Condition) => measurements.filter((m) => m.condition === c);
  const idleByRound = new Map(of('idle').map((m) => [m.round, m.tps]));
  const idleTps = of('idle').length ? median(of('idle').map((m) => m.tps)) : NaN;
  return CONDITIONS.filter((c) => of(c).length).map((c) => {
    const ms = of(c);
    const s: Summary = {
      condition: c,
      tpsMedian: r1(median(ms.map((m) => m.tps))),
      p95MsMedian: r3(median(ms.map((m) => m.p95Ms))),
      p50MsMedian: r3(median(ms.map((m) => m.p50Ms))),
    };
    if (c !== 'idle') {
      s.backupSMedian = r3(median(ms.map((m) => m.backupS!)));
      if (Number.isFinite(idleTps)) {
        s.ratioToIdle = r3(median(ms.map((m) => m.tps)) / idleTps);
        s.perRoundRatios = ms.filter((m) => idleByRound.has(m.round)).map((m) => r3(m.tps / idleByRound.get(m.round)!));
        s.pass = s.ratioToIdle >= GOAL;
      }
    }
    return s;
  });
}

function printTable(summary: Summary[], measurements: Measurement[]): void {
  const out = (s = '') => process.stdout.write(s + '\n');
  const label: Record<Condition, string> = { idle: 'idle', 'low on': 'backup, lowPriority on', 'low off': 'backup, lowPriority off' };
  const rows = [['condition', 'TPS (median)', 'ratio to idle', 'p95 ms', 'p50 ms', 'backup s', 'goal', 'result']];
  for (const s of summary) {
    rows.push([
      label[s.condition],
      s.tpsMedian.toFixed(1),
      s.ratioToIdle?.toFixed(3) ?? '',
      s.p95MsMedian.toFixed(1),
      s.p50MsMedian.toFixed(1),
      s.backupSMedian?.toFixed(1) ?? '',
      s.ratioToIdle !== undefined ? `≥ ${GOAL}` : '',
      s.pass === undefined ? '' : s.pass ? 'PASS' : 'FAIL  <<<',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  out();
  out(line(rows[0]!));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) out(line(r));
  out();
  for (const s of summary) {
    const ms = measurements.filter((m) => m.condition === s.condition);
    out(`  ${label[s.condition]}: TPS ${ms.map((m) => m.tps.toFixed(1)).join(' / ')}; p95 ${ms.map((m) => m.p95Ms.toFixed(1)).join(' / ')} ms` +
      (s.perRoundRatios ? `; per-round ratios ${s.perRoundRatios.map((x) => x.toFixed(3)).join(' / ')}; backup ${ms.map((m) => m.backupS!.toFixed(1)).join(' / ')} s` : ''));
    const last = ms.at(-1);
    if (last?.phases?.length) {
      const idle = summary.find((x) => x.condition === 'idle')!.tpsMedian;
      out(`    round ${last.round} by phase: ${last.phases.map((p) => `${p.name} ${p.windowS.toFixed(1)} s: ${p.tps.toFixed(0)} TPS (${(p.tps / idle).toFixed(2)} × idle), p95 ${p.p95Ms.toFixed(1)} ms`).join('; ')}`);
    }
    if (last?.priority) {
      const nice = Object.entries(last.priority.nice).map(([k, v]) => `${k} ${v.join(',')}`).join('; ');
      const io = Object.entries(last.priority.io).map(([k, v]) => `${k} ${v.join(',')}`).join('; ');
      out(`    nice seen: ${nice}`);
      out(`    I/O class seen: ${io}`);
      out(`    the product says: ${last.priorityLog?.join(' | ') || '(nothing about its priority)'}`);
    }
  }
  out();
}

let code = 1;
try {
  code = await main();
} catch (e) {
  process.stderr.write(`\nbench:load aborted: ${(e as Error).stack ?? e}\n`);
  code = 1;
} finally {
  log('cleaning up …');
  await runCleanups();
  // A kept --work dir keeps its data (the tree is reused next time), not the runs' backups.
  if (args.work && RUNS) await rm(RUNS, { recursive: true, force: true, maxRetries: 3 });
  log('done');
}
process.exitCode = code;
