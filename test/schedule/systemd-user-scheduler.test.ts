// SystemdUserScheduler for real on this machine, through the real process runner: install writes
// both units into a temp HOME's ~/.config/systemd/user; `systemd-analyze verify` (system mode: the
// --user mode needs a runtime directory this machine has not) accepts them; the timer's OnCalendar=
// lines, read back from the written file, give cron-parser's times under `systemd-analyze calendar`.
// PID 1 here is not systemd, so `systemctl --user` fails ("Failed to connect to bus"): install must
// say so clearly and exit 1, status must not pretend, remove must still delete the files.
// With verify.cron the same again for praxis-backup-verify.service / .timer, and an install
// without it deletes them.
process.env.TZ = 'Europe/Berlin';

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { CRON_TABLE } from './cron-table';

const { nextRuns } = await import('../../src/config/cron');
const { render } = await import('../../src/i18n');
const { run } = await import('../../src/process/runner');
const { SystemdUserScheduler } = await import('../../src/schedule/systemd-user-scheduler');
const { renderSystemdUnits } = await import('../../src/schedule/systemd-units');
const { PraxisError } = await import('../../src/core/errors');
type ScheduleSpec = import('../../src/schedule/scheduler').ScheduleSpec;

const test = suite('systemd user units');
// Whether this machine has a user manager: decides which outcome of install is the right one.
const HAS_USER_MANAGER = spawnSync('systemctl', ['--user', 'show-environment'], { stdio: 'ignore' }).status === 0;

let home: string;
let unitDir: string;
let spec: ScheduleSpec;
/** The backup on "0 3 1 * 1" and a weekly restore test, Sundays 22:00 (Sunday written as 7). */
let both: ScheduleSpec;
const VERIFY_CRON = CRON_TABLE.find(([e]) => e === '0 22 * * 7')![0];
const UNITS = ['praxis-backup.service', 'praxis-backup.timer', 'praxis-backup-verify.service', 'praxis-backup-verify.timer'];
let scheduler: InstanceType<typeof SystemdUserScheduler>;
const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

test.before(async () => {
  const root = await makeTempDir('praxis-systemd-');
  home = join(root, 'home', 'praxis user'); // a space: ExecStart= quoting must hold
  mkdirSync(home, { recursive: true });
  unitDir = join(home, '.config', 'systemd', 'user');
  const configFile = join(home, '.config', 'praxis-backup', 'config.json');
  mkdirSync(join(configFile, '..'), { recursive: true });
  writeFileSync(configFile, '{}');
  spec = { cron: '0 3 1 * 1', onDiskAttach: false, configFile, lang: 'de' };
  both = { ...spec, verifyCron: VERIFY_CRON };
  // The cli path must exist for `systemd-analyze verify`; the built one, or a stand-in file.
  const cliPath = existsSync(cli) ? cli : join(root, 'cli.js');
  if (!existsSync(cliPath)) writeFileSync(cliPath, '');
  scheduler = new SystemdUserScheduler({ run, home, env: { HOME: home }, user: 'praxis', program: { node: process.execPath, cli: cliPath } });
});
test.after(() => runCleanups());

test(`install writes the backup's and the restore test's units and ${HAS_USER_MANAGER ? 'enables both timers' : 'reports the missing user manager (exit 1)'}`, async () => {
  let err: unknown;
  const result = await scheduler.install(both).catch((e) => {
    err = e;
    return null;
  });
  const timer = join(unitDir, 'praxis-backup.timer');
  for (const u of UNITS) assert.ok(existsSync(join(unitDir, u)), u);
  if (HAS_USER_MANAGER) {
    assert.equal(result!.files, UNITS.map((u) => join(unitDir, u)));
    return;
  }
  assert.instance(err, PraxisError);
  const e = err as InstanceType<typeof PraxisError>;
  assert.is(e.exitCode, 1);
  assert.is(e.message_.key, 'schedule.noUserManager');
  assert.ok(e.toolOutput.some((l) => /Failed to connect to bus/.test(l)), e.toolOutput.join('\n'));
  const de = render('de', e.message_);
  assert.match(de, /NICHT aktiv/);
  assert.match(de, /loginctl enable-linger praxis/);
  assert.ok(de.includes(timer));
  assert.match(render('en', e.message_), /not active/i);
});

test('the service: oneshot, absolute ExecStart (quoted where a path has a space), 3 and 75 are not failures', () => {
  const text = readFileSync(join(unitDir, 'praxis-backup.service'), 'utf8');
  assert.match(text, /^Type=oneshot$/m);
  const exec = /^ExecStart=(.*)$/m.exec(text)![1]!;
  assert.ok(exec.startsWith(`${process.execPath} `), exec);
  assert.ok(exec.endsWith(` run --scheduled --config "${spec.configFile}"`), exec);
  assert.match(text, /^SuccessExitStatus=3 75$/m);
  assert.match(text, /^TimeoutStartSec=infinity$/m);
});

test('the verify service: `verify --restore-test --scheduled`, ordered after the backup, same environment and exit codes', () => {
  const text = readFileSync(join(unitDir, 'praxis-backup-verify.service'), 'utf8');
  const backup = readFileSync(join(unitDir, 'praxis-backup.service'), 'utf8');
  assert.match(text, /^After=praxis-backup\.service$/m);
  const exec = /^ExecStart=(.*)$/m.exec(text)![1]!;
  assert.is(exec, /^ExecStart=(.*)$/m.exec(backup)![1]!.replace(' run --scheduled ', ' verify --restore-test --scheduled '));
  // Everything else of [Service] as the backup's.
  const service = (t: string) => t.slice(t.indexOf('[Service]')).replace(/^ExecStart=.*$/m, '');
  assert.is(service(text), service(backup));
});

test('the verify timer: its own OnCalendar= from verify.cron, Persistent=true, starts the verify service', () => {
  const text = readFileSync(join(unitDir, 'praxis-backup-verify.timer'), 'utf8');
  assert.equal([...text.matchAll(/^OnCalendar=(.*)$/gm)].map((m) => m[1]), ['Sun *-*-* 22:00:00']);
  assert.match(text, /^Persistent=true$/m);
  assert.match(text, /^Unit=praxis-backup-verify\.service$/m);
  assert.match(text, /^Description=Praxis-Backup restore test schedule \(cron: 0 22 \* \* 7\)$/m);
  assert.match(text, /^WantedBy=timers\.target$/m);
});

test('every expression of the cron table gives the verify timer the OnCalendar= lines the backup timer gets', () => {
  const program = { node: process.execPath, cli };
  const onCalendar = (f: { content: string }) => [...f.content.matchAll(/^OnCalendar=.*$/gm)].map((m) => m[0]);
  for (const [expr, why] of CRON_TABLE) {
    const files = renderSystemdUnits({ ...spec, cron: expr, verifyCron: expr }, program, unitDir);
    assert.equal(files.map((f) => f.name), ['praxis-backup.service', 'praxis-backup.timer', 'praxis-backup-verify.service', 'praxis-backup-verify.timer']);
    assert.equal(onCalendar(files[3]!), onCalendar(files[1]!), `${expr}: ${why}`);
  }
});

test('the timer: two OnCalendar= lines for "0 3 1 * 1" (the 1st OR Mondays), Persistent=true, WantedBy=timers.target', () => {
  const text = readFileSync(join(unitDir, 'praxis-backup.timer'), 'utf8');
  const onCalendar = [...text.matchAll(/^OnCalendar=(.*)$/gm)].map((m) => m[1]);
  assert.equal(onCalendar, ['*-*-01 03:00:00', 'Mon *-*-* 03:00:00']);
  assert.match(text, /^Persistent=true$/m);
  assert.match(text, /^WantedBy=timers\.target$/m);
});

test('systemd-analyze verify accepts all four units (and rejects a broken one, so it really checks)', () => {
  const files = UNITS.map((f) => join(unitDir, f));
  const ok = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
  assert.is(ok.status, 0, ok.stderr);
  // Control: the same service with a program that does not exist must fail verification.
  const broken = join(home, 'broken', 'praxis-backup.service');
  mkdirSync(join(broken, '..'), { recursive: true });
  writeFileSync(broken, readFileSync(files[0]!, 'utf8').replace(process.execPath, '/nonexistent/node'));
  const bad = spawnSync('systemd-analyze', ['verify', broken], { encoding: 'utf8' });
  assert.is.not(bad.status, 0);
  assert.match(bad.stderr, /nonexistent/);
});

test('the written OnCalendar= lines of both timers run at cron-parser times (systemd-analyze calendar, Europe/Berlin)', () => {
  for (const [timer, cron] of [['praxis-backup.timer', both.cron], ['praxis-backup-verify.timer', both.verifyCron!]] as const) {
    const text = readFileSync(join(unitDir, timer), 'utf8');
    const specs = [...text.matchAll(/^OnCalendar=(.*)$/gm)].map((m) => m[1]!);
    const base = new Date(2026, 10, 24, 12, 0, 30);
    const instants = new Set<string>();
    for (const s of specs) {
      const out = execFileSync('systemd-analyze', ['calendar', '--iterations=10', `--base-time=@${Math.floor(base.getTime() / 1000)}`, s], { encoding: 'utf8', env: { ...process.env, TZ: 'Europe/Berlin' } });
      for (const m of out.matchAll(/\(in UTC\): \w{3} (\S+) (\S+) UTC/g)) instants.add(new Date(`${m[1]}T${m[2]}Z`).toISOString());
    }
    assert.equal([...instants].sort().slice(0, 10), nextRuns(cron, 10, base).map((d) => d.toISOString()), timer);
  }
});

test('status: files installed, backup jobs first, each with its role; activity unknown without a user manager, said so', async () => {
  const s = await scheduler.status();
  assert.is(s.kind, 'systemd');
  assert.equal(s.jobs.map((j) => [j.name, j.role, j.installed]), [
    ['praxis-backup.timer', 'backup', true],
    ['praxis-backup.service', 'backup', true],
    ['praxis-backup-verify.timer', 'verify', true],
    ['praxis-backup-verify.service', 'verify', true],
  ]);
  assert.equal(s.jobs.map((j) => j.missingPrograms), [[], [], [], []]);
  if (!HAS_USER_MANAGER) {
    assert.equal(s.jobs.map((j) => j.loaded), [null, null, null, null]);
    assert.ok(s.notes.some((n) => n.key === 'schedule.noUserManagerStatus'));
  }
});

test('install without verifyCron deletes the verify units (also without a user manager) and says so', async () => {
  let err: unknown;
  const result = await scheduler.install(spec).catch((e) => {
    err = e;
    return null;
  });
  assert.not.ok(existsSync(join(unitDir, 'praxis-backup-verify.timer')));
  assert.not.ok(existsSync(join(unitDir, 'praxis-backup-verify.service')));
  assert.ok(existsSync(join(unitDir, 'praxis-backup.timer')));
  if (HAS_USER_MANAGER) assert.ok(result!.notes.some((n) => n.key === 'schedule.verifyRemoved'));
  else assert.is((err as InstanceType<typeof PraxisError>).message_.key, 'schedule.noUserManager');
  const s = await scheduler.status();
  assert.equal(s.jobs.map((j) => j.name), ['praxis-backup.timer', 'praxis-backup.service']);
});

test('remove deletes both files; without a manager it says the manager was not reachable', async () => {
  const r = await scheduler.remove();
  assert.equal(r.removed, [join(unitDir, 'praxis-backup.timer'), join(unitDir, 'praxis-backup.service')]);
  assert.not.ok(existsSync(join(unitDir, 'praxis-backup.timer')));
  assert.not.ok(existsSync(join(unitDir, 'praxis-backup.service')));
  if (!HAS_USER_MANAGER) assert.equal(r.notes.map((n) => n.key), ['schedule.removedNoManager']);
  const again = await scheduler.remove();
  assert.equal(again.removed, []);
  assert.ok(again.notes.some((n) => n.key === 'schedule.notInstalled'));
});

test('remove with the verify units installed deletes all four', async () => {
  await scheduler.install(both).catch(() => null);
  const r = await scheduler.remove();
  assert.equal(r.removed, ['praxis-backup.timer', 'praxis-backup.service', 'praxis-backup-verify.timer', 'praxis-backup-verify.service'].map((u) => join(unitDir, u)));
  for (const u of UNITS) assert.not.ok(existsSync(join(unitDir, u)), u);
});

test.run();
