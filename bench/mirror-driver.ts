// One mirror step in its own Node process, for the off-site benchmark (bench/offsite.ts): wired like
// `praxis-backup mirror` (composition root, config file, the CLI's reporter, signals → cancel) and
// timed around runMirrors() — the step a night's run takes after its backup: unlock, tidy, list,
// put (restic backup), read-back of the manifest. Node's start-up and module loading stay outside
// the figure (shown apart, as for engine-driver.ts).
//
//   node bench/.work/mirror-driver.mjs --config FILE
//
// The repository password comes from RESTIC_PASSWORD (the variable the raw side's restic reads),
// through the product's own environment store under the mirror's credential id; the keyring is not
// asked. Prints one JSON line: a DriverResult (so the bench's pairs and tables take it as they take
// an engine run) plus the mirror's result and every restic child with its start, end and argv, so a
// slow run shows where its time went.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compose } from '../src/app/compose';
import { runReporter, withCancel } from '../src/cli/commands/run-support';
import { makeOut } from '../src/cli/output';
import { loadConfig } from '../src/config/load';
import { EnvSecretStore } from '../src/credentials/credentials';
import { encryptionCredentialId } from '../src/encryption/passphrase';
import { runMirrors } from '../src/mirror/mirror-run';
import { onChildGroups } from '../src/process/runner';
import type { DriverResult } from './engine-driver';
import { childRecorder, eventTimeline, processFigures } from './driver-figures';

export interface MirrorDriverResult extends DriverResult {
  mirror: { result: string; copied: string[]; bytesCopied: number; snapshot?: string; files?: number; verified?: boolean; message?: unknown };
  /** Every child the mirror step started: ms since runMirrors() was called, start and end, and its argv (from /proc). */
  children: { startMs: number; endMs: number; program: string; args: string[] }[];
}

const configFile = parseArgs({ options: { config: { type: 'string' } } }).values.config;
if (!configFile) throw new Error('usage: mirror-driver.ts --config FILE');

const app = compose();
const out = makeOut('de', false);
const config = await loadConfig(resolve(configFile));
const reporter = runReporter(app, out, 'mirror');
const secrets = new EnvSecretStore(process.env, new Map(config.mirrors.map((m) => [encryptionCredentialId(m.name), 'RESTIC_PASSWORD'])));

const events = eventTimeline();
reporter.addSink(events.sink);
let t0 = performance.now();

// The runner reports its children as they come and go (with their argv: driver-figures.ts).
const recorder = childRecorder(onChildGroups);
const children: MirrorDriverResult['children'] = recorder.children;

const rssBeforeKiB = Math.round(process.memoryUsage.rss() / 1024);
const cpu0 = process.cpuUsage();
t0 = performance.now();
recorder.start();
events.start();
const [r] = await withCancel((signal) =>
  runMirrors(config, { ...app.mirrorDeps(config, 'de'), secrets, status: app.status, now: () => app.now() }, reporter, signal),
);
const runMs = performance.now() - t0;
const figures = processFigures(cpu0, rssBeforeKiB);

const result: MirrorDriverResult = {
  exitCode: r?.result === 'success' ? 0 : 1,
  result: r?.result === 'success' ? 'success' : 'failed',
  error: r?.message ? JSON.stringify(r.message) : r ? undefined : 'no mirror configured',
  runMs,
  components: [],
  ...figures,
  events: events.events,
  progressEvents: events.progressEvents,
  timeline: events.timeline,
  mirror: {
    result: r?.result ?? 'none',
    copied: r?.copied ?? [],
    bytesCopied: r?.bytesCopied ?? 0,
    snapshot: r?.stored,
    files: r?.files,
    verified: r?.verification?.ok,
    message: r?.message,
  },
  children,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = result.exitCode;
