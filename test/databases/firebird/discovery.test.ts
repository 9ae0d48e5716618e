// Firebird in the first-run discovery (contract.ts: KindDiscovery) against a real Firebird 3 server
// (test/helpers/firebird.ts): the databases it can know of — the aliases of the server's own
// databases.conf, the database files of the data folders, the databases attached right now — each
// opened with the kind's probe for its size; a file the server cannot open is reported with its
// words, not left out; a refused login is a Listing asking for the password. And the whole way
// through the built CLI: `init --yes --firebird 127.0.0.1:PORT` with the password of
// PRAXIS_BACKUP_PASSWORD_FIREBIRD writes a firebird component and keeps the password in the keyring.
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../../src/config/load';
import type { Place } from '../../../src/databases/contract';
import { firebirdDiscovery, firebirdDiscoveryIn, parseAliases, planServerInfo } from '../../../src/databases/firebird/discovery';
import { databaseTools } from '../../../src/databases/registry';
import { ToolLocator } from '../../../src/process/tool-locator';
import type { FoundServer } from '../../../src/setup-assistant/contracts';
import { databaseAnswer, proposePracticeDatabases } from '../../../src/setup-assistant/proposals';
import type { FirebirdComponent } from '../../../src/config/schema';
import { CLI } from '../../helpers/cli';
import { firebirdAvailable, startFirebird, type FbServer } from '../../helpers/firebird';
import { startKeyring, type TestKeyring } from '../../helpers/keyring';
import { makeTempDir, runCleanups } from '../../helpers/temp';

const test = suite('firebird discovery');
let fb: FbServer;
let kr: TestKeyring;
let root: string;
let medoff: string;
let praxis: string;
let elsewhere: string;
const tools = new ToolLocator('linux', process.env, databaseTools());
const signal = new AbortController().signal;
const place = (): Place => ({ kind: 'firebird', host: '127.0.0.1', port: fb.port, via: 'tcp', where: `127.0.0.1:${fb.port}` });
/** What the server itself says a database takes (the probe's pages × page size, asked independently). */
const serverBytes = async (db: string) => Number(/(\d+)\s*$/.exec((await fb.sql(db, 'set heading off; select mon$pages * mon$page_size from mon$database;')).trim())![1]);

test.before(async () => {
  if (!firebirdAvailable()) throw new Error('Firebird test server needs root and Debian\'s firebird3.0-server firebird3.0-utils (scripts/setup.sh installs them)');
  root = await makeTempDir('praxis-fb-discovery-');
  [fb, kr] = await Promise.all([startFirebird(), startKeyring()]);
  medoff = await fb.createDb('medoff');
  praxis = await fb.createDb('praxis');
  // medoff the bigger one: sizes must come from each database, not one for all.
  await fb.sql(medoff, "create table patient (id int primary key, name varchar(200));\ncommit;\nset term ^ ;\nexecute block as declare i int = 0; begin while (i < 3000) do begin insert into patient values (:i, rpad('P', 200, 'x')); i = i + 1; end end^\nset term ; ^\ncommit;\n");
  // MEDICAL OFFICE's way: the practice's database by alias in the server's databases.conf.
  // And an alias whose file has gone (moved by hand): reported with the server's words.
  await fb.addAliases(`medoff = ${medoff}\nalt = ${join(fb.dir, 'moved', 'alt.gdb')}\n`);
  // A file with a database's name that is none: found, not opened, said so.
  writeFileSync(join(fb.dataDir, 'kaputt.gdb'), 'not a database\n'.repeat(100));
  // A database outside every folder searched: known only while attached.
  mkdirSync(join(fb.dir, 'elsewhere'));
  elsewhere = join(fb.dir, 'elsewhere', 'labor.fdb');
  await execa('isql-fb', ['-q'], { env: { ...fb.env(), LC_ALL: 'C.UTF-8' }, input: `create database '${fb.url(elsewhere)}';\ncommit;\n` });
});
test.after(async () => {
  await kr?.stop();
  await fb?.stop();
  await runCleanups();
});

test('databases.conf: aliases outside the { } blocks of per-database settings, comments dropped', () => {
  assert.equal(parseAliases('# x = /no.fdb\nsecurity.db = $(dir_secDb)/security3.fdb\n{\n\tRemoteAccess = false\n}\nmedoff = /srv/medoff/medoff.gdb # the practice\nemployee = "/opt/fb/employee.fdb" {\n  DefaultDbCachePages = 2048\n}\n'), [
    { alias: 'security.db', path: '$(dir_secDb)/security3.fdb' },
    { alias: 'medoff', path: '/srv/medoff/medoff.gdb' },
    { alias: 'employee', path: '/opt/fb/employee.fdb' },
  ]);
});

test('a database that is a file is proposed and named by its file, not its folders: MEDICAL OFFICE\'s medoff.gdb before a bigger file in a folder named praxis', () => {
  const server: FoundServer = { kind: 'firebird', host: 'localhost', port: 3050, via: 'tcp', where: 'localhost:3050', user: 'SYSDBA', login: 'none', toolVersion: 'gbak', databases: [
    { name: '/srv/praxis/labor.fdb', sizeBytes: 9_000_000, system: false },
    { name: '/srv/medoff/medoff.gdb', sizeBytes: 1_000_000, system: false },
  ] };
  assert.equal(proposePracticeDatabases([server]).map((p) => p.database.name), ['/srv/medoff/medoff.gdb']);
  assert.equal(databaseAnswer(server, '/srv/medoff/medoff.gdb', ['medoff']), { name: 'medoff-2', kind: 'firebird', host: 'localhost', port: 3050, user: 'SYSDBA', database: '/srv/medoff/medoff.gdb', password: 'none' });
  assert.is(databaseAnswer(server, 'medoff', []).name, 'medoff', 'an alias as it is');
});

test('with the password: the alias, the data folder\'s files, an attached database, each with its own size; a file it cannot open reported with the server\'s words; the security database the server\'s own', async () => {
  // Hold labor.fdb attached: wait until the session has answered, so the server has it open.
  const session: ResultPromise = execa('isql-fb', ['-q', fb.url(elsewhere)], { env: { ...fb.env(), LC_ALL: 'C.UTF-8' }, stdin: 'pipe', reject: false });
  const attached = new Promise<void>((resolve) => session.stdout!.on('data', (d: Buffer) => d.toString().includes('ATTACHED-NOW') && resolve()));
  session.stdin!.write("select 'ATTACHED-NOW' from rdb$database;\n");
  await attached;
  let r;
  try {
    r = await firebirdDiscoveryIn(async () => [fb.dataDir]).list(tools, place(), 'SYSDBA', fb.password, signal);
  } finally {
    session.stdin!.end('quit;\n');
    await session;
  }
  assert.ok(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  const byName = Object.fromEntries(r.databases.map((d) => [d.name, d]));
  // medoff.fdb once, by its alias (the config then says "medoff", as MEDICAL OFFICE's own config does).
  assert.equal(Object.keys(byName).sort(), [elsewhere, join(fb.dataDir, 'kaputt.gdb'), praxis, 'alt', 'medoff', 'security.db'].sort());
  assert.equal(byName.medoff, { name: 'medoff', sizeBytes: await serverBytes(medoff), system: false });
  assert.equal(byName[praxis], { name: praxis, sizeBytes: await serverBytes(praxis), system: false });
  assert.ok(byName.medoff!.sizeBytes > byName[praxis]!.sizeBytes, 'each its own size');
  assert.equal(byName[elsewhere], { name: elsewhere, sizeBytes: await serverBytes(elsewhere), system: false });
  const broken = byName[join(fb.dataDir, 'kaputt.gdb')]!;
  assert.equal([broken.system, broken.sizeBytes], [true, 1500], 'shown with its file size, never proposed');
  assert.match(broken.unopenable ?? '', /kaputt\.gdb is not a valid database/, broken.unopenable);
  assert.equal([byName.alt!.system, byName.alt!.sizeBytes], [true, 0]);
  assert.match(byName.alt!.unopenable ?? '', /I\/O error during "open" operation for file .*alt\.gdb/, byName.alt!.unopenable);
  assert.equal([byName['security.db']!.system, byName['security.db']!.unopenable], [true, undefined]);
  assert.match(r.toolVersion, /Firebird 3\.0/);
});

test('a refused login is a Listing: no password → wantsPassword, a wrong one → wrongPassword; the password never in argv', async () => {
  const none = await firebirdDiscovery.list(tools, place(), 'SYSDBA', null, signal);
  assert.equal([none.ok, !none.ok && none.wantsPassword, !none.ok && none.wrongPassword], [false, true, false], JSON.stringify(none));
  assert.match(!none.ok ? none.message : '', /Your user name and password are not defined/);
  const wrong = await firebirdDiscovery.list(tools, place(), 'SYSDBA', 'falsch', signal);
  assert.equal([wrong.ok, !wrong.ok && wrong.wantsPassword, !wrong.ok && wrong.wrongPassword], [false, false, true], JSON.stringify(wrong));
  const plan = planServerInfo('fbsvcmgr', { host: '127.0.0.1', port: fb.port, user: 'SYSDBA' } as FirebirdComponent, 'geheim', 'linux');
  assert.not.ok(plan.args.some((a) => a.includes('geheim')));
  assert.is(plan.env?.ISC_PASSWORD, 'geheim');
});

test('a server that is not there: a failed Listing with the client\'s words, neither password flag', async () => {
  const gone = await firebirdDiscovery.list(tools, { ...place(), port: 1 }, 'SYSDBA', fb.password, signal);
  assert.equal([gone.ok, !gone.ok && gone.wantsPassword, !gone.ok && gone.wrongPassword], [false, false, false]);
  assert.match(!gone.ok ? gone.message : '', /Unable to complete network request/);
});

test('data folders: Debian\'s /var/lib/firebird/<version>/data and macOS\' framework where they exist under the root; no sockets', async () => {
  const fsRoot = join(root, 'fs');
  assert.equal(await firebirdDiscovery.dataFolders('linux', { fsRoot, home: root }), []);
  mkdirSync(join(fsRoot, 'var/lib/firebird/3.0/data'), { recursive: true });
  mkdirSync(join(fsRoot, 'var/lib/firebird/3.0/system'), { recursive: true });
  mkdirSync(join(fsRoot, 'Library/Frameworks/Firebird.framework/Resources'), { recursive: true });
  assert.equal(await firebirdDiscovery.dataFolders('linux', { fsRoot, home: root }), [{ dir: join(fsRoot, 'var/lib/firebird/3.0/data'), port: 3050 }]);
  assert.equal(await firebirdDiscovery.dataFolders('darwin', { fsRoot, home: root }), [{ dir: join(fsRoot, 'Library/Frameworks/Firebird.framework/Resources'), port: 3050 }]);
  assert.equal(await firebirdDiscovery.defaultSockets('linux', fsRoot), []);
  // No sockets: a path named is knocked at as the admin wrote it (and found empty), never swapped for localhost.
  assert.equal(firebirdDiscovery.socketPlace('/srv/medoff/medoff.gdb', 3051), { kind: 'firebird', host: 'localhost', port: 3051, via: 'socket', where: '/srv/medoff/medoff.gdb' });
});

test('init --yes --firebird 127.0.0.1:PORT with PRAXIS_BACKUP_PASSWORD_FIREBIRD: a firebird component for the alias, the password in the keyring only; the alias that does not open is a warning, not proposed; its first backup passes the restore test', async () => {
  const dir = join(root, 'init');
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const configFile = join(dir, 'config.json');
  const env = {
    ...kr.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    LANG: 'de_DE.UTF-8',
    TZ: 'Europe/Berlin',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PRAXIS_BACKUP_TEST_NOW: '2026-12-02T09:00:00.000Z',
    PRAXIS_BACKUP_NOTIFY: 'none',
    PRAXIS_BACKUP_MOUNT_BASE: join(dir, 'mounts'),
    PRAXIS_BACKUP_PASSWORD_FIREBIRD: fb.password,
  };
  const r = await execa(process.execPath, [CLI, 'init', '--yes', '--json', '--config', configFile, '--firebird', `127.0.0.1:${fb.port}`, '--backup-dir', join(dir, 'backups'), '--no-mirror', '--no-schedule', '--no-tray'], {
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
  });
  assert.is(r.exitCode, 0, `${r.stderr}\n${r.stdout}`);
  const config = await loadConfig(configFile);
  const fbComponents = config.components.filter((c) => c.type === 'firebird');
  assert.equal(fbComponents.find((c) => c.name === 'medoff'), { name: 'medoff', type: 'firebird', database: 'medoff', host: '127.0.0.1', port: fb.port, user: 'SYSDBA', password: 'keyring' });
  assert.is(await kr.lookup(`firebird://SYSDBA@127.0.0.1:${fb.port}/medoff`), fb.password);
  assert.not.ok(readFileSync(configFile, 'utf8').includes(fb.password), 'never in the config');
  assert.not.ok(r.stdout.includes(fb.password) || r.stderr.includes(fb.password), 'never in the output');
  const ev = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  // The alias whose file has gone is not proposed, and said so.
  assert.not.ok(config.components.some((c) => c.type === 'firebird' && c.database === 'alt'));
  const unopenable = ev.filter((e) => e.type === 'init-problem' && e.message.key === 'discover.databaseUnopenable');
  assert.equal(unopenable.map((e) => [e.level, e.message.params.database]), [['warning', 'alt']], JSON.stringify(ev.filter((e) => e.type === 'init-problem')));
  assert.match(unopenable[0].message.text, /alt\.gdb/);
  const summary = ev.find((e) => e.type === 'apply-summary');
  assert.is(summary?.restoreTest, 'passed', r.stdout);
});

test.run();
