// The nightly case on a server without a desktop (issue 15): `run` started with no D-Bus session,
// no DISPLAY and no keyring process at all, against real servers — PostgreSQL with trust, with
// scram-sha-256 and ~/.pgpass, MariaDB with an option file. Where a password comes from is the
// config's `"password"` ("keyring" | "none" | not set), the environment still wins.
//
// Proof that the keyring is never touched where it must not be: in this environment any keyring
// lookup fails (the test "not set + server asks for a password" shows exactly that failure), so a
// run that succeeds did not ask it.
import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allText, CLI, readLogs } from '../helpers/cli';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startKeyring } from '../helpers/keyring';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleMariadb, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('unattended: where a database password comes from');

const PG_PW = 'Nacht-Geheim "7" $x';
const MARIA_PW = "Maria-Nacht 'x' #9";

let trustPg: PgServer;
let scramPg: PgServer;
let maria: MariaServer;
let base: string;
let n = 0;

interface Case {
  root: string;
  home: string;
  stateDir: string;
  config: string;
}

/** A fresh HOME, backup dir and config for one run. */
async function newCase(components: object[]): Promise<Case> {
  const root = join(base, `case-${++n}`);
  const home = join(root, 'home');
  await mkdir(home, { recursive: true });
  const config = join(root, 'config.json');
  await writeFile(config, JSON.stringify({ backupDir: join(root, 'backups'), components, retention: { keep: 3 } }, null, 2));
  return { root, home, stateDir: join(home, '.local', 'state', 'praxis-backup'), config };
}

/**
 * The environment of a job started by systemd with nobody logged in: no DBUS_SESSION_BUS_ADDRESS,
 * no DISPLAY, no XDG_RUNTIME_DIR (where a bus socket would be found), nothing inherited from us.
 */
function nightlyEnv(k: Case, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    HOME: k.home,
    XDG_CONFIG_HOME: join(k.home, '.config'),
    XDG_STATE_HOME: join(k.home, '.local', 'state'),
    LANG: 'de_DE.UTF-8',
    TZ: 'UTC',
    PRAXIS_BACKUP_NOTIFY: 'none',
    ...extra,
  };
}

async function runNightly(k: Case, extra: Record<string, string> = {}, args = ['run']) {
  const env = nightlyEnv(k, extra);
  if (!extra.DBUS_SESSION_BUS_ADDRESS) assert.not.ok('DBUS_SESSION_BUS_ADDRESS' in env || 'DISPLAY' in env);
  const r = await execa(process.execPath, [CLI, ...args, '--config', k.config], { env, extendEnv: false, reject: false, stdin: 'ignore' });
  const out = `${r.stdout}\n${r.stderr}`;
  return { code: r.exitCode ?? -1, out, log: readLogs(join(k.stateDir, 'logs')) };
}

const pgComponent = (pg: PgServer, password?: 'keyring' | 'none' | string) => ({
  name: 'datenbank', type: 'postgres', database: 'tomedo', host: pg.host, port: pg.port, user: pg.user, ...(password ? { password } : {}),
});
const mariaComponent = (password?: 'keyring' | 'none') => ({
  name: 'elexis', type: 'mariadb', database: 'elexis', host: maria.host, port: maria.port, user: maria.user, ...(password ? { password } : {}),
});

/** A ~/.pgpass for the scram server, every database (the restore test loads into a scratch one). */
async function pgpass(k: Case, mode: number): Promise<string> {
  const file = join(k.home, '.pgpass');
  const escaped = PG_PW.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  await writeFile(file, `${scramPg.host}:${scramPg.port}:*:${scramPg.user}:${escaped}\n`);
  await chmod(file, mode);
  return file;
}

async function myCnf(k: Case, mode: number): Promise<string> {
  const file = join(k.home, '.my.cnf');
  await writeFile(file, `[client]\nuser=root\npassword="${MARIA_PW.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`);
  await chmod(file, mode);
  return file;
}

function backups(k: Case): string[] {
  const dir = join(k.root, 'backups');
  return existsSync(dir) ? readdirSync(dir).filter((x) => /^\d{8}_\d{6}$/.test(x)) : [];
}

test.before(async () => {
  base = await makeTempDir('praxis-unattended-');
  [trustPg, scramPg, maria] = await Promise.all([
    startPostgres({ authHost: 'trust' }),
    startPostgres({ password: PG_PW }),
    startMariadb({ password: MARIA_PW }),
  ]);
  await Promise.all([
    createSamplePostgres(trustPg, 'tomedo', { patients: 20, visitsPerPatient: 2 }),
    createSamplePostgres(scramPg, 'tomedo', { patients: 20, visitsPerPatient: 2 }),
    createSampleMariadb(maria, 'elexis', { patients: 20, visitsPerPatient: 2 }),
  ]);
});

test.after(async () => {
  await runCleanups();
});

test('trust, no password configured: the run succeeds without the keyring and says how it logged in', async () => {
  const k = await newCase([pgComponent(trustPg)]);
  const r = await runNightly(k);
  assert.is(r.code, 0, r.out);
  assert.is(backups(k).length, 1);
  assert.match(r.log, 'Anmeldung an „datenbank“: ohne Passwort (Peer/Trust oder ~/.pgpass)');
  // The restore test after the backup logged in the same way (it would have asked the keyring otherwise).
  assert.match(r.out + r.log, /Wiederherstellungstest|restore test/i);
  assert.not.match(r.out + r.log, 'Schlüsselbund');
  // A scheduled `verify --restore-test` (verify.cron) logs in its own way the same: no keyring.
  const v = await runNightly(k, {}, ['verify', '--restore-test']);
  assert.is(v.code, 0, v.out);
  assert.match(v.out, 'Anmeldung an „datenbank“: ohne Passwort');
  assert.not.match(v.out + v.log, 'Schlüsselbund');
});

test('scram + ~/.pgpass 0600: "password": "none" and not set both succeed, without the keyring', async () => {
  for (const mode of ['none', undefined] as const) {
    const k = await newCase([pgComponent(scramPg, mode)]);
    await pgpass(k, 0o600);
    const r = await runNightly(k);
    assert.is(r.code, 0, `${mode}: ${r.out}`);
    assert.is(backups(k).length, 1);
    assert.match(r.log, 'Anmeldung an „datenbank“: ohne Passwort');
    assert.not.match(r.out + r.log, 'Schlüsselbund');
  }
});

test('scram + ~/.pgpass 0644 and "password": "none": fails on the password request, names the file and chmod 600', async () => {
  const k = await newCase([pgComponent(scramPg, 'none')]);
  const file = await pgpass(k, 0o644);
  const r = await runNightly(k);
  assert.is(r.code, 1, r.out);
  assert.is(backups(k).length, 0);
  assert.match(r.out, 'der Server verlangt ein Passwort');
  assert.match(r.out, 'fe_sendauth: no password supplied');
  assert.match(r.out, `Die Passwortdatei ${file} wird von PostgreSQL (libpq) nicht gelesen`);
  assert.match(r.out, `chmod 600 ${file}`);
  assert.match(r.out, '"password": "none" fragt Praxis-Backup den Schlüsselbund nicht');
});

test('not set + the server asks for a password + no keyring: exit 1, says both, and both fixes', async () => {
  const k = await newCase([pgComponent(scramPg)]);
  const r = await runNightly(k);
  assert.is(r.code, 1, r.out);
  assert.is(backups(k).length, 0);
  assert.match(r.out, 'der Server verlangt ein Passwort (');
  assert.match(r.out, 'Der Schlüsselbund (Secret Service) ist nicht erreichbar');
  assert.match(r.out, `"password": "none" setzen und das Passwort in ~/.pgpass`);
  assert.match(r.out, `postgres://${scramPg.user}@${scramPg.host}:${scramPg.port}/tomedo`);
  assert.match(r.out, 'gnome-keyring-daemon --unlock'); // the keyring's own fix
});

test('not set + ~/.pgpass 0644 + no keyring: the ignored file is named beside the keyring', async () => {
  const k = await newCase([pgComponent(scramPg)]);
  const file = await pgpass(k, 0o644);
  const r = await runNightly(k);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, 'ist nicht erreichbar');
  assert.match(r.out, `chmod 600 ${file}`);
});

test('trust + an ignored ~/.pgpass: logged in, but a warning names the file (exit 3)', async () => {
  const k = await newCase([pgComponent(trustPg)]);
  const file = join(k.home, '.pgpass');
  await writeFile(file, `*:*:*:*:x\n`);
  await chmod(file, 0o640);
  const r = await runNightly(k);
  assert.is(r.code, 3, r.out);
  assert.is(backups(k).length, 1);
  assert.match(r.out + r.log, `chmod 600 ${file}`);
});

test('"password": "keyring" + no keyring: the clear keyring error of before (naming the id)', async () => {
  const k = await newCase([pgComponent(scramPg, 'keyring')]);
  await pgpass(k, 0o600); // would log in: but "keyring" means the keyring is asked first
  const r = await runNightly(k);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, 'Der Schlüsselbund (Secret Service) ist nicht erreichbar');
  assert.match(r.out, `Gebraucht wurde das Passwort für postgres://${scramPg.user}@${scramPg.host}:${scramPg.port}/tomedo`);
  assert.not.match(r.out, 'der Server verlangt ein Passwort');
});

test('the environment still wins, in every mode, and the password is nowhere in what the run wrote', async () => {
  for (const mode of ['keyring', 'none', undefined] as const) {
    const k = await newCase([pgComponent(scramPg, mode)]);
    const r = await runNightly(k, { PRAXIS_BACKUP_PASSWORD_DATENBANK: PG_PW });
    assert.is(r.code, 0, `${mode}: ${r.out}`);
    assert.match(r.log, 'Anmeldung an „datenbank“: mit dem Passwort aus der Umgebung (PRAXIS_BACKUP_PASSWORD_DATENBANK)');
    assert.not.ok(allText(k.home).includes(PG_PW), 'password in state/logs');
    assert.not.ok(allText(join(k.root, 'backups')).includes(PG_PW), 'password in the backup');
    assert.not.ok(r.out.includes(PG_PW));
  }
});

test('PRAXIS_BACKUP_KEYRING=off keeps working: not set + server asks → says the keyring is switched off', async () => {
  const k = await newCase([pgComponent(scramPg)]);
  const r = await runNightly(k, { PRAXIS_BACKUP_KEYRING: 'off' });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, 'PRAXIS_BACKUP_KEYRING=off ist gesetzt');
  assert.match(r.out, 'fe_sendauth: no password supplied');
  assert.not.match(r.out, 'Schlüsselbund');
  const ok = await newCase([pgComponent(scramPg)]);
  await pgpass(ok, 0o600);
  assert.is((await runNightly(ok, { PRAXIS_BACKUP_KEYRING: 'off' })).code, 0);
});

test('MariaDB with ~/.my.cnf and "password": "none": succeeds without the keyring', async () => {
  const k = await newCase([mariaComponent('none')]);
  await myCnf(k, 0o600);
  const r = await runNightly(k);
  assert.is(r.code, 0, r.out);
  assert.is(backups(k).length, 1);
  assert.match(r.log, 'Anmeldung an „elexis“: ohne Passwort (Socket-Anmeldung oder Optionsdatei ~/.my.cnf)');
  assert.not.match(r.out + r.log, 'Schlüsselbund');
});

test('MariaDB with ~/.my.cnf and the mode not set: logs in without the keyring too', async () => {
  const k = await newCase([mariaComponent()]);
  await myCnf(k, 0o644); // only world-writable is ignored by the client
  const r = await runNightly(k);
  assert.is(r.code, 0, r.out);
  assert.match(r.log, 'Anmeldung an „elexis“: ohne Passwort');
});

test('with a keyring on the bus: not set asks it only after the server asked; "none" never does', async () => {
  const kr = await startKeyring();
  try {
    const id = `postgres://${scramPg.user}@${scramPg.host}:${scramPg.port}/tomedo`;
    await kr.store(id, PG_PW);
    const bus = { DBUS_SESSION_BUS_ADDRESS: kr.env.DBUS_SESSION_BUS_ADDRESS!, PRAXIS_TEST_KEYRING: kr.env.PRAXIS_TEST_KEYRING! };
    const unset = await newCase([pgComponent(scramPg)]);
    const r = await runNightly(unset, bus);
    assert.is(r.code, 0, r.out);
    assert.match(r.log, 'Anmeldung an „datenbank“: mit dem Passwort aus dem Schlüsselbund (Secret Service).');
    assert.not.ok(allText(unset.home).includes(PG_PW), 'password in state/logs');
    // The keyring holds the right password, but "none" means it is not asked: the server's request fails the run.
    const none = await newCase([pgComponent(scramPg, 'none')]);
    const n = await runNightly(none, bus);
    assert.is(n.code, 1, n.out);
    assert.match(n.out, '"password": "none" fragt Praxis-Backup den Schlüsselbund nicht');
    // A trust server with the mode not set: logged in without, although a keyring was there.
    const trust = await newCase([pgComponent(trustPg)]);
    const t = await runNightly(trust, bus);
    assert.is(t.code, 0, t.out);
    assert.match(t.log, 'Anmeldung an „datenbank“: ohne Passwort');
  } finally {
    await kr.stop();
  }
});

test('restore, mode not set: trust logs in without the keyring; scram asks the keyring only after the server asked', async () => {
  // Trust, no D-Bus at all: the restore used to ask the keyring first and stopped at „nicht erreichbar“.
  const trust = await newCase([pgComponent(trustPg)]);
  assert.is((await runNightly(trust)).code, 0);
  const id = backups(trust)[0]!;
  const r = await runNightly(trust, {}, ['restore', id, '--yes', '--no-safety-backup']);
  assert.is(r.code, 0, r.out);
  assert.not.match(r.out, /Schlüsselbund|Secret Service/);
  // Scram, the password only in a keyring on the bus: found after the server's request, no prompt (stdin is closed).
  const kr = await startKeyring();
  try {
    const cid = `postgres://${scramPg.user}@${scramPg.host}:${scramPg.port}/tomedo`;
    await kr.store(cid, PG_PW);
    const bus = { DBUS_SESSION_BUS_ADDRESS: kr.env.DBUS_SESSION_BUS_ADDRESS!, PRAXIS_TEST_KEYRING: kr.env.PRAXIS_TEST_KEYRING! };
    const scram = await newCase([pgComponent(scramPg)]);
    assert.is((await runNightly(scram, bus)).code, 0);
    const s = await runNightly(scram, bus, ['restore', backups(scram)[0]!, '--yes', '--no-safety-backup']);
    assert.is(s.code, 0, s.out);
    assert.not.ok(allText(scram.home).includes(PG_PW), 'password in state/logs');
    // "none" with the same keyring: never asked, so the server's request ends the restore, nothing changed.
    const cfg = JSON.parse(await readFile(scram.config, 'utf8')) as { components: object[] };
    await writeFile(scram.config, JSON.stringify({ ...cfg, components: [pgComponent(scramPg, 'none')] }));
    const n = await runNightly(scram, bus, ['restore', backups(scram)[0]!, '--yes', '--no-safety-backup']);
    assert.is(n.code, 1, n.out);
  } finally {
    await kr.stop();
  }
});

test('MariaDB with a world-writable ~/.my.cnf: the client ignores it, the error names it and chmod 600', async () => {
  const k = await newCase([mariaComponent('none')]);
  const file = await myCnf(k, 0o666);
  const r = await runNightly(k);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, '(using password: NO)');
  assert.match(r.out, `Die Optionsdatei ${file} wird von MariaDB nicht gelesen`);
  assert.match(r.out, `chmod 600 ${file}`);
});

test('MariaDB, not set, no option file, no keyring: says both things', async () => {
  const k = await newCase([mariaComponent()]);
  const r = await runNightly(k);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, 'der Server verlangt ein Passwort');
  assert.match(r.out, 'ist nicht erreichbar');
  assert.match(r.out, '"password": "none" setzen und das Passwort in ~/.my.cnf');
});

test('a bad value is exit 2 naming the field', async () => {
  const k = await newCase([pgComponent(trustPg, 'file')]);
  const r = await runNightly(k);
  assert.is(r.code, 2, r.out);
  assert.match(r.out, 'components[0].password');
  assert.match(r.out, 'keyring');
  assert.is(backups(k).length, 0);
});

test.run();
