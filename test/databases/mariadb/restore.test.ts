// Restoring MariaDB with a real server: dumps made by the engine's own dumpMariadb (and by
// mariadb-dump run directly for `restore --sql`), changed afterwards, restored, and compared row
// by row (CHECKSUM TABLE … EXTENDED) with what was dumped. Kills, cancels, a wrong password, a
// connected client and foreign-database files must leave the live database exactly as it was.
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MariadbComponent } from '../../../src/config/schema';
import { EnvSecretStore } from '../../../src/credentials/credentials';
import { PraxisError } from '../../../src/core/errors';
import { Reporter, type StampedEvent } from '../../../src/run/events';
import type { ManifestComponent } from '../../../src/backup-directory/manifest';
import { dumpMariadb, probeMariadb } from '../../../src/databases/mariadb/dump';
import { CommandError } from '../../../src/process/runner';
import {
  INNODB_PER_SQL_BYTE, planMariaLoad, sqlTextBytes, planMariaSql, preflightMariadb, restoreMariadb, restoreSqlFile,
} from '../../../src/databases/mariadb/restore';
import type { DbRestoreRequest } from '../../../src/databases/restore-types';
import type { StepContext } from '../../../src/run/step-context';
import { ToolLocator } from '../../../src/process/tool-locator';
import { startMariadb, type MariaServer } from '../../helpers/mariadb';
import { createSampleMariadb } from '../../helpers/sample-practice';
import { makeTempDir, runCleanups, waitUntil } from '../../helpers/temp';

const test = suite('restore MariaDB');
const PW = "Ma'Geheim \"2\" ; # ä";
const tools = new ToolLocator('linux', process.env);

let m: MariaServer;
let root: string;
const allEvents: StampedEvent[] = [];

function ctx(signal = new AbortController().signal, events: StampedEvent[] = []): StepContext {
  const reporter = new Reporter([(e) => { events.push(e); allEvents.push(e); }]);
  return { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), reporter, signal };
}

const comp = (database: string): MariadbComponent => ({ name: database, type: 'mariadb', database, host: m.host, port: m.port, user: m.user });

async function dump(database: string): Promise<{ file: string; entry: ManifestComponent }> {
  const c = comp(database);
  const dir = await makeTempDir('praxis-maria-dump-');
  const entry = await dumpMariadb(ctx(), c, await probeMariadb(ctx(), c, PW), PW, dir);
  return { file: join(dir, entry.path), entry };
}

function request(database: string, d: { file: string; entry: ManifestComponent }, stamp: string, extra: Partial<DbRestoreRequest> = {}): DbRestoreRequest {
  return { component: comp(database), dumpFile: d.file, entry: d.entry, password: PW, stamp, dropPrevious: false, ...extra };
}

/** Row-level fingerprint per base table: CHECKSUM TABLE … EXTENDED reads every row. */
async function checksums(db: string): Promise<Record<string, string>> {
  const tables = (await m.sql(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`)).split('\n').filter(Boolean);
  if (!tables.length) return {};
  const out = await m.sql(`CHECKSUM TABLE ${tables.map((t) => `\`${db}\`.\`${t}\``).join(', ')} EXTENDED`);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => { const [n, c] = l.split('\t'); return [n!.split('.')[1]!, c!]; }));
}

const schemas = async (like: string) => (await m.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${like}' ORDER BY 1`)).split('\n').filter(Boolean);
const objects = async (db: string) => (await m.sql(
  `SELECT CONCAT('T:', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '${db}' UNION ALL ` +
  `SELECT CONCAT('V:', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '${db}' UNION ALL ` +
  `SELECT CONCAT('R:', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '${db}' UNION ALL ` +
  `SELECT CONCAT('E:', EVENT_NAME, ':', STATUS) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '${db}' ORDER BY 1`)).split('\n').filter(Boolean);

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** Rows changed, deleted, inserted (the trigger writes TRACES too) and a table added after the backup. Idempotent: a refused restore leaves them. */
async function changeAfterBackup(db: string): Promise<void> {
  await m.sql(`
    UPDATE KONTAKT SET Bemerkung = 'nach dem Backup geändert' WHERE ID = 'P0000000001';
    DELETE FROM FAELLE WHERE ID = 'F0000000002';
    INSERT IGNORE INTO BEHANDLUNGEN (ID, lastupdate, FallID, Datum) VALUES ('B-NEU', 1, 'F0000000001', '20260101');
    CREATE TABLE IF NOT EXISTS NEU_NACH_BACKUP (id INT PRIMARY KEY);`, db);
}

let elexis: { file: string; entry: ManifestComponent };
let elexisBackup: Record<string, string>;
const OBJECTS = ['E:Aufraeumen:ENABLED', 'R:PatientenZaehlen', 'T:BEHANDLUNGEN_TRACE', 'V:V_PATIENTEN'];

test.before(async () => {
  root = await makeTempDir('praxis-restore-maria-');
  m = await startMariadb({ password: PW });
  await createSampleMariadb(m, 'elexis', { patients: 60, visitsPerPatient: 3 });
  // A view and an event as well: RENAME TABLE moves neither (nor triggers across schemas).
  await m.sql(`CREATE VIEW V_PATIENTEN AS SELECT ID, Bezeichnung1, Bezeichnung2 FROM KONTAKT WHERE istPatient = '1';
    CREATE EVENT Aufraeumen ON SCHEDULE EVERY 1 DAY DO DELETE FROM TRACES WHERE logtime < 0;`, 'elexis');
  elexis = await dump('elexis');
  elexisBackup = await checksums('elexis');
});

test.after(async () => {
  await runCleanups();
});

test('the engine dump carries CREATE DATABASE/USE of its database (planMariaDump uses --databases): the restore rewrites them', async () => {
  const text = (await execa('gunzip', ['-c', elexis.file])).stdout;
  assert.match(text, /^USE `elexis`;$/m);
  assert.match(text, /^CREATE DATABASE .*`elexis`/m);
});

test('preflight: server version, no clients, an estimate from the dump size', async () => {
  const p = await preflightMariadb(ctx(), request('elexis', elexis, 'x'));
  assert.is(p.serverVersion, m.versionFull);
  assert.equal(p.clients, []);
  assert.equal(p.warnings, []);
  const text = Number((await execa('sh', ['-c', `gunzip -c '${elexis.file}' | wc -c`])).stdout);
  assert.is(await sqlTextBytes(elexis.file), text, 'the SQL text size from the gzip trailer');
  assert.is(p.estimatedBytes, Math.round(text * INNODB_PER_SQL_BYTE));
});

test('restore: changed, deleted, inserted rows and an extra table → live equals the backup; previous kept with the changes', async () => {
  await changeAfterBackup('elexis');
  const changed = await checksums('elexis');
  assert.ok(changed.NEU_NACH_BACKUP !== undefined);
  const events: StampedEvent[] = [];
  const r = await restoreMariadb(ctx(undefined, events), request('elexis', elexis, '20260101_010101'));
  assert.is(r.database, 'elexis');
  assert.is(r.keptAs, 'elexis_vor_restore_20260101_010101');
  assert.is(r.tables, 4);
  assert.equal(await checksums('elexis'), elexisBackup, 'every row as in the backup, no extra table');
  assert.equal(await checksums('elexis_vor_restore_20260101_010101'), changed, 'the previous state, changes included');
  // Triggers, views, routines and events are where they belong, the kept copy's event disabled.
  assert.equal(await objects('elexis'), OBJECTS);
  assert.equal(await objects('elexis_vor_restore_20260101_010101'), OBJECTS.map((o) => o.replace('ENABLED', 'DISABLED')));
  assert.is(await m.sql('CALL PatientenZaehlen()', 'elexis'), '60');
  assert.is(await m.sql('SELECT COUNT(*) FROM V_PATIENTEN', 'elexis'), '60');
  await m.sql(`INSERT INTO BEHANDLUNGEN (ID, lastupdate, FallID) VALUES ('B-TRIGGER', 7, 'F0000000001')`, 'elexis');
  assert.is(await m.sql(`SELECT COUNT(*) FROM TRACES WHERE logtime = 7`, 'elexis'), '1', 'the trigger fires on the live tables');
  await m.sql(`DELETE FROM TRACES WHERE logtime = 7; DELETE FROM BEHANDLUNGEN WHERE ID = 'B-TRIGGER'`, 'elexis');
  assert.equal(await schemas('elexis\\_restore\\_%'), [], 'the new schema is gone after the swap');
  const keys = events.filter((e) => e.type === 'log').map((e) => (e as { message: { key: string } }).message.key);
  assert.equal(keys, ['restore.maria.loading', 'restore.maria.loaded', 'restore.maria.swapping', 'restore.maria.swapped']);
  assert.ok(events.some((e) => e.type === 'progress' && e.percent === 100 && e.phase === 'restore'));
});

test('dropPrevious: the previous database is dropped after the swap', async () => {
  await changeAfterBackup('elexis');
  const r = await restoreMariadb(ctx(), request('elexis', elexis, '20260101_020202', { dropPrevious: true }));
  assert.is(r.keptAs, null);
  assert.equal(await checksums('elexis'), elexisBackup);
  assert.equal(await schemas('elexis\\_vor\\_restore\\_20260101\\_020202'), []);
});

test('a live database that does not exist yet is created from the backup, with the dump charset', async () => {
  const r = await restoreMariadb(ctx(), { ...request('elexis', elexis, '20260101_030303'), component: comp('elexis_neu'), entry: { ...elexis.entry } });
  assert.is(r.keptAs, null);
  assert.equal(await checksums('elexis_neu'), elexisBackup);
  assert.equal(await objects('elexis_neu'), OBJECTS);
  assert.is(await m.sql(`SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'elexis_neu'`), 'utf8mb4_unicode_ci');
});

test('wrong password: exit 1 naming user, host and database, nothing changed (no new schema)', async () => {
  const before = await schemas('%');
  for (const fn of [preflightMariadb, restoreMariadb]) {
    const e = await rejects(fn(ctx(), { ...request('elexis', elexis, '20260101_040404'), password: 'falsch' }));
    assert.instance(e, PraxisError);
    const pe = e as PraxisError;
    assert.is(pe.message_.key, 'restore.db.wrongPassword');
    assert.is(pe.exitCode, 1);
    assert.is(pe.message_.params!.user, 'root');
    assert.is(pe.message_.params!.database, 'elexis');
    assert.match(String(pe.message_.params!.message), /Access denied/);
  }
  assert.equal(await schemas('%'), before);
});

test('a connected client: preflight lists it with its address, the swap is refused and live stays', async () => {
  const sleeper = execa('mariadb', [...m.clientArgs(), '-D', 'elexis', '-e', 'SELECT SLEEP(60)'], { env: { MYSQL_PWD: PW }, reject: false });
  try {
    let clients: Awaited<ReturnType<typeof preflightMariadb>>['clients'] = [];
    // Until the sleeper has connected (60 s only guards against a hang: a loaded machine starts it slowly).
    await waitUntil(async () => (clients = (await preflightMariadb(ctx(), request('elexis', elexis, 'x'))).clients).length > 0, 60_000, 100);
    assert.is(clients.length, 1);
    assert.is(clients[0]!.address, '127.0.0.1');
    assert.is(clients[0]!.user, 'root');
    await changeAfterBackup('elexis');
    const changed = await checksums('elexis');
    const e = await rejects(restoreMariadb(ctx(), request('elexis', elexis, '20260101_050505')));
    assert.is((e as PraxisError).message_.key, 'restore.db.clientsConnected');
    assert.match(String((e as PraxisError).message_.params!.clients), /root@127\.0\.0\.1/);
    assert.equal(await checksums('elexis'), changed, 'live unchanged');
    assert.equal(await schemas('elexis\\_restore\\_%'), [], 'the loaded schema was dropped');
    // The server goes on sleeping for a client that is gone: end the connection there too.
    await m.sql(`KILL ${clients[0]!.id}`);
  } finally {
    sleeper.kill('SIGKILL');
    await sleeper;
  }
  await restoreMariadb(ctx(), request('elexis', elexis, '20260101_050506', { dropPrevious: true }));
});

test('cancel during the load: the client is killed, live unchanged, the half-loaded schema dropped', async () => {
  await changeAfterBackup('elexis');
  const changed = await checksums('elexis');
  const ac = new AbortController();
  const events: StampedEvent[] = [];
  const reporter = new Reporter([(e) => { events.push(e); if (e.type === 'log' && e.message.key === 'restore.maria.loading') ac.abort(); }]);
  const e = await rejects(restoreMariadb({ ...ctx(), reporter, signal: ac.signal }, request('elexis', elexis, '20260101_060606')));
  assert.instance(e, CommandError);
  assert.is((e as CommandError).reason, 'cancelled');
  assert.equal(await checksums('elexis'), changed);
  assert.equal(await schemas('elexis\\_restore\\_%'), []);
  assert.ok(events.some((x) => x.type === 'log' && x.message.key === 'restore.maria.freshDropped'));
});

test('kill -9 during the load: live unchanged; the next restore removes the leftover and says so', async () => {
  await createSampleMariadb(m, 'gross', { patients: 20_000, visitsPerPatient: 5 });
  const big = await dump('gross');
  // The estimate against the real size (a tiny database is all page overhead, so measured here).
  await m.sql('ANALYZE TABLE KONTAKT, FAELLE, BEHANDLUNGEN, TRACES', 'gross'); // fresh statistics, else data_length lags
  const innodb = Number(await m.sql(`SELECT SUM(data_length + index_length) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'gross'`));
  const estimate = (await preflightMariadb(ctx(), request('gross', big, 'x'))).estimatedBytes!;
  const text = Number((await execa('sh', ['-c', `gunzip -c '${big.file}' | wc -c`])).stdout);
  console.log(`  InnoDB ${innodb} B, SQL ${text} B, .sql.gz ${big.entry.bytes} B: InnoDB/SQL ${(innodb / text).toFixed(2)}, estimate ${estimate}`);
  assert.ok(estimate >= innodb, 'the estimate covers the real size');
  await m.sql(`UPDATE KONTAKT SET Bemerkung = 'nach dem Backup' WHERE ID = 'P0000000007'`, 'gross');
  const live = await checksums('gross');
  const script = join(root, 'restore-child.mts'); // .mts: top-level await outside a "type": "module" package
  await writeFile(script, `
    import { restoreMariadb } from ${JSON.stringify(join(process.cwd(), 'src/databases/mariadb/restore.ts'))};
    import { ToolLocator } from ${JSON.stringify(join(process.cwd(), 'src/process/tool-locator.ts'))};
    import { Reporter } from ${JSON.stringify(join(process.cwd(), 'src/run/events.ts'))};
    const req = JSON.parse(process.env.REQ!);
    await restoreMariadb({ platform: 'linux', tools: new ToolLocator('linux', process.env), secrets: null as never, reporter: new Reporter([]), signal: new AbortController().signal }, req);
  `);
  const child = execa('node', ['--import', 'tsx', script], {
    cwd: process.cwd(), reject: false, env: { REQ: JSON.stringify(request('gross', big, '20260101_070707')) },
  });
  let tables = 0;
  // Until the load has created a table (60 s only guards against a hang).
  await waitUntil(async () => (tables = Number(await m.sql(
    `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'gross_restore_20260101_070707'`))) > 0, 60_000, 20);
  assert.ok(tables > 0, `the load had begun: ${child.exitCode ?? 'running'}`);
  child.kill('SIGKILL');
  const r = await child;
  assert.is(r.signal, 'SIGKILL');
  // The orphaned client reads to the end of its pipe and exits: wait until the server no longer
  // has its connection (the load's client is the only one using that schema), however long it takes.
  const loaderGone = async () => Number(await m.sql(
    `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = 'gross_restore_20260101_070707'`)) === 0;
  assert.ok(await waitUntil(loaderGone, 60_000), 'the orphaned load client has disconnected');
  assert.equal(await checksums('gross'), live, 'live unchanged');
  assert.equal(await schemas('gross\\_restore\\_%'), ['gross_restore_20260101_070707'], 'the leftover is still there');
  assert.equal(await schemas('gross\\_vor\\_restore\\_%'), []);

  const events: StampedEvent[] = [];
  await restoreMariadb(ctx(undefined, events), request('gross', big, '20260101_080808', { dropPrevious: true }));
  const removed = events.find((e) => e.type === 'log' && e.message.key === 'restore.db.leftoverRemoved');
  assert.is(removed?.type === 'log' && removed.message.params?.name, 'gross_restore_20260101_070707');
  assert.equal(await schemas('gross\\_restore\\_%'), []);
  assert.ok((await checksums('gross')).KONTAKT !== live.KONTAKT, 'restored to the backup');
});

test('restore --sql: a plain .sql and a .sql.gz (by magic bytes) from mariadb-dump run directly', async () => {
  await restoreMariadb(ctx(), request('elexis', elexis, '20260102_000000', { dropPrevious: true })); // the cancelled one left changes
  const sql = join(root, 'elexis.sql');
  const r = await execa('mariadb-dump', [...m.clientArgs(), '--single-transaction', '--routines', '--triggers', '--events', 'elexis'], { env: { MYSQL_PWD: PW } });
  await writeFile(sql, r.stdout + '\n');
  const gz = join(root, 'elexis-sicherung.dat'); // the name says nothing: gzip is recognised by its first bytes
  await writeFile(gz, gzipSync(r.stdout + '\n'));
  for (const [file, stamp] of [[sql, '20260102_010101'], [gz, '20260102_020202']] as const) {
    await changeAfterBackup('elexis');
    const res = await restoreSqlFile(ctx(), { component: comp('elexis'), file, password: PW, stamp, dropPrevious: false });
    assert.is(res.keptAs, `elexis_vor_restore_${stamp}`);
    assert.is(res.tables, 4);
    assert.equal(await checksums('elexis'), elexisBackup, file);
    assert.equal(await objects('elexis'), OBJECTS);
  }
});

test('restore --sql: a file for another database (USE other) is refused, nothing changed', async () => {
  await m.sql('CREATE DATABASE andere');
  const before = await checksums('elexis');
  const file = join(root, 'andere.sql');
  await writeFile(file, 'CREATE TABLE a (x INT);\nINSERT INTO a VALUES (1);\nUSE `andere`;\nCREATE TABLE b (x INT);\n');
  const e = await rejects(restoreSqlFile(ctx(), { component: comp('elexis'), file, password: PW, stamp: '20260103_010101', dropPrevious: false }));
  const pe = e as PraxisError;
  assert.is(pe.message_.key, 'restore.maria.otherDatabase');
  assert.is(pe.exitCode, 2);
  assert.is(pe.message_.params!.line, 3);
  assert.is(pe.message_.params!.database, 'andere');
  assert.equal(await checksums('elexis'), before);
  assert.equal(await checksums('andere'), {}, 'nothing written into the other database');
  assert.equal(await schemas('elexis\\_restore\\_%'), []);
  // mysqldump --databases of another database, and --add-drop-database of our own is neutralised.
  await writeFile(file, '/*!40000 DROP DATABASE IF EXISTS `elexis`*/;\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `andere`;\n');
  assert.is(((await rejects(restoreSqlFile(ctx(), { component: comp('elexis'), file, password: PW, stamp: '20260103_020202', dropPrevious: false }))) as PraxisError).message_.params!.line, 2);
  assert.equal(await checksums('elexis'), before, 'DROP DATABASE of the live one was skipped, not run');
});

test('a damaged .sql.gz: read error, live unchanged', async () => {
  const bytes = await readFile(elexis.file);
  const file = join(root, 'kaputt.sql.gz');
  await writeFile(file, Buffer.concat([bytes.subarray(0, Math.floor(bytes.length / 2)), Buffer.alloc(4096, 7)]));
  const before = await checksums('elexis');
  const e = await rejects(restoreMariadb(ctx(), { ...request('elexis', elexis, '20260104_010101'), dumpFile: file }));
  assert.is((e as PraxisError).message_.key, 'restore.maria.readFailed');
  assert.equal(await checksums('elexis'), before);
  assert.equal(await schemas('elexis\\_restore\\_%'), []);
});

test('versions: another major is a warning; collations the server does not know are refused before anything is touched', async () => {
  const p = await preflightMariadb(ctx(), { ...request('elexis', elexis, 'x'), entry: { ...elexis.entry, serverVersion: '10.6.21-MariaDB' } });
  assert.equal(p.warnings.map((w) => w.key), ['restore.db.versionDiffers']);
  // What a MySQL 8 dump looks like to a MariaDB before 11.4.5: utf8mb4_0900_ai_ci is unknown.
  const file = join(root, 'mysql8.sql.gz');
  await writeFile(file, gzipSync("-- MySQL dump 10.13  Distrib 8.0.36\nCREATE TABLE `t` (\n  `a` varchar(10) COLLATE utf8mb4_0900_ai_ci\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n"));
  const known = Number(await m.sql(`SELECT COUNT(*) FROM information_schema.COLLATIONS WHERE COLLATION_NAME = 'utf8mb4_0900_ai_ci'`));
  const req = { ...request('elexis', elexis, 'x'), dumpFile: file, entry: { ...elexis.entry, serverVersion: '8.0.36' } };
  if (known) {
    assert.ok((await preflightMariadb(ctx(), req)).warnings.length === 1);
  } else {
    const e = await rejects(preflightMariadb(ctx(), req));
    assert.is((e as PraxisError).message_.key, 'restore.maria.cannotLoad');
    assert.is((e as PraxisError).message_.params!.names, 'utf8mb4_0900_ai_ci');
  }
});

test('the password is never in argv or in any event', () => {
  for (const plan of [planMariaSql('mariadb', '/tmp/x/client.cnf', comp('elexis'), 'elexis', [PW]), planMariaLoad('mariadb', '/tmp/x/client.cnf', comp('elexis'), 'elexis_restore_1', [PW])]) {
    assert.ok(!plan.args.join(' ').includes(PW));
    assert.is(plan.args[0], '--defaults-extra-file=/tmp/x/client.cnf');
  }
  assert.ok(allEvents.length > 20);
  assert.not.match(JSON.stringify(allEvents), 'Geheim');
});

test.run();
