// The LaunchAgent plists and LaunchdScheduler without a Mac: the plist parses back with `plist` and
// holds absolute paths; every launchctl call is asserted by its exact argv through an injected
// runner; `launchctl print` output is the recorded real one (test/fixtures/macos, SOURCES.md),
// error lines are the recorded messages of DISKUTIL-MESSAGES.md; exit 113 is simulated as a code.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import plist from 'plist';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { render } from '../../src/i18n';
import type { CommandPlan } from '../../src/process/runner';
import { AGENT_LABEL, launchAgentDicts, ON_MOUNT_LABEL, renderLaunchAgents, VERIFY_LABEL } from '../../src/schedule/launchd-agent';
import { LaunchdScheduler } from '../../src/schedule/launchd-scheduler';
import { parseLaunchctlPrint } from '../../src/schedule/launchctl-print';
import type { ScheduleSpec } from '../../src/schedule/scheduler';
import { missedReasonFrom } from '../../src/alerting/alert-rules';
import { PraxisError } from '../../src/core/errors';
import { fakeRunner } from '../helpers/fake-runner';
import { BOOTSTRAP_125, BOOTSTRAP_5, MESSAGES, PRINT, UID } from '../helpers/launchctl-recorded';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('launchd');

let root: string;
let home: string;
let program: { node: string; cli: string };
let spec: ScheduleSpec;

test.before(async () => {
  root = await makeTempDir('praxis-launchd-');
  home = join(root, 'Users', 'praxis');
  mkdirSync(home, { recursive: true });
  program = { node: join(root, 'opt', 'homebrew', 'bin', 'node'), cli: join(root, 'praxis-backup', 'dist', 'cli.js') };
  for (const p of Object.values(program)) {
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, '');
  }
  spec = { cron: '15 3 * * 1-5', onDiskAttach: false, configFile: join(home, 'Library', 'Application Support', 'Praxis-Backup', 'config.json'), lang: 'de' };
});
test.after(() => runCleanups());

type LaunchdDepsRun = ConstructorParameters<typeof LaunchdScheduler>[0]['run'];

const printed = { exit: 0, stdout: PRINT.split('\n') };
const notLoaded = { exit: 113, stderr: [] };
const isPrint = (p: CommandPlan) => p.args[0] === 'print';

function scheduler(run: LaunchdDepsRun, sleeps: number[] = []) {
  return new LaunchdScheduler({ run, home, uid: UID, program, sleep: async (ms) => void sleeps.push(ms) });
}

const plistPath = (label: string) => join(home, 'Library', 'LaunchAgents', `${label}.plist`);

test('the recorded error lines used here are the recorded ones', () => {
  for (const l of [...BOOTSTRAP_5, ...BOOTSTRAP_125]) assert.ok(MESSAGES.includes(l), l);
});

test('plist: parses back, absolute ProgramArguments, calendar, logs, PATH; no RunAtLoad', () => {
  const [file] = renderLaunchAgents(spec, program, home);
  assert.is(file!.name, AGENT_LABEL);
  assert.is(file!.path, plistPath(AGENT_LABEL));
  const d = plist.parse(file!.content) as Record<string, any>;
  assert.is(d.Label, 'de.praxis-backup.agent');
  assert.equal(d.ProgramArguments, [program.node, program.cli, 'run', '--scheduled', '--config', spec.configFile]);
  for (const p of [d.ProgramArguments[0], d.ProgramArguments[1], d.ProgramArguments[5], d.StandardOutPath, d.StandardErrorPath]) assert.ok(isAbsolute(p), p);
  assert.equal(d.StartCalendarInterval, [1, 2, 3, 4, 5].map((w) => ({ Minute: 15, Hour: 3, Weekday: w })));
  assert.is(d.StandardOutPath, join(home, 'Library', 'Logs', 'Praxis-Backup', 'agent.stdout.log'));
  assert.is(d.StandardErrorPath, join(home, 'Library', 'Logs', 'Praxis-Backup', 'agent.stderr.log'));
  assert.is(d.RunAtLoad, false);
  assert.not.ok('StartOnMount' in d);
  const path = (d.EnvironmentVariables.PATH as string).split(':');
  for (const dir of ['/opt/homebrew/bin', '/usr/local/bin', '/Applications/Postgres.app/Contents/Versions/latest/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) assert.ok(path.includes(dir), dir);
  assert.ok(path.indexOf('/opt/homebrew/bin') < path.indexOf('/usr/bin'), 'Homebrew before the system');
  assert.is(d.EnvironmentVariables.PRAXIS_BACKUP_LANG, 'de');
  // The exact object we meant, nothing lost or added by the XML round trip.
  assert.equal(d, JSON.parse(JSON.stringify(launchAgentDicts(spec, program, home)[0])));
});

test('plist: onDiskAttach adds a second agent that runs `mirror --on-mount` on StartOnMount', () => {
  const files = renderLaunchAgents({ ...spec, onDiskAttach: true }, program, home);
  assert.equal(files.map((f) => f.name), [AGENT_LABEL, ON_MOUNT_LABEL]);
  const d = plist.parse(files[1]!.content) as Record<string, any>;
  assert.equal(d.ProgramArguments, [program.node, program.cli, 'mirror', '--on-mount', '--config', spec.configFile]);
  assert.is(d.StartOnMount, true);
  assert.not.ok('StartCalendarInterval' in d);
  assert.is(d.StandardErrorPath, join(home, 'Library', 'Logs', 'Praxis-Backup', 'on-mount.stderr.log'));
});

test('plist: a relative program or config path is refused (exit 2)', () => {
  for (const [p, c] of [[{ ...program, cli: 'dist/cli.js' }, spec.configFile], [program, 'config.json']] as const) {
    try {
      renderLaunchAgents({ ...spec, configFile: c }, p, home);
      assert.unreachable('accepted');
    } catch (e) {
      if (!(e instanceof PraxisError)) throw e;
      assert.is(e.exitCode, 2);
      assert.is(e.message_.key, 'schedule.notAbsolute');
    }
  }
});

test('launchctl print: the recorded output parsed', () => {
  const p = parseLaunchctlPrint(PRINT);
  assert.is(p.service, 'user/503/local.resticprofile.self.check');
  assert.is(p.state, 'not running');
  assert.is(p.runs, 1);
  assert.is(p.lastExitCode, '0');
  assert.is(p.path, '/Users/cp/Library/LaunchAgents/local.resticprofile.self.check.agent.plist');
  assert.is(p.program, '/Users/cp/go/src/github.com/creativeprojects/resticprofile/resticprofile');
  assert.equal(p.arguments.slice(1), ['--no-prio', '--no-ansi', '--config', 'examples/dev.yaml', 'run-schedule', 'check@self']);
  assert.is(p.stdoutPath, 'local.resticprofile.self.check.log');
  assert.is(p.environment.XPC_SERVICE_NAME, 'local.resticprofile.self.check');
  assert.is(p.root.blocks['default environment']!.values.PATH, '/usr/bin:/bin:/usr/sbin:/sbin');
  assert.equal(p.calendarDescriptors, [{ Minute: 5 }]);
});

test('install, not loaded before: print → bootstrap gui/<uid> <plist>; file 0644; on-mount and verify agents checked and absent', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 }));
  const r = await scheduler(run).install(spec);
  assert.equal(calls, [
    ['/bin/launchctl', 'print', `gui/501/${AGENT_LABEL}`],
    ['/bin/launchctl', 'bootstrap', 'gui/501', plistPath(AGENT_LABEL)],
    ['/bin/launchctl', 'print', `gui/501/${ON_MOUNT_LABEL}`],
    ['/bin/launchctl', 'print', `gui/501/${VERIFY_LABEL}`],
  ]);
  assert.equal(r.files, [plistPath(AGENT_LABEL)]);
  assert.is(statSync(plistPath(AGENT_LABEL)).mode & 0o777, 0o644);
  assert.ok(existsSync(join(home, 'Library', 'Logs', 'Praxis-Backup')));
  const d = plist.parse(readFileSync(plistPath(AGENT_LABEL), 'utf8')) as Record<string, any>;
  assert.is(d.ProgramArguments[2], 'run');
  const notes = r.notes.map((n) => render('de', n)).join('\n');
  assert.match(notes, /einmal beim Aufwachen/);
  assert.match(notes, new RegExp(`launchd startet ${program.node.replace(/[/.]/g, '\\$&')}`));
});

test('install, already loaded: print → bootout gui/<uid>/<label> → bootstrap', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? (p.args[1]!.endsWith(AGENT_LABEL) ? printed : notLoaded) : { exit: 0 }));
  await scheduler(run).install(spec);
  assert.equal(calls.slice(0, 3), [
    ['/bin/launchctl', 'print', `gui/501/${AGENT_LABEL}`],
    ['/bin/launchctl', 'bootout', `gui/501/${AGENT_LABEL}`],
    ['/bin/launchctl', 'bootstrap', 'gui/501', plistPath(AGENT_LABEL)],
  ]);
});

test('bootout that finds nothing ("Boot-out failed: 3: No such process") is not an error', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? (p.args[1]!.endsWith(AGENT_LABEL) ? printed : notLoaded) : p.args[0] === 'bootout' ? { exit: 3, stderr: ['Boot-out failed: 3: No such process'] } : { exit: 0 }));
  await scheduler(run).install(spec);
  assert.ok(calls.some((c) => c[1] === 'bootstrap'));
});

test('"Bootstrap failed: 5" once: retried after a second, then fine', async () => {
  const sleeps: number[] = [];
  const { run, calls } = fakeRunner((p, nth) => (isPrint(p) ? notLoaded : p.args[0] === 'bootstrap' && nth === 1 ? { exit: 5, stderr: BOOTSTRAP_5 } : { exit: 0 }));
  await scheduler(run, sleeps).install(spec);
  assert.is(calls.filter((c) => c[1] === 'bootstrap').length, 2);
  assert.equal(sleeps, [1000]);
});

test('"Bootstrap failed: 5" twice: plutil -lint, then a message that explains and says what to do (exit 1)', async () => {
  const { run, calls } = fakeRunner((p) =>
    isPrint(p) ? notLoaded : p.args[0] === 'bootstrap' ? { exit: 5, stderr: BOOTSTRAP_5 } : p.file === '/usr/bin/plutil' ? { exit: 0, stdout: [`${plistPath(AGENT_LABEL)}: OK`] } : { exit: 0 },
  );
  let err: PraxisError | undefined;
  await scheduler(run).install(spec).catch((e) => (err = e));
  assert.instance(err, PraxisError);
  assert.is(err!.exitCode, 1);
  assert.is(err!.message_.key, 'schedule.bootstrap5');
  assert.equal(calls.at(-1), ['/usr/bin/plutil', '-lint', plistPath(AGENT_LABEL)]);
  assert.equal(err!.toolOutput, BOOTSTRAP_5);
  const de = render('de', err!.message_);
  assert.match(de, /Bootstrap failed: 5/);
  assert.match(de, /noch geladen/);
  assert.match(de, new RegExp(`launchctl bootout gui/\\$\\(id -u\\)/${AGENT_LABEL.replace(/\./g, '\\.')}`));
  assert.match(de, /: OK/);
  assert.match(render('en', err!.message_), /still loaded/);
});

test('"Bootstrap failed: 125" (no GUI login, e.g. SSH): its own message', async () => {
  const { run } = fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 125, stderr: BOOTSTRAP_125 }));
  let err: PraxisError | undefined;
  await scheduler(run).install(spec).catch((e) => (err = e));
  assert.is(err?.message_.key, 'schedule.noGuiSession');
  assert.match(render('de', err!.message_), /SSH/);
});

test('status: loaded (recorded print output) and not loaded (113); the wake note', async () => {
  await scheduler(fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 })).run).install(spec);
  const loaded = await scheduler(fakeRunner((p) => (p.args[1]!.endsWith(AGENT_LABEL) ? printed : notLoaded)).run).status();
  assert.is(loaded.kind, 'launchd');
  assert.is(loaded.jobs.length, 1); // the on-mount and verify agents are neither installed nor loaded
  assert.equal(loaded.jobs[0], { name: AGENT_LABEL, role: 'backup', file: plistPath(AGENT_LABEL), installed: true, loaded: true, missingPrograms: [], state: 'not running', runs: 1, lastExitCode: '0' });
  assert.match(render('en', loaded.notes[0]!), /once when it wakes/);
  const { run, calls } = fakeRunner(() => notLoaded);
  const off = await scheduler(run).status();
  assert.equal(calls[0], ['/bin/launchctl', 'print', `gui/501/${AGENT_LABEL}`]);
  assert.is(off.jobs[0]!.loaded, false);
  assert.is(off.jobs[0]!.installed, true);
  assert.is(off.jobs[0]!.state, undefined);
});

test('status names a node binary that is gone (node updated)', async () => {
  const gone = { ...program, node: join(root, 'Cellar', 'node', '20.1.0', 'bin', 'node') };
  const s = new LaunchdScheduler({ run: fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 })).run, home, uid: UID, program: gone });
  await s.install(spec);
  const st = await s.status();
  assert.equal(st.jobs[0]!.missingPrograms, [gone.node]);
});

test('onDiskAttach: two agents bootstrapped; switched off again: the on-mount agent is booted out and deleted', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 }));
  const r = await scheduler(run).install({ ...spec, onDiskAttach: true });
  assert.equal(r.files, [plistPath(AGENT_LABEL), plistPath(ON_MOUNT_LABEL)]);
  assert.equal(calls.filter((c) => c[1] === 'bootstrap').map((c) => c[3]), [plistPath(AGENT_LABEL), plistPath(ON_MOUNT_LABEL)]);
  const again = fakeRunner((p) => (isPrint(p) ? printed : { exit: 0 }));
  const r2 = await scheduler(again.run).install(spec);
  assert.ok(again.calls.some((c) => c.join(' ') === `/bin/launchctl bootout gui/501/${ON_MOUNT_LABEL}`));
  assert.not.ok(existsSync(plistPath(ON_MOUNT_LABEL)));
  assert.ok(r2.notes.some((n) => n.key === 'schedule.onMountRemoved'));
});

test('remove: bootout of what is loaded, files deleted; a second remove finds nothing', async () => {
  await scheduler(fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 })).run).install({ ...spec, onDiskAttach: true });
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? (p.args[1]!.endsWith(AGENT_LABEL) ? printed : notLoaded) : { exit: 0 }));
  const r = await scheduler(run).remove();
  assert.equal(calls, [
    ['/bin/launchctl', 'print', `gui/501/${AGENT_LABEL}`],
    ['/bin/launchctl', 'bootout', `gui/501/${AGENT_LABEL}`],
    ['/bin/launchctl', 'print', `gui/501/${ON_MOUNT_LABEL}`],
    ['/bin/launchctl', 'print', `gui/501/${VERIFY_LABEL}`],
  ]);
  assert.equal(r.removed, [plistPath(AGENT_LABEL), plistPath(ON_MOUNT_LABEL)]);
  assert.not.ok(existsSync(plistPath(AGENT_LABEL)));
  const r2 = await scheduler(fakeRunner(() => notLoaded).run).remove();
  assert.equal(r2.removed, []);
  assert.equal(r2.notes.map((n) => n.key), ['schedule.notInstalled']);
});

// ---- verify.cron: the third agent ----------------------------------------------------------------

const VERIFY_CRON = '0 22 * * 7'; // Sundays 22:00: a weekly restore test
const logs = () => join(home, 'Library', 'Logs', 'Praxis-Backup');

test('plist: verifyCron adds the verify agent: its own calendar and logs, the backup agent\'s PATH and language, no RunAtLoad', () => {
  const files = renderLaunchAgents({ ...spec, verifyCron: VERIFY_CRON }, program, home);
  assert.equal(files.map((f) => [f.name, f.path]), [[AGENT_LABEL, plistPath(AGENT_LABEL)], [VERIFY_LABEL, plistPath(VERIFY_LABEL)]]);
  const backup = plist.parse(files[0]!.content) as Record<string, any>;
  assert.equal(plist.parse(files[1]!.content), {
    Label: 'de.praxis-backup.verify',
    ProgramArguments: [program.node, program.cli, 'verify', '--restore-test', '--scheduled', '--config', spec.configFile],
    RunAtLoad: false,
    StandardOutPath: join(logs(), 'verify.stdout.log'),
    StandardErrorPath: join(logs(), 'verify.stderr.log'),
    EnvironmentVariables: backup.EnvironmentVariables,
    StartCalendarInterval: [{ Minute: 0, Hour: 22, Weekday: 0 }],
  });
  // The backup agent is the same with or without it.
  assert.is(files[0]!.content, renderLaunchAgents(spec, program, home)[0]!.content);
  // With the on-mount agent too: backup, on-mount, verify.
  assert.equal(renderLaunchAgents({ ...spec, onDiskAttach: true, verifyCron: VERIFY_CRON }, program, home).map((f) => f.name), [AGENT_LABEL, ON_MOUNT_LABEL, VERIFY_LABEL]);
});

test('plist: a verifyCron too big for launchd is refused like the backup\'s (exit 2, naming the verify expression)', () => {
  try {
    renderLaunchAgents({ ...spec, verifyCron: '* 8-18 * * 1-5' }, program, home);
    assert.unreachable('accepted');
  } catch (e) {
    if (!(e instanceof PraxisError)) throw e;
    assert.is(e.exitCode, 2);
    assert.is(e.message_.key, 'schedule.tooManyIntervals');
    assert.is(e.message_.params!.cron, '* 8-18 * * 1-5');
  }
});

test('install with verifyCron: both agents bootstrapped, backup first; the on-mount agent checked', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 }));
  const r = await scheduler(run).install({ ...spec, verifyCron: VERIFY_CRON });
  assert.equal(calls, [
    ['/bin/launchctl', 'print', `gui/501/${AGENT_LABEL}`],
    ['/bin/launchctl', 'bootstrap', 'gui/501', plistPath(AGENT_LABEL)],
    ['/bin/launchctl', 'print', `gui/501/${VERIFY_LABEL}`],
    ['/bin/launchctl', 'bootstrap', 'gui/501', plistPath(VERIFY_LABEL)],
    ['/bin/launchctl', 'print', `gui/501/${ON_MOUNT_LABEL}`],
  ]);
  assert.equal(r.files, [plistPath(AGENT_LABEL), plistPath(VERIFY_LABEL)]);
  assert.is(statSync(plistPath(VERIFY_LABEL)).mode & 0o777, 0o644);
  assert.not.ok(r.notes.some((n) => n.key === 'schedule.verifyRemoved'));
});

test('install again with verifyCron while loaded: print → bootout → bootstrap for the verify agent too', async () => {
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? (p.args[1]!.endsWith(ON_MOUNT_LABEL) ? notLoaded : printed) : { exit: 0 }));
  await scheduler(run).install({ ...spec, verifyCron: VERIFY_CRON });
  assert.equal(calls.slice(3, 6), [
    ['/bin/launchctl', 'print', `gui/501/${VERIFY_LABEL}`],
    ['/bin/launchctl', 'bootout', `gui/501/${VERIFY_LABEL}`],
    ['/bin/launchctl', 'bootstrap', 'gui/501', plistPath(VERIFY_LABEL)],
  ]);
});

test('status with the verify agent: its own job with role "verify", after the backup\'s', async () => {
  await scheduler(fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 })).run).install({ ...spec, verifyCron: VERIFY_CRON });
  const { run, calls } = fakeRunner((p) => (p.args[1]!.endsWith(ON_MOUNT_LABEL) ? notLoaded : printed));
  const s = await scheduler(run).status();
  assert.equal(calls.map((c) => c[2]), [`gui/501/${AGENT_LABEL}`, `gui/501/${ON_MOUNT_LABEL}`, `gui/501/${VERIFY_LABEL}`]);
  assert.equal(s.jobs.map((j) => [j.name, j.role]), [[AGENT_LABEL, 'backup'], [VERIFY_LABEL, 'verify']]);
  assert.equal(s.jobs[1], { name: VERIFY_LABEL, role: 'verify', file: plistPath(VERIFY_LABEL), installed: true, loaded: true, missingPrograms: [], state: 'not running', runs: 1, lastExitCode: '0' });
});

test('missed-run reason: a broken or missing verify agent does not make the backup look broken', async () => {
  // Backup agent fine, verify agent installed but not loaded and pointing to a node that is gone.
  const gone = { ...program, node: join(root, 'Cellar', 'node', '18.0.0', 'bin', 'node') };
  await scheduler(fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 })).run).install(spec);
  // The verify plist as an install with that old node would have written it.
  const verifyFile = renderLaunchAgents({ ...spec, verifyCron: VERIFY_CRON }, gone, home)[1]!;
  writeFileSync(verifyFile.path, verifyFile.content);
  const s = await scheduler(fakeRunner((p) => (p.args[1]!.endsWith(AGENT_LABEL) ? printed : notLoaded)).run).status();
  assert.equal(s.jobs.map((j) => [j.role, j.installed, j.loaded, j.missingPrograms]), [['backup', true, true, []], ['verify', true, false, [gone.node]]]);
  assert.is(missedReasonFrom(s), undefined);
  // The backup agent gone, the verify agent there: the backup is "not installed".
  await scheduler(fakeRunner(() => notLoaded).run).remove();
  writeFileSync(verifyFile.path, verifyFile.content);
  const s2 = await scheduler(fakeRunner(() => notLoaded).run).status();
  assert.equal(s2.jobs.map((j) => [j.role, j.installed]), [['backup', false], ['verify', true]]);
  assert.equal(missedReasonFrom(s2), { kind: 'notInstalled' });
  await scheduler(fakeRunner(() => notLoaded).run).remove();
});

test('install without verifyCron after one with it: the verify agent is booted out and deleted, and said so', async () => {
  await scheduler(fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 })).run).install({ ...spec, verifyCron: VERIFY_CRON });
  assert.ok(existsSync(plistPath(VERIFY_LABEL)));
  const { run, calls } = fakeRunner((p) => (isPrint(p) ? (p.args[1]!.endsWith(ON_MOUNT_LABEL) ? notLoaded : printed) : { exit: 0 }));
  const r = await scheduler(run).install(spec);
  assert.equal(calls, [
    ['/bin/launchctl', 'print', `gui/501/${AGENT_LABEL}`],
    ['/bin/launchctl', 'bootout', `gui/501/${AGENT_LABEL}`],
    ['/bin/launchctl', 'bootstrap', 'gui/501', plistPath(AGENT_LABEL)],
    ['/bin/launchctl', 'print', `gui/501/${ON_MOUNT_LABEL}`],
    ['/bin/launchctl', 'print', `gui/501/${VERIFY_LABEL}`],
    ['/bin/launchctl', 'bootout', `gui/501/${VERIFY_LABEL}`],
  ]);
  assert.equal(r.files, [plistPath(AGENT_LABEL)]);
  assert.not.ok(existsSync(plistPath(VERIFY_LABEL)));
  const note = r.notes.find((n) => n.key === 'schedule.verifyRemoved');
  assert.ok(note);
  assert.match(render('de', note!), /geplante Prüfung „de\.praxis-backup\.verify“ wurde entfernt/);
  assert.match(render('en', note!), /verify\.cron/);
});

test('remove with the verify agent: all three booted out and deleted', async () => {
  await scheduler(fakeRunner((p) => (isPrint(p) ? notLoaded : { exit: 0 })).run).install({ ...spec, onDiskAttach: true, verifyCron: VERIFY_CRON });
  const { run, calls } = fakeRunner(() => printed);
  const r = await scheduler(run).remove();
  assert.equal(calls, [AGENT_LABEL, ON_MOUNT_LABEL, VERIFY_LABEL].flatMap((l) => [['/bin/launchctl', 'print', `gui/501/${l}`], ['/bin/launchctl', 'bootout', `gui/501/${l}`]]));
  assert.equal(r.removed, [plistPath(AGENT_LABEL), plistPath(ON_MOUNT_LABEL), plistPath(VERIFY_LABEL)]);
  for (const l of [AGENT_LABEL, ON_MOUNT_LABEL, VERIFY_LABEL]) assert.not.ok(existsSync(plistPath(l)), l);
});

test.run();
