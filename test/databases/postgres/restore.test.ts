// The PostgreSQL restore against a real server: a dump made by the engine's own dumpPostgres,
// rows changed afterwards, then restored — and the live database must be the backup's row for
// row, the previous one kept, and every way of failing (cancel, kill -9, wrong password, a client
// still connected, an archive this pg_restore cannot read) must leave the live database as it was.
import { execa, type ResultPromise } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PostgresComponent } from '../../../src/config/schema';
import { onChildGroups, run } from '../../../src/process/runner';
import { EnvSecretStore } from '../../../src/credentials/credentials';
import { PraxisError } from '../../../src/core/errors';
import { Reporter, type StampedEvent } from '../../../src/run/events';
import type { ManifestComponent } from '../../../src/backup-directory/manifest';
import { dumpPostgres, probePostgres } from '../../../src/databases/postgres/dump';
import {
  checkRestoredTables, parseToc, pgMajor, planPgRestore, planPgRestoreList, planPgSql, preflightPostgres, restoreJobs,
  restoreNames, restorePostgres, swapSql,
} from '../../../src/databases/postgres/restore';
import type { DbRestoreRequest } from '../../../src/databases/restore-types';
import type { StepContext } from '../../../src/run/step-context';
import { ToolLocator } from '../../../src/process/tool-locator';
import { PG_RESTORE } from '../../../src/databases/postgres/tools';
import { startPostgres, type PgServer } from '../../helpers/postgres';
import { createSamplePostgres } from '../../helpers/sample-practice';
import { makeTempDir, runCleanups, waitUntil } from '../../helpers/temp';

const test = suite('restore of a PostgreSQL database');

// Characters that break naive quoting, so a leak or a quoting bug shows.
const PW = 'Rst-Geheim "#1" $HOME \\ ü';
const tools = new ToolLocator('linux', process.env);
const events: StampedEvent[] = [];
/** Every child's real argv, read from /proc while it runs: the password must be in none. */
const argvs: string[] = [];

let pg: PgServer;
let root: string;
let dumpFile: string;
let entry: ManifestComponent;
let backupState: Record<string, string>;
let expectedRows: Record<string, number>;
let stampN = 0;

function component(database = 'tomedo'): PostgresComponent {
  return { name: 'datenbank', type: 'postgres', database, host: pg.host, port: pg.port, user: pg.user } as PostgresComponent;
}

function ctx(signal = new AbortController().signal): StepContext {
  return { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), reporter: new Reporter([(e) => events.push(e)]), signal };
}

function stamp(): string {
  stampN++;
  return `20261124_10${String(stampN).padStart(4, '0')}`;
}

function request(over: Partial<DbRestoreRequest> = {}): DbRestoreRequest {
  return { component: component(), dumpFile, entry, password: PW, stamp: stamp(), dropPrevious: false, ...over };
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Row-level fingerprint of every table: equal fingerprints, equal rows. */
async function fingerprint(db: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of ['patient', 'besuch']) {
    out[table] = await pg.psql(`SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM ${table} t`, db);
  }
  return out;
}

async function databases(): Promise<string[]> {
  return (await pg.psql('SELECT datname FROM pg_database ORDER BY datname')).split('\n').filter(Boolean);
}

async function changeRows(): Promise<void> {
  await pg.psql(`UPDATE patient SET nachname = 'Geändert' WHERE id <= 10;
    DELETE FROM besuch WHERE id <= 50;
    INSERT INTO patient (nachname, vorname, geburtsdatum, geschlecht, angelegt) VALUES ('Neu', 'Nach Backup', '1990-01-01', 'w', now());`, 'tomedo');
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** The loading pg_restore (not `pg_restore --list`, which the restore runs first). */
function isLoader(g: { pid: number; program: string }): boolean {
  try {
    return g.program === 'pg_restore' && readFileSync(`/proc/${g.pid}/cmdline`, 'utf8').includes('--exit-on-error');
  } catch {
    return false;
  }
}

const keys = (since: number): string[] => events.slice(since).map((e) => (e.type === 'log' || e.type === 'warning' ? e.message.key : e.type));

test.before(async () => {
  root = await makeTempDir('praxis-restore-pg-');
  onChildGroups((groups) => {
    for (const g of groups) {
      try {
        argvs.push(readFileSync(`/proc/${g.pid}/cmdline`, 'utf8').split('\0').join(' '));
      } catch {
        /* already gone */
      }
    }
  });
  pg = await startPostgres({ password: PW });
  expectedRows = Object.fromEntries(
    Object.entries((await createSamplePostgres(pg, 'tomedo', { patients: 20_000, visitsPerPatient: 5 })).tables).map(([t, n]) => [`public.${t}`, n]),
  );
  // The practice software's own role owns a table: a restore must keep that.
  await pg.psql('CREATE ROLE tomedo_app LOGIN; ALTER TABLE besuch OWNER TO tomedo_app;', 'tomedo');
  const dir = join(root, 'backup');
  await mkdir(dir);
  const c = ctx();
  const server = await probePostgres(c, component(), PW);
  entry = await dumpPostgres(c, component(), server, PW, dir);
  dumpFile = join(dir, entry.path);
  backupState = await fingerprint('tomedo');
});

test.after(async () => {
  await runCleanups();
});

test('plans: argv without the password, owners kept, parallel only for big dumps, swap in one transaction', () => {
  const c = component();
  const restore = planPgRestore('/usr/bin/pg_restore', c, 'tomedo_restore_20261124_100000', '/b/datenbank.pgdump', 4, PW);
  assert.equal(restore.args, ['-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-w', '-d', 'tomedo_restore_20261124_100000',
    '--exit-on-error', '-v', '-j', '4', '/b/datenbank.pgdump']);
  assert.not.ok(restore.args.includes('--no-owner'));
  assert.is(restore.env!.PGPASSWORD, PW);
  for (const plan of [restore, planPgSql('/usr/bin/psql', c, 'postgres', 'SELECT 1', PW), planPgRestoreList('/usr/bin/pg_restore', '/b/x')]) {
    assert.not.ok([plan.file, ...plan.args].join(' ').includes(PW));
  }
  assert.is(restoreJobs(5 * 1024 * 1024, 8), 1);
  assert.is(restoreJobs(200 * 1024 * 1024, 8), 4);
  assert.is(restoreJobs(200 * 1024 * 1024, 2), 2);
  assert.is(pgMajor('15.18 (Debian 15.18-0+deb12u1)'), '15');
  assert.is(pgMajor('9.6.24'), '9.6');
  const names = restoreNames('Praxis "alt"', '20261124_100000');
  assert.is(swapSql('Praxis "alt"', names, true),
    `BEGIN; SET LOCAL lock_timeout = '10s'; ALTER DATABASE "Praxis ""alt""" RENAME TO "Praxis ""alt""_vor_restore_20261124_100000"; ALTER DATABASE "Praxis ""alt""_restore_20261124_100000" RENAME TO "Praxis ""alt"""; COMMIT;`);
  try {
    restoreNames('x'.repeat(40), '20261124_100000');
    assert.unreachable('a name PostgreSQL would truncate must be refused');
  } catch (e) {
    assert.is((e as PraxisError).message_.key, 'restore.pg.nameTooLong');
  }
});

test('the dump\'s table list: tables, owners, versions, entry count', async () => {
  const lines = (await run(planPgRestoreList(join(pg.binDir, 'pg_restore'), dumpFile))).stdoutTail;
  const toc = parseToc(lines);
  assert.equal(toc.tables.map((t) => `${t.schema}.${t.name}`).sort(), ['public.besuch', 'public.patient']);
  assert.equal(toc.owners, [pg.user, 'tomedo_app'].sort());
  assert.ok(toc.entries >= 15, String(toc.entries));
  assert.ok(toc.dumpedFrom!.startsWith(pg.version));
  // A name with spaces lies between schema and owner.
  assert.equal(parseToc(['219; 1259 16415 TABLE public Mein Tab praxis_admin']).tables, [{ schema: 'public', name: 'Mein Tab' }]);
});

test('preflight: server version, no clients, no warnings, estimate near the live size', async () => {
  const p = await preflightPostgres(ctx(), request());
  assert.is(p.serverVersion, pg.versionFull);
  assert.equal(p.clients, []);
  assert.equal(p.warnings, []);
  const live = Number(await pg.psql("SELECT pg_database_size('tomedo')"));
  assert.is(p.estimatedBytes, live);
});

test('restore: the backup\'s rows, row for row; the previous database kept as <db>_vor_restore_<stamp> with the changed rows', async () => {
  await changeRows();
  const changed = await fingerprint('tomedo');
  assert.is.not(changed.patient, backupState.patient);
  const since = events.length;
  const req = request();
  const r = await restorePostgres(ctx(), req);
  assert.equal(await fingerprint('tomedo'), backupState);
  assert.is(r.keptAs, `tomedo_vor_restore_${req.stamp}`);
  assert.equal(await fingerprint(r.keptAs!), changed);
  assert.is(r.tables, 2);
  assert.equal(r.warnings, []);
  // Owners kept: the practice software's role still owns its table.
  assert.is(await pg.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'besuch'", 'tomedo'), 'tomedo_app');
  // The sequences continue after the backup's last id.
  assert.is(await pg.psql("SELECT nextval(pg_get_serial_sequence('patient', 'id'))", 'tomedo'), '20001');
  const k = keys(since);
  for (const key of ['restore.pg.creating', 'restore.pg.loading', 'restore.pg.checked', 'restore.pg.swapped']) assert.ok(k.includes(key), key);
  const progress = events.slice(since).filter((e) => e.type === 'progress');
  assert.ok(progress.length >= 1 && (progress.at(-1) as { percent: number }).percent === 100);
  assert.not.ok((await databases()).some((d) => /_restore_\d/.test(d) && !d.includes('_vor_')));
  // The manifest's row counts (when a later format records them) are checked the same way.
  const toc = parseToc((await run(planPgRestoreList(join(pg.binDir, 'pg_restore'), dumpFile))).stdoutTail);
  const ok = await checkRestoredTables(ctx(), component(), PW, 'tomedo', toc, expectedRows);
  assert.equal(ok, { tables: 2, missing: [], rowsDiffer: [] });
  const off = await checkRestoredTables(ctx(), component(), PW, r.keptAs!, toc, expectedRows);
  assert.equal(off.rowsDiffer, ['public.besuch 99950 ≠ 100000', 'public.patient 20001 ≠ 20000']);
});

test('dropPrevious: the previous database is gone after the swap', async () => {
  await changeRows();
  const req = request({ dropPrevious: true });
  const r = await restorePostgres(ctx(), req);
  assert.is(r.keptAs, null);
  assert.not.ok((await databases()).includes(`tomedo_vor_restore_${req.stamp}`));
  assert.equal(await fingerprint('tomedo'), backupState);
});

test('cancel while pg_restore runs: live database unchanged, the half-loaded one removed', async () => {
  await changeRows();
  const before = await fingerprint('tomedo');
  const dbs = await databases();
  const ac = new AbortController();
  const stop = onChildGroups((g) => {
    if (g.some(isLoader)) ac.abort();
  });
  const since = events.length;
  const e = await rejects(restorePostgres(ctx(ac.signal), request()));
  stop();
  assert.is((e as { reason?: string }).reason, 'cancelled', String(e));
  assert.equal(await fingerprint('tomedo'), before);
  assert.equal(await databases(), dbs);
  assert.ok(keys(since).includes('restore.pg.tempDropped'));
});

test('kill -9 of the restoring process and pg_restore: live database unchanged; the next restore removes the leftover', async () => {
  const before = await fingerprint('tomedo');
  const req = request();
  // A separate process does the restore, as the CLI would; it tells us its children's pids.
  const child = join(root, 'restore-child.mts');
  const src = (f: string) => JSON.stringify(join(process.cwd(), 'src', f));
  writeFileSync(child, `
import { onChildGroups } from ${src('process/runner.ts')};
import { restorePostgres } from ${src('databases/postgres/restore.ts')};
import { ToolLocator } from ${src('process/tool-locator.ts')};
import { Reporter } from ${src('run/events.ts')};
onChildGroups((g) => process.stdout.write(JSON.stringify(g) + '\\n'));
const req = JSON.parse(process.env.RESTORE_REQ);
req.password = process.env.RESTORE_PW;
await restorePostgres({ platform: 'linux', tools: new ToolLocator('linux', process.env), secrets: null, reporter: new Reporter([]), signal: new AbortController().signal }, req);
process.stdout.write('swapped\\n');
`);
  const proc: ResultPromise = execa(process.execPath, ['--import', 'tsx', child], {
    cwd: process.cwd(), reject: false, env: { RESTORE_REQ: JSON.stringify({ ...req, password: null }), RESTORE_PW: PW },
  });
  let restorePid = 0;
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter((l) => l.startsWith('['))) {
      const g = (JSON.parse(line) as { pid: number; program: string }[]).find(isLoader);
      if (g && !restorePid) {
        restorePid = g.pid;
        process.kill(-g.pid, 'SIGSTOP'); // freeze it mid-load, so the kill lands before the swap
      }
    }
  });
  assert.ok(await waitUntil(async () => restorePid > 0, 60_000), 'pg_restore started');
  process.kill(proc.pid!, 'SIGKILL');
  process.kill(-restorePid, 'SIGKILL');
  const r = await proc;
  assert.not.ok(String(r.stdout).includes('swapped'));
  assert.equal(await fingerprint('tomedo'), before);
  const leftover = `tomedo_restore_${req.stamp}`;
  assert.ok((await databases()).includes(leftover), 'the killed restore left its database');

  const since = events.length;
  await restorePostgres(ctx(), request({ dropPrevious: true }));
  const removed = events.slice(since).find((e) => e.type === 'log' && e.message.key === 'restore.db.leftoverRemoved');
  assert.is((removed as unknown as { message: { params: { name: string } } }).message.params.name, leftover);
  assert.not.ok((await databases()).includes(leftover));
  assert.equal(await fingerprint('tomedo'), backupState);
});

test('wrong password: exit 1 naming user, host and database, nothing created', async () => {
  const dbs = await databases();
  for (const step of [preflightPostgres, restorePostgres]) {
    const e = (await rejects(step(ctx(), request({ password: 'falsch' })))) as PraxisError;
    assert.instance(e, PraxisError);
    assert.is(e.exitCode, 1);
    assert.is(e.message_.key, 'restore.db.wrongPassword');
    assert.is(e.message_.params!.user, pg.user);
    assert.is(e.message_.params!.host, pg.host);
    assert.is(e.message_.params!.database, 'tomedo');
    assert.match(String(e.message_.params!.message), /password authentication failed/);
  }
  assert.equal(await databases(), dbs);
});

test('a client still connected: preflight lists it by address and program; the restore refuses the swap', async () => {
  await changeRows();
  const before = await fingerprint('tomedo');
  const session = execa(join(pg.binDir, 'psql'), ['-X', '-w', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', 'tomedo', '-c', 'SELECT pg_sleep(300)'], {
    env: { ...pg.env('tomedo'), PGAPPNAME: 'tomedo Empfang' }, reject: false,
  });
  try {
    assert.ok(await waitUntil(async () => (await pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tomedo Empfang'")) === '1', 10_000));
    const p = await preflightPostgres(ctx(), request());
    assert.is(p.clients.length, 1);
    assert.is(p.clients[0]!.address, '127.0.0.1');
    assert.is(p.clients[0]!.program, 'tomedo Empfang');
    assert.is(p.clients[0]!.user, pg.user);
    assert.ok(Date.parse(p.clients[0]!.since!) > 0);
    const dbs = await databases();
    const e = (await rejects(restorePostgres(ctx(), request()))) as PraxisError;
    assert.is(e.message_.key, 'restore.db.clientsConnected');
    assert.match(String(e.message_.params!.clients), /127\.0\.0\.1 \(tomedo Empfang/);
    assert.equal(await fingerprint('tomedo'), before);
    assert.equal(await databases(), dbs, 'the loaded copy is removed again');
  } finally {
    session.kill('SIGTERM');
    await session;
  }
});

test('an archive from a newer pg_dump: refused before anything is created', async () => {
  const pgRestore = await tools.findForServer(PG_RESTORE, Number(pgMajor(pg.version)));
  // Byte 6 is the archive format's minor version. PostgreSQL 16's pg_dump writes 1.15, which
  // pg_restore up to 15 rejects; for a newer pg_restore here, 1.99 stands for a future pg_dump.
  const newer = join(root, 'newer.pgdump');
  const bytes = readFileSync(dumpFile);
  bytes[6] = pgRestore.major <= 15 ? 15 : 99;
  writeFileSync(newer, bytes);
  const dbs = await databases();
  const e = (await rejects(preflightPostgres(ctx(), request({ dumpFile: newer })))) as PraxisError;
  assert.is(e.message_.key, 'restore.pg.archiveTooNew');
  assert.match(String(e.message_.params!.message), /unsupported version \(1\.(15|99)\)/);
  assert.is(e.exitCode, 1);
  const e2 = (await rejects(restorePostgres(ctx(), request({ dumpFile: newer })))) as PraxisError;
  assert.is(e2.message_.key, 'restore.pg.archiveTooNew');
  assert.equal(await databases(), dbs);
});

test('a backup from another major version: a warning, and the restore goes on', async () => {
  const other = `${Number(pgMajor(pg.version)) - 1}.9`;
  const p = await preflightPostgres(ctx(), request({ entry: { ...entry, serverVersion: other } }));
  assert.equal(p.warnings.map((w) => w.key), ['restore.db.versionDiffers']);
  assert.is(p.warnings[0]!.params!.dump, other);
});

test('roles the dump needs are missing: refused, nothing created', async () => {
  await pg.psql('CREATE ROLE praxis_alt; CREATE DATABASE altdb OWNER praxis_alt;');
  await pg.psql('CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t OWNER TO praxis_alt;', 'altdb');
  const c = component('altdb');
  const dir = join(root, 'alt');
  await mkdir(dir);
  const e1 = await dumpPostgres(ctx(), c, await probePostgres(ctx(), c, PW), PW, dir);
  await pg.psql('DROP DATABASE altdb; DROP ROLE praxis_alt;');
  const dbs = await databases();
  const e = (await rejects(restorePostgres(ctx(), request({ component: c, entry: e1, dumpFile: join(dir, e1.path) })))) as PraxisError;
  assert.is(e.message_.key, 'restore.pg.rolesMissing');
  assert.is(e.message_.params!.roles, 'praxis_alt');
  assert.equal(await databases(), dbs);
});

test('a fresh server (no such database yet), name with a quote and a space: created from the backup', async () => {
  const name = 'praxis "neu" 2';
  const r = await restorePostgres(ctx(), request({ component: component(name) }));
  assert.is(r.keptAs, null);
  assert.is(r.database, name);
  assert.equal(await fingerprint(name), backupState);
  assert.is(await pg.psql(`SELECT count(*) FROM pg_database WHERE datname LIKE ${q('praxis "neu" 2_%')}`), '0');
});

test('the password is in no child\'s argv and no event', () => {
  assert.ok(argvs.some((a) => a.includes('pg_restore') && a.includes('--exit-on-error')), 'pg_restore argv was seen');
  for (const a of argvs) assert.not.ok(a.includes(PW) || a.includes('Rst-Geheim'), a);
  const text = JSON.stringify(events);
  assert.not.ok(text.includes('Rst-Geheim'));
  assert.ok(events.length > 20);
});

test.run();
