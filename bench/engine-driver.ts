// One `praxis-backup run` in its own Node process: the CLI's own command (src/cli/commands/run.ts,
// runCommand) on the composition root, so the bench times exactly what the product runs at night —
// config loading, the reporter and its log file, lowering its priority (performance.lowPriority),
// the backup, the check after it (verifyAfter, with the config's verify defaults), retention and
// the notices — and follows run.ts when it changes. Its own process so that its peak RSS is the
// engine's alone (getrusage(RUSAGE_CHILDREN) in the parent would fold rsync and pg_dump in).
//
//   node --import tsx bench/engine-driver.ts --config FILE [--json] [--scheduled]
//
// --json: `run --json` (what the tray reads); its event stream goes to stderr here, so that stdout
// carries exactly one JSON line, the DriverResult. --scheduled: as launchd/systemd start it.
// Exit code: the run's exit code. PRAXIS_BACKUP_STATE_DIR / PRAXIS_BACKUP_LOG_DIR (set by the
// bench) keep status and logs out of $HOME. The phases come from the run's own log file (every
// event with its time), read after the run: no extra sink in the measured process.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compose } from '../src/app/compose';
import { runCommand } from '../src/cli/commands/run';
import { makeOut } from '../src/cli/output';
import { onChildGroups } from '../src/process/runner';
import { childRecorder, processFigures, type ChildRecord } from './driver-figures';

export interface DriverResult {
  exitCode: number;
  result: string;
  backupId?: string;
  path?: string;
  error?: string;
  /** Wall time of the whole command (runCommand: config, log, priority, backup, check, notices), no Node start. */
  runMs: number;
  /** Wall time from process start (before the imports) to the end. */
  processMs: number;
  /** Per component: component-started → component-finished, from the engine's own event stamps. */
  components: { name: string; type: string; ms: number; bytes?: number; files?: number }[];
  /** CPU time of this Node process alone during the run (user, system), ms: rsync/pg_dump excluded. */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Peak RSS of this Node process (getrusage(RUSAGE_SELF).ru_maxrss), KiB. */
  maxRssKiB: number;
  /** RSS just before the run, KiB: Node + the engine's modules, before any work. */
  rssBeforeKiB: number;
  events: number;
  progressEvents: number;
  /** Every event but progress: ms since the run started, type, and message key or name. */
  timeline: [number, string, string][];
  /** Start of the run → the backup's own end ("run.finished.*"), ms; absent for the mirror driver. */
  backupMs?: number;
  /** The check after the backup: "run.finished.*" → "verify.passed" / "verify.failed", ms (absent when none ran). */
  verifyMs?: number;
  /** The rsync the product used (its "run.tool" line) and the flags it named ("run.rsyncKeeps"). */
  rsync?: { path: string; version: string; flags: string };
  /** What this process ran at after the run lowered its priority: nice value, `ionice -p` (Linux). */
  priority?: { nice: number; io: string };
  /** Every child the run started, with its argv (rsync, du, ionice, …). */
  children?: ChildRecord[];
}

type LoggedEvent = { ts: string; type: string; name?: string; componentType?: string; bytes?: number; files?: number; message?: { key: string; params?: Record<string, unknown> }; summary?: Record<string, unknown> };

const { values: opts } = parseArgs({ options: { config: { type: 'string' }, json: { type: 'boolean', default: false }, scheduled: { type: 'boolean', default: false } } });
if (!opts.config) {
  process.stderr.write('usage: engine-driver.ts --config FILE [--json] [--scheduled]\n');
  process.exit(2);
}

const app = compose();
const out = makeOut('de', opts.json!);
// stdout is the driver's result line: the --json stream goes to stderr instead.
out.data = (obj) => process.stderr.write(JSON.stringify(obj) + '\n');
const recorder = childRecorder(onChildGroups);

const rssBeforeKiB = Math.round(process.memoryUsage.rss() / 1024);
const cpu0 = process.cpuUsage();
const wall0 = Date.now();
const t0 = performance.now();
recorder.start();
const exitCode = await runCommand(app, ['--config', opts.config, ...(opts.scheduled ? ['--scheduled'] : [])], out);
const runMs = performance.now() - t0;
const figures = processFigures(cpu0, rssBeforeKiB);

// The run's log file: run-<iso>-<pid>.jsonl in the log dir (src/run/run-log.ts).
const logName = readdirSync(app.paths.logDir)
  .filter((n) => n.startsWith('run-') && n.endsWith(`-${process.pid}.jsonl`))
  .sort()
  .pop();
const logged: LoggedEvent[] = logName
  ? readFileSync(join(app.paths.logDir, logName), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LoggedEvent)
      .filter((e) => Date.parse(e.ts) >= wall0 - 1000)
  : [];
const at = (e: LoggedEvent) => Date.parse(e.ts) - wall0;
const key = (e: LoggedEvent) => e.message?.key ?? '';

const open = new Map<string, LoggedEvent>();
const components: DriverResult['components'] = [];
const timeline: DriverResult['timeline'] = [];
let progressEvents = 0;
for (const e of logged) {
  if (e.type === 'progress') {
    progressEvents++;
    continue;
  }
  timeline.push([at(e), e.type, key(e) || e.name || '']);
  if (e.type === 'component-started') open.set(e.name!, e);
  else if (e.type === 'component-finished') {
    const s = open.get(e.name!);
    components.push({ name: e.name!, type: s?.componentType ?? '?', ms: s ? Date.parse(e.ts) - Date.parse(s.ts) : NaN, bytes: e.bytes, files: e.files });
  }
}
const finished = logged.find((e) => /^run\.finished\./.test(key(e)));
const verified = logged.find((e) => /^verify\.(passed|passedRestore|failed)$/.test(key(e)));
const summary = (logged.findLast((e) => e.type === 'finished')?.summary ?? {}) as { result?: string; backupId?: string; path?: string; error?: unknown };
const tool = logged.find((e) => key(e) === 'run.tool' && e.message?.params?.tool === 'rsync')?.message?.params;
const keeps = logged.find((e) => key(e) === 'run.rsyncKeeps')?.message?.params;

let io = '';
if (process.platform === 'linux') {
  try {
    io = execFileSync('ionice', ['-p', String(process.pid)], { encoding: 'utf8' }).trim();
  } catch (e) {
    io = `? (${(e as Error).message.split('\n')[0]})`;
  }
}

const result: DriverResult = {
  exitCode,
  result: summary.result ?? (exitCode === 0 ? 'success' : 'failed'),
  backupId: summary.backupId,
  path: summary.path,
  error: summary.error ? JSON.stringify(summary.error) : undefined,
  runMs,
  components,
  ...figures,
  events: logged.length,
  progressEvents,
  timeline,
  backupMs: finished ? at(finished) : undefined,
  verifyMs: finished && verified ? Date.parse(verified.ts) - Date.parse(finished.ts) : undefined,
  rsync: tool ? { path: String(tool.path), version: String(tool.version), flags: String(keeps?.flags ?? '') } : undefined,
  priority: { nice: getPriority(), io },
  children: recorder.children,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = exitCode;
