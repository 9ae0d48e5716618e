// The tray's LaunchAgent without a Mac: the plist parsed back with `plist` (every key, nothing
// lost or added), every launchctl call by its exact argv through an injected runner answering like
// launchctl (the recorded `launchctl print` output, the recorded "Bootstrap failed" lines), and
// where qode is looked for. Nothing here is skipped: none of it needs a Mac; none of it ran on one.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import plist from 'plist';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AutostartSpec } from '../../src/autostart/autostart';
import { LaunchdTrayAgent, renderTrayAgent, TRAY_LABEL, trayAgentDict } from '../../src/autostart/launchd-tray-agent';
import { findQode, trayProgram } from '../../src/autostart/tray-program';
import { render } from '../../src/i18n';
import type { CommandPlan } from '../../src/process/runner';
import type { Runner } from '../../src/schedule/scheduler';
import { PraxisError } from '../../src/core/errors';
import { fakeRunner } from '../helpers/fake-runner';
import { BOOTSTRAP_125, BOOTSTRAP_5, MESSAGES, PRINT, UID } from '../helpers/launchctl-recorded';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('launchd tray agent');

let root: string;
let home: string;
let spec: AutostartSpec;
let plistFile: string;

test.before(async () => {
  root = await makeTempDir('praxis-tray-agent-');
  home = join(root, 'Users', 'praxis');
  mkdirSync(home, { recursive: true });
  const app = join(root, 'Applications', 'Praxis Backup');
  const qode = join(app, 'node_modules', '@nodegui', 'qode', 'binaries', 'qode');
  const tray = join(app, 'dist', 'tray.js');
  for (const p of [qode, tray, join(app, 'dist', 'cli.js')]) {
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, '');
  }
  chmodSync(qode, 0o755);
  spec = { program: { runtime: qode, runtimeArgs: [], tray } };
  plistFile = join(home, 'Library', 'LaunchAgents', 'de.praxis-backup.tray.plist');
});
test.after(() => runCleanups());

const agent = (run: Runner, sleeps: number[] = []) =>
  new LaunchdTrayAgent({ run, home, uid: UID, sleep: async (ms) => void sleeps.push(ms) });
const PRINT_ARGV = ['/bin/launchctl', 'print', `gui/${UID}/${TRAY_LABEL}`];
const BOOTOUT_ARGV = ['/bin/launchctl', 'bootout', `gui/${UID}/${TRAY_LABEL}`];
const bootstrapArgv = () => ['/bin/launchctl', 'bootstrap', `gui/${UID}`, plistFile];
const isPrint = (p: CommandPlan) => p.args[0] === 'print';

test('the error lines used here are the recorded ones', () => {
  for (const l of [...BOOTSTRAP_5, ...BOOTSTRAP_125]) assert.ok(MESSAGES.includes(l), l);
});

test('plist: parses back to exactly the keys meant — RunAtLoad, Aqua, Interactive, KeepAlive only after a crash', () => {
  const { path, content } = renderTrayAgent(spec, home);
  assert.is(path, plistFile);
  const d = plist.parse(content) as Record<string, any>;
  assert.equal(d, {
    Label: 'de.praxis-backup.tray',
    ProgramArguments: [spec.program.runtime, spec.program.tray],
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 60,
    ProcessType: 'Interactive',
    LimitLoadToSessionType: 'Aqua',
    StandardOutPath: join(home, 'Library', 'Logs', 'Praxis-Backup', 'tray.stdout.log'),
    StandardErrorPath: join(home, 'Library', 'Logs', 'Praxis-Backup', 'tray.stderr.log'),
    EnvironmentVariables: { PATH: '/opt/homebrew/bin:/usr/local/bin:/Applications/Postgres.app/Contents/Versions/latest/bin:/usr/bin:/bin:/usr/sbin:/sbin' },
  });
  assert.equal(d, JSON.parse(JSON.stringify(trayAgentDict(spec, home))));
  // The label follows the scheduler's scheme (de.praxis-backup.<role>) and the file is named by it.
  assert.ok(path.endsWith(`/Library/LaunchAgents/${d.Label}.plist`));
  // A path with spaces stays one argument (no shell between launchd and the program).
  assert.ok(d.ProgramArguments[0].includes('Praxis Backup'));
});

test('plist: --config becomes two more arguments, absolute', () => {
  const d = plist.parse(renderTrayAgent({ ...spec, configFile: '/Users/praxis/praxis.json' }, home).content) as Record<string, any>;
  assert.equal(d.ProgramArguments, [spec.program.runtime, spec.program.tray, '--config', '/Users/praxis/praxis.json']);
});

test('install, not loaded: writes the plist (0644), no bootout, bootstrap gui/<uid> <plist>; exact argv', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? { exit: 113 } : { exit: 0 }));
  const r = await agent(run).install(spec);
  assert.equal(calls, [PRINT_ARGV, bootstrapArgv()]);
  assert.equal(r.files, [plistFile]);
  assert.is(r.warning, false);
  assert.equal(r.notes.map((n) => n.key), ['autostart.launchd.started']);
  assert.is(readFileSync(plistFile, 'utf8'), renderTrayAgent(spec, home).content);
  assert.is(statSync(plistFile).mode & 0o777, 0o644);
  assert.ok(existsSync(join(home, 'Library', 'Logs', 'Praxis-Backup')));
});

test('install, already loaded: bootout first, then bootstrap', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? { exit: 0, stdout: PRINT.split('\n') } : { exit: 0 }));
  await agent(run).install(spec);
  assert.equal(calls, [PRINT_ARGV, BOOTOUT_ARGV, bootstrapArgv()]);
});

test('install: "Bootstrap failed: 5" is retried once after a second; twice is an error with the fix (exit 1)', async () => {
  const sleeps: number[] = [];
  const once = fakeRunner((p, n) => (isPrint(p) ? { exit: 113 } : n === 1 ? { exit: 5, stderr: BOOTSTRAP_5 } : { exit: 0 }));
  await agent(once.run, sleeps).install(spec);
  assert.equal(once.calls, [PRINT_ARGV, bootstrapArgv(), bootstrapArgv()]);
  assert.equal(sleeps, [1000]);
  const always = fakeRunner((p) => (isPrint(p) ? { exit: 113 } : { exit: 5, stderr: BOOTSTRAP_5 }));
  try {
    await agent(always.run).install(spec);
    assert.unreachable('accepted');
  } catch (e) {
    if (!(e instanceof PraxisError)) throw e;
    assert.is(e.exitCode, 1);
    const text = render('de', e.message_);
    assert.ok(text.includes(`launchctl bootout gui/$(id -u)/${TRAY_LABEL}`), text);
    assert.ok(text.includes('praxis-backup tray install'), text);
    assert.equal(e.toolOutput, BOOTSTRAP_5);
  }
});

test('install over SSH (125, no GUI session): written, starts at the next login, a warning (exit 3) not an error', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? { exit: 113 } : { exit: 125, stderr: BOOTSTRAP_125 }));
  const r = await agent(run).install(spec);
  assert.equal(calls, [PRINT_ARGV, bootstrapArgv()], 'no retry: another try cannot make a GUI session');
  assert.is(r.warning, true);
  assert.equal(r.notes, [{ key: 'autostart.launchd.noGuiSession', params: { uid: UID } }]);
  assert.ok(existsSync(plistFile));
});

test('install: another launchctl failure is exit 1 with the command and code', async () => {
  const { run } = fakeRunner((p) => (isPrint(p) ? { exit: 113 } : { exit: 37, stderr: ['Bootstrap failed: 37: Operation already in progress'] }));
  try {
    await agent(run).install(spec);
    assert.unreachable('accepted');
  } catch (e) {
    if (!(e instanceof PraxisError)) throw e;
    assert.is(e.exitCode, 1);
    assert.is(render('en', e.message_), `launchctl bootstrap gui/${UID} failed (code 37); the file ${plistFile} is written and will be loaded at the next login.`);
  }
});

test('install refuses a relative path (exit 2) before writing anything', async () => {
  const { run, calls } = fakeRunner(() => ({ exit: 0 }));
  try {
    await agent(run).install({ ...spec, configFile: 'praxis.json' });
    assert.unreachable('accepted');
  } catch (e) {
    if (!(e instanceof PraxisError)) throw e;
    assert.is(e.exitCode, 2);
  }
  assert.equal(calls, []);
});

test('status: loaded with its state from the recorded print; current; a gone qode is named', async () => {
  const { run } = fakeRunner(() => ({ exit: 0, stdout: PRINT.split('\n') }));
  writeFileSync(plistFile, renderTrayAgent(spec, home).content);
  const s = await agent(run).status(spec);
  assert.is(s.installed, true);
  assert.is(s.loaded, true);
  assert.is(s.state, 'not running'); // what the recorded output says
  assert.equal(s.argv, [spec.program.runtime, spec.program.tray]);
  assert.equal(s.files, [{ role: 'agent', path: plistFile, installed: true, current: true, missing: [] }]);
  const gone = '/Users/praxis/old/node_modules/@nodegui/qode/binaries/qode';
  writeFileSync(plistFile, renderTrayAgent({ ...spec, program: { ...spec.program, runtime: gone } }, home).content);
  const after = await agent(run).status(spec);
  assert.equal(after.files[0]!.missing, [gone]);
  assert.is(after.files[0]!.current, false);
});

test('remove: bootout when loaded (ends the app launchd started), delete the file; exact argv; then nothing to do', async () => {
  writeFileSync(plistFile, renderTrayAgent(spec, home).content);
  const loaded = fakeRunner((p) => (isPrint(p) ? { exit: 0, stdout: PRINT.split('\n') } : { exit: 0 }));
  const r = await agent(loaded.run).remove();
  assert.equal(loaded.calls, [PRINT_ARGV, BOOTOUT_ARGV]);
  assert.equal(r.removed, [plistFile]);
  assert.equal(r.notes.map((n) => n.key), ['autostart.launchd.stopped']);
  assert.not.ok(existsSync(plistFile));
  const none = fakeRunner(() => ({ exit: 113 }));
  const again = await agent(none.run).remove();
  assert.equal(none.calls, [PRINT_ARGV]);
  assert.equal(again.removed, []);
  assert.equal(again.notes.map((n) => n.key), ['autostart.notInstalled']);
  const s = await agent(none.run).status(spec);
  assert.is(s.installed, false);
  assert.is(s.loaded, false);
});

test('remove --keep-running (the app’s own switch): deletes the file, no launchctl call, so the app clicking it goes on', async () => {
  writeFileSync(plistFile, renderTrayAgent(spec, home).content);
  const { run, calls } = fakeRunner(() => ({ exit: 0, stdout: PRINT.split('\n') }));
  const r = await agent(run).remove({ keepRunning: true });
  assert.equal(calls, []);
  assert.equal(r.removed, [plistFile]);
  assert.equal(r.notes.map((n) => n.key), ['autostart.launchd.keptRunning']);
  assert.not.ok(existsSync(plistFile));
  assert.is(agent(run).isInstalled(), false);
});

test('program: qode found upwards from dist/ (as @nodegui/qode installs it), dist/tray.js beside the CLI', () => {
  const cli = join(spec.program.tray, '..', 'cli.js');
  assert.is(findQode(join(cli, '..')), spec.program.runtime);
  assert.equal(trayProgram('darwin', cli, '/usr/local/bin/node'), { runtime: spec.program.runtime, runtimeArgs: [], tray: spec.program.tray });
  // Already under qode: that binary.
  assert.is(trayProgram('darwin', cli, '/opt/qode', true).runtime, '/opt/qode');
  // Linux: this node, with the flag npm start uses.
  assert.equal(trayProgram('linux', cli, '/usr/bin/node'), { runtime: '/usr/bin/node', runtimeArgs: ['--max-semi-space-size=1'], tray: spec.program.tray });
});

test('program: no qode, no tray.js — exit 1 with what to do', () => {
  const bare = join(root, 'bare', 'dist');
  mkdirSync(bare, { recursive: true });
  writeFileSync(join(bare, 'cli.js'), '');
  for (const [platform, key] of [['darwin', 'autostart.trayMissing'], ['linux', 'autostart.trayMissing']] as const) {
    try {
      trayProgram(platform, join(bare, 'cli.js'), '/usr/bin/node');
      assert.unreachable('accepted');
    } catch (e) {
      if (!(e instanceof PraxisError)) throw e;
      assert.is(e.message_.key, key);
      assert.is(e.exitCode, 1);
    }
  }
  writeFileSync(join(bare, 'tray.js'), '');
  try {
    trayProgram('darwin', join(bare, 'cli.js'), '/usr/bin/node');
    assert.unreachable('accepted');
  } catch (e) {
    if (!(e instanceof PraxisError)) throw e;
    assert.is(e.message_.key, 'autostart.qodeMissing');
    assert.match(render('de', e.message_), /npm install/);
  }
});

test.run();
