// Lingering (src/schedule/linger.ts) and what SystemdUserScheduler does with it. This machine has
// no logind (PID 1 is not systemd), so systemctl and loginctl answer through an injected runner
// that asserts the exact argv and replays what the real tools print; the linger file is looked up
// in a temp folder standing in for /var/lib/systemd/linger. Recorded texts and where they are from:
//   "Failed to get user: User ID 1001 is not logged in or lingering"  systemd/systemd#33488
//   "Could not enable linger: Access denied"                           systemd/systemd#3365 (polkit refused)
//   "Could not enable linger: The name org.freedesktop.PolicyKit1 was not provided by any .service
//    files"                                                            hashbang/shell-etc#67 (no polkitd)
//   "System has not been booted with systemd as init system (PID 1). Can't operate." and
//   "Failed to connect to bus: Host is down"                           `loginctl enable-linger nobody` here
// The last one is also checked against the real loginctl of this machine, when it has no logind.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { render } from '../../src/i18n';
import { CommandError, run as realRun, type CommandPlan, type RunOptions, type RunResult } from '../../src/process/runner';
import { ensureLinger, lingerState, lingerStatusMessage } from '../../src/schedule/linger';
import type { ScheduleSpec } from '../../src/schedule/scheduler';
import { SystemdUserScheduler } from '../../src/schedule/systemd-user-scheduler';
import { computeAlerts, missedReasonFrom } from '../../src/alerting/alert-rules';
import { formFromConfig, saveSettings, saveSummary } from '../../src/tray/model/settings-form';
import { makeTempDir, runCleanups } from '../helpers/temp';

// The missed-run test builds local times: the same zone for them and for cron, whatever the machine's.
process.env.TZ = 'Europe/Berlin';
const test = suite('linger');
const USER = 'praxis';
const NOT_LINGERING = ['Failed to get user: User ID 1001 is not logged in or lingering'];
const ACCESS_DENIED = ['Could not enable linger: Access denied'];
const NO_POLKIT = ['Could not enable linger: The name org.freedesktop.PolicyKit1 was not provided by any .service files'];
const NO_LOGIND = ["System has not been booted with systemd as init system (PID 1). Can't operate.", 'Failed to connect to bus: Host is down'];

const SHOW = ['loginctl', 'show-user', USER, '--property=Linger'];
const ENABLE = ['loginctl', '--no-ask-password', 'enable-linger', USER];

type Reply = { exit: number; stdout?: string[]; stderr?: string[] };
type Run = ConstructorParameters<typeof SystemdUserScheduler>[0]['run'];

/** Answers each call from `reply` (by its argv) and records every argv. */
function fakeRunner(reply: (argv: string[]) => Reply) {
  const calls: string[][] = [];
  const run = async (plan: CommandPlan, opts: RunOptions = {}): Promise<RunResult> => {
    const argv = [plan.file, ...plan.args];
    calls.push(argv);
    const r = reply(argv);
    for (const l of r.stdout ?? []) opts.onStdoutLine?.(l);
    for (const l of r.stderr ?? []) opts.onStderrLine?.(l);
    if (!(plan.okExitCodes ?? [0]).includes(r.exit)) throw new CommandError(plan.label, argv, r.exit, undefined, r.stderr ?? [], r.stdout ?? [], 'exit');
    return { exitCode: r.exit, warning: false, stdoutTail: r.stdout ?? [], stderrTail: r.stderr ?? [], durationMs: 1 };
  };
  return { run: run as Run, calls };
}

const is = (argv: string[], expected: string[]) => argv.join(' ') === expected.join(' ');
/** systemctl --user answers as a running user manager would; loginctl as given. */
const withManager = (loginctl: (argv: string[]) => Reply) => (argv: string[]) =>
  argv[0] === 'systemctl' ? (argv[2] === 'show' ? { exit: 0, stdout: ['LoadState=loaded', 'ActiveState=active', 'UnitFileState=enabled'] } : { exit: 0 }) : loginctl(argv);

let root: string;
let lingerDir: string;
let home: string;
let spec: ScheduleSpec;

test.before(async () => {
  root = await makeTempDir('praxis-linger-');
  home = join(root, 'home', USER);
  mkdirSync(home, { recursive: true });
  const cli = join(root, 'cli.js');
  writeFileSync(cli, '');
  spec = { cron: '15 3 * * 1-5', onDiskAttach: false, configFile: join(home, 'config.json'), lang: 'de' };
});
test.after(() => runCleanups());

let n = 0;
/** A fresh linger folder per test (empty: lingering off as far as the file tells). */
function freshLingerDir(withFile = false): string {
  lingerDir = join(root, `linger-${++n}`);
  mkdirSync(lingerDir);
  if (withFile) writeFileSync(join(lingerDir, USER), '');
  return lingerDir;
}

function scheduler(run: Run) {
  return new SystemdUserScheduler({ run, home, env: { HOME: home }, user: USER, program: { node: process.execPath, cli: join(root, 'cli.js') }, lingerDir });
}

test('the linger file there: on, and install runs no loginctl at all; says so (de/en), no warning', async () => {
  freshLingerDir(true);
  const { run, calls } = fakeRunner(withManager(() => assert.unreachable('loginctl called') as never));
  const r = await scheduler(run).install(spec);
  assert.equal(calls.filter((c) => c[0] === 'loginctl'), []);
  assert.equal(r.linger, { user: USER, state: 'on', enabled: false });
  const note = r.notes.find((m) => m.key.startsWith('schedule.linger'))!;
  assert.match(render('de', note), /Lingering ist für praxis schon eingeschaltet – der Zeitplan läuft auch ohne Anmeldung/);
  assert.match(render('en', note), /already on for praxis .* nobody logged in too/);
});

test('no file, logind says Linger=yes: on, nothing enabled', async () => {
  freshLingerDir();
  const { run, calls } = fakeRunner((argv) => (is(argv, SHOW) ? { exit: 0, stdout: ['Linger=yes'] } : assert.unreachable(argv.join(' ')) as never));
  assert.equal(await ensureLinger({ run, user: USER, lingerDir }), { user: USER, state: 'on', enabled: false });
  assert.equal(calls, [SHOW]);
});

test('off (Linger=no) and enable works: `loginctl --no-ask-password enable-linger <user>` after the timer is enabled; said', async () => {
  freshLingerDir();
  const { run, calls } = fakeRunner(withManager((argv) => (is(argv, SHOW) ? { exit: 0, stdout: ['Linger=no'] } : is(argv, ENABLE) ? { exit: 0 } : assert.unreachable(argv.join(' ')) as never)));
  const r = await scheduler(run).install(spec);
  const enableTimer = calls.findIndex((c) => c.join(' ') === 'systemctl --user enable --now praxis-backup.timer');
  assert.ok(enableTimer >= 0 && enableTimer < calls.findIndex((c) => is(c, SHOW)), JSON.stringify(calls));
  assert.equal(calls.slice(-2), [SHOW, ENABLE]);
  assert.equal(r.linger, { user: USER, state: 'on', enabled: true });
  const note = r.notes.find((m) => m.key.startsWith('schedule.linger'))!;
  assert.match(render('de', note), /Lingering für praxis eingeschaltet \(„loginctl enable-linger praxis“\).*läuft auch ohne Anmeldung/);
  assert.match(render('en', note), /lingering switched on for praxis/);
});

test('a user who is neither logged in nor lingering (logind\'s "not logged in or lingering") counts as off', async () => {
  freshLingerDir();
  const { run } = fakeRunner(() => ({ exit: 1, stderr: NOT_LINGERING }));
  assert.equal(await lingerState({ run, user: USER, lingerDir }), { user: USER, state: 'off' });
});

test('off and polkit refuses ("Could not enable linger: Access denied"): installed with a warning, the sudo command, no throw', async () => {
  freshLingerDir();
  const { run, calls } = fakeRunner(withManager((argv) => (is(argv, SHOW) ? { exit: 1, stderr: NOT_LINGERING } : is(argv, ENABLE) ? { exit: 1, stderr: ACCESS_DENIED } : assert.unreachable(argv.join(' ')) as never)));
  const r = await scheduler(run).install(spec);
  assert.equal(calls.slice(-2), [SHOW, ENABLE]);
  assert.equal(r.linger, { user: USER, state: 'off', enabled: false, detail: ACCESS_DENIED });
  assert.ok(r.files.length === 2, 'the units are installed all the same');
  const note = r.notes.find((m) => m.key === 'schedule.linger.failed')!;
  const de = render('de', note);
  assert.match(de, /läuft NUR, solange praxis angemeldet ist/);
  assert.match(de, /„sudo loginctl enable-linger praxis“/);
  assert.match(de, /Access denied/);
  const en = render('en', note);
  assert.match(en, /runs ONLY while praxis is logged in/);
  assert.match(en, /"sudo loginctl enable-linger praxis"/);
});

test('a server without polkitd: the same warning, with loginctl\'s reason', async () => {
  freshLingerDir();
  const { run } = fakeRunner(withManager((argv) => (is(argv, SHOW) ? { exit: 0, stdout: ['Linger=no'] } : { exit: 1, stderr: NO_POLKIT })));
  const r = await scheduler(run).install(spec);
  assert.is(r.linger?.state, 'off');
  const de = render('de', r.notes.find((m) => m.key === 'schedule.linger.failed')!);
  assert.ok(de.includes(`(loginctl: ${NO_POLKIT[0]})`), de);
  assert.match(de, /„sudo loginctl enable-linger praxis“/);
});

test('no loginctl installed (the real runner, a PATH without it): unknown, with the runner\'s reason', async () => {
  const path = process.env.PATH;
  process.env.PATH = freshLingerDir(); // an empty folder
  try {
    const info = await lingerState({ run: realRun, user: USER, lingerDir });
    assert.is(info.state, 'unknown');
    assert.match(info.detail!.join(' '), /loginctl/);
    assert.match(render('en', lingerStatusMessage(info)), /^Without login: unknown, loginctl gives no answer \(.*loginctl.*\)/);
  } finally {
    process.env.PATH = path;
  }
});

test('no user manager: install fails (exit 1) before asking logind — no lingering switched on for a schedule that is not active', async () => {
  freshLingerDir();
  const { run, calls } = fakeRunner((argv) => (argv[0] === 'systemctl' ? { exit: 1, stderr: ['Failed to connect to bus: No medium found'] } : assert.unreachable(argv.join(' ')) as never));
  const err = await scheduler(run).install(spec).catch((e) => e);
  assert.is(err.exitCode, 1);
  assert.is(err.message_.key, 'schedule.noUserManager');
  assert.equal(calls.filter((c) => c[0] === 'loginctl'), []);
});

test('status: each state as one line, German and English', async () => {
  const cases: [boolean, (argv: string[]) => Reply, string, RegExp, RegExp][] = [
    [true, () => assert.unreachable('loginctl asked although the file is there') as never, 'on', /^Ohne Anmeldung: läuft auch ohne Anmeldung \(Lingering für praxis ist eingeschaltet\)\.$/, /^Without login: runs with nobody logged in too/],
    [false, (argv) => (is(argv, SHOW) ? { exit: 0, stdout: ['Linger=no'] } : assert.unreachable(argv.join(' ')) as never), 'off', /^Ohne Anmeldung: läuft NUR, solange praxis angemeldet ist .*„sudo loginctl enable-linger praxis“/, /^Without login: runs ONLY while praxis is logged in/],
    [false, () => ({ exit: 1, stderr: NO_LOGIND }), 'unknown', /^Ohne Anmeldung: unbekannt, loginctl gibt keine Auskunft \(Failed to connect to bus: Host is down\)/, /^Without login: unknown/],
  ];
  for (const [file, loginctl, state, de, en] of cases) {
    freshLingerDir(file);
    // The units must be there: status asks about lingering only for an installed timer.
    await scheduler(fakeRunner(withManager(() => ({ exit: 0, stdout: ['Linger=yes'] }))).run).install(spec);
    const s = await scheduler(fakeRunner(withManager(loginctl)).run).status();
    assert.is(s.linger?.state, state);
    const line = s.notes.find((m) => m.key.startsWith('schedule.linger'))!;
    assert.match(render('de', line), de, state);
    assert.match(render('en', line), en, state);
  }
});

test('status without an installed timer does not ask logind', async () => {
  freshLingerDir();
  await scheduler(fakeRunner(() => ({ exit: 0 })).run).remove();
  const { run, calls } = fakeRunner(withManager(() => assert.unreachable('loginctl asked') as never));
  const s = await scheduler(run).status();
  assert.is(s.linger, undefined);
  assert.equal(calls.filter((c) => c[0] === 'loginctl'), []);
});

test('a missed run with lingering off: the alert names the cause and the command', async () => {
  freshLingerDir();
  await scheduler(fakeRunner(withManager(() => ({ exit: 0 }))).run).install(spec);
  const s = await scheduler(fakeRunner(withManager((argv) => (is(argv, SHOW) ? { exit: 0, stdout: ['Linger=no'] } : { exit: 1 }))).run).status();
  assert.equal(missedReasonFrom(s), { kind: 'notLingering', user: USER });
  // Last run Monday 03:15, now Wednesday noon (local time, fixed): Tuesday's run is missed.
  const lastRun = { startedAt: new Date(2026, 10, 23, 3, 15).toISOString(), finishedAt: new Date(2026, 10, 23, 3, 20).toISOString(), result: 'success' as const, exitCode: 0, warnings: [] };
  const alerts = computeAlerts({ config: { mirrors: [], schedule: { cron: spec.cron, onDiskAttach: false }, alerts: { localMaxAgeHours: 26, mirrorMaxAgeDays: 8 } }, status: { version: 1, running: null, lastRun, destinations: {} }, now: new Date(2026, 10, 25, 12, 0), missedReason: missedReasonFrom(s) });
  const missed = alerts.find((a) => a.kind === 'scheduleMissed');
  assert.ok(missed, JSON.stringify(alerts));
  assert.match(render('de', missed!.message), /es war niemand angemeldet: als Administrator „sudo loginctl enable-linger praxis“/);
  assert.match(render('en', missed!.message), /and nobody was: as an administrator, "sudo loginctl enable-linger praxis"/);
  // On: no such reason.
  writeFileSync(join(lingerDir, USER), '');
  assert.is(missedReasonFrom(await scheduler(fakeRunner(withManager(() => ({ exit: 0 }))).run).status()), undefined);
});

test('the tray\'s settings window: saved with lingering refused is a warning naming the sudo command, not "ok"', async () => {
  const raw = { backupDir: join(root, 'backups'), components: [{ name: 'files', type: 'folder', path: join(root, 'files') }], schedule: { cron: '15 3 * * 1-5' } };
  const configFile = join(root, 'tray-config.json');
  const save = async (loginctl: (argv: string[]) => Reply) => {
    freshLingerDir();
    const r = await saveSettings({ form: formFromConfig(raw), original: raw, configFile, scheduler: scheduler(fakeRunner(withManager(loginctl)).run), lang: 'de' });
    return saveSummary(r, 'de');
  };
  const refused = await save((argv) => (is(argv, SHOW) ? { exit: 0, stdout: ['Linger=no'] } : { exit: 1, stderr: ACCESS_DENIED }));
  assert.is(refused.kind, 'warning');
  assert.match(refused.text, /läuft NUR, solange praxis angemeldet ist.*„sudo loginctl enable-linger praxis“/);
  const enabled = await save((argv) => (is(argv, SHOW) ? { exit: 0, stdout: ['Linger=no'] } : { exit: 0 }));
  assert.is(enabled.kind, 'ok', enabled.text);
});

test('the real loginctl of this machine, through the real runner', async () => {
  const probe = spawnSync('loginctl', ['show-user', 'root', '--property=Linger'], { encoding: 'utf8' });
  const info = await lingerState({ run: realRun, user: 'root', lingerDir: freshLingerDir() });
  if (probe.error || /Failed to connect to bus|has not been booted with systemd/.test(probe.stderr)) {
    // No logind here (the recorded NO_LOGIND lines came from this machine): unknown, with its words.
    assert.is(info.state, 'unknown');
    assert.ok(info.detail!.some((l) => probe.error ? true : NO_LOGIND.includes(l)), info.detail!.join('\n'));
    assert.match(render('de', lingerStatusMessage(info)), /unbekannt/);
  } else {
    assert.ok(info.state === 'on' || info.state === 'off', JSON.stringify(info));
  }
});

test.run();
