// One engine run in its own Node process, wired exactly like `praxis-backup run`
// (src/cli/commands/run.ts): composition root, config file, the CLI's own reporter (JSON-lines log
// file + readable text on stderr), signals → cancel. Its own process so that its peak RSS is the
// engine's alone (getrusage(RUSAGE_CHILDREN) in the parent would fold rsync and pg_dump in).
//
//   node --import tsx bench/engine-driver.ts --config FILE [--json]
//
// --json: also the `run --json` event stream (what the tray reads), sent to stderr here, so that
// stdout carries exactly one JSON line, the DriverResult. Exit code: the run's exit code.
// PRAXIS_BACKUP_STATE_DIR / PRAXIS_BACKUP_LOG_DIR (set by the bench) keep status and logs out of $HOME.
// Mirrors are not wired (the bench configs have none).
import { resolve } from 'node:path';
import { compose } from '../src/app/compose';
import { runReporter, withCancel } from '../src/cli/commands/run-support';
import { makeOut } from '../src/cli/output';
import { loadConfig } from '../src/config/load';
import { runBackup } from '../src/backup/backup-run';
import { eventTimeline, processFigures } from './driver-figures';

export interface DriverResult {
  exitCode: number;
  result: string;
  backupId?: string;
  path?: string;
  error?: string;
  /** Wall time of runBackup() alone (no Node start, no module loading). */
  runMs: number;
  /** Wall time from process start (before the imports) to the end. */
  processMs: number;
  /** Per component: component-started → component-finished, from the engine's own event stamps. */
  components: { name: string; type: string; ms: number; bytes?: number; files?: number }[];
  /** CPU time of this Node process alone during runBackup() (user, system), ms: rsync/pg_dump excluded. */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Peak RSS of this Node process (getrusage(RUSAGE_SELF).ru_maxrss), KiB. */
  maxRssKiB: number;
  /** RSS just before runBackup(), KiB: Node + the engine's modules, before any work. */
  rssBeforeKiB: number;
  events: number;
  progressEvents: number;
  /** Every event but progress: ms since runBackup() was called, type, and message key or name. */
  timeline: [number, string, string][];
}

const argv = process.argv.slice(2);
const configArg = argv[argv.indexOf('--config') + 1];
if (!argv.includes('--config') || !configArg) {
  process.stderr.write('usage: engine-driver.ts --config FILE [--json]\n');
  process.exit(2);
}

const app = compose();
const out = makeOut('de', argv.includes('--json'));
// stdout is the driver's result line: the --json stream goes to stderr instead.
out.data = (obj) => process.stderr.write(JSON.stringify(obj) + '\n');
const config = await loadConfig(resolve(configArg));
const reporter = runReporter(app, out, 'run');

const open = new Map<string, { type: string; ts: number }>();
const components: DriverResult['components'] = [];
const events = eventTimeline((e) => {
  if (e.type === 'component-started') open.set(e.name, { type: e.componentType, ts: Date.parse(e.ts) });
  else if (e.type === 'component-finished') {
    const s = open.get(e.name);
    components.push({ name: e.name, type: s?.type ?? '?', ms: s ? Date.parse(e.ts) - s.ts : NaN, bytes: e.bytes, files: e.files });
  }
});
reporter.addSink(events.sink);
let t0 = performance.now();

const rssBeforeKiB = Math.round(process.memoryUsage.rss() / 1024);
const cpu0 = process.cpuUsage();
t0 = performance.now();
events.start();
const summary = await withCancel((signal) =>
  runBackup(
    config,
    { platform: app.platform, tools: app.tools, secrets: app.secretsFor(config), status: app.status, toolVersion: app.version },
    reporter,
    signal,
  ),
);
const runMs = performance.now() - t0;
const figures = processFigures(cpu0, rssBeforeKiB);

const result: DriverResult = {
  exitCode: summary.exitCode,
  result: summary.result,
  backupId: summary.backupId,
  path: summary.path,
  error: summary.error ? JSON.stringify(summary.error) : undefined,
  runMs,
  components,
  ...figures,
  events: events.events,
  progressEvents: events.progressEvents,
  timeline: events.timeline,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = summary.exitCode;
