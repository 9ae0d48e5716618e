// "Backup jetzt" as the tray does it: the real CLI (dist/cli.js) started through RunLauncher, its
// JSON-lines events followed, the end turned into a notification. Real rsync, real files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatDuration } from '../../src/i18n';
import { finishNotification } from '../../src/tray/model/notifications';
import type { CliEvent } from '../../src/tray/model/run-events';
import { RunLauncher, type RunExit } from '../../src/tray/run-launcher';
import { CLI, cliEnv } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, waitUntil } from '../helpers/temp';

interface Setup {
  root: string;
  env: Record<string, string>;
  stateDir: string;
  backupDir: string;
  configFile: string;
}

/**
 * `hold`: the run's beforeBackup hook waits until the test creates the file `release` in the run's
 * folder (or is killed): the run is then as long as the test needs, on any machine.
 */
async function setup(opts: { hold?: boolean } = {}): Promise<Setup> {
  const root = await makeTempDir('tray-run');
  const { env, stateDir } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off' });
  const files = join(root, 'files');
  await createSampleFiles(files, { files: 40 });
  const backupDir = join(root, 'backups');
  const config: Record<string, unknown> = { backupDir, components: [{ name: 'files', type: 'folder', path: files }], retention: { keep: 3 } };
  if (opts.hold) config.hooks = { beforeBackup: { command: ['sh', '-c', 'while [ ! -e "$0" ]; do sleep 0.05; done', join(root, 'release')], timeoutSeconds: 86400 } };
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  return { root, env, stateDir, backupDir, configFile };
}

function follow(launcher: RunLauncher): { events: CliEvent[]; done: Promise<RunExit>; started: boolean } {
  const events: CliEvent[] = [];
  let resolveDone!: (e: RunExit) => void;
  const done = new Promise<RunExit>((r) => (resolveDone = r));
  const started = launcher.start({ onEvent: (e) => events.push(e), onExit: resolveDone });
  return { events, done, started };
}

const launcherFor = (s: Setup, cli = CLI) => new RunLauncher({ node: process.execPath, cli, configFile: s.configFile, lang: 'de', env: s.env });

test('a real backup: events in order, exit 0, summary, notification with duration and size', async () => {
  const s = await setup();
  const launcher = launcherFor(s);
  const run = follow(launcher);
  assert.ok(run.started);
  assert.ok(launcher.running);
  const exit = await run.done;
  assert.is(launcher.running, false);
  assert.is(exit.exitCode, 0, exit.stderrTail.join('\n'));
  const types = run.events.map((e) => e.type);
  assert.is(types[0], 'started');
  assert.ok(types.indexOf('component-started') < types.indexOf('component-finished'));
  assert.is(types.at(-1), 'finished');
  assert.is(exit.summary?.result, 'success');
  const ids = readdirSync(s.backupDir).filter((n) => /^\d{8}_\d{6}$/.test(n));
  assert.is(ids.length, 1);
  assert.is(exit.summary?.backupId, ids[0]);
  const n = finishNotification('de', exit.summary, exit);
  assert.is(n.title, 'Sicherung abgeschlossen');
  assert.match(n.body, new RegExp(`^Dauer ${formatDuration(exit.summary!.durationMs ?? 0)}, [\\d,]+ (KB|MB)\\.$`));
  // The CLI was told not to notify by itself (the tray does): its status file still records the run.
  const status = JSON.parse(readFileSync(join(s.stateDir, 'status.json'), 'utf8'));
  assert.is(status.lastRun.result, 'success');
});

test('a second start is refused: by this tray at once, by the engine (75) with the reason', async () => {
  const s = await setup({ hold: true });
  const launcher = launcherFor(s);
  const first = follow(launcher);
  // The first run holds the lock (its hook waits) until the second one has been refused.
  assert.ok(await waitUntil(async () => first.events.some((e) => e.type === 'log' && e.message.key === 'run.hook.started'), 60_000), 'the first run started its hook');
  assert.is(follow(launcher).started, false, 'the same tray does not start a second run');
  // Another tray / a terminal: the engine's lock refuses it and says since when and which PID.
  const second = follow(launcherFor(s));
  const exit2 = await second.done;
  writeFileSync(join(s.root, 'release'), '');
  assert.is(exit2.exitCode, 75);
  const n = finishNotification('de', exit2.summary, exit2);
  assert.is(n.title, 'Sicherung nicht gestartet');
  assert.match(n.body, /Es läuft bereits ein Backup .*PID \d+/);
  const exit1 = await first.done;
  assert.is(exit1.exitCode, 0);
});

test('Abbrechen: the run stops cleanly, nothing half-written stays, the notification says cancelled', async () => {
  // The hook never ends by itself: only the cancel can end this run.
  const s = await setup({ hold: true });
  const launcher = launcherFor(s);
  const run = follow(launcher);
  assert.ok(await waitUntil(async () => run.events.some((e) => e.type === 'log' && e.message.key === 'run.hook.started'), 60_000), 'the run started its hook');
  assert.ok(launcher.cancel());
  // Fails instead of hanging if the cancel did not end the hook; far above any machine's speed.
  const exit = await Promise.race([run.done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the cancel did not end the run')), 120_000).unref())]);
  assert.is(exit.summary?.error?.key, 'error.cancelled');
  assert.is(finishNotification('de', exit.summary, exit).title, 'Sicherung abgebrochen');
  assert.equal(existsSync(s.backupDir) ? readdirSync(s.backupDir).filter((n) => !n.startsWith('.')) : [], []);
});

test('a crashing run never takes the tray down: exit without summary becomes a clear notification', async () => {
  const s = await setup();
  const crasher = join(s.root, 'crash.mjs');
  writeFileSync(crasher, `console.log(JSON.stringify({ type: 'started', id: 'x', components: ['files'], pid: process.pid, ts: '' })); process.kill(process.pid, 'SIGKILL');\n`);
  const run = follow(launcherFor(s, crasher));
  const exit = await run.done;
  assert.is(exit.summary, null);
  assert.is(exit.signal, 'SIGKILL');
  assert.equal(run.events.map((e) => e.type), ['started']);
  assert.match(finishNotification('de', null, exit).body, /unerwartet beendet \(Signal SIGKILL\)/);
});

test('quitting the tray does not stop its run: the backup finishes after the tray process is gone', async () => {
  const s = await setup({ hold: true }); // the run waits in its hook until the tray is gone
  // .mts: the script lives outside the project (no package.json "type": "module" above it).
  const script = join(s.root, 'tray-quits.mts');
  const launcherModule = resolve(import.meta.dirname, '../../src/tray/run-launcher.ts');
  writeFileSync(
    script,
    `import { RunLauncher } from ${JSON.stringify(launcherModule)};
const l = new RunLauncher({ node: process.execPath, cli: ${JSON.stringify(CLI)}, configFile: ${JSON.stringify(s.configFile)}, lang: 'de', env: ${JSON.stringify(s.env)} });
l.start({ onEvent: (e) => { if (e.type === 'started') { console.log('started ' + e.pid); process.exit(0); } }, onExit: () => process.exit(9) });\n`,
  );
  const tray = await execa(process.execPath, ['--import', 'tsx', script], { reject: false });
  assert.is(tray.exitCode, 0, tray.stderr);
  const pid = Number(/started (\d+)/.exec(tray.stdout)?.[1]);
  assert.ok(pid > 0);
  writeFileSync(join(s.root, 'release'), '');
  const statusFile = join(s.stateDir, 'status.json');
  const finished = await waitUntil(async () => existsSync(statusFile) && JSON.parse(readFileSync(statusFile, 'utf8')).lastRun?.result === 'success', 120_000);
  assert.ok(finished, 'the run went on and finished after its tray exited');
});

test.after(runCleanups);
test.run();
