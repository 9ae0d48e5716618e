// `praxis-backup schedule …` and `run --scheduled` through the built CLI (dist/cli.js), each test
// with its own HOME: render for both platforms, next in German and English, the config's cron
// errors, install/status/remove on this machine (no systemd user manager), and a scheduled run
// that meets a running backup.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import plist from 'plist';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { nextRuns } from '../../src/config/cron';
import { CLI, cliEnv, runCli, startCli, type CliEnv } from '../helpers/cli';
import { makeTempDir, runCleanups, waitUntil } from '../helpers/temp';

const test = suite('schedule CLI');
let root: string;
let env: CliEnv;
let backupDir: string;
let src: string;

function writeConfig(name: string, extra: Record<string, unknown>): string {
  const file = join(root, name);
  writeFileSync(file, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: src }], ...extra }));
  return file;
}

test.before(async () => {
  root = await makeTempDir('praxis-schedule-cli-');
  env = await cliEnv(root);
  src = join(root, 'files');
  mkdirSync(src);
  writeFileSync(join(src, 'befund.pdf'), 'Befund …');
  backupDir = join(root, 'backups');
});
test.after(() => runCleanups());

const en = () => ({ ...env.env, LANG: 'en_GB.UTF-8' });

/**
 * The CLI counts the next runs from its own clock, read at some moment after `before` (taken just
 * before it was started) and before now: its answer is the runs after one of those two moments —
 * both the same unless a scheduled time fell in between. So this holds at any hour.
 */
function runsFrom(actual: unknown, cron: string, count: number, before: Date): void {
  const candidates = [before, new Date()].map((from) => JSON.stringify(nextRuns(cron, count, from).map((d) => d.toISOString())));
  assert.ok(candidates.includes(JSON.stringify(actual)), `${JSON.stringify(actual)} is not ${candidates.join(' or ')}`);
}

test('render --for systemd: the units on stdout, their paths on stderr, absolute ExecStart', async () => {
  const config = writeConfig('config.json', { schedule: { cron: '15 3 * * 1-5' } });
  const r = await runCli(['schedule', 'render', '--for', 'systemd', '--config', config], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^OnCalendar=Mon\.\.Fri \*-\*-\* 03:15:00$/m);
  assert.match(r.stdout, /^Persistent=true$/m);
  assert.ok(r.stdout.includes(`ExecStart=${process.execPath} ${CLI} run --scheduled --config ${config}\n`), r.stdout);
  assert.ok(r.stderr.includes(`# ${join(env.home, '.config', 'systemd', 'user', 'praxis-backup.service')}`), r.stderr);
  // Nothing was installed.
  assert.not.ok(existsSync(join(env.home, '.config', 'systemd')));
});

test('render --for launchd: a plist that parses, absolute paths, the calendar; onDiskAttach adds the mount agent', async () => {
  const config = writeConfig('config.json', { schedule: { cron: '15 3 * * 1-5' } });
  const r = await runCli(['schedule', 'render', '--for', 'launchd', '--config', config], env.env);
  assert.is(r.code, 0, r.stderr);
  const d = plist.parse(r.stdout) as Record<string, any>;
  assert.is(d.Label, 'de.praxis-backup.agent');
  assert.equal(d.ProgramArguments, [process.execPath, CLI, 'run', '--scheduled', '--config', config]);
  assert.equal(d.StartCalendarInterval.map((i: any) => i.Weekday), [1, 2, 3, 4, 5]);
  assert.is(d.StandardOutPath, join(env.home, 'Library', 'Logs', 'Praxis-Backup', 'agent.stdout.log'));
  const both = writeConfig('config-mount.json', { schedule: { cron: '15 3 * * 1-5', onDiskAttach: true } });
  const r2 = await runCli(['schedule', 'render', '--for', 'launchd', '--config', both, '--json'], env.env);
  assert.is(r2.code, 0, r2.stderr);
  const files = r2.events[0]!.files as { name: string; content: string }[];
  assert.equal(files.map((f) => f.name), ['de.praxis-backup.agent', 'de.praxis-backup.on-mount']);
  assert.equal((plist.parse(files[1]!.content) as any).ProgramArguments.slice(2), ['mirror', '--on-mount', '--config', both]);
});

test('next --count 5: the expression in words and five local times, German and English', async () => {
  const config = writeConfig('config.json', { schedule: { cron: '15 3 * * 1-5' } });
  const de = await runCli(['schedule', 'next', '--count', '5', '--config', config], env.env);
  assert.is(de.code, 0, de.stderr);
  assert.match(de.stdout, /Zeitplan: Mo–Fr um 03:15 \(„15 3 \* \* 1-5“\)/);
  const deTimes = de.stdout.split('\n').filter((l) => l.startsWith('  '));
  assert.is(deTimes.length, 5);
  for (const l of deTimes) assert.match(l, /^ {2}(Montag|Dienstag|Mittwoch|Donnerstag|Freitag), \d+\. \S+ \d{4} um 03:15$/);
  const e = await runCli(['schedule', 'next', '--count', '5', '--config', config], en());
  assert.match(e.stdout, /Schedule: Mon–Fri at 03:15 \("15 3 \* \* 1-5"\)/);
  const enTimes = e.stdout.split('\n').filter((l) => l.startsWith('  '));
  assert.is(enTimes.length, 5);
  for (const l of enTimes) assert.match(l, /^ {2}(Monday|Tuesday|Wednesday|Thursday|Friday), \d+ \S+ \d{4} at 03:15$/);
  const before = new Date();
  const j = await runCli(['schedule', 'next', '--count', '3', '--config', config, '--json'], env.env);
  runsFrom(j.events[0]!.next, '15 3 * * 1-5', 3, before);
  assert.is(j.events[0]!.description, 'Mo–Fr um 03:15');
});

test('an exotic expression: shown as written', async () => {
  const config = writeConfig('config.json', { schedule: { cron: '5,35 */6 * * *' } });
  const r = await runCli(['schedule', 'next', '--config', config], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Zeitplan: „5,35 \*\/6 \* \* \*“$/m);
  assert.is(r.stdout.split('\n').filter((l) => l.startsWith('  ')).length, 5); // the default count
});

test('a bad cron in the config: exit 2 naming the field and the value', async () => {
  const config = writeConfig('bad.json', { schedule: { cron: '61 3 * * *' } });
  for (const sub of ['next', 'render', 'install']) {
    const r = await runCli(['schedule', sub, '--config', config], env.env);
    assert.is(r.code, 2, sub);
    assert.match(r.stderr, /schedule\.cron: Feld Minute \(„61“\) ist ungültig/);
  }
  const e = await runCli(['schedule', 'next', '--config', config], en());
  assert.match(e.stderr, /schedule\.cron: field minute \("61"\) is invalid/i);
});

test('exit 2: too many launchd dicts, no schedule in the config, bad subcommand or options', async () => {
  const big = writeConfig('big.json', { schedule: { cron: '* 8-18 * * 1-5' } });
  const r = await runCli(['schedule', 'render', '--for', 'launchd', '--config', big], env.env);
  assert.is(r.code, 2);
  assert.match(r.stderr, /3300 Einträge/);
  assert.match(r.stderr, /einfacheren Ausdruck/);
  // The same expression is fine for systemd: one OnCalendar= line.
  const sd = await runCli(['schedule', 'render', '--for', 'systemd', '--config', big], env.env);
  assert.is(sd.code, 0, sd.stderr);
  assert.match(sd.stdout, /^OnCalendar=Mon\.\.Fri \*-\*-\* 08\.\.18:\*:00$/m);
  const none = writeConfig('none.json', {});
  const n = await runCli(['schedule', 'next', '--config', none], env.env);
  assert.is(n.code, 2);
  assert.match(n.stderr, /kein Zeitplan eingetragen/);
  for (const args of [['schedule'], ['schedule', 'planen'], ['schedule', 'next', '--count', '0', '--config', none], ['schedule', 'render', '--for', 'cron', '--config', none]]) {
    const u = await runCli(args, env.env);
    assert.is(u.code, 2, args.join(' '));
    assert.match(u.stderr, /Ungültige Angabe/);
  }
});

test('install on this machine: files written, no user manager → exit 1 with what is missing; status; remove', async () => {
  const config = writeConfig('config.json', { schedule: { cron: '15 3 * * 1-5' } });
  const unitDir = join(env.home, '.config', 'systemd', 'user');
  const i = await runCli(['schedule', 'install', '--config', config], env.env);
  assert.is(i.code, 1, i.stdout + i.stderr);
  assert.match(i.stderr, /NICHT aktiv/);
  assert.match(i.stderr, /loginctl enable-linger/);
  assert.match(i.stderr, /Failed to connect to bus/);
  assert.ok(existsSync(join(unitDir, 'praxis-backup.timer')));
  const s = await runCli(['schedule', 'status', '--config', config], env.env);
  assert.is(s.code, 0, s.stderr);
  assert.match(s.stdout, /praxis-backup\.timer: Datei vorhanden .* ob sie aktiv ist, lässt sich nicht abfragen/);
  assert.match(s.stdout, /Zeitplan: Mo–Fr um 03:15/);
  assert.match(s.stdout, /Nächster geplanter Lauf: (Montag|Dienstag|Mittwoch|Donnerstag|Freitag), .* 03:15/);
  const r = await runCli(['schedule', 'remove'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Entfernt: .*praxis-backup\.timer/);
  assert.not.ok(existsSync(join(unitDir, 'praxis-backup.timer')));
  const s2 = await runCli(['schedule', 'status'], env.env);
  assert.match(s2.stdout, /praxis-backup\.timer: nicht eingerichtet/);
});

test('run --scheduled while a run holds the lock: exit 75, and status says the scheduled run was skipped', async () => {
  // The first run holds the lock until the test stops it (its hook would sleep a day), however
  // long the calls below take on a loaded machine.
  const config = writeConfig('slow.json', { schedule: { cron: '15 3 * * 1-5' }, hooks: { beforeBackup: { command: ['/bin/sleep', '86400'], timeoutSeconds: 86400 } } });
  const first = startCli(['run', '--config', config], env.env);
  const lock = join(backupDir, '.praxis-backup.lock');
  const statusFile = join(env.stateDir, 'status.json');
  // Running as far as `status` can tell: the lock taken and the status file saying so.
  const running = async () => existsSync(lock) && existsSync(statusFile) && !!JSON.parse(readFileSync(statusFile, 'utf8')).running;
  assert.ok(await waitUntil(running, 60_000), 'the first run took the lock');
  try {
    // A manual run meeting the lock: 75, but no "skipped" (it was not a scheduled run).
    const manual = await runCli(['run', '--config', config], env.env);
    assert.is(manual.code, 75);
    const before = await runCli(['status', '--config', config], env.env);
    assert.not.match(before.stdout, /übersprungen/);

    const scheduled = await runCli(['run', '--scheduled', '--config', config], env.env);
    assert.is(scheduled.code, 75, scheduled.stderr);
    assert.match(scheduled.stderr, /Geplanter Lauf übersprungen: es lief bereits ein Backup/);
    const st = await runCli(['status', '--config', config], env.env);
    assert.match(st.stdout, /Backup läuft seit/);
    assert.match(st.stdout, /übersprungen: es lief bereits ein Backup/);
    const stEn = await runCli(['status', '--config', config, '--json'], en());
    assert.match(stEn.events[0]!.skipped.reason.text, /already running/);
  } finally {
    first.kill('SIGTERM');
    await first;
  }
  // The run that was going is over; no run started since the skip, so it is still news …
  const after = await runCli(['status', '--config', config], env.env);
  assert.match(after.stdout, /übersprungen: es lief bereits ein Backup/);
  // … until the next run starts.
  const ok = writeConfig('quick.json', { schedule: { cron: '15 3 * * 1-5' } });
  const next = await runCli(['run', '--scheduled', '--config', ok], env.env);
  assert.is(next.code, 0, next.stderr);
  const last = await runCli(['status', '--config', ok], env.env);
  assert.not.match(last.stdout, /übersprungen/);
});

// ---- verify.cron: the scheduled restore test beside the backup ---------------------------------

const WEEKLY = { schedule: { cron: '15 3 * * 1-5' }, verify: { cron: '0 22 * * 7' } };

test('render with verify.cron: the verify units / agent beside the backup\'s, running `verify --restore-test --scheduled`', async () => {
  const config = writeConfig('verify.json', WEEKLY);
  const sd = await runCli(['schedule', 'render', '--for', 'systemd', '--config', config, '--json'], env.env);
  assert.is(sd.code, 0, sd.stderr);
  const units = sd.events[0]!.files as { name: string; content: string }[];
  assert.equal(units.map((f) => f.name), ['praxis-backup.service', 'praxis-backup.timer', 'praxis-backup-verify.service', 'praxis-backup-verify.timer']);
  assert.ok(units[2]!.content.includes(`ExecStart=${process.execPath} ${CLI} verify --restore-test --scheduled --config ${config}\n`), units[2]!.content);
  assert.match(units[3]!.content, /^OnCalendar=Sun \*-\*-\* 22:00:00$/m);
  assert.match(units[1]!.content, /^OnCalendar=Mon\.\.Fri \*-\*-\* 03:15:00$/m);
  const ld = await runCli(['schedule', 'render', '--for', 'launchd', '--config', config, '--json'], env.env);
  assert.is(ld.code, 0, ld.stderr);
  const agents = ld.events[0]!.files as { name: string; content: string }[];
  assert.equal(agents.map((f) => f.name), ['de.praxis-backup.agent', 'de.praxis-backup.verify']);
  const d = plist.parse(agents[1]!.content) as Record<string, any>;
  assert.equal(d.ProgramArguments, [process.execPath, CLI, 'verify', '--restore-test', '--scheduled', '--config', config]);
  assert.equal(d.StartCalendarInterval, [{ Minute: 0, Hour: 22, Weekday: 0 }]);
});

test('next with verify.cron: a second, labelled list of the restore tests (German, English, JSON)', async () => {
  const config = writeConfig('verify.json', WEEKLY);
  const de = await runCli(['schedule', 'next', '--count', '3', '--config', config], env.env);
  assert.is(de.code, 0, de.stderr);
  const [backupPart, verifyPart] = de.stdout.split('\n\n');
  assert.match(backupPart!, /^Zeitplan: Mo–Fr um 03:15/m);
  assert.is(backupPart!.split('\n').filter((l) => l.startsWith('  ')).length, 3);
  assert.match(verifyPart!, /^Geplante Prüfung mit Probe-Einspielen: So um 22:00 \(„0 22 \* \* 7“\)$/m);
  assert.match(verifyPart!, /^Die nächsten 3 Prüfungen mit Probe-Einspielen \(Ortszeit, /m);
  const times = verifyPart!.split('\n').filter((l) => l.startsWith('  '));
  assert.is(times.length, 3);
  for (const l of times) assert.match(l, /^ {2}Sonntag, \d+\. \S+ \d{4} um 22:00$/);
  const e = await runCli(['schedule', 'next', '--count', '3', '--config', config], en());
  assert.match(e.stdout, /^Scheduled restore test: Sun at 22:00 \("0 22 \* \* 7"\)$/m);
  assert.match(e.stdout, /^The next 3 restore tests \(local time, /m);
  const before = new Date();
  const j = await runCli(['schedule', 'next', '--count', '2', '--config', config, '--json'], env.env);
  const { next: verifyNext, ...verify } = j.events[0]!.verify;
  assert.equal(verify, { cron: '0 22 * * 7', description: 'So um 22:00' });
  runsFrom(verifyNext, '0 22 * * 7', 2, before);
  runsFrom(j.events[0]!.next, '15 3 * * 1-5', 2, before);
  const without = await runCli(['schedule', 'next', '--config', writeConfig('config.json', { schedule: { cron: '15 3 * * 1-5' } }), '--json'], env.env);
  assert.is(without.events[0]!.verify, null);
});

test('a bad verify.cron: exit 2 naming verify.cron, the field and the value', async () => {
  const config = writeConfig('bad-verify.json', { schedule: { cron: '15 3 * * 1-5' }, verify: { cron: '0 25 * * 0' } });
  for (const sub of ['next', 'render', 'install']) {
    const r = await runCli(['schedule', sub, '--config', config], env.env);
    assert.is(r.code, 2, sub);
    assert.match(r.stderr, /verify\.cron: Feld Stunde \(„25“\) ist ungültig/);
  }
});

test('install / status / remove with verify.cron on this machine: four units, the restore test in status, all removed', async () => {
  const config = writeConfig('verify.json', WEEKLY);
  const unitDir = join(env.home, '.config', 'systemd', 'user');
  const i = await runCli(['schedule', 'install', '--config', config], env.env);
  assert.is(i.code, 1, i.stdout + i.stderr); // no user manager here, as above
  for (const u of ['praxis-backup.timer', 'praxis-backup.service', 'praxis-backup-verify.timer', 'praxis-backup-verify.service']) assert.ok(existsSync(join(unitDir, u)), u);
  const s = await runCli(['schedule', 'status', '--config', config], env.env);
  assert.is(s.code, 0, s.stderr);
  const lines = s.stdout.split('\n');
  assert.ok(lines.findIndex((l) => l.startsWith('praxis-backup.timer:')) < lines.findIndex((l) => l.startsWith('praxis-backup-verify.timer:')), s.stdout);
  assert.match(s.stdout, /^Geplante Prüfung mit Probe-Einspielen: So um 22:00/m);
  assert.match(s.stdout, /^Nächste geplante Prüfung: Sonntag, .* 22:00$/m);
  const before = new Date();
  const sj = await runCli(['schedule', 'status', '--config', config, '--json'], env.env);
  assert.equal(sj.events[0]!.jobs.map((j: any) => j.role), ['backup', 'backup', 'verify', 'verify']);
  assert.is(sj.events[0]!.verifyCron, '0 22 * * 7');
  runsFrom([sj.events[0]!.nextVerify], '0 22 * * 7', 1, before);
  const r = await runCli(['schedule', 'remove'], env.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Entfernt: .*praxis-backup-verify\.timer/);
  assert.not.ok(existsSync(join(unitDir, 'praxis-backup-verify.service')));
});

test.run();
