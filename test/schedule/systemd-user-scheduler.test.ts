// SystemdUserScheduler for real on this machine, through the real process runner: install writes
// both units into a temp HOME's ~/.config/systemd/user; `systemd-analyze verify` (system mode: the
// --user mode needs a runtime directory this machine has not) accepts them; the timer's OnCalendar=
// lines, read back from the written file, give cron-parser's times under `systemd-analyze calendar`.
// PID 1 here is not systemd, so `systemctl --user` fails ("Failed to connect to bus"): install must
// say so clearly and exit 1, status must not pretend, remove must still delete the files.
process.env.TZ = 'Europe/Berlin';

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempDir, runCleanups } from '../helpers/temp';

const { nextRuns } = await import('../../src/config/cron');
const { render } = await import('../../src/i18n');
const { run } = await import('../../src/process/runner');
const { SystemdUserScheduler } = await import('../../src/schedule/systemd-user-scheduler');
const { PraxisError } = await import('../../src/services/errors');
type ScheduleSpec = import('../../src/schedule/scheduler').ScheduleSpec;

const test = suite('systemd user units');
// Whether this machine has a user manager: decides which outcome of install is the right one.
const HAS_USER_MANAGER = spawnSync('systemctl', ['--user', 'show-environment'], { stdio: 'ignore' }).status === 0;

let home: string;
let unitDir: string;
let spec: ScheduleSpec;
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
  // The cli path must exist for `systemd-analyze verify`; the built one, or a stand-in file.
  const cliPath = existsSync(cli) ? cli : join(root, 'cli.js');
  if (!existsSync(cliPath)) writeFileSync(cliPath, '');
  scheduler = new SystemdUserScheduler({ run, home, env: { HOME: home }, user: 'praxis', program: { node: process.execPath, cli: cliPath } });
});
test.after(() => runCleanups());

test(`install writes both units and ${HAS_USER_MANAGER ? 'enables the timer' : 'reports the missing user manager (exit 1)'}`, async () => {
  let err: unknown;
  const result = await scheduler.install(spec).catch((e) => {
    err = e;
    return null;
  });
  const service = join(unitDir, 'praxis-backup.service');
  const timer = join(unitDir, 'praxis-backup.timer');
  assert.ok(existsSync(service) && existsSync(timer));
  if (HAS_USER_MANAGER) {
    assert.equal(result!.files, [service, timer]);
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

test('the timer: two OnCalendar= lines for "0 3 1 * 1" (the 1st OR Mondays), Persistent=true, WantedBy=timers.target', () => {
  const text = readFileSync(join(unitDir, 'praxis-backup.timer'), 'utf8');
  const onCalendar = [...text.matchAll(/^OnCalendar=(.*)$/gm)].map((m) => m[1]);
  assert.equal(onCalendar, ['*-*-01 03:00:00', 'Mon *-*-* 03:00:00']);
  assert.match(text, /^Persistent=true$/m);
  assert.match(text, /^WantedBy=timers\.target$/m);
});

test('systemd-analyze verify accepts both units (and rejects a broken one, so it really checks)', () => {
  const files = ['praxis-backup.service', 'praxis-backup.timer'].map((f) => join(unitDir, f));
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

test('the written OnCalendar= lines run at cron-parser times (systemd-analyze calendar, Europe/Berlin)', () => {
  const text = readFileSync(join(unitDir, 'praxis-backup.timer'), 'utf8');
  const specs = [...text.matchAll(/^OnCalendar=(.*)$/gm)].map((m) => m[1]!);
  const base = new Date(2026, 10, 24, 12, 0, 30);
  const instants = new Set<string>();
  for (const s of specs) {
    const out = execFileSync('systemd-analyze', ['calendar', '--iterations=10', `--base-time=@${Math.floor(base.getTime() / 1000)}`, s], { encoding: 'utf8', env: { ...process.env, TZ: 'Europe/Berlin' } });
    for (const m of out.matchAll(/\(in UTC\): \w{3} (\S+) (\S+) UTC/g)) instants.add(new Date(`${m[1]}T${m[2]}Z`).toISOString());
  }
  assert.equal([...instants].sort().slice(0, 10), nextRuns(spec.cron, 10, base).map((d) => d.toISOString()));
});

test('status: files installed, activity unknown without a user manager, said so', async () => {
  const s = await scheduler.status();
  assert.is(s.kind, 'systemd');
  assert.equal(s.jobs.map((j) => [j.name, j.installed]), [['praxis-backup.timer', true], ['praxis-backup.service', true]]);
  assert.equal(s.jobs[1]!.missingPrograms, []);
  if (!HAS_USER_MANAGER) {
    assert.equal(s.jobs.map((j) => j.loaded), [null, null]);
    assert.ok(s.notes.some((n) => n.key === 'schedule.noUserManagerStatus'));
  }
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

test.run();
