// Row counts taken with the dump, against real servers: PostgreSQL counts in pg_dump's own
// snapshot (rows written while the dump runs are in neither the dump nor the counts; the counted
// tables are exactly the dump's TABLE DATA), MariaDB counts of the dump's own rows (counted as it streams),
// cancel stops both children, and a restore refuses a dump whose rows differ from the manifest.
import { execa } from 'execa';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MariadbComponent, PostgresComponent } from '../../src/config/schema';
import { onChildGroups, type LiveGroup } from '../../src/process/runner';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { PraxisError } from '../../src/core/errors';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { dumpMariadb, probeMariadb } from '../../src/databases/mariadb/dump';
import { COUNT_ROWS_SQL, dumpPostgres, planPgDump, planPgRowCounter, probePostgres, snapshotSql } from '../../src/databases/postgres/dump';
import { restoreMariadb } from '../../src/databases/mariadb/restore';
import { restorePostgres } from '../../src/databases/postgres/restore';
import type { StepContext } from '../../src/run/step-context';
import { ToolLocator } from '../../src/process/tool-locator';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleMariadb, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, waitUntil } from '../helpers/temp';

const test = suite('row counts taken with the dump');

const PW = 'Zähl-Geheim "#1" $HOME \\ ü';
const tools = new ToolLocator('linux', process.env);
const events: StampedEvent[] = [];
let groups: LiveGroup[] = [];
onChildGroups((g) => (groups = g));

let pg: PgServer;
let maria: MariaServer;
let root: string;
let stamps = 0;

function ctx(signal = new AbortController().signal): StepContext {
  return { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), reporter: new Reporter([(e) => events.push(e)]), signal };
}
const pgComp = (database = 'tomedo'): PostgresComponent =>
  ({ name: 'datenbank', type: 'postgres', database, host: pg.host, port: pg.port, user: pg.user }) as PostgresComponent;
const mariaComp = (database = 'elexis'): MariadbComponent =>
  ({ name: 'elexis', type: 'mariadb', database, host: maria.host, port: maria.port, user: maria.user }) as MariadbComponent;
const stamp = () => `20261124_11${String(++stamps).padStart(4, '0')}`;

async function pgDumpInto(dir: string, database = 'tomedo', signal?: AbortSignal) {
  const c = ctx(signal);
  await mkdir(dir, { recursive: true });
  return dumpPostgres(c, pgComp(database), await probePostgres(c, pgComp(database), PW), PW, dir);
}

const pgCount = async (table: string, db = 'tomedo') => Number(await pg.psql(`SELECT count(*) FROM ONLY ${table}`, db));

/**
 * A psql session that holds tomedo's besuch in ACCESS EXCLUSIVE mode, returned once the server
 * shows the lock granted (not after a guessed time: a loaded machine starts psql slowly).
 */
async function holdBesuchLock() {
  const holder = execa(join(pg.binDir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'tomedo'], { env: pg.env('tomedo'), stdin: 'pipe' });
  holder.stdin!.write('BEGIN; LOCK TABLE besuch IN ACCESS EXCLUSIVE MODE; SELECT 1;\n');
  const held = async () => Number(await pg.psql(
    `SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND relation = 'public.besuch'::regclass
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND mode = 'AccessExclusiveLock' AND granted`, 'tomedo')) === 1;
  // 60 s only guards against a hang; the lock is normally held within a second.
  assert.ok(await waitUntil(held, 60_000), 'the holding psql session locked besuch');
  return { holder }; // wrapped: execa's result is a thenable, returned bare it would be awaited until psql exits
}

/** pg_restore --list's TABLE DATA items as "schema.table" (schemas here have no spaces). */
async function tableData(file: string): Promise<string[]> {
  const { stdout } = await execa(join(pg.binDir, 'pg_restore'), ['--list', file]);
  return stdout
    .split('\n')
    .map((l) => /^\d+; \d+ \d+ TABLE DATA (\S+) (.+) \S+$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}.${m[2]}`)
    .sort();
}

/** Restores a dump with plain pg_restore into a scratch database and returns its row counts. */
async function restoredCounts(file: string, tables: string[]): Promise<Record<string, number>> {
  const db = `scratch_${++stamps}`;
  await pg.createDb(db);
  await execa(join(pg.binDir, 'pg_restore'), ['--no-owner', '-d', db, file], { env: pg.env(db) });
  const out: Record<string, number> = {};
  for (const t of tables) {
    const [schema, name] = [t.slice(0, t.indexOf('.')), t.slice(t.indexOf('.') + 1)];
    out[t] = await pgCount(`"${schema}"."${name.replace(/"/g, '""')}"`, db);
  }
  return out;
}

test.before(async () => {
  root = await makeTempDir('praxis-rows-');
  [pg, maria] = await Promise.all([startPostgres({ password: PW }), startMariadb({ password: PW })]);
  await createSamplePostgres(pg, 'tomedo', { patients: 20_000, visitsPerPatient: 5 });
  // Everything pg_dump treats specially: a partitioned table (rows in its partitions), an
  // inheritance parent (COPY ONLY), an unlogged table (dumped), a materialized view (not TABLE
  // DATA), a schema and table names that need quoting.
  await pg.psql(`
    CREATE TABLE termin (id int, tag date NOT NULL) PARTITION BY RANGE (tag);
    CREATE TABLE termin_2025 PARTITION OF termin FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE TABLE termin_2026 PARTITION OF termin FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    INSERT INTO termin SELECT i, date '2025-01-01' + i % 365 FROM generate_series(1, 400) i;
    CREATE TABLE dokument (id int, titel text);
    CREATE TABLE brief (empfaenger text) INHERITS (dokument);
    INSERT INTO dokument VALUES (1, 'a'), (2, 'b');
    INSERT INTO brief VALUES (3, 'c', 'x'), (4, 'd', 'y'), (5, 'e', 'z');
    CREATE UNLOGGED TABLE sitzung (id int);
    INSERT INTO sitzung SELECT generate_series(1, 7);
    CREATE MATERIALIZED VIEW besuche_je_patient AS SELECT patient_id, count(*) FROM besuch GROUP BY 1;
    CREATE SCHEMA "labor_ä";
    CREATE TABLE "labor_ä"."Befund ""alt""" (id int);
    INSERT INTO "labor_ä"."Befund ""alt""" SELECT generate_series(1, 11);
  `, 'tomedo');
  await createSampleMariadb(maria, 'elexis', { patients: 300, visitsPerPatient: 3 });
  await maria.sql('CREATE TABLE `ALT LOG` (id INT) ENGINE=MyISAM; INSERT INTO `ALT LOG` VALUES (1),(2),(3);', 'elexis');
});

test.after(async () => {
  await runCleanups();
});

test('plans: psql reads its statements from stdin, password only in the environment; pg_dump gets --snapshot', () => {
  const p = planPgRowCounter('/usr/bin/psql', pgComp(), PW);
  assert.equal(p.args, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-align', '--tuples-only', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-w', '-d', 'tomedo']);
  assert.is(p.env!.PGPASSWORD, PW);
  assert.not.ok(p.args.join(' ').includes(PW));
  assert.equal(planPgDump('/usr/bin/pg_dump', pgComp(), PW, '00000003-00000005-1').args.slice(0, 2), ['-Fc', '--snapshot=00000003-00000005-1']);
  assert.equal(planPgDump('/usr/bin/pg_dump', pgComp(), PW).args[1], '-h', 'no snapshot, no flag');
  assert.match(snapshotSql(150000), /BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_export_snapshot\(\);$/);
  assert.match(COUNT_ROWS_SQL, /\\gexec$/);
});

test('PostgreSQL: rows recorded are the real counts, labelled "snapshot", for exactly the dump\'s TABLE DATA', async () => {
  const dir = join(root, 'pg-plain');
  const entry = await pgDumpInto(dir);
  assert.is(entry.rowsExact, 'snapshot');
  const rows = entry.rows!;
  assert.equal(Object.keys(rows).sort(), await tableData(join(dir, entry.path)), 'the counted tables are the dump\'s TABLE DATA');
  assert.is(rows['public.patient'], 20_000);
  assert.is(rows['public.besuch'], 100_000);
  assert.is(rows['public.termin_2025'], 400);
  assert.is(rows['public.termin_2026'], 0);
  assert.not.ok('public.termin' in rows, 'a partitioned parent has no rows of its own');
  assert.is(rows['public.dokument'], 2, 'the inheritance parent without its children (COPY ONLY)');
  assert.is(rows['public.brief'], 3);
  assert.is(rows['public.sitzung'], 7);
  assert.is(rows['labor_ä.Befund "alt"'], 11);
  assert.not.ok('public.besuche_je_patient' in rows, 'a materialized view is not TABLE DATA');
  assert.equal(await restoredCounts(join(dir, entry.path), Object.keys(rows)), rows, 'the dump restores to exactly the counts');
});

test('PostgreSQL: rows written while pg_dump runs are in neither the dump nor the counts', async () => {
  const before = { patient: await pgCount('patient'), besuch: await pgCount('besuch') };
  // Another session holds besuch locked: pg_dump (which imports the snapshot, then locks every
  // table) and the counting session wait for it. Meanwhile that session inserts and commits.
  const { holder } = await holdBesuchLock();
  const dir = join(root, 'pg-concurrent');
  const dumping = pgDumpInto(dir);
  // Both pg_dump and the counting psql (application_name praxis-backup) wait for the lock.
  const waiting = async () => Number(await pg.psql(
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'praxis-backup' AND wait_event_type = 'Lock'", 'tomedo'));
  assert.ok(await waitUntil(async () => (await waiting()) >= 2, 20_000), 'pg_dump and the count wait for the lock');
  holder.stdin!.end(`INSERT INTO patient (nachname, vorname, geburtsdatum, geschlecht, angelegt)
    SELECT 'Während', 'Dump', '1990-01-01', 'w', now() FROM generate_series(1, 5);
    INSERT INTO besuch (patient_id, datum, anlass) SELECT 1, now(), 'Während des Dumps' FROM generate_series(1, 9);
    COMMIT;\n`);
  await holder;
  const entry = await dumping;
  assert.is(await pgCount('patient'), before.patient + 5, 'the rows are in the live database');
  assert.is(entry.rows!['public.patient'], before.patient, 'not in the counts');
  assert.is(entry.rows!['public.besuch'], before.besuch, 'not in the counts');
  const restored = await restoredCounts(join(dir, entry.path), ['public.patient', 'public.besuch']);
  assert.equal(restored, { 'public.patient': before.patient, 'public.besuch': before.besuch }, 'not in the dump');
});

test('PostgreSQL: under a steady stream of inserts the counts equal the dump, table by table', async () => {
  // A writer commits a row into each table every few milliseconds for the whole dump.
  const patientsBefore = await pgCount('patient');
  const writer = execa(join(pg.binDir, 'psql'), ['-X', '-q', '-d', 'tomedo', '-c',
    `DO $$ BEGIN FOR i IN 1..100000 LOOP
       INSERT INTO patient (nachname, vorname, geburtsdatum, geschlecht, angelegt) VALUES ('Strom', 'Schreiber', '1990-01-01', 'm', now());
       INSERT INTO besuch (patient_id, datum, anlass) VALUES (1, now(), 'Strom');
       COMMIT; PERFORM pg_sleep(0.002);
     END LOOP; END $$;`], { env: { ...pg.env('tomedo'), PGAPPNAME: 'praxis-test-writer' }, reject: false });
  // The dump starts once the writer has committed its first row (a loaded machine starts psql slowly).
  assert.ok(await waitUntil(async () => (await pgCount('patient')) > patientsBefore, 60_000), 'the writer started writing');
  const dir = join(root, 'pg-stream');
  const entry = await pgDumpInto(dir);
  const afterDump = await pgCount('patient');
  // The server runs the loop on without its client: end the backend itself.
  await pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'praxis-test-writer'");
  await writer;
  const restored = await restoredCounts(join(dir, entry.path), ['public.patient', 'public.besuch']);
  assert.equal(restored, { 'public.patient': entry.rows!['public.patient'], 'public.besuch': entry.rows!['public.besuch'] });
  assert.ok(afterDump > entry.rows!['public.patient']!, `the writer did write during the dump (${afterDump} > ${entry.rows!['public.patient']})`);
});

test('PostgreSQL: cancel stops pg_dump and the counting psql', async () => {
  const { holder } = await holdBesuchLock();
  const ac = new AbortController();
  const dumping = pgDumpInto(join(root, 'pg-cancel'), 'tomedo', ac.signal).then(
    () => null,
    (e: unknown) => e,
  );
  await waitUntil(async () => groups.some((g) => g.program === 'pg_dump') && groups.some((g) => g.program === 'psql'), 20_000);
  ac.abort();
  const err = (await dumping) as { reason?: string } | null;
  assert.ok(err, 'the dump was cancelled');
  assert.is(err!.reason, 'cancelled');
  assert.not.ok(groups.some((g) => g.program === 'pg_dump' || g.program === 'psql'), `still running: ${JSON.stringify(groups)}`);
  await waitUntil(async () => Number(await pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'praxis-backup'", 'tomedo')) === 0, 10_000);
  holder.stdin!.end('ROLLBACK;\n');
  await holder;
});

test('PostgreSQL restore refuses a dump whose rows differ from the manifest, naming table and counts', async () => {
  const dir = join(root, 'pg-refuse');
  const entry = await pgDumpInto(dir);
  const live = await pgCount('patient');
  const wrong = { ...entry, rows: { ...entry.rows!, 'public.patient': entry.rows!['public.patient']! + 1 } };
  let err: unknown;
  try {
    await restorePostgres(ctx(), { component: pgComp(), dumpFile: join(dir, entry.path), entry: wrong, password: PW, stamp: stamp(), dropPrevious: false });
  } catch (e) {
    err = e;
  }
  assert.instance(err, PraxisError);
  const e = err as PraxisError;
  assert.is(e.message_.key, 'restore.db.rowsDiffer', JSON.stringify(e.message_));
  assert.match(String(e.message_.params!.tables), `public.patient ${entry.rows!['public.patient']} ≠ ${entry.rows!['public.patient']! + 1}`);
  assert.is(await pgCount('patient'), live, 'the live database is unchanged');
  const left = await pg.psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'tomedo\\_restore\\_%'");
  assert.is(Number(left), 0, 'the restored copy was dropped');
});

test('MariaDB: rows recorded are the real counts (InnoDB and MyISAM), labelled "dump" (counted from the dump itself)', async () => {
  const dir = join(root, 'maria');
  await mkdir(dir);
  const c = ctx();
  const entry = await dumpMariadb(c, mariaComp(), await probeMariadb(c, mariaComp(), PW), PW, dir);
  assert.is(entry.rowsExact, 'dump');
  const tables = (await maria.sql("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'elexis' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", 'elexis'))
    .split('\n').filter(Boolean);
  assert.equal(Object.keys(entry.rows!).sort(), [...tables].sort());
  for (const t of tables) assert.is(entry.rows![t], Number(await maria.sql(`SELECT COUNT(*) FROM \`${t}\``, 'elexis')), t);
  assert.is(entry.rows!['ALT LOG'], 3);
  assert.is(entry.rows!.KONTAKT! > 0, true);
});

test('MariaDB restore refuses a dump whose rows differ from the manifest, naming table and counts', async () => {
  const dir = join(root, 'maria-refuse');
  await mkdir(dir);
  const c = ctx();
  const entry = await dumpMariadb(c, mariaComp(), await probeMariadb(c, mariaComp(), PW), PW, dir);
  const want = entry.rows!.KONTAKT!;
  const wrong = { ...entry, rows: { ...entry.rows!, KONTAKT: want - 1 } };
  const liveBefore = await maria.sql('SELECT COUNT(*) FROM KONTAKT', 'elexis');
  let err: unknown;
  try {
    await restoreMariadb(ctx(), { component: mariaComp(), dumpFile: join(dir, entry.path), entry: wrong, password: PW, stamp: stamp(), dropPrevious: false });
  } catch (e) {
    err = e;
  }
  assert.instance(err, PraxisError);
  const e = err as PraxisError;
  assert.is(e.message_.key, 'restore.db.rowsDiffer');
  assert.match(String(e.message_.params!.tables), `KONTAKT ${want} ≠ ${want - 1}`);
  assert.is(await maria.sql('SELECT COUNT(*) FROM KONTAKT', 'elexis'), liveBefore, 'the live database is unchanged');
  const left = await maria.sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'elexis\\_restore\\_%'");
  assert.is(Number(left), 0, 'the loaded copy was dropped');
});

test.run();
