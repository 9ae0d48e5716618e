// The database's own settings and privileges through backup and restore, against a real server:
// ALTER DATABASE … SET, ALTER ROLE … IN DATABASE … SET, REVOKE CONNECT FROM PUBLIC and the
// CONNECT/TEMP grants, the owner, the comment and the connection limit. The restore builds a new
// database and swaps it in; everything the admin set on the old one must be on the new one, as the
// backup recorded it — a database closed to the public must not come back open to every role.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PostgresComponent } from '../../../src/config/schema';
import { EnvSecretStore } from '../../../src/credentials/credentials';
import { PraxisError } from '../../../src/core/errors';
import { Reporter, type StampedEvent } from '../../../src/run/events';
import type { ManifestComponent } from '../../../src/backup-directory/manifest';
import { dumpPostgres, probePostgres } from '../../../src/databases/postgres/dump';
import { addressedTo, parseDbLevelScript, rolesNamed } from '../../../src/databases/postgres/db-settings';
import { planPgRestoreDbLevel, planPgScript, restorePostgres } from '../../../src/databases/postgres/restore';
import type { DbRestoreRequest } from '../../../src/databases/restore-types';
import type { StepContext } from '../../../src/run/step-context';
import { ToolLocator } from '../../../src/process/tool-locator';
import { restoreTestPostgres } from '../../../src/databases/postgres/restore-test';
import { startPostgres, type PgServer } from '../../helpers/postgres';
import { makeTempDir, runCleanups } from '../../helpers/temp';

const test = suite('PostgreSQL: database-level settings and privileges survive the restore');

const PW = 'Einst-Geheim "1" ü';
const tools = new ToolLocator('linux', process.env);
const events: StampedEvent[] = [];
let pg: PgServer;
let root: string;
let dumpFile: string;
let entry: ManifestComponent;
let backupState: string;
let stampN = 0;

const component = (database = 'tomedo'): PostgresComponent =>
  ({ name: 'datenbank', type: 'postgres', database, host: pg.host, port: pg.port, user: pg.user }) as PostgresComponent;

function ctx(): StepContext {
  return { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), reporter: new Reporter([(e) => events.push(e)]), signal: new AbortController().signal };
}

function request(over: Partial<DbRestoreRequest> = {}): DbRestoreRequest {
  stampN++;
  return { component: component(), dumpFile, entry, password: PW, stamp: `20261124_11${String(stampN).padStart(4, '0')}`, dropPrevious: false, ...over };
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Everything database-level an admin can set, read with the test's own query (not the engine's):
 * owner, comment, connection limit, who may connect / create temp tables, the settings.
 */
async function dbState(db: string): Promise<string> {
  const d = q(db);
  return pg.psql(`SELECT jsonb_build_object(
    'owner', pg_get_userbyid(d.datdba),
    'comment', shobj_description(d.oid, 'pg_database'),
    'connlimit', d.datconnlimit,
    'acl', (SELECT jsonb_agg(a::text ORDER BY a::text) FROM unnest(coalesce(d.datacl, acldefault('d', d.datdba))) a),
    'connect', (SELECT jsonb_object_agg(r, has_database_privilege(r, d.oid, 'CONNECT')) FROM unnest(ARRAY['tomedo_app', 'Leser Rolle', 'fremd']) r),
    'temp', (SELECT jsonb_object_agg(r, has_database_privilege(r, d.oid, 'TEMP')) FROM unnest(ARRAY['tomedo_app', 'Leser Rolle', 'fremd']) r),
    'settings', (SELECT jsonb_object_agg(coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '*'), s.setconfig) FROM pg_db_role_setting s WHERE s.setdatabase = d.oid))
    FROM pg_database d WHERE d.datname = ${d}`);
}

async function databases(): Promise<string[]> {
  return (await pg.psql('SELECT datname FROM pg_database ORDER BY datname')).split('\n').filter(Boolean);
}

/** What a practice admin does to close the database and tune it for the software. */
async function closeAndTune(db: string): Promise<void> {
  const i = `"${db.replace(/"/g, '""')}"`;
  await pg.psql(`ALTER DATABASE ${i} OWNER TO praxis_owner;
    ALTER DATABASE ${i} SET search_path TO tomedo, public;
    ALTER DATABASE ${i} SET work_mem = '64MB';
    ALTER ROLE tomedo_app IN DATABASE ${i} SET statement_timeout = '5min';
    ALTER ROLE "Leser Rolle" IN DATABASE ${i} SET default_transaction_read_only = on;
    REVOKE CONNECT, TEMPORARY ON DATABASE ${i} FROM PUBLIC;
    GRANT CONNECT ON DATABASE ${i} TO tomedo_app;
    GRANT CONNECT, TEMPORARY ON DATABASE ${i} TO "Leser Rolle" WITH GRANT OPTION;
    COMMENT ON DATABASE ${i} IS 'Praxis ''Dr. Müller'' – tomedo';
    ALTER DATABASE ${i} CONNECTION LIMIT 40;`);
}

test.before(async () => {
  root = await makeTempDir('praxis-restore-pg-settings-');
  pg = await startPostgres({ password: PW });
  await pg.psql(`CREATE ROLE praxis_owner; CREATE ROLE tomedo_app LOGIN; CREATE ROLE "Leser Rolle" LOGIN; CREATE ROLE fremd LOGIN;
    CREATE DATABASE tomedo;`);
  await pg.psql('CREATE SCHEMA tomedo; CREATE TABLE tomedo.patient (id int PRIMARY KEY, name text); INSERT INTO tomedo.patient VALUES (1, \'Erika\');', 'tomedo');
  await closeAndTune('tomedo');
  backupState = await dbState('tomedo');
  const dir = join(root, 'backup');
  await mkdir(dir);
  const c = ctx();
  entry = await dumpPostgres(c, component(), await probePostgres(c, component(), PW), PW, dir);
  dumpFile = join(dir, entry.path);
});

test.after(async () => {
  await runCleanups();
});

test('pg_restore\'s script: only the database-level entries, addressed to the new name, literals and quoted names intact; the roles they name', () => {
  // As pg_restore --create writes it: CREATE DATABASE and \connect whatever the list says, then the entries.
  const script = [
    "SET client_encoding = 'UTF8';", 'SET standard_conforming_strings = on;',
    '--', '-- Name: tomedo; Type: DATABASE; Schema: -; Owner: o', '--', '',
    'CREATE DATABASE tomedo WITH TEMPLATE = template0;', 'ALTER DATABASE tomedo OWNER TO o;', '\\connect tomedo', 'SET row_security = off;',
    '--', '-- Name: DATABASE tomedo; Type: COMMENT; Schema: -; Owner: o', '--', '',
    "COMMENT ON DATABASE tomedo IS 'a; b", '\\connect x', '-- Name: y; Type: DATABASE; Schema: -; Owner: o', "''c';",
    '--', '-- Name: tomedo; Type: DATABASE PROPERTIES; Schema: -; Owner: o', '--', '',
    "ALTER DATABASE tomedo SET search_path TO 'tomedo', 'public';", `ALTER ROLE "Leser Rolle" IN DATABASE tomedo SET work_mem TO '8MB';`,
    '\\unrestrict k', '\\connect tomedo', 'SET statement_timeout = 0;',
    '--', '-- Name: DATABASE tomedo; Type: ACL; Schema: -; Owner: o', '--', '',
    'SET SESSION AUTHORIZATION grantor_r;', 'REVOKE ALL ON DATABASE tomedo FROM PUBLIC;',
    'GRANT CONNECT ON DATABASE tomedo TO tomedo_app, "A""b" WITH GRANT OPTION;', 'RESET SESSION AUTHORIZATION;',
  ].join('\n');
  const sql = parseDbLevelScript(script);
  const to = '"tomedo_restore_1 ""x"""';
  assert.is(addressedTo(sql, 'tomedo_restore_1 "x"'), [
    "SET client_encoding = 'UTF8';",
    `COMMENT ON DATABASE ${to} IS 'a; b\n\\connect x\n-- Name: y; Type: DATABASE; Schema: -; Owner: o\n''c';`,
    `ALTER DATABASE ${to} SET search_path TO 'tomedo', 'public';`,
    `ALTER ROLE "Leser Rolle" IN DATABASE ${to} SET work_mem TO '8MB';`,
    'SET SESSION AUTHORIZATION grantor_r;',
    `REVOKE ALL ON DATABASE ${to} FROM PUBLIC;`,
    `GRANT CONNECT ON DATABASE ${to} TO tomedo_app, "A""b" WITH GRANT OPTION;`,
    'RESET SESSION AUTHORIZATION;',
  ].join('\n'));
  assert.equal(rolesNamed(sql), ['A"b', 'Leser Rolle', 'grantor_r', 'tomedo_app']);
  // The statements reach psql on stdin, not in its argv.
  const plan = planPgScript('/usr/bin/psql', component(), 'postgres', "COMMENT ON DATABASE x IS 'geheim';", PW);
  assert.not.ok(plan.args.join(' ').includes('geheim') || plan.args.join(' ').includes(PW));
  assert.ok(plan.args.includes('-1'));
  assert.equal(planPgRestoreDbLevel('/usr/bin/pg_restore', '/b/d.pgdump', '/tmp/l/database.list').args,
    ['--create', '-L', '/tmp/l/database.list', '-f', '-', '/b/d.pgdump']);
});

test('the state under test: closed to the public, tuned, owned by the practice role', () => {
  const s = JSON.parse(backupState);
  assert.is(s.owner, 'praxis_owner');
  assert.equal(s.connect, { tomedo_app: true, 'Leser Rolle': true, fremd: false });
  assert.equal(s.temp, { tomedo_app: false, 'Leser Rolle': true, fremd: false });
  assert.is(s.connlimit, 40);
  assert.ok(s.settings['*'].includes('search_path=tomedo, public'));
});

test('the backup records the database-level settings in the manifest (read in the dump\'s snapshot)', () => {
  assert.equal(entry.databaseSettings, {
    owner: 'praxis_owner',
    comment: "Praxis 'Dr. Müller' – tomedo",
    connectionLimit: 40,
    acl: JSON.parse(backupState).acl,
    settings: ['search_path=tomedo, public', 'work_mem=64MB'],
    roleSettings: { 'Leser Rolle': ['default_transaction_read_only=on'], tomedo_app: ['statement_timeout=5min'] },
  });
});

test('restore over the live database whose settings were changed since: the backup\'s settings, privileges, owner and comment are back', async () => {
  // After the backup someone opened the database again and reset its settings.
  await pg.psql(`ALTER DATABASE tomedo OWNER TO ${pg.user}; GRANT ALL ON DATABASE tomedo TO PUBLIC; ALTER DATABASE tomedo RESET ALL;
    ALTER ROLE tomedo_app IN DATABASE tomedo RESET ALL; COMMENT ON DATABASE tomedo IS NULL; ALTER DATABASE tomedo CONNECTION LIMIT -1;`);
  const changed = await dbState('tomedo');
  assert.is.not(changed, backupState);
  const since = events.length;
  const r = await restorePostgres(ctx(), request());
  assert.equal(JSON.parse(await dbState('tomedo')), JSON.parse(backupState));
  // The previous database keeps its own (changed) state: nothing of it was touched.
  assert.equal(JSON.parse(await dbState(r.keptAs!)), JSON.parse(changed));
  assert.equal(r.warnings, [], 'the check after the swap finds the backup\'s settings');
  const logged = events.slice(since).filter((e) => e.type === 'log').map((e) => (e as { message: { key: string } }).message.key);
  assert.ok(logged.includes('restore.pg.settingsApplied'), logged.join(', '));
  assert.ok(logged.includes('restore.pg.settingsChecked'), logged.join(', '));
});

test('a fresh server (no such database) under another name: created with the backup\'s settings, owner and privileges', async () => {
  const name = 'praxis "neu" 2';
  const r = await restorePostgres(ctx(), request({ component: component(name) }));
  assert.is(r.keptAs, null);
  assert.equal(JSON.parse(await dbState(name)), JSON.parse(backupState));
  assert.equal(r.warnings, []);
});

test('a backup whose manifest does not record them (made before): carried over from the dump all the same, said to be unchecked', async () => {
  const { databaseSettings: _, ...older } = entry;
  const since = events.length;
  const r = await restorePostgres(ctx(), request({ entry: older, dropPrevious: true }));
  assert.equal(JSON.parse(await dbState('tomedo')), JSON.parse(backupState));
  assert.equal(r.warnings, []);
  const logged = events.slice(since).filter((e) => e.type === 'log').map((e) => (e as { message: { key: string } }).message.key);
  assert.ok(logged.includes('restore.pg.settingsNotRecorded'), logged.join(', '));
});

test('the check after the swap: settings that differ from the backup\'s record are a warning naming them', async () => {
  const recorded = entry.databaseSettings!;
  const tampered: ManifestComponent = {
    ...entry,
    databaseSettings: { ...recorded, settings: [...recorded.settings, 'maintenance_work_mem=1GB'], comment: 'anders' },
  };
  const r = await restorePostgres(ctx(), request({ entry: tampered, dropPrevious: true }));
  assert.equal(r.warnings.map((w) => w.key), ['restore.pg.settingsDiffer']);
  const diff = String(r.warnings[0]!.params!.differences);
  assert.match(diff, /setconfig/);
  assert.match(diff, /maintenance_work_mem=1GB/);
  assert.match(diff, /comment/);
  assert.is(r.warnings[0]!.params!.database, 'tomedo');
  // The data and the backup's real settings are in place all the same.
  assert.equal(JSON.parse(await dbState('tomedo')), JSON.parse(backupState));
});

test('a role the database-level grants or settings name is missing: refused up front, nothing created', async () => {
  await pg.psql('CREATE ROLE nur_grant LOGIN; CREATE ROLE nur_einstellung LOGIN; CREATE DATABASE zweit;');
  await pg.psql(`GRANT CONNECT ON DATABASE zweit TO nur_grant; ALTER ROLE nur_einstellung IN DATABASE zweit SET work_mem = '8MB';`);
  const c = component('zweit');
  const dir = join(root, 'zweit');
  await mkdir(dir);
  const e2 = await dumpPostgres(ctx(), c, await probePostgres(ctx(), c, PW), PW, dir);
  await pg.psql('DROP DATABASE zweit; DROP ROLE nur_grant; DROP ROLE nur_einstellung;');
  const dbs = await databases();
  const e = (await restorePostgres(ctx(), request({ component: c, entry: e2, dumpFile: join(dir, e2.path) })).catch((x: unknown) => x)) as PraxisError;
  assert.instance(e, PraxisError);
  assert.is(e.message_.key, 'restore.pg.rolesMissing');
  assert.is(e.message_.params!.roles, 'nur_einstellung, nur_grant');
  assert.equal(await databases(), dbs);
});

test('verify --restore-test: the scratch database gets the backup\'s settings and they match the manifest; a mismatch is a problem', async () => {
  const ok = await restoreTestPostgres(ctx(), component(), { entry, dumpFile, password: PW, backupId: '20261124_120000' });
  assert.equal(ok.problems, []);
  const tampered: ManifestComponent = { ...entry, databaseSettings: { ...entry.databaseSettings!, owner: pg.user } };
  const bad = await restoreTestPostgres(ctx(), component(), { entry: tampered, dumpFile, password: PW, backupId: '20261124_120001' });
  assert.equal(bad.problems.map((p) => p.key), ['verify.pg.settingsDiffer']);
  assert.match(String(bad.problems[0]!.params!.differences), /owner/);
  assert.not.ok((await databases()).some((d) => d.startsWith('praxis_verify_')));
});

test.run();
