// The Firebird kind against a real Firebird 3 server (test/helpers/firebird.ts): gbak's dump with
// its sha256 and rows per table, the password only in the environment, the restore beside the live
// file and the swap (the old file kept as <db>_vor_restore_<stamp>.fdb), the scratch restore test,
// and the ways it fails: a wrong password, a missing database, a server that is down, a cancel in
// the middle of a dump, a gbak killed in the middle of a restore. Names with umlauts and spaces
// throughout ("Praxis Müller.fdb", table "Patienten Übersicht").
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FirebirdComponent } from '../../../src/config/schema';
import { EnvSecretStore } from '../../../src/credentials/credentials';
import { PraxisError } from '../../../src/core/errors';
import { kindFor } from '../../../src/databases/registry';
import type { ManifestComponent } from '../../../src/backup-directory/manifest';
import type { DbRestoreRequest } from '../../../src/databases/restore-types';
import { CommandError, onChildGroups } from '../../../src/process/runner';
import { ToolLocator } from '../../../src/process/tool-locator';
import { Reporter, type StampedEvent } from '../../../src/run/events';
import type { StepContext } from '../../../src/run/step-context';
import { firebirdKind } from '../../../src/databases/firebird';
import { freePort, makeTempDir, runCleanups } from '../../helpers/temp';
import { firebirdAvailable, startFirebird, type FbServer } from '../../helpers/firebird';

const test = suite('Firebird database kind');
const PW = "Fb'Geheim \"3\" ; $x";
const tools = new ToolLocator('linux', process.env);
const kind = firebirdKind;

let fb: FbServer;
let live: string;

function ctx(signal = new AbortController().signal, events: StampedEvent[] = [], onEvent?: (e: StampedEvent) => void): StepContext {
  const reporter = new Reporter([(e) => { events.push(e); onEvent?.(e); }]);
  return { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), reporter, signal };
}

const comp = (database: string, extra: Partial<FirebirdComponent> = {}): FirebirdComponent => ({
  name: 'medoff', type: 'firebird', database, host: fb.host, port: fb.port, user: 'SYSDBA', ...extra,
});

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const keyOf = (e: unknown) => (e instanceof PraxisError ? e.message_.key : String(e));
/** The message key of a log or warning event. */
const eventKey = (e: StampedEvent) => (e.type === 'log' || e.type === 'warning' ? e.message.key : undefined);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The content of the two tables with data as one fingerprint (count and a sum of row hashes), read by isql on its own. */
async function content(file: string): Promise<string> {
  const out = await fb.sql(file, `select 'F|' || (select count(*) || ':' || sum(mod(hash(id || '|' || text), 2147483647)) from GROSS) || '|' || (select count(*) || ':' || sum(mod(hash(id || '|' || "Name äöü"), 2147483647)) from "Patienten Übersicht") from rdb$database;`);
  return /F\|(\S+)/.exec(out)![1]!;
}

/** Rows per table of a database, counted by isql on its own. */
async function rows(file: string): Promise<Record<string, number>> {
  const out = await fb.sql(file, `select 'R|' || (select count(*) from "Patienten Übersicht") || '|' || (select count(*) from LEER) || '|' || (select count(*) from GROSS) from rdb$database;`);
  const [p, l, g] = /R\|(\d+)\|(\d+)\|(\d+)/.exec(out)!.slice(1).map(Number);
  return { 'Patienten Übersicht': p!, LEER: l!, GROSS: g! };
}

async function dump(c = comp(live), password: string | null = PW, signal?: AbortSignal): Promise<{ file: string; entry: ManifestComponent; dir: string }> {
  const dir = await makeTempDir('praxis-fb-dump-');
  const server = await kind.probe(ctx(), c, password);
  const entry = await kind.dump(ctx(signal), c, server, password, dir);
  return { file: join(dir, entry.path), entry, dir };
}

function request(d: { file: string; entry: ManifestComponent }, stamp: string, extra: Partial<DbRestoreRequest> = {}): DbRestoreRequest {
  return { component: comp(live) as unknown as DbRestoreRequest['component'], dumpFile: d.file, entry: d.entry, password: PW, stamp, dropPrevious: false, ...extra };
}

let backup: { file: string; entry: ManifestComponent; dir: string };
/** content(live) when the backup was taken. */
let backupContent: string;

test.before(async () => {
  if (!firebirdAvailable()) throw new Error('Firebird test server needs root and Debian\'s firebird3.0-server firebird3.0-utils (scripts/setup.sh installs them)');
  fb = await startFirebird({ password: PW });
  live = await fb.createDb('Praxis Müller');
  await fb.sql(live, `create table "Patienten Übersicht" (id integer not null primary key, "Name äöü" varchar(100));
create table LEER (x integer);
create table GROSS (id integer not null primary key, text varchar(200));
create view "Sicht Ü" as select id from "Patienten Übersicht";
commit;
${Array.from({ length: 40 }, (_, i) => `insert into "Patienten Übersicht" values (${i}, 'Jürgen Größ ${i}');`).join('\n')}
set term ^;
execute block as declare i integer = 0; begin while (i < 120000) do begin insert into GROSS values (:i, lpad('', 180, 'Befund ä ') || :i); i = i + 1; end end^
set term ;^
commit;
`);
  backup = await dump();
  backupContent = await content(live);
});

test.after(async () => {
  await fb?.stop();
  await runCleanups();
});

test('the kind is registered for type firebird, with its tools, defaults and dump file name', () => {
  assert.is(kindFor({ type: 'firebird' }), firebirdKind);
  assert.equal(kind.defaults, { host: 'localhost', port: 3050, user: 'SYSDBA' });
  assert.is(kind.dumpFileName('medoff'), 'medoff.fbk');
  assert.equal(kind.tools.map((t) => t.name), ['gbak', 'isql-fb', 'gfix']);
});

test('probe: server version and the database size, also through a path with umlauts and spaces', async () => {
  const info = await kind.probe(ctx(), comp(live), PW);
  assert.match(info.version, /^3\.0\.\d+$/);
  assert.ok(info.databaseBytes > 1_000_000, `${info.databaseBytes} bytes`);
});

test('dump: <name>.fbk whose sha256 is the file, the rows of every table as gbak wrote them, nothing else left in the folder', async () => {
  const { file, entry, dir } = backup;
  assert.is(entry.path, 'medoff.fbk');
  assert.is(entry.type, 'firebird');
  assert.is(entry.sha256, sha256(file));
  assert.is(entry.bytes, readFileSync(file).length);
  assert.equal(entry.rows, await rows(live));
  assert.is(entry.rowsExact, 'dump');
  assert.match(entry.serverVersion!, /^3\.0\./);
  assert.equal(await readdir(dir), ['medoff.fbk']);
});

test('dump: the password reaches gbak in its environment (ISC_PASSWORD), never in its argv', async () => {
  const seen: { argv: string; env: string }[] = [];
  const stop = onChildGroups((groups) => {
    for (const g of groups) {
      if (g.program !== 'gbak' || !existsSync(`/proc/${g.pid}`)) continue;
      try {
        seen.push({ argv: readFileSync(`/proc/${g.pid}/cmdline`, 'utf8'), env: readFileSync(`/proc/${g.pid}/environ`, 'utf8') });
      } catch {
        /* ended already */
      }
    }
  });
  try {
    await dump();
  } finally {
    stop();
  }
  const gbak = seen.find((s) => s.argv.includes('-b'));
  assert.ok(gbak, 'gbak was seen running');
  assert.not.ok(gbak!.argv.includes(PW), 'password in argv');
  assert.ok(gbak!.env.split('\0').includes(`ISC_PASSWORD=${PW}`), 'password in the environment');
});

test('restore test: loads into praxis_verify_<id>.fdb beside the live file, every table counted and equal, the scratch file gone afterwards', async () => {
  const events: StampedEvent[] = [];
  const r = await kind.restoreTest(ctx(undefined, events), comp(live), { entry: backup.entry, dumpFile: backup.file, password: PW, backupId: '20261202_101500' });
  assert.equal(r.problems, []);
  assert.is(r.tables, 3);
  assert.is(r.counted, 3);
  assert.not.ok(existsSync(join(fb.dataDir, 'praxis_verify_20261202_101500.fdb')));
  assert.ok(events.some((e) => eventKey(e) === 'verify.scratchDropped'));
});

test('restore test: a row count that differs from the manifest is a problem naming the table; a leftover scratch file of a killed verify is removed', async () => {
  await writeFile(join(fb.dataDir, 'praxis_verify_20200101_000000.fdb'), 'übrig');
  const entry = { ...backup.entry, rows: { ...backup.entry.rows, LEER: 7 } };
  const events: StampedEvent[] = [];
  const r = await kind.restoreTest(ctx(undefined, events), comp(live), { entry, dumpFile: backup.file, password: PW, backupId: '20261202_101501' });
  assert.is(r.problems.length, 1);
  assert.is(r.problems[0]!.key, 'verify.rowsDiffer');
  assert.match(String(r.problems[0]!.params?.tables), 'LEER 0 ≠ 7');
  assert.equal((await readdir(fb.dataDir)).filter((f) => f.startsWith('praxis_verify_')), []);
});

test('wrong password: the probe says the server asked for one; preflight refuses with restore.db.wrongPassword', async () => {
  let signals: { wantsPassword: boolean } | undefined;
  const e = await rejects(kind.probe(ctx(), comp(live), 'falsch', (s) => (signals = s)));
  assert.is(keyOf(e), 'error.dbConnect');
  assert.match(String((e as PraxisError).message_.params?.message), 'Your user name and password are not defined');
  assert.is(signals?.wantsPassword, true);
  const none = await rejects(kind.probe(ctx(), comp(live), null, (s) => (signals = s)));
  assert.is(keyOf(none), 'error.dbConnect');
  assert.is(signals?.wantsPassword, true, 'no password at all');
  assert.is(keyOf(await rejects(kind.preflight(ctx(), request(backup, '20261202_110000', { password: 'falsch' })))), 'restore.db.wrongPassword');
});

test('missing database and server down: the connect error names the database and says what the server said', async () => {
  const missing = await rejects(kind.probe(ctx(), comp(join(fb.dataDir, 'gibt es nicht.fdb')), PW));
  assert.is(keyOf(missing), 'error.dbConnect');
  assert.match(String((missing as PraxisError).message_.params?.message), 'I/O error during "open" operation');
  const down = await rejects(kind.probe(ctx(), comp(live, { port: await freePort() }), PW));
  assert.is(keyOf(down), 'error.dbConnect');
  assert.match(String((down as PraxisError).message_.params?.message), 'Unable to complete network request');
  let signals: { wantsPassword: boolean } | undefined;
  await rejects(kind.probe(ctx(), comp(live, { port: await freePort() }), null, (s) => (signals = s)));
  assert.is(signals?.wantsPassword, false, 'a server that is down asks for nothing');
});

test('cancel in the middle of a dump: a cancel error, and no file at all in the folder', async () => {
  const dir = await makeTempDir('praxis-fb-cancel-');
  const abort = new AbortController();
  const c = comp(live);
  const server = await kind.probe(ctx(), c, PW);
  const onBytes = (e: StampedEvent) => e.type === 'progress' && ((e as { bytes?: number }).bytes ?? 0) > 0 && abort.abort();
  const e = await rejects(kind.dump(ctx(abort.signal, [], onBytes), c, server, PW, dir));
  assert.ok(e instanceof CommandError && e.reason === 'cancelled', String(e));
  assert.equal(await readdir(dir), []);
});

test('restore: loaded beside the live file and swapped in; the previous file kept as <db>_vor_restore_<stamp>.fdb and online', async () => {
  const before = await rows(live);
  await fb.sql(live, `insert into "Patienten Übersicht" values (1000, 'nach dem Backup'); delete from GROSS where id < 10; commit;`);
  const changed = await rows(live);
  await writeFile(join(fb.dataDir, 'Praxis Müller_restore_20200101_000000.fdb'), 'Rest eines abgebrochenen Restores');
  const events: StampedEvent[] = [];
  const p = await kind.preflight(ctx(), request(backup, '20261202_120000'));
  assert.match(p.serverVersion, /^3\.0\./);
  assert.equal(p.clients, []);
  const r = await kind.restore(ctx(undefined, events), request(backup, '20261202_120000'));
  const kept = join(fb.dataDir, 'Praxis Müller_vor_restore_20261202_120000.fdb');
  assert.is(r.keptAs, kept);
  assert.is(r.tables, 3);
  assert.equal(await rows(live), before, 'the live database holds the backup');
  assert.is(await content(live), backupContent, 'row for row');
  assert.equal(await rows(kept), changed, 'the kept one holds what was live, and opens');
  assert.equal((await readdir(fb.dataDir)).filter((f) => f.startsWith('Praxis Müller_restore_')), [], 'no temp file, the leftover removed');
  assert.ok(events.some((e) => eventKey(e) === 'restore.db.leftoverRemoved'));
});

test('restore: a gbak killed while it loads leaves the live database unchanged and no temp file; so does a cancel', async () => {
  const liveContent = await content(live);
  const before = await rows(live);
  const stop = onChildGroups((groups) => {
    for (const g of groups) if (g.program === 'gbak') process.kill(g.pid, 'SIGKILL');
  });
  let killed: unknown;
  try {
    killed = await rejects(kind.restore(ctx(), request(backup, '20261202_130000')));
  } finally {
    stop();
  }
  assert.is(keyOf(killed), 'restore.fb.loadFailed');
  assert.equal(await rows(live), before);
  assert.is(await content(live), liveContent, 'every row as before');
  assert.equal((await readdir(fb.dataDir)).filter((f) => f.includes('_restore_20261202_13')), []);

  const abort = new AbortController();
  const onLoading = (e: StampedEvent) => eventKey(e) === 'restore.fb.loading' && abort.abort();
  const cancelled = await rejects(kind.restore(ctx(abort.signal, [], onLoading), request(backup, '20261202_130001')));
  assert.ok(cancelled instanceof CommandError && cancelled.reason === 'cancelled', String(cancelled));
  assert.equal(await rows(live), before);
  assert.equal((await readdir(fb.dataDir)).filter((f) => f.includes('_restore_20261202_13')), []);
});

test('restore: a client still connected is listed by the preflight and refuses the swap; the live database stays as it was', async () => {
  const before = await content(live);
  // A workstation's session: isql attached to the live database, waiting on its stdin.
  const { execa } = await import('execa');
  const client = execa('isql-fb', ['-q', '-ch', 'UTF8', fb.url(live)], { env: { ...fb.env(), LC_ALL: 'C.UTF-8' }, stdin: 'pipe', reject: false });
  try {
    client.stdin!.write(`select 'verbunden' from rdb$database;\n`);
    await new Promise<void>((resolve) => client.stdout!.on('data', (d: Buffer) => d.toString().includes('verbunden') && resolve()));
    const p = await kind.preflight(ctx(), request(backup, '20261202_133000'));
    assert.is(p.clients.length, 1, JSON.stringify(p.clients));
    assert.is(p.clients[0]!.user, 'SYSDBA');
    assert.is(p.clients[0]!.address, '127.0.0.1');
    assert.match(p.clients[0]!.program ?? '', 'isql');
    const e = await rejects(kind.restore(ctx(), request(backup, '20261202_133000')));
    assert.is(keyOf(e), 'restore.db.clientsConnected');
    assert.match(String((e as PraxisError).message_.params?.clients), '127.0.0.1');
  } finally {
    client.stdin!.end('quit;\n');
    await client;
  }
  assert.is(await content(live), before);
  assert.equal((await readdir(fb.dataDir)).filter((f) => f.includes('_restore_20261202_1330')), [], 'the loaded copy removed again');
});

test('restore: a database that is not on this computer is refused before anything is done', async () => {
  const c = comp(live);
  const e = await rejects(kind.restore(ctx(), { ...request(backup, '20261202_140000'), component: { ...c, host: '192.0.2.1' } as unknown as DbRestoreRequest['component'] }));
  assert.is(keyOf(e), 'restore.fb.notLocal');
});

test('restore into a database that does not exist yet: created at its path from the backup', async () => {
  const fresh = join(fb.dataDir, 'Neue Praxis Ä.fdb');
  const r = await kind.restore(ctx(), { ...request(backup, '20261202_150000'), component: comp(fresh) as unknown as DbRestoreRequest['component'] });
  assert.is(r.keptAs, null);
  assert.equal(await rows(fresh), await rows(live));
});

test('a databases.conf alias as the database: dump, restore test beside the file it names, restore of that file', async () => {
  const file = await fb.createDb('medoff');
  await fb.sql(file, `create table TERMINE (id integer);\ninsert into TERMINE values (1);\ninsert into TERMINE values (2);\ncommit;\n`);
  // The server reads databases.conf again at the next attach.
  await fb.addAliases(`\npraxis = ${file}\n`);
  const c = comp('praxis');
  const d = await dump(c);
  assert.equal(d.entry.rows, { TERMINE: 2 });
  const t = await kind.restoreTest(ctx(), c, { entry: d.entry, dumpFile: d.file, password: PW, backupId: '20261202_160000' });
  assert.equal(t.problems, []);
  assert.is(t.counted, 1);
  assert.equal((await readdir(fb.dataDir)).filter((f) => f.startsWith('praxis_verify_')), []);
  await fb.sql(file, `delete from TERMINE;\ncommit;\n`);
  const r = await kind.restore(ctx(), { ...request(d, '20261202_160100'), component: c as unknown as DbRestoreRequest['component'] });
  assert.is(r.keptAs, join(fb.dataDir, 'medoff_vor_restore_20261202_160100.fdb'));
  assert.match(await fb.sql(file, `select 'N|' || count(*) from TERMINE;\n`), 'N|2');
});

test('by hand: the Notfallblatt step loads <name>.fbk with gbak -c, the password from the environment', async () => {
  const [step] = kind.byHandSteps('de', { name: 'medoff', database: '/var/lib/firebird/3.0/data/medoff.gdb' }, 'linux');
  assert.match(step!.text, 'medoff.fbk');
  assert.match(step!.code!, `gbak -c -v "$B/medoff.fbk" localhost:/var/lib/firebird/3.0/data/medoff.gdb`);
  assert.match(step!.code!, /ISC_PASSWORD='<SYSDBA-Passwort>'/);
  // The step really restores: run it against the test server (its port instead of the default).
  const target = join(fb.dataDir, 'von Hand.fdb');
  const { execa } = await import('execa');
  await execa('sh', ['-c', step!.code!.replace(/ISC_PASSWORD='[^']*'/, `ISC_PASSWORD="$PW"`).replace(/localhost:\S+/, `'127.0.0.1/${fb.port}:${target}'`)], { env: { B: backup.dir, PW } });
  assert.equal(await rows(target), await rows(live));
});

test.run();
