// The thin CLI: commands, options, exit codes, both languages, `list --dir` on any folder.
// The practice's zone for this process and the CLI it starts (children inherit it): schedule times
// are local, and the test must not depend on whichever zone the machine has.
process.env.TZ = 'Europe/Berlin';

import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('cli');
let root: string;
let env: CliEnv;
let configFile: string;
let backupDir: string;

test.before(async () => {
  root = await makeTempDir('praxis-cli-');
  env = await cliEnv(root);
  const src = join(root, 'files');
  mkdirSync(src);
  writeFileSync(join(src, 'brief.pdf'), 'Sehr geehrte Kollegin …');
  backupDir = join(root, 'backups');
  configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: src }], schedule: { cron: '15 3 * * 1-5' } }));
});
test.after(() => runCleanups());

test('no command: usage and exit 2; --help: usage and exit 0', async () => {
  const none = await runCli([], env.env);
  assert.is(none.code, 2);
  assert.match(none.stdout, /Aufruf: praxis-backup/);
  const help = await runCli(['run', '--help'], env.env);
  assert.is(help.code, 0);
  assert.match(help.stdout, /Exit-Codes/);
});

test('unknown command and unknown option: exit 2 with a message naming them', async () => {
  const a = await runCli(['sichern'], env.env);
  assert.is(a.code, 2);
  assert.match(a.stderr, /Unbekannter Befehl „sichern“/);
  const b = await runCli(['list', '--verzeichnis', '/tmp'], { ...env.env, LANG: 'en_GB.UTF-8' });
  assert.is(b.code, 2);
  assert.match(b.stderr, /Invalid input: .*--verzeichnis/);
});

test('status before any run: never backed up (an alert: exit 1 for monitoring), next run from the schedule', async () => {
  // The CLI reads the real clock: what holds at any hour is that its next run is later than a
  // moment taken before it was asked, on a weekday, at 03:15 local time.
  const asked = Date.now();
  const r = await runCli(['status', '--config', configFile], env.env);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stdout, /⚠ Noch keine Sicherung auf „Sicherungsverzeichnis“\./);
  assert.match(r.stdout, /Zurzeit läuft kein Backup/);
  assert.match(r.stdout, /Noch nie erfolgreich gesichert/);
  // 15 3 * * 1-5: the next run is a weekday at 03:15.
  assert.match(r.stdout, /Nächster geplanter Lauf: (Montag|Dienstag|Mittwoch|Donnerstag|Freitag), .* 03:15/);
  const j = await runCli(['status', '--config', configFile, '--json'], env.env);
  assert.is(j.code, 1);
  const s = j.events[0]!;
  assert.is(s.running, null);
  assert.equal(s.alerts.map((a: any) => [a.kind, a.destination]), [['never', 'local']]);
  const next = new Date(s.nextRun);
  assert.ok(next.getTime() > asked, `${s.nextRun} is not after ${new Date(asked).toISOString()}`);
  assert.is(next.getHours() * 60 + next.getMinutes(), 3 * 60 + 15);
  assert.ok(next.getDay() >= 1 && next.getDay() <= 5);
});

test('run, then status shows the success and list --dir reads a copied backup folder', async () => {
  const run = await runCli(['run', '--config', configFile, '--json'], env.env);
  assert.is(run.code, 0, run.stderr);
  const id = run.events.at(-1)!.summary.backupId as string;
  const st = await runCli(['status', '--config', configFile], { ...env.env, LANG: 'en_US.UTF-8' });
  assert.match(st.stdout, /Last successful backup \(local\)/);
  assert.is(st.code, 0, 'fresh backup: no alert');
  // e.g. a USB disk someone copied the backup folder onto: no config needed.
  const usb = join(root, 'usb');
  cpSync(backupDir, usb, { recursive: true });
  mkdirSync(join(usb, '20990101_000000.partial'));
  const list = await runCli(['list', '--dir', usb], env.env);
  assert.is(list.code, 0);
  assert.match(list.stdout, new RegExp(id));
  assert.match(list.stdout, /1 unvollständige/);
  assert.not.match(list.stdout, /20990101_000000/);
  const missing = await runCli(['list', '--dir', join(root, 'nicht-da')], env.env);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /existiert nicht/);
});

test.run();
