// `praxis-backup init` through the built CLI against real servers: PostgreSQL WITH a password
// (scram over TCP), MariaDB WITHOUT one, a loop disk as the USB disk, a real keyring on its own
// D-Bus. --yes takes every proposal: the config is written and valid, the password is in the
// keyring under the id a run asks for, the first backup is there with its restore test passed,
// and the mirror copy is on the disk. Plus the refusals: no terminal without --yes, an existing
// config without --force, bad options — each exit 2 naming what to fix.
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config/load';
import { CLI } from '../helpers/cli';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { makeLoopDisk, mountsOf, type LoopDisk } from '../helpers/loop-disk';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { runInPty } from '../helpers/pty';
import { systemdStandIns } from '../helpers/systemd-stand-ins';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('init');
let root: string;
let pg: PgServer;
let maria: MariaServer;
let kr: TestKeyring;
let disk: LoopDisk;
const PG_PASSWORD = 'Praxis-PG-pw 1';
const NOW = '2026-12-02T09:00:00.000Z';

test.before(async () => {
  root = await makeTempDir('praxis-init-');
  [pg, maria, kr] = await Promise.all([startPostgres({ password: PG_PASSWORD, user: 'postgres' }), startMariadb(), startKeyring()]);
  await pg.createDb('tomedo');
  await pg.psql('CREATE TABLE patient (id int primary key, name text); INSERT INTO patient SELECT g, $$P$$ || g FROM generate_series(1, 50) g;', 'tomedo');
  await maria.createDb('elexis');
  await maria.sql('CREATE TABLE kontakt (id int primary key, name varchar(40)); INSERT INTO kontakt VALUES (1, "Muster"), (2, "Beispiel");', 'elexis');
  // MariaDB without a password: root on TCP logs in with none (what a fresh Debian server's socket login amounts to).
  const hosts = (await maria.sql("SELECT host FROM mysql.user WHERE user = 'root'")).split('\n').filter(Boolean);
  await maria.sql(hosts.map((h) => `ALTER USER 'root'@'${h}' IDENTIFIED BY '';`).join(' '));
  disk = await makeLoopDisk({ sizeMiB: 64, label: 'PRAXIS-USB' });
});
test.after(async () => {
  await kr?.stop();
  await pg?.stop();
  await maria?.stop();
  await runCleanups();
});

function env(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...kr.env,
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'home', '.config'),
    XDG_STATE_HOME: join(dir, 'home', '.local', 'state'),
    LANG: 'de_DE.UTF-8',
    TZ: 'Europe/Berlin',
    PRAXIS_BACKUP_TEST_NOW: NOW,
    PRAXIS_BACKUP_NOTIFY: 'none',
    PRAXIS_BACKUP_MOUNT_BASE: join(dir, 'mounts'),
    ...extra,
  };
}

const cli = (args: string[], e: Record<string, string>) => execa(process.execPath, [CLI, ...args], { env: e, extendEnv: false, stdin: 'ignore', reject: false });
const events = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

async function practice(name: string): Promise<{ dir: string; files: string; configFile: string; backups: string }> {
  const dir = join(root, name);
  const files = join(dir, 'praxis', 'Anhänge');
  mkdirSync(files, { recursive: true });
  for (let i = 0; i < 5; i++) writeFileSync(join(files, `brief-${i}.pdf`), `Brief ${i}\n`.repeat(200));
  mkdirSync(join(dir, 'home'), { recursive: true });
  return { dir, files, configFile: join(dir, 'config.json'), backups: join(dir, 'backups') };
}

const places = () => ['--postgres', `127.0.0.1:${pg.port}`, '--mariadb', `127.0.0.1:${maria.port}`];

test('--yes: both databases, the folder, the USB disk encrypted (Notfallblatt); password in the keyring, first backup with restore test passed, copy on the disk', async () => {
  const p = await practice('yes');
  const r = await cli(
    ['init', '--yes', '--json', '--config', p.configFile, ...places(), '--folder', p.files, '--backup-dir', p.backups, '--disk', disk.uuid, '--no-schedule', '--no-tray'],
    env(p.dir, { PRAXIS_BACKUP_PASSWORD_POSTGRES: PG_PASSWORD }),
  );
  assert.is(r.exitCode, 0, `${r.stderr}\n${r.stdout}`);
  const config = await loadConfig(p.configFile);
  const byName = Object.fromEntries(config.components.map((c) => [c.name, c]));
  assert.equal(Object.keys(byName).sort(), ['Anhaenge', 'elexis', 'tomedo']);
  assert.equal(byName.tomedo, { name: 'tomedo', type: 'postgres', database: 'tomedo', host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'keyring' });
  assert.equal(byName.elexis, { name: 'elexis', type: 'mariadb', database: 'elexis', host: '127.0.0.1', port: maria.port, user: 'root', password: 'none' });
  assert.equal(config.mirrors.map((m) => [m.name, m.type === 'volume' && m.volume, m.encrypt]), [['usb', { uuid: disk.uuid }, true]]);
  assert.is(config.backupDir, p.backups);
  assert.is(config.schedule?.cron, '15 3 * * 1-5');
  assert.is(await kr.lookup(`postgres://postgres@127.0.0.1:${pg.port}/tomedo`), PG_PASSWORD);
  assert.not.ok(readFileSync(p.configFile, 'utf8').includes(PG_PASSWORD), 'never in the config');
  assert.not.ok(r.stdout.includes(PG_PASSWORD) || r.stderr.includes(PG_PASSWORD), 'never in the output');

  const ev = events(r.stdout);
  const summary = ev.find((e) => e.type === 'apply-summary')!;
  assert.is(summary.restoreTest, 'passed');
  assert.is(summary.configFile, p.configFile);
  assert.match(summary.backupId, /^20261202_10\d{4}$/); // the injected clock, Berlin time
  assert.equal(summary.next.map((n: any) => n.key), ['init.next.printSheet', 'init.next.takeDiskHome', 'init.next.status']);
  assert.equal(ev.filter((e) => e.type === 'apply-stage' && e.state === 'skipped').map((e) => e.stage).sort(), ['schedule', 'tray']);
  // „verschlüsseln?“ went through the existing encryption setup: passphrase in the keyring, the sheet written (no Desktop: the state folder).
  assert.ok(ev.some((e) => e.type === 'apply-stage' && e.stage === 'encryption' && e.state === 'done'));
  const passphrase = await kr.lookup('encryption://usb');
  assert.ok(passphrase && passphrase.length >= 20);
  const stateDir = join(p.dir, 'home', '.local', 'state', 'praxis-backup');
  assert.ok(readdirSync(stateDir).some((f) => /Notfallblatt.*\.html$/i.test(f)), readdirSync(stateDir).join(', '));
  assert.not.ok(r.stdout.includes(passphrase!) || r.stderr.includes(passphrase!), 'the passphrase only on the sheet');
  // The backup itself: three components, verified with the restore test, and copied onto the disk.
  const manifest = JSON.parse(readFileSync(join(p.backups, summary.backupId, 'manifest.json'), 'utf8'));
  assert.equal(manifest.components.map((c: any) => c.name).sort(), ['Anhaenge', 'elexis', 'tomedo']);
  const verification = JSON.parse(readFileSync(join(p.backups, summary.backupId, 'verification.json'), 'utf8'));
  assert.equal([verification.ok, verification.checked.restoreTest], [true, true]);
  const finished = ev.find((e) => e.type === 'finished')!;
  assert.equal(finished.summary.mirrors.map((m: any) => [m.name, m.result]), [['usb', 'success']]);
  assert.equal(mountsOf(disk.device), [], 'unmounted again');
  // status says the same as the summary
  const st = await cli(['status', '--json', '--config', p.configFile], env(p.dir));
  const status = JSON.parse(String(st.stdout).trim().split('\n').at(-1)!);
  assert.is(JSON.stringify(status).includes(summary.backupId), true, String(st.stdout));
});

test('an existing config: --yes alone refuses (exit 2, names the file, nothing changed), --force replaces it and keeps .bak', async () => {
  const p = await practice('exists');
  mkdirSync(p.backups);
  const before = JSON.stringify({ backupDir: p.backups, components: [{ name: 'alt', type: 'folder', path: p.files }] });
  writeFileSync(p.configFile, before);
  const args = ['init', '--yes', '--config', p.configFile, ...places(), '--backup-dir', p.backups, '--no-mirror', '--no-schedule', '--no-tray', '--no-backup'];
  const refused = await cli(args, env(p.dir, { PRAXIS_BACKUP_PASSWORD_POSTGRES: PG_PASSWORD }));
  assert.is(refused.exitCode, 2, String(refused.stderr));
  assert.match(String(refused.stderr), `Es gibt schon eine Konfiguration: ${p.configFile}`);
  assert.match(String(refused.stderr), '--force');
  assert.is(readFileSync(p.configFile, 'utf8'), before);
  assert.not.ok(existsSync(`${p.configFile}.bak`));

  const forced = await cli([...args, '--force'], env(p.dir, { PRAXIS_BACKUP_PASSWORD_POSTGRES: PG_PASSWORD }));
  assert.is(forced.exitCode, 0, String(forced.stderr));
  assert.is(readFileSync(`${p.configFile}.bak`, 'utf8'), before);
  assert.equal((await loadConfig(p.configFile)).components.map((c) => c.name).sort(), ['elexis', 'tomedo']);
  assert.match(String(forced.stderr), 'Konfiguration geschrieben');
  assert.match(String(forced.stdout), '„praxis-backup run“'); // no backup made: the next step says how
  assert.equal(readdirSync(p.backups), []);
});

test('without a terminal and without --yes/--answers: exit 2 saying to use --yes; bad options: exit 2 naming the option', async () => {
  const p = await practice('refusals');
  const e = env(p.dir);
  const noTty = await cli(['init', '--config', p.configFile], e);
  assert.is(noTty.exitCode, 2);
  assert.match(String(noTty.stderr), '--yes');
  assert.not.ok(existsSync(p.configFile));
  for (const [args, named] of [
    [['--postgres', 'localhost:99999'], '--postgres'],
    [['--mariadb', 'a b'], '--mariadb'],
    [['--backup-dir', 'relative/dir'], '--backup-dir'],
    [['--folder', 'x'], '--folder'],
    [['--bogus'], 'bogus'],
  ] as const) {
    const r = await cli(['init', '--yes', '--config', p.configFile, ...args], e);
    assert.is(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(String(r.stderr), named);
  }
  // The server asks for a password and the script gives none: nothing left to back up, said in the assistant's words.
  const nothing = await cli(['init', '--yes', '--config', p.configFile, '--postgres', `127.0.0.1:${pg.port}`, '--backup-dir', p.backups, '--no-mirror'], e);
  assert.is(nothing.exitCode, 2, String(nothing.stderr));
  assert.match(String(nothing.stderr), `verlangt ein Passwort für „postgres“`);
  assert.match(String(nothing.stderr), 'Fehler bei databases: Weder eine Datenbank noch ein Ordner ist gewählt');
  assert.not.ok(existsSync(p.configFile));
  const missing = await cli(['init', '--answers', join(p.dir, 'nope.json'), '--yes', '--config', p.configFile], e);
  assert.is(missing.exitCode, 2);
  assert.match(String(missing.stderr), 'nope.json');
  writeFileSync(join(p.dir, 'bad.json'), JSON.stringify({ version: 1, databases: 'x' }));
  const bad = await cli(['init', '--answers', join(p.dir, 'bad.json'), '--yes', '--config', p.configFile], e);
  assert.is(bad.exitCode, 2);
  assert.match(String(bad.stderr), 'databases');
  assert.not.ok(existsSync(p.configFile));
});

test('--answers FILE --yes --json (the tray window\'s way): the answers as given, a refused backup directory is exit 2 naming backupDir', async () => {
  const p = await practice('answers');
  const answers = {
    version: 1,
    practiceName: 'Praxis Dr. Muster',
    databases: [{ name: 'elexis', kind: 'mariadb', host: '127.0.0.1', port: maria.port, user: 'root', database: 'elexis', password: 'none' }],
    folders: [{ name: 'anhaenge', path: p.files, role: 'data' }],
    backupDir: p.backups,
    mirror: null,
    schedule: '0 22 * * 0',
    trayAtLogin: false,
    firstBackup: true,
  };
  const file = join(p.dir, 'answers.json');
  writeFileSync(file, JSON.stringify(answers));
  const r = await cli(['init', '--answers', file, '--yes', '--json', '--config', p.configFile, '--no-schedule'], env(p.dir));
  assert.is(r.exitCode, 0, String(r.stderr));
  const config = await loadConfig(p.configFile);
  assert.is(config.practiceName, 'Praxis Dr. Muster');
  assert.is(config.schedule?.cron, '0 22 * * 0');
  const summary = events(r.stdout).find((e) => e.type === 'apply-summary')!;
  assert.is(summary.restoreTest, 'passed');

  const q = await practice('answers-bad');
  writeFileSync(join(q.dir, 'a.json'), JSON.stringify({ ...answers, backupDir: 'backups' }));
  const bad = await cli(['init', '--answers', join(q.dir, 'a.json'), '--yes', '--config', q.configFile], env(q.dir));
  assert.is(bad.exitCode, 2);
  assert.match(String(bad.stderr), 'Fehler bei backupDir');
  assert.not.ok(existsSync(q.configFile));
  // A folder that is not there passes the schema, but not the assistant's check: exit 2 naming the field.
  writeFileSync(join(q.dir, 'b.json'), JSON.stringify({ ...answers, backupDir: q.backups, folders: [{ name: 'weg', path: join(q.dir, 'weg'), role: 'data' }] }));
  const gone = await cli(['init', '--answers', join(q.dir, 'b.json'), '--yes', '--config', q.configFile], env(q.dir));
  assert.is(gone.exitCode, 2, String(gone.stderr));
  assert.match(String(gone.stderr), `Fehler bei folders[0].path: Den Ordner ${join(q.dir, 'weg')} gibt es nicht`);
  assert.not.ok(existsSync(q.configFile));
});

test('no keyring (no D-Bus): the password typed for --yes still makes the first backup; storing it is a warning (exit 3) with the command for later; the USB disk is proposed unencrypted, saying why', async () => {
  const p = await practice('nokeyring');
  const e = env(p.dir, { PRAXIS_BACKUP_PASSWORD_POSTGRES: PG_PASSWORD });
  // No bus at all: neither the address nor a socket at $XDG_RUNTIME_DIR/bus (libdbus's fallback).
  delete e.DBUS_SESSION_BUS_ADDRESS;
  e.XDG_RUNTIME_DIR = join(p.dir, 'run');
  mkdirSync(e.XDG_RUNTIME_DIR);
  const r = await cli(['init', '--yes', '--json', '--config', p.configFile, ...places(), '--backup-dir', p.backups, '--disk', disk.uuid, '--no-schedule', '--no-tray'], e);
  assert.is(r.exitCode, 3, String(r.stderr));
  const ev = events(r.stdout);
  // Its passphrase would have to come from the keyring at every copy: encrypting here would fail every night.
  assert.ok(ev.some((x) => x.type === 'init-problem' && x.field === 'mirror.encrypt' && x.level === 'warning' && x.message.key === 'init.mirror.unencryptedNoKeyring'), JSON.stringify(ev.filter((x) => x.type === 'init-problem')));
  const usb = (await loadConfig(p.configFile)).mirrors[0];
  assert.ok(usb && !usb.encrypt, JSON.stringify(usb));
  assert.ok(ev.some((x) => x.type === 'mirror-finished' && x.result === 'success'), 'the unencrypted copy was made');
  const failed = ev.filter((x) => x.type === 'apply-stage' && x.state === 'failed');
  assert.equal(failed.map((x) => [x.stage, x.message.key]), [['passwords', 'init.apply.passwordsFailed']]);
  const summary = ev.find((x) => x.type === 'apply-summary')!;
  assert.is(summary.restoreTest, 'passed');
  assert.ok(summary.next.some((n: any) => n.key === 'init.next.storePassword' && n.text.includes(`postgres://postgres@127.0.0.1:${pg.port}/tomedo`)), JSON.stringify(summary.next));
  const tomedo = (await loadConfig(p.configFile)).components.find((c) => c.name === 'tomedo');
  assert.is(tomedo?.type === 'postgres' && tomedo.password, 'keyring');
});

/** `init --config F --postgres … --mariadb …` as one shell command line for the pty. */
function initInShell(configFile: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [process.execPath, CLI, 'init', '--config', configFile, ...places()].map(q).join(' ');
}

test('on a real terminal: typed answers, the password hidden and stored in the keyring, the schedule in words with its next runs, installed; first backup with restore test', async () => {
  const p = await practice('pty');
  const { bin } = systemdStandIns(p.dir);
  const e = env(p.dir, { PATH: `${bin}:${kr.env.PATH}`, USER: 'praxis-init-test' });
  const command = initInShell(p.configFile);
  const r = await runInPty(
    command,
    e,
    [
      { waitFor: 'Passwort für „postgres“', type: PG_PASSWORD },
      { waitFor: 'Übernehmen? [J/n]', type: '' },
      { waitFor: 'Ordner mit Anhängen', type: p.files },
      { waitFor: '5 Dateien', type: '' },
      // Each text appears first at its own prompt (the helper searches all that was shown so far).
      { waitFor: 'Programmordner (z. B.', type: '' },
      { waitFor: 'Backup-Verzeichnis (Enter', type: p.backups },
      { waitFor: 'Auf welche Festplatte kopieren?', type: '0' },
      { waitFor: 'für keinen Zeitplan', type: '30 2 * * *' },
      { waitFor: 'täglich um 02:30', type: '' },
      { waitFor: 'bei jeder Anmeldung starten?', type: 'n' },
      { waitFor: 'Wiederherstellungsprobe erstellen?', type: '' },
      { waitFor: 'schreiben und einrichten?', type: '' },
    ],
    240_000,
  );
  assert.is(r.code, 0, r.out);
  assert.not.ok(r.out.includes(PG_PASSWORD), 'the typed password is not echoed');
  // The proposal first, in words, then the typed one with its next runs from the injected clock (Berlin).
  assert.match(r.out, 'Zeitplan: Mo–Fr um 03:15 („15 3 * * 1-5“)');
  assert.match(r.out, 'Donnerstag, 3. Dezember 2026 um 03:15');
  assert.match(r.out, 'Zeitplan: täglich um 02:30 („30 2 * * *“)');
  assert.match(r.out, 'Donnerstag, 3. Dezember 2026 um 02:30');
  assert.match(r.out, 'Wiederherstellungsprobe bestanden');
  assert.match(r.out, 'Als Nächstes:');
  // The first backup's live progress line, redrawn in place with \r (its first and 100 % draws always reach the screen).
  const draws = r.out.split('\r').filter((d) => /^Sichere Anhaenge: \d+ %/.test(d));
  assert.ok(draws.some((d) => d.startsWith('Sichere Anhaenge: 100 %')), `progress draws: ${JSON.stringify(draws)}`);
  const config = await loadConfig(p.configFile);
  assert.is(config.schedule?.cron, '30 2 * * *');
  assert.equal(config.components.map((c) => c.name).sort(), ['Anhaenge', 'elexis', 'tomedo']);
  assert.equal(config.mirrors, []);
  assert.is(await kr.lookup(`postgres://postgres@127.0.0.1:${pg.port}/tomedo`), PG_PASSWORD);
  const timer = readFileSync(join(p.dir, 'home', '.config', 'systemd', 'user', 'praxis-backup.timer'), 'utf8');
  assert.match(timer, /OnCalendar=.*02:30/);
  assert.match(readFileSync(join(bin, 'calls.log'), 'utf8'), /systemctl --user .*enable/);
  assert.not.ok(existsSync(join(p.dir, 'home', '.config', 'autostart', 'praxis-backup.desktop')), 'tray at login was declined');
});

test('on a terminal, Ctrl-C at a question ends the setup: exit 1, said, nothing written', async () => {
  const p = await practice('ctrl-c');
  const command = initInShell(p.configFile);
  const r = await runInPty(command, env(p.dir), [
    { waitFor: 'Passwort für „postgres“', type: PG_PASSWORD },
    { waitFor: 'Übernehmen? [J/n]', type: '\u0003' },
  ]);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, 'Einrichtung abgebrochen: es wurde nichts geschrieben.');
  assert.not.ok(existsSync(p.configFile));
});

test('on a terminal, an existing config is replaced only when the admin says so: "n" leaves it (exit 2)', async () => {
  const p = await practice('ask-overwrite');
  writeFileSync(p.configFile, '{"backupDir": "/x", "components": []}');
  const r = await runInPty(initInShell(p.configFile), env(p.dir), [{ waitFor: 'Ersetzen (die alte bleibt als .bak)?', type: 'n' }]);
  assert.is(r.code, 2, r.out);
  assert.match(r.out, `Die Konfiguration ${p.configFile} bleibt unverändert`);
  assert.is(readFileSync(p.configFile, 'utf8'), '{"backupDir": "/x", "components": []}');
  assert.not.ok(r.out.includes('1/6'), 'asked before anything else');
});

test.run();
