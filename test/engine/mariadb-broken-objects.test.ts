// MariaDB objects that refer to something that no longer exists (a view calling a dropped
// function: real practice databases have them after updates), with a real server:
// - a restore over a live database holding such a view brings the data back, creates the backup's
//   own objects, says which of the previous state's objects could not be kept (and why), calls the
//   kept copy complete only when it is, and leaves no half-made schema behind;
// - the nightly backup saves every table all the same, warns naming the broken view, and records it,
//   so the restore and its test know it is missing.
import { execa } from 'execa';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MariadbComponent } from '../../src/config/schema';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { Reporter, type StampedEvent } from '../../src/run/events';
import type { ManifestComponent } from '../../src/backup-directory/manifest';
import { dumpMariadb, probeMariadb } from '../../src/databases/mariadb/dump';
import { restoreMariadb, restoreSqlFile } from '../../src/databases/mariadb/restore';
import type { StepContext } from '../../src/run/step-context';
import { ToolLocator } from '../../src/process/tool-locator';
import { restoreTestMariadb } from '../../src/databases/mariadb/restore-test';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { createSampleMariadb } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('MariaDB: broken views, triggers and routines');
const tools = new ToolLocator('linux', process.env);
let m: MariaServer;

function ctx(events: StampedEvent[] = []): StepContext {
  const reporter = new Reporter([(e) => events.push(e)]);
  return { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), reporter, signal: new AbortController().signal };
}
const comp = (database: string): MariadbComponent => ({ name: database, type: 'mariadb', database, host: m.host, port: m.port, user: m.user });
const lines = async (sql: string, db?: string) => (await m.sql(sql, db)).split('\n').filter(Boolean);
const schemas = (like: string) => lines(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${like}' ORDER BY 1`);
const objects = (db: string) => lines(
  `SELECT CONCAT('T:', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '${db}' UNION ALL ` +
  `SELECT CONCAT('V:', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '${db}' UNION ALL ` +
  `SELECT CONCAT('R:', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '${db}' UNION ALL ` +
  `SELECT CONCAT('E:', EVENT_NAME, ':', STATUS) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '${db}' ORDER BY 1`);
const counts = async (db: string) => lines(`SELECT 'KONTAKT', COUNT(*) FROM KONTAKT UNION ALL SELECT 'BEHANDLUNGEN', COUNT(*) FROM BEHANDLUNGEN`, db);
const keys = (events: StampedEvent[]) => events.flatMap((e) => (e.type === 'log' || e.type === 'warning' ? [e.message.key] : []));

async function dump(db: string, events: StampedEvent[] = []): Promise<{ file: string; entry: ManifestComponent }> {
  const dir = await makeTempDir('praxis-maria-broken-');
  const entry = await dumpMariadb(ctx(events), comp(db), await probeMariadb(ctx(), comp(db), m.password), m.password, dir);
  return { file: join(dir, entry.path), entry };
}

/** An Elexis-like database with a function, a view using it, a view on that view, a trigger and an event. */
async function practice(db: string): Promise<void> {
  await createSampleMariadb(m, db, { patients: 30, visitsPerPatient: 2 });
  await m.sql(`
    CREATE FUNCTION Anrede(g CHAR(1)) RETURNS VARCHAR(10) DETERMINISTIC RETURN IF(g = 'w', 'Frau', 'Herr');
    CREATE VIEW V_ANREDE AS SELECT ID, Anrede(Geschlecht) AS Anrede FROM KONTAKT;
    CREATE VIEW V_ANREDE_W AS SELECT ID FROM V_ANREDE WHERE LENGTH(Anrede) = 4;
    CREATE VIEW V_PATIENTEN AS SELECT ID FROM KONTAKT WHERE istPatient = '1';
    CREATE EVENT Aufraeumen ON SCHEDULE EVERY 1 DAY DO DELETE FROM TRACES WHERE logtime < 0;`, db);
}

test.before(async () => {
  m = await startMariadb();
});
test.after(() => runCleanups());

test('restore over a live database whose view calls a dropped function: data back, the backup\'s objects created, the kept copy said to lack the view, no leftover', async () => {
  await practice('praxis1');
  const backup = await dump('praxis1');
  const atBackup = await counts('praxis1');
  const all = await objects('praxis1');
  // After an "update" of the practice software: a row less and the function gone, its views broken.
  await m.sql(`DELETE FROM KONTAKT WHERE ID = 'P0000000001'; DROP FUNCTION Anrede;`, 'praxis1');
  const events: StampedEvent[] = [];
  const r = await restoreMariadb(ctx(events), { component: comp('praxis1'), dumpFile: backup.file, entry: backup.entry, password: m.password, stamp: '20260201_010101', dropPrevious: false });

  assert.equal(await counts('praxis1'), atBackup, 'the data is back');
  assert.equal(await objects('praxis1'), all, 'every object of the backup, function and both views included, in the live database');
  assert.is(await m.sql(`SELECT COUNT(*) FROM V_ANREDE_W`, 'praxis1'), await m.sql(`SELECT COUNT(*) FROM KONTAKT`, 'praxis1'), 'the views work');
  assert.is(r.keptAs, 'praxis1_vor_restore_20260201_010101');
  // The kept copy: every table, the trigger and the (disabled) event; the broken views could not be made there.
  const kept = await objects('praxis1_vor_restore_20260201_010101');
  assert.equal(kept, ['E:Aufraeumen:DISABLED', 'R:PatientenZaehlen', 'T:BEHANDLUNGEN_TRACE', 'V:V_PATIENTEN']);
  assert.equal(r.warnings.map((w) => w.key), ['restore.maria.keptIncomplete']);
  const said = String(r.warnings[0]!.params!.objects);
  assert.match(said, /VIEW V_ANREDE \(.*Anrede.*does not exist/);
  assert.match(said, /VIEW V_ANREDE_W \(/);
  assert.not.match(said, /TRIGGER|EVENT|PROCEDURE/);
  assert.is(r.warnings[0]!.params!.keptAs, 'praxis1_vor_restore_20260201_010101');
  assert.equal(await schemas('praxis1\\_restore\\_%'), [], 'no half-made schema left');
  assert.ok(keys(events).includes('restore.maria.swapped'));
  const defs = events.filter((e) => e.type === 'log' && e.message.key === 'restore.maria.definition');
  assert.equal(defs.map((e) => e.type === 'log' && e.message.params?.name).sort(), ['V_ANREDE', 'V_ANREDE_W'], 'the lost definitions are in the log');
});

test('restore --sql --drop-previous over a live database with a broken view: success with the kept copy gone, nothing called unchanged', async () => {
  await practice('praxis2');
  const file = join(await makeTempDir('praxis-maria-sql-'), 'export.sql');
  const d = await execa('mariadb-dump', [...m.clientArgs(), '--single-transaction', '--routines', '--triggers', '--events', 'praxis2'], { env: { ...process.env, ...m.env() } });
  await (await import('node:fs/promises')).writeFile(file, d.stdout);
  const atDump = await counts('praxis2');
  await m.sql(`DELETE FROM KONTAKT WHERE ID = 'P0000000002'; DROP FUNCTION Anrede;`, 'praxis2');
  const r = await restoreSqlFile(ctx(), { component: comp('praxis2'), file, password: m.password, stamp: '20260201_020202', dropPrevious: true });
  assert.equal(await counts('praxis2'), atDump);
  assert.is(r.keptAs, null);
  assert.equal(r.warnings, [], 'the previous state was dropped as asked: its lost views are nobody\'s loss');
  assert.equal(await schemas('praxis2\\_%restore\\_%'), []);
});

test('backup of a database with a broken view: every table saved, a warning naming the view, recorded; the restore and its test know it is missing', async () => {
  await practice('praxis3');
  await m.sql(`DROP FUNCTION Anrede;`, 'praxis3');
  const atBackup = await counts('praxis3');
  const events: StampedEvent[] = [];
  const backup = await dump('praxis3', events);
  const warned = events.filter((e) => e.type === 'warning');
  assert.equal(warned.map((e) => e.type === 'warning' && e.message.key), ['warn.mariaObjectsBroken']);
  assert.match(String(warned[0]!.type === 'warning' && warned[0]!.message.params?.objects), /V_ANREDE, V_ANREDE_W|V_ANREDE_W, V_ANREDE/);
  assert.equal(backup.entry.missingObjects?.map((o) => `${o.kind} ${o.name}`), ['VIEW V_ANREDE', 'VIEW V_ANREDE_W']);
  assert.ok(backup.entry.warnings.some((w) => /V_ANREDE/.test(w)), 'in the manifest\'s warnings too');
  assert.is(`KONTAKT\t${backup.entry.rows?.KONTAKT}`, atBackup[0], 'the rows of every table recorded');

  // The standard tools alone load it (the promise of the backup folder).
  await m.sql('CREATE DATABASE handarbeit');
  const text = (await execa('sh', ['-c', `gunzip -c '${backup.file}' | sed 's/\`praxis3\`/\`handarbeit\`/g'`])).stdout;
  await execa('mariadb', [...m.clientArgs()], { input: text, env: { ...process.env, ...m.env() } });
  assert.equal(await counts('handarbeit'), atBackup);

  // The restore test passes and names what the backup lacks.
  const t = await restoreTestMariadb(ctx(), comp('praxis3'), { entry: backup.entry, dumpFile: backup.file, password: m.password, backupId: '20260201_030303' });
  assert.equal(t.problems, []);
  assert.equal(t.warnings.map((w) => w.key), ['verify.maria.notInBackup']);
  assert.match(String(t.warnings[0]!.params!.objects), /VIEW V_ANREDE /);

  // The restore brings the data back and says the views are missing because the backup lacks them.
  await m.sql(`DELETE FROM KONTAKT WHERE ID = 'P0000000003'`, 'praxis3');
  const r = await restoreMariadb(ctx(), { component: comp('praxis3'), dumpFile: backup.file, entry: backup.entry, password: m.password, stamp: '20260201_040404', dropPrevious: true });
  assert.equal(await counts('praxis3'), atBackup);
  assert.equal(r.warnings.map((w) => w.key), ['restore.maria.notInBackup']);
  assert.equal(await objects('praxis3'), ['E:Aufraeumen:ENABLED', 'R:PatientenZaehlen', 'T:BEHANDLUNGEN_TRACE', 'V:V_PATIENTEN']);
});

test.run();
