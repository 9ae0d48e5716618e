// The contract every database kind passes against its real server (issue 16): a kind is done when
// its test file (test/databases/<kind>.contract.test.ts) hands contractSuite a fixture and every
// case here passes. As restic's backend suite (internal/backend/test/suite.go): one suite, each
// kind brings only its own setup — start the server, make a component, create the sample, read
// back rows and checksums. The cases talk to the kind only through its DatabaseKind object from
// the registry, never through its internal functions: what passes here is what the engine gets.
//
// The sample is the same for every kind (sampleData): text with umlauts, quotes, a newline and an
// empty string beside NULLs, a blob with every byte value, a table name with a space and an umlaut,
// an empty table the hot-dump writer fills. Database names with umlauts and spaces where the
// kind allows them („Praxis Müller“; Firebird: a file path with both).
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ManifestComponent } from '../../src/backup-directory/manifest';
import type { DatabaseComponent } from '../../src/config/schema';
import { PraxisError } from '../../src/core/errors';
import { EnvSecretStore } from '../../src/credentials/credentials';
import type { AnyDatabaseKind, DbRestoreRequest, ServerInfo } from '../../src/databases/contract';
import { kindFor } from '../../src/databases/registry';
import { render } from '../../src/i18n';
import { onChildGroups } from '../../src/process/runner';
import { ToolLocator } from '../../src/process/tool-locator';
import { Reporter, type StampedEvent } from '../../src/run/events';
import type { StepContext } from '../../src/run/step-context';
import { makeTempDir, runCleanups, visibly, waitUntil } from '../helpers/temp';
import { freezeTree, killAll } from './process-tree';

/** One row of table `patient`. */
export interface PatientRow {
  id: number;
  nachname: string;
  bemerkung: string | null;
  foto: Buffer | null;
}

/** One row of table `Befund Ärztin`. */
export interface BefundRow {
  id: number;
  befund: string | null;
}

/**
 * The suite's sample, the same for every kind. Tables (the fixture maps each name to its column types):
 * - `patient` (id integer primary key, nachname varchar(200) not null, bemerkung varchar(200) null, foto blob/bytea null)
 * - `Befund Ärztin` (id integer primary key, befund varchar(200) null): a name with a space and an umlaut
 * - `eintrag` (id generated/auto-increment primary key, notiz varchar(200)): empty; the writer inserts here
 */
export interface Sample {
  patient: PatientRow[];
  befund: BefundRow[];
}

export const TABLES = { patient: 'patient', befund: 'Befund Ärztin', eintrag: 'eintrag' } as const;

const NAMES = ['Müller', 'Weiß', 'Öztürk', "D'Angelo", 'Groß "Zitat"', 'Jäger; DROP', 'Çelik', ''];

export function sampleData(rows: number): Sample {
  const patient: PatientRow[] = [];
  const befund: BefundRow[] = [];
  for (let i = 1; i <= rows; i++) {
    patient.push({
      id: i,
      nachname: NAMES[i % NAMES.length]!,
      bemerkung: i % 3 === 0 ? null : `Bemerkung ${i}: Größe ä ö ü ß € – ${i % 5 === 0 ? 'zwei\nZeilen' : 'eine Zeile'}`,
      foto: i % 4 === 0 ? null : Buffer.from(Array.from({ length: 1 + ((i * 37) % 300) }, (_, k) => (i + k * 7) % 256)),
    });
    befund.push({ id: i, befund: i % 6 === 0 ? null : `Befund ${i}: unauffällig, Ärztin Dr. Weiß` });
  }
  return { patient, befund };
}

export interface TableState {
  rows: number;
  /** The table's content, every row, independent of row order: equal checksums, equal rows. */
  checksum: string;
}

export interface Writer {
  /** Ends the writing session; resolved once the server no longer has it (so a restore may swap). */
  stop(): Promise<void>;
}

/** What a kind's contract test file provides: its real server and how to look into it. */
export interface KindFixture {
  /** The config's component type the kind answers (kindFor({ type })). */
  type: string;
  /** Starts the kind's real server (test/helpers/<kind>.ts); once, before the cases. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The admin's password, and one the server refuses. */
  password: string;
  wrongPassword: string;
  /** A component of this kind for `database` on the running server (Firebird: the name of a file in the data folder). */
  component(database: string): DatabaseComponent;
  /** The same component, pointed at a server that does not answer (a closed port). */
  unreachable(database: string): Promise<DatabaseComponent>;
  /** The manifest's key of one of TABLES' tables ("public.patient", "patient", "PATIENT"). */
  key(table: string): string;
  /** Creates `database` with the three tables of Sample and its rows. */
  createDatabase(database: string, sample: Sample): Promise<void>;
  /** Runs SQL statements (each ending in ';') in `database`, committed. */
  exec(database: string, sql: string): Promise<void>;
  /** An identifier quoted for this kind's SQL ("Befund Ärztin", `Befund Ärztin`). */
  quote(identifier: string): string;
  /** Adds a table of about `bytes` bytes that do not compress (the cancel and kill cases need a dump that takes a while). */
  fill(database: string, bytes: number): Promise<void>;
  /** Starts a session that inserts into `eintrag`, one committed row after another, until stop(). */
  startWriter(database: string): Promise<Writer>;
  /** Every table of `database` (also a name a restore returned as keptAs) by its manifest key. */
  tables(database: string): Promise<Record<string, TableState>>;
  /** The load targets a restore of `database` left on the server, `<database>_restore_*` (not the kept `_vor_restore_`), by the name the kind's log gives them. */
  restoreTargets(database: string): Promise<string[]>;
  /** Whether a restore's load into `target` has begun (its first table exists). */
  loadBegun(target: string): Promise<boolean>;
}

/** Where a restore killed mid-load is run: a Node process of its own, as the CLI would be. */
const RESTORE_CHILD = `
import { kindFor } from ${JSON.stringify(join(process.cwd(), 'src/databases/registry.ts'))};
import { EnvSecretStore } from ${JSON.stringify(join(process.cwd(), 'src/credentials/credentials.ts'))};
import { ToolLocator } from ${JSON.stringify(join(process.cwd(), 'src/process/tool-locator.ts'))};
import { Reporter } from ${JSON.stringify(join(process.cwd(), 'src/run/events.ts'))};
const req = JSON.parse(process.env.CONTRACT_RESTORE_REQ);
req.password = process.env.CONTRACT_RESTORE_PW;
const ctx = { platform: 'linux', tools: new ToolLocator('linux', process.env), secrets: new EnvSecretStore({}, new Map()), reporter: new Reporter([]), signal: new AbortController().signal };
await kindFor(req.component).restore(ctx, req);
process.stdout.write('swapped\\n');
`;

/** What `p` was rejected with; fulfilled, the case fails. */
const rejects = (p: Promise<unknown>): Promise<unknown> => p.then((v) => assert.unreachable(`expected a rejection, got ${JSON.stringify(v)?.slice(0, 200)}`), (e: unknown) => e);

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const rowsOf = (state: Record<string, TableState>) => Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.rows]));

export function contractSuite(fx: KindFixture): void {
  let kind: AnyDatabaseKind;
  try {
    kind = kindFor({ type: fx.type });
  } catch (e) {
    // Only an unregistered kind skips (visibly): a kind that is registered runs every case.
    const skipped = suite(`database kind ${fx.type}: contract (kind not registered)`);
    skipped.skip(`every contract case: ${(e as Error).message}`, () => {});
    console.log(`[contract] ${fx.type}: skipped, kindFor({ type: '${fx.type}' }) throws: ${(e as Error).message}`);
    skipped.run();
    return;
  }
  const test = suite(`database kind ${kind.label} (${fx.type}): contract`);
  const tools = new ToolLocator('linux', process.env);
  const events: StampedEvent[] = [];
  /** Every child's real argv, read from /proc while it runs: the password must be in none. */
  const argvs: string[] = [];
  let root: string;
  let dirs = 0;
  let stamps = 0;
  let ids = 0;

  const ctx = (signal = new AbortController().signal, sink?: (e: StampedEvent) => void): StepContext => ({
    platform: 'linux',
    tools,
    secrets: new EnvSecretStore({}, new Map()),
    reporter: new Reporter([(e) => { events.push(e); sink?.(e); }], () => new Date(Date.UTC(2026, 10, 24, 10))),
    signal,
  });
  /** A fresh, empty folder a dump goes into (the backup's folder). */
  const dumpDir = async (): Promise<string> => {
    const dir = join(root, `dump-${++dirs}`);
    await mkdir(dir);
    return dir;
  };
  const stamp = () => `20261124_11${String(++stamps).padStart(2, '0')}00`;
  const backupId = () => `20261124_12${String(++ids).padStart(2, '0')}00`;
  const listDir = (dir: string) => readdirSync(dir).sort();

  async function dump(c: DatabaseComponent, opts: { signal?: AbortSignal; sink?: (e: StampedEvent) => void } = {}): Promise<{ entry: ManifestComponent; file: string; dir: string; server: ServerInfo }> {
    const dir = await dumpDir();
    const server = await kind.probe(ctx(), c, fx.password);
    const entry = await kind.dump(ctx(opts.signal, opts.sink), c, server, fx.password, dir);
    return { entry, file: join(dir, entry.path), dir, server };
  }

  function request(c: DatabaseComponent, d: { entry: ManifestComponent; file: string }, over: Partial<DbRestoreRequest> = {}): DbRestoreRequest {
    return { component: c as DbRestoreRequest['component'], dumpFile: d.file, entry: d.entry, password: fx.password, stamp: stamp(), dropPrevious: false, ...over };
  }

  /** The message is a PraxisError and names the database in both languages. */
  function namesDatabase(e: unknown, database: string, what: string): void {
    assert.instance(e, PraxisError, `${what}: ${String(e)}`);
    for (const lang of ['de', 'en'] as const) {
      const text = render(lang, (e as PraxisError).message_);
      assert.ok(text.includes(database), `${what} (${lang}) names „${database}“: ${text}`);
    }
  }

  /** The suite's own change after a backup: same row count in `patient` but other content, a row less and one more in `Befund Ärztin`. */
  const change = (database: string) => fx.exec(database, [
    `UPDATE patient SET nachname = 'Geändert nach dem Backup' WHERE id = 1;`,
    `DELETE FROM ${fx.quote(TABLES.befund)} WHERE id = 2;`,
    `INSERT INTO ${fx.quote(TABLES.befund)} (id, befund) VALUES (900001, 'Neu nach dem Backup: Größe');`,
  ].join('\n'));

  /** The database the cancel and the kill cases share: big enough that a dump and a load take a while. */
  let big: Promise<string> | undefined;
  const bigDatabase = () => (big ??= (async () => {
    const database = 'gross';
    await fx.createDatabase(database, sampleData(50));
    await fx.fill(database, 12 * 1024 * 1024);
    return database;
  })());

  test.before(visibly(async () => {
    root = await makeTempDir(`praxis-contract-${fx.type}-`);
    onChildGroups((groups) => {
      for (const g of groups) {
        try {
          argvs.push(readFileSync(`/proc/${g.pid}/cmdline`, 'utf8').split('\0').join(' '));
        } catch {
          /* already gone */
        }
      }
    });
    await fx.start();
  }));

  // CONTRACT_TIMES=1 prints each case's duration: the suite's budget is a minute or two per kind.
  let started = 0;
  test.before.each(() => { started = performance.now(); });
  test.after.each(() => { if (process.env.CONTRACT_TIMES) console.log(`  [${fx.type}] ${((performance.now() - started) / 1000).toFixed(1)} s`); });

  test.after(async () => {
    await fx.stop().catch(() => {});
    await runCleanups();
  });

  test('dump → manifest entry (file name, sha256, bytes, rows) → restore into the live name: every table equal in rows and content, the previous one kept', async () => {
    const database = 'praxis';
    await fx.createDatabase(database, sampleData(40));
    const original = await fx.tables(database);
    const keys = [TABLES.patient, TABLES.befund, TABLES.eintrag].map(fx.key).sort();
    assert.equal(Object.keys(original).sort(), keys, 'the fixture sees the sample\'s tables');
    assert.is(original[fx.key(TABLES.patient)]!.rows, 40);
    const c = fx.component(database);
    const d = await dump(c);
    assert.ok(d.server.version.length > 0, 'probe: the server version');
    assert.ok(d.server.databaseBytes > 0, 'probe: the database size');
    assert.is(d.entry.path, kind.dumpFileName(c.name));
    assert.equal(listDir(d.dir), [d.entry.path], 'only the dump file in the folder');
    assert.is(d.entry.sha256, sha256(d.file), 'sha256 of the file as written');
    assert.is(d.entry.bytes, statSync(d.file).size);
    assert.equal(d.entry.rows, rowsOf(original), 'the manifest\'s rows are the tables\' counts');
    assert.ok(d.entry.serverVersion, 'the server version recorded');

    await change(database);
    const changed = await fx.tables(database);
    assert.is(changed[fx.key(TABLES.patient)]!.rows, original[fx.key(TABLES.patient)]!.rows);
    assert.is.not(changed[fx.key(TABLES.patient)]!.checksum, original[fx.key(TABLES.patient)]!.checksum, 'the checksum sees a changed value, not only the count');
    assert.is.not(changed[fx.key(TABLES.befund)]!.checksum, original[fx.key(TABLES.befund)]!.checksum);

    const req = request(c, d);
    const pre = await kind.preflight(ctx(), req);
    assert.ok(pre.serverVersion.length > 0, 'preflight: the live server\'s version');
    assert.equal(pre.clients, [], 'preflight: nobody connected');
    const r = await kind.restore(ctx(), req);
    assert.equal(await fx.tables(database), original, 'the live database is the backup, row for row');
    assert.ok(r.keptAs, 'the previous database is kept');
    assert.equal(await fx.tables(r.keptAs!), changed, 'the kept one is the database as it was before the restore');
    assert.ok(r.tables >= 3, `tables counted by the restore: ${r.tables}`);
    assert.equal(await fx.restoreTargets(database), [], 'no load target left');
  });

  test('hot dump while a writer inserts: no error, and the manifest\'s rows are what a restore of it holds', async () => {
    const database = 'heiss';
    await fx.createDatabase(database, sampleData(30));
    const written = async () => (await fx.tables(database))[fx.key(TABLES.eintrag)]!.rows;
    const writer = await fx.startWriter(database);
    let d!: Awaited<ReturnType<typeof dump>>;
    let before = 0;
    let after = 0;
    try {
      assert.ok(await waitUntil(async () => (await written()) > 0, 60_000), 'the writer writes');
      before = await written();
      d = await dump(fx.component(database));
      // The writer was running all along; on a loaded machine it may not have committed a row
      // within a short dump, so wait for its next row instead of racing it (a state, not a time).
      assert.ok(await waitUntil(async () => (await written()) > before, 60_000), 'the writer goes on writing');
      after = await written();
    } finally {
      await writer.stop();
    }
    const inDump = d.entry.rows?.[fx.key(TABLES.eintrag)];
    assert.ok(inDump !== undefined && inDump >= before && inDump <= after, `the dump's ${inDump} rows lie between ${before} and ${after}`);

    const tested = await kind.restoreTest(ctx(), fx.component(database), { entry: d.entry, dumpFile: d.file, password: fx.password, backupId: backupId() });
    assert.equal(tested.problems, [], 'the restore test finds the manifest\'s rows');

    const untouched = await fx.tables(database);
    await kind.restore(ctx(), request(fx.component(database), d, { dropPrevious: true }));
    const restored = await fx.tables(database);
    assert.equal(rowsOf(restored), d.entry.rows, 'the restored database holds exactly the manifest\'s rows');
    for (const t of [TABLES.patient, TABLES.befund]) assert.is(restored[fx.key(t)]!.checksum, untouched[fx.key(t)]!.checksum, `${t}: content unchanged`);
  });

  test('wrong password: a PraxisError naming the database, and no file', async () => {
    const database = 'praxis';
    const c = fx.component(database);
    namesDatabase(await rejects(kind.probe(ctx(), c, fx.wrongPassword)), database, 'probe');
    const server = await kind.probe(ctx(), c, fx.password);
    const dir = await dumpDir();
    namesDatabase(await rejects(kind.dump(ctx(), c, server, fx.wrongPassword, dir)), database, 'dump');
    assert.equal(listDir(dir), [], 'no file written');
  });

  test('a database that does not exist: a PraxisError naming it, and no file', async () => {
    const database = 'gibt_es_nicht';
    const c = fx.component(database);
    namesDatabase(await rejects(kind.probe(ctx(), c, fx.password)), database, 'probe');
    const server = await kind.probe(ctx(), fx.component('praxis'), fx.password);
    const dir = await dumpDir();
    namesDatabase(await rejects(kind.dump(ctx(), c, server, fx.password, dir)), database, 'dump');
    assert.equal(listDir(dir), [], 'no file written');
  });

  test('server down: a PraxisError naming the database, and no file', async () => {
    const database = 'praxis';
    const server = await kind.probe(ctx(), fx.component(database), fx.password);
    const down = await fx.unreachable(database);
    namesDatabase(await rejects(kind.probe(ctx(), down, fx.password)), database, 'probe');
    const dir = await dumpDir();
    namesDatabase(await rejects(kind.dump(ctx(), down, server, fx.password, dir)), database, 'dump');
    assert.equal(listDir(dir), [], 'no file written');
  });

  test('cancel once the dump is writing: it stops, and no file is left in the folder (no partial either)', async () => {
    const database = await bigDatabase();
    const c = fx.component(database);
    const server = await kind.probe(ctx(), c, fx.password);
    const dir = await dumpDir();
    const ac = new AbortController();
    let writing = false;
    // The state to wait for: bytes on their way to the folder, seen as a dump progress event or as
    // a file in the folder that has grown.
    const seen = (e: StampedEvent) => {
      if (e.type === 'progress' && e.phase === 'dump' && (e.bytes ?? 0) > 0) {
        writing = true;
        ac.abort();
      }
    };
    let settled = false;
    const dumping = kind.dump(ctx(ac.signal, seen), c, server, fx.password, dir).finally(() => { settled = true; });
    dumping.catch(() => {});
    const grew = waitUntil(async () => {
      if (!writing && listDir(dir).some((f) => statSync(join(dir, f), { throwIfNoEntry: false })?.size)) {
        writing = true;
        ac.abort();
      }
      return writing || settled;
    }, 120_000, 20);
    const outcome = await dumping.then((entry) => entry, (e: unknown) => e as Error);
    await grew;
    assert.ok(writing, 'the dump had begun writing when it was cancelled');
    assert.instance(outcome, Error, `a cancelled dump does not return an entry (${JSON.stringify(outcome).slice(0, 200)}): a bigger fill() is needed`);
    assert.equal(listDir(dir), [], 'nothing left in the folder');
  });

  test('a restore killed mid-load (SIGKILL to its process and every child): the live database unchanged; the next restore succeeds and removes the leftover', async () => {
    const database = await bigDatabase();
    const c = fx.component(database);
    const d = await dump(c);
    const backup = await fx.tables(database);
    await change(database);
    const live = await fx.tables(database);
    const req = request(c, d);
    const script = join(root, 'restore-child.mts');
    await writeFile(script, RESTORE_CHILD);
    const proc = execa(process.execPath, ['--import', 'tsx', script], {
      cwd: process.cwd(),
      reject: false,
      env: { CONTRACT_RESTORE_REQ: JSON.stringify({ ...req, password: null }), CONTRACT_RESTORE_PW: fx.password },
    });
    // Once the load has begun, the restore and every child are frozen, and only then killed: what
    // the kill hits is a load in progress (a 12 MB load outlasts the look by far; the swap would
    // also show below as a changed live database).
    let target = '';
    const begun = await waitUntil(async () => {
      if (proc.exitCode !== null) return true;
      const [t] = await fx.restoreTargets(database);
      if (t && (await fx.loadBegun(t))) target = t;
      return Boolean(target);
    }, 120_000, 20);
    const frozen = freezeTree(proc.pid!);
    assert.ok(begun && target, `the load had begun before the kill (restore exited: ${proc.exitCode})`);
    assert.ok(await killAll(frozen), 'the restore and its children are gone');
    const r = await proc;
    assert.not.ok(String(r.stdout).includes('swapped'), 'the restore did not get to the swap');
    assert.equal(await fx.tables(database), live, 'the live database is exactly as it was');
    assert.equal(await fx.restoreTargets(database), [target], 'the killed load left its target');

    const since = events.length;
    await kind.restore(ctx(), request(c, d, { dropPrevious: true }));
    assert.equal(await fx.tables(database), backup, 'the next restore puts the backup in');
    assert.equal(await fx.restoreTargets(database), [], 'and removes the leftover');
    const said = events.slice(since).some((e) => (e.type === 'log' || e.type === 'warning') && JSON.stringify(e.message.params ?? {}).includes(JSON.stringify(target).slice(1, -1)));
    assert.ok(said, `the log names the removed leftover ${target}`);
  });

  test('restore test: a good dump passes with its tables counted; a manifest whose rows were altered is a problem', async () => {
    const database = 'praxis';
    const c = fx.component(database);
    const d = await dump(c);
    const good = await kind.restoreTest(ctx(), c, { entry: d.entry, dumpFile: d.file, password: fx.password, backupId: backupId() });
    assert.equal(good.problems, []);
    assert.ok(good.tables >= 3, `tables: ${good.tables}`);
    assert.is(good.counted, Object.keys(d.entry.rows ?? {}).length, 'every table with a recorded count was compared');
    assert.ok(good.counted > 0);
    const key = fx.key(TABLES.befund);
    const altered = { ...d.entry, rows: { ...d.entry.rows, [key]: d.entry.rows![key]! + 1 } };
    const bad = await kind.restoreTest(ctx(), c, { entry: altered, dumpFile: d.file, password: fx.password, backupId: backupId() });
    assert.ok(bad.problems.length > 0, 'the altered count is a problem');
    assert.ok(JSON.stringify(bad.problems).includes(JSON.stringify(key).slice(1, -1)), `the problem names the table: ${JSON.stringify(bad.problems)}`);
  });

  test('a database named „Praxis Müller“ (umlaut and space; tables too): dump, restore test and restore', async () => {
    const database = 'Praxis Müller';
    await fx.createDatabase(database, sampleData(12));
    const original = await fx.tables(database);
    const c = fx.component(database);
    const d = await dump(c);
    assert.equal(d.entry.rows, rowsOf(original), 'the manifest\'s rows are the tables\' counts');
    const tested = await kind.restoreTest(ctx(), c, { entry: d.entry, dumpFile: d.file, password: fx.password, backupId: backupId() });
    assert.equal(tested.problems, [], 'the restore test passes');
    await change(database);
    const r = await kind.restore(ctx(), request(c, d));
    assert.equal(await fx.tables(database), original, 'the live database is the backup, row for row');
    assert.ok(r.keptAs, 'the previous database is kept');
  });

  test('the password is in no child\'s argv and no event', () => {
    assert.ok(argvs.length > 5, `children were seen: ${argvs.length}`);
    for (const a of argvs) assert.not.ok(a.includes(fx.password), a);
    assert.not.ok(JSON.stringify(events).includes(fx.password));
  });

  test.run();
}
