// Restore of a PostgreSQL component (restore-types.ts is the contract): pg_restore into a new
// database `<db>_restore_<stamp>`, check it against the dump's table list, then rename both
// databases in one transaction so that the previous one is kept as `<db>_vor_restore_<stamp>`.
// The live database is not touched before that swap, so a restore that fails, is cancelled or is
// killed (kill -9) at any point before it leaves the practice's database exactly as it was.
//
// Every statement runs through psql (the one process seam), connected to the maintenance database
// `postgres` — never to the live database, which we must not hold open while renaming it. The
// admin password reaches psql/pg_restore as PGPASSWORD in their environment only.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostgresComponent } from '../../config/schema';
import type { Message } from '../../i18n';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import { connectFailed } from '../common/db-errors';
import { ExitCode, PraxisError } from '../../core/errors';
import { connArgs, parseProbe, pgEnv, serverMessage } from './dump';
import {
  addressedTo, dbSettingsSql, diffDbSettings, isDbLevelItem, parseDbLevelScript, parseDbSettings, rolesNamed, type DbLevelSql, type DbSettings,
} from './db-settings';
import type { DbClient, DbPreflight, DbRestoreRequest, DbRestoreResult } from '../restore-types';
import type { StepContext } from '../../run/step-context';
import type { ToolInfo } from '../../process/tool-locator';
import { PG_RESTORE, PSQL } from './tools';
import { quoteIdent, quoteLiteral } from './quote';

/** Where our own statements run: every cluster has it, and it is not the database we rename. */
const MAINTENANCE_DB = 'postgres';
/** PostgreSQL truncates longer identifiers silently (NAMEDATALEN - 1), which would break the naming scheme. */
const MAX_IDENT_BYTES = 63;

// ---------------------------------------------------------------- SQL and argv building blocks

export { quoteIdent, quoteLiteral };

/** `-d` takes a connection string when the name contains '=' or is a URI: then say dbname= explicitly. */
function dbArg(name: string): string {
  return /=|^postgres(ql)?:\/\//.test(name) ? `dbname='${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : name;
}

export interface RestoreNames {
  /** Where the dump is loaded: `<db>_restore_<stamp>`. */
  temp: string;
  /** Where the previous live database is kept: `<db>_vor_restore_<stamp>`. */
  kept: string;
  /** Prefix of leftovers from restores that did not finish. */
  leftoverPrefix: string;
}

export function restoreNames(database: string, stamp: string): RestoreNames {
  if (!/^\d{8}_\d{6}$/.test(stamp)) throw new Error(`restore stamp must be YYYYMMDD_HHMMSS, got ${stamp}`);
  const names = { temp: `${database}_restore_${stamp}`, kept: `${database}_vor_restore_${stamp}`, leftoverPrefix: `${database}_restore_` };
  if (Buffer.byteLength(names.kept) > MAX_IDENT_BYTES) {
    throw new PraxisError('restore.pg.nameTooLong', { database, name: names.kept, max: MAX_IDENT_BYTES }, ExitCode.invalidInput);
  }
  return names;
}

/** A leftover of ours: exactly `<db>_restore_YYYYMMDD_HHMMSS`, never some other database that happens to share the prefix. */
export function isLeftover(name: string, names: RestoreNames): boolean {
  return name.startsWith(names.leftoverPrefix) && /^\d{8}_\d{6}$/.test(name.slice(names.leftoverPrefix.length));
}

/** One psql call: -X (no ~/.psqlrc), unaligned, tuples only, stop at the first error. */
export function planPgSql(psql: string, c: PostgresComponent, database: string, sql: string, password: string | null): CommandPlan {
  return {
    label: `psql (${database})`,
    file: psql,
    args: ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', ...connArgs(c), '-d', dbArg(database), '-c', sql],
    env: pgEnv(password),
    secrets: password ? [password] : [],
    timeoutMs: 120_000,
  };
}

/**
 * The archive's table of contents: also the test whether this pg_restore can read the archive at
 * all. --create: only then does pg_restore list the entries of the database itself (its owner,
 * comment, privileges and settings), which pg_dump writes into every archive.
 */
export function planPgRestoreList(pgRestore: string, dumpFile: string): CommandPlan {
  return { label: 'pg_restore --list', file: pgRestore, args: ['--create', '--list', dumpFile], timeoutMs: 120_000 };
}

/**
 * The statements of the database-level entries as a script on stdout: -L (a list file holding only
 * those entries) selects them, --create is what makes pg_restore emit them (see postgres-db-settings.ts).
 */
export function planPgRestoreDbLevel(pgRestore: string, dumpFile: string, listFile: string): CommandPlan {
  return { label: 'pg_restore --create (database settings)', file: pgRestore, args: ['--create', '-L', listFile, '-f', '-', dumpFile], timeoutMs: 120_000 };
}

/**
 * A script through psql's stdin in one transaction (-1): the database-level statements may hold
 * values (a setting, a comment) that have no business in an argv that every local user can read.
 */
export function planPgScript(psql: string, c: PostgresComponent, database: string, script: string, password: string | null): CommandPlan {
  return {
    label: `psql (${database})`,
    file: psql,
    args: ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-1', ...connArgs(c), '-d', dbArg(database), '-f', '-'],
    input: script,
    env: pgEnv(password),
    secrets: password ? [password] : [],
    timeoutMs: 120_000,
  };
}

/**
 * Owners are kept (no --no-owner): the practice restores onto its own server, where the roles of
 * the practice software exist, and the software needs to own its tables (its updates ALTER them).
 * With --no-owner every table would belong to the admin and the software could fail after the
 * restore. Missing roles are found before anything is created (missingRoles).
 */
export function planPgRestore(
  pgRestore: string,
  c: PostgresComponent,
  database: string,
  dumpFile: string,
  jobs: number,
  password: string | null,
): CommandPlan {
  return {
    label: `pg_restore (${database})`,
    file: pgRestore,
    args: [
      ...connArgs(c), '-d', dbArg(database),
      // Stop at the first error: a half-restored database must never become the live one.
      '--exit-on-error',
      // -v: one line per archive item, which is what the progress counts.
      '-v',
      ...(jobs > 1 ? ['-j', String(jobs)] : []),
      dumpFile,
    ],
    env: pgEnv(password),
    secrets: password ? [password] : [],
  };
}

/**
 * Parallel restore (-j) loads several tables and builds several indexes at once: that is where a
 * big restore spends its time. Each job is one more process and server connection on the
 * practice's production machine, and starting them costs more than it saves for small dumps, so:
 * one job below 32 MiB of dump (≈ half a GB of data, a minute or two single-threaded), else up to
 * 4, never more than the machine has cores.
 */
export function restoreJobs(dumpBytes: number, cpus: number): number {
  if (dumpBytes < 32 * 1024 * 1024) return 1;
  return Math.max(1, Math.min(4, cpus));
}

/**
 * What the restored database will take on the server. The live database, when there is one,
 * holds nearly the same data (a freshly loaded copy has no bloat: measured 43.6 MB restored vs
 * 46.2 MB live). Without one: an empty database (template0's size) plus the dump × 16, the ratio
 * measured for the sample practice (zlib-compressed text columns plus rebuilt indexes). Real data
 * with binary columns compresses less, so this errs on the side of too much — a disk running full
 * under a PostgreSQL server is worse than a restore that asks for more space than it needs.
 */
export const DUMP_TO_DATABASE_FACTOR = 16;
export function estimateRestoredBytes(dumpBytes: number, liveBytes: number | undefined, emptyDbBytes: number): number {
  return liveBytes ?? emptyDbBytes + dumpBytes * DUMP_TO_DATABASE_FACTOR;
}

/** '15.18 (Debian 15.18-0+deb12u1)' → '15', '9.6.24' → '9.6' (before 10 the major had two parts). */
export function pgMajor(version: string): string | null {
  const m = /^\s*(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return null;
  return Number(m[1]) >= 10 ? m[1]! : `${m[1]}.${m[2] ?? 0}`;
}

// ---------------------------------------------------------------- the dump's table of contents

export interface PgTable {
  schema: string;
  name: string;
}

export interface PgToc {
  /** Number of archive items ("TOC Entries"): pg_restore -v reports each once. */
  entries: number;
  tables: PgTable[];
  /** Roles that own something in the dump: they must exist on the server. */
  owners: string[];
  /** The dumped database itself (its DATABASE entry): name and owner. */
  database?: { name: string; owner: string };
  /** The list lines of the entries that belong to the database itself (postgres-db-settings.ts). */
  dbLevel: string[];
  dumpedFrom?: string;
  dumpedBy?: string;
}

export const tableKey = (t: PgTable): string => `${t.schema}.${t.name}`;

/**
 * Parses `pg_restore --list`. Item lines are "<id>; <tableoid> <oid> <desc> <schema> <tag> <owner>",
 * space-separated without quoting; schema and owner are single words in practice, so a table name
 * with spaces is what lies between them.
 */
export function parseToc(lines: string[]): PgToc {
  const toc: PgToc = { entries: 0, tables: [], owners: [], dbLevel: [] };
  const owners = new Set<string>();
  let items = 0;
  for (const line of lines) {
    const header = /^;\s+(TOC Entries|Dumped from database version|Dumped by pg_dump version):\s*(.*)$/.exec(line);
    if (header) {
      if (header[1] === 'TOC Entries') toc.entries = Number(header[2]);
      else if (header[1] === 'Dumped from database version') toc.dumpedFrom = header[2]!.trim();
      else toc.dumpedBy = header[2]!.trim();
      continue;
    }
    const item = /^\d+; \d+ \d+ (.*)$/.exec(line);
    if (!item) continue;
    items++;
    const rest = item[1]!;
    const words = rest.split(' ');
    const owner = words[words.length - 1];
    if (owner) owners.add(owner);
    if (isDbLevelItem(rest)) toc.dbLevel.push(line);
    if (rest.startsWith('DATABASE - ') && owner) toc.database = { name: words.slice(2, -1).join(' '), owner };
    // "TABLE ATTACH <schema> <partition>" (a partition attached to its parent) is not a table of its own.
    if (rest.startsWith('TABLE ') && !rest.startsWith('TABLE DATA ') && !rest.startsWith('TABLE ATTACH ')) {
      const parts = rest.slice('TABLE '.length).split(' ');
      parts.pop(); // owner
      const schema = parts.shift() ?? '';
      toc.tables.push({ schema, name: parts.join(' ') });
    }
  }
  if (!toc.entries) toc.entries = items;
  toc.owners = [...owners].sort();
  return toc;
}

// ---------------------------------------------------------------- the server's state, in one query

interface LiveDb {
  encoding: string;
  collate: string;
  ctype: string;
  owner: string;
  bytes: number;
  /** The whole pg_database row, whatever this server version has (locale provider columns vary). */
  row: Record<string, unknown>;
}

export interface PgServerState {
  versionNum: number;
  version: string;
  major: number;
  live: LiveDb | null;
  emptyDbBytes: number;
  databases: string[];
  roles: string[];
  clients: DbClient[];
}

/**
 * Everything a restore needs to know about the server as one JSON line (jsonb prints on one line,
 * escapes newlines in application names, and has the same shape on every version since 9.5).
 * The clients exclude ourselves and background workers (autovacuum connects to databases too).
 */
export function stateSql(database: string): string {
  const db = quoteLiteral(database);
  return `SELECT jsonb_build_object(
  'num', current_setting('server_version_num'),
  'version', current_setting('server_version'),
  'live', (SELECT jsonb_build_object('encoding', pg_encoding_to_char(d.encoding), 'collate', d.datcollate, 'ctype', d.datctype,
                                     'owner', pg_get_userbyid(d.datdba), 'bytes', pg_database_size(d.oid), 'row', to_jsonb(d))
           FROM pg_database d WHERE d.datname = ${db}),
  'emptyDbBytes', (SELECT pg_database_size('template0')),
  'databases', (SELECT coalesce(jsonb_agg(datname ORDER BY datname), '[]') FROM pg_database),
  'roles', (SELECT coalesce(jsonb_agg(rolname), '[]') FROM pg_roles),
  'clients', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'id', pid::text, 'user', coalesce(usename, ''),
                 'address', coalesce(client_hostname, host(client_addr), '[local]'),
                 'program', nullif(application_name, ''), 'since', backend_start) ORDER BY backend_start), '[]')
              FROM pg_stat_activity
              WHERE datname = ${db} AND pid <> pg_backend_pid() AND backend_type = 'client backend'))`;
}

export function parseState(line: string): PgServerState {
  const j = JSON.parse(line) as {
    num: string; version: string; live: (Omit<LiveDb, 'bytes'> & { bytes: number | string }) | null; emptyDbBytes: number | string;
    databases: string[]; roles: string[];
    clients: { id: string; user: string; address: string; program: string | null; since: string | null }[];
  };
  const probe = parseProbe(`${j.num}|${j.version}|0`);
  return {
    versionNum: probe.versionNum,
    version: probe.version,
    major: probe.major,
    live: j.live ? { ...j.live, bytes: Number(j.live.bytes) } : null,
    emptyDbBytes: Number(j.emptyDbBytes),
    databases: j.databases,
    roles: j.roles,
    clients: j.clients.map((c) => ({
      id: c.id,
      user: c.user,
      address: c.address,
      ...(c.program ? { program: c.program } : {}),
      ...(c.since ? { since: new Date(c.since).toISOString() } : {}),
    })),
  };
}

/** The clients as one line for a message: address first (it is what tells the admin which workstation). */
export function formatClients(clients: DbClient[]): string {
  return clients.map((c) => `${c.address} (${[c.program, c.user, `PID ${c.id}`].filter(Boolean).join(', ')})`).join('; ');
}

// ---------------------------------------------------------------- talking to the server

/** A server to talk to: the run's context, the component, its admin password, psql. */
export interface Target {
  ctx: StepContext;
  c: PostgresComponent;
  password: string | null;
  psql: string;
}

const WRONG_PASSWORD = /password authentication failed|no password supplied|authentication failed/i;

/** A statement in the maintenance database. Not cancellable unless a signal is given: see swap(). */
export async function sql(t: Target, statement: string, opts: { database?: string; signal?: AbortSignal } = {}): Promise<string[]> {
  const lines: string[] = [];
  await run(planPgSql(t.psql, t.c, opts.database ?? MAINTENANCE_DB, statement, t.password), {
    signal: opts.signal,
    onStdoutLine: (l) => lines.push(l),
  });
  return lines;
}

export async function serverState(t: Target): Promise<PgServerState> {
  try {
    const lines = await sql(t, stateSql(t.c.database), { signal: t.ctx.signal });
    return parseState(lines.join(''));
  } catch (e) {
    const message = serverMessage(e);
    if (e instanceof CommandError && e.reason === 'exit' && WRONG_PASSWORD.test(message)) {
      // Nothing has been created yet: say so, and whose login it was.
      throw new PraxisError('restore.db.wrongPassword', { user: t.c.user, host: t.c.host, port: t.c.port, database: t.c.database, message });
    }
    connectFailed(e, t.c, message);
  }
}

export async function readToc(t: Target, pgRestore: ToolInfo, dumpFile: string): Promise<PgToc> {
  const lines: string[] = [];
  try {
    await run(planPgRestoreList(pgRestore.path, dumpFile), { signal: t.ctx.signal, onStdoutLine: (l) => lines.push(l) });
  } catch (e) {
    if (e instanceof CommandError && e.reason === 'cancelled') throw e;
    const message = serverMessage(e);
    // "unsupported version (1.16) in file header": written by a newer pg_dump than this pg_restore.
    if (/unsupported version/i.test(message)) {
      throw new PraxisError('restore.pg.archiveTooNew', { file: dumpFile, tool: pgRestore.version, path: pgRestore.path, message });
    }
    throw new PraxisError('restore.pg.archiveUnreadable', { file: dumpFile, message });
  }
  return parseToc(lines);
}

/** The database-level statements of the archive (none in an archive from before PostgreSQL 11). */
export async function readDbLevelSql(t: Target, pgRestore: ToolInfo, dumpFile: string, toc: PgToc): Promise<DbLevelSql> {
  if (!toc.dbLevel.length) return parseDbLevelScript('');
  let script = '';
  // A file, not stdin: pg_restore opens the list by name, and our children's stdin is a socket, not a pipe /dev/stdin could reopen.
  const dir = await mkdtemp(join(tmpdir(), 'praxis-pg-list-'));
  try {
    const listFile = join(dir, 'database.list');
    await writeFile(listFile, `${toc.dbLevel.join('\n')}\n`, { mode: 0o600 });
    await run(planPgRestoreDbLevel(pgRestore.path, dumpFile, listFile), {
      signal: t.ctx.signal,
      // The raw bytes: a comment may hold a carriage return, which line splitting would turn into a newline.
      consumeStdout: async (stdout) => {
        stdout.setEncoding('utf8');
        for await (const chunk of stdout) script += chunk as string;
      },
    });
  } catch (e) {
    if (e instanceof CommandError && e.reason === 'cancelled') throw e;
    throw new PraxisError('restore.pg.archiveUnreadable', { file: dumpFile, message: serverMessage(e) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return parseDbLevelScript(script);
}

/** Owners of the dump's objects and the roles its database-level grants and settings name, absent on the server. */
export function missingRoles(toc: PgToc, serverRoles: string[], dbLevel?: DbLevelSql): string[] {
  const have = new Set(serverRoles);
  const needed = new Set([...toc.owners, ...(dbLevel ? rolesNamed(dbLevel) : [])]);
  return [...needed].filter((o) => !have.has(o)).sort();
}

interface Prepared {
  t: Target;
  state: PgServerState;
  pgRestore: ToolInfo;
  toc: PgToc;
  dbLevel: DbLevelSql;
  warnings: Message[];
}

/** What preflight and restore both do first: log in, pick pg_restore, read the archive, check roles and versions. */
async function prepare(ctx: StepContext, req: DbRestoreRequest): Promise<Prepared> {
  const c = req.component as PostgresComponent;
  restoreNames(c.database, req.stamp); // a name PostgreSQL would truncate is refused before we log in
  const psql = await ctx.tools.findForServer(PSQL);
  const t: Target = { ctx, c, password: req.password, psql: psql.path };
  const state = await serverState(t);
  // The server's own major first (its pg_restore knows its SQL), else the nearest newer one.
  const pgRestore = await ctx.tools.findForServer(PG_RESTORE, state.major);
  const toc = await readToc(t, pgRestore, req.dumpFile);
  const dbLevel = await readDbLevelSql(t, pgRestore, req.dumpFile, toc);
  const missing = missingRoles(toc, state.roles, dbLevel);
  if (missing.length) {
    throw new PraxisError('restore.pg.rolesMissing', { database: c.database, roles: missing.join(', ') });
  }
  const warnings: Message[] = [];
  const dumpVersion = req.entry.serverVersion ?? toc.dumpedFrom;
  const dumpMajor = dumpVersion ? pgMajor(dumpVersion) : null;
  const serverMajor = pgMajor(state.version);
  if (dumpMajor && serverMajor && dumpMajor !== serverMajor) {
    warnings.push({ key: 'restore.db.versionDiffers', params: { database: c.database, dump: dumpVersion!, server: state.version } });
  }
  return { t, state, pgRestore, toc, dbLevel, warnings };
}

export async function preflightPostgres(ctx: StepContext, req: DbRestoreRequest): Promise<DbPreflight> {
  const { state, warnings } = await prepare(ctx, req);
  return {
    serverVersion: state.version,
    clients: state.clients,
    warnings,
    estimatedBytes: estimateRestoredBytes(req.entry.bytes, state.live?.bytes, state.emptyDbBytes),
  };
}

// ---------------------------------------------------------------- the restore

/** DROP DATABASE; WITH (FORCE) (13+) ends sessions still in it — only used on databases of ours. */
export function dropSql(name: string, force: boolean, versionNum: number): string {
  return `DROP DATABASE IF EXISTS ${quoteIdent(name)}${force && versionNum >= 130000 ? ' WITH (FORCE)' : ''}`;
}

/**
 * The new database gets the live one's encoding and locale (it is going to replace it) and the
 * backup's owner (the dump's DATABASE entry: what is being restored; the database-level grants
 * pg_dump wrote are relative to that owner's default privileges). Without an owner in the dump,
 * the live one's; on a fresh server without either, the admin who restores.
 */
export function createSql(name: string, live: LiveDb | null, owner: string | undefined = live?.owner): string {
  const base = `CREATE DATABASE ${quoteIdent(name)} WITH TEMPLATE template0${owner ? ` OWNER ${quoteIdent(owner)}` : ''}`;
  if (!live) return base; // a fresh server: its defaults
  let sqlText = `${base} ENCODING ${quoteLiteral(live.encoding)} LC_COLLATE ${quoteLiteral(live.collate)} LC_CTYPE ${quoteLiteral(live.ctype)}`;
  const provider = live.row.datlocprovider;
  const locale = (live.row.daticulocale ?? live.row.datlocale) as string | null | undefined;
  if (provider === 'i' && locale) sqlText += ` LOCALE_PROVIDER icu ICU_LOCALE ${quoteLiteral(locale)}`;
  if (provider === 'b' && locale) sqlText += ` LOCALE_PROVIDER builtin BUILTIN_LOCALE ${quoteLiteral(locale)}`;
  return sqlText;
}

/**
 * Both renames in one transaction (ALTER DATABASE … RENAME is transactional, unlike CREATE/DROP
 * DATABASE): either both happened or neither, whenever psql or we are killed. lock_timeout: a
 * swap that cannot get its locks fails instead of hanging the restore.
 */
export function swapSql(database: string, names: RestoreNames, liveExists: boolean): string {
  const renameNew = `ALTER DATABASE ${quoteIdent(names.temp)} RENAME TO ${quoteIdent(database)};`;
  if (!liveExists) return renameNew;
  return `BEGIN; SET LOCAL lock_timeout = '10s'; ALTER DATABASE ${quoteIdent(database)} RENAME TO ${quoteIdent(names.kept)}; ${renameNew} COMMIT;`;
}

const VERBOSE_LINE = /^pg_restore: (processing item|finished item|launching item|creating|processing data|executing|entering|finished main|connecting)/;

export function loadFailedMessage(e: unknown): { message: string; toolOutput: string[] } {
  if (!(e instanceof CommandError)) return { message: (e as Error).message, toolOutput: [] };
  const meaningful = e.stderrTail.filter((l) => l.trim() && !VERBOSE_LINE.test(l));
  const first = meaningful.find((l) => /error:/i.test(l));
  const message = first?.replace(/^pg_restore: (error: )?/, '') ?? (e.signal ? `pg_restore: ${e.signal}` : e.message);
  return { message, toolOutput: meaningful.slice(-10) };
}

/** Best effort after a failure or cancel: the next restore removes what is left over anyway. */
async function dropTemp(t: Target, name: string, versionNum: number): Promise<void> {
  try {
    await sql(t, dropSql(name, true, versionNum));
    t.ctx.reporter.info('restore.pg.tempDropped', { name });
  } catch {
    /* left for the next restore, which says so in its log */
  }
}

export interface TableCheck {
  tables: number;
  missing: string[];
  /** Tables whose row count differs from what the caller expected: "public.patient 120 ≠ 119". */
  rowsDiffer: string[];
}

/**
 * Every table of the dump's table list is in the restored database, and so is every table the
 * manifest counted at backup time (expectedRows: schema.table → rows, counted in pg_dump's own
 * snapshot): a dump that lost a whole table is as wrong as one that lost rows. Row counts are
 * compared for every table in expectedRows; ONLY, because that is how they were counted (an
 * inheritance parent without its children, as pg_dump copies it).
 */
export async function checkRestoredTables(
  ctx: StepContext,
  c: PostgresComponent,
  password: string | null,
  database: string,
  toc: PgToc,
  expectedRows?: Record<string, number>,
): Promise<TableCheck> {
  const psql = await ctx.tools.findForServer(PSQL);
  const t: Target = { ctx, c, password, psql: psql.path };
  const present = new Set(
    JSON.parse(
      (await sql(t, `SELECT coalesce(jsonb_agg(n.nspname || '.' || c.relname), '[]') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')`, { database, signal: ctx.signal })).join(''),
    ) as string[],
  );
  const missing = toc.tables.map(tableKey).filter((k) => !present.has(k));
  for (const k of Object.keys(expectedRows ?? {})) if (!present.has(k) && !missing.includes(k)) missing.push(k);
  const rowsDiffer: string[] = [];
  const counted = toc.tables.filter((tb) => expectedRows?.[tableKey(tb)] !== undefined && present.has(tableKey(tb)));
  if (counted.length) {
    const select = counted.map((tb) => `(SELECT count(*) FROM ONLY ${quoteIdent(tb.schema)}.${quoteIdent(tb.name)})`).join(' || \'|\' || ');
    const counts = (await sql(t, `SELECT ${select}`, { database, signal: ctx.signal })).join('').split('|').map(Number);
    counted.forEach((tb, i) => {
      const want = expectedRows![tableKey(tb)]!;
      if (counts[i] !== want) rowsDiffer.push(`${tableKey(tb)} ${counts[i]} ≠ ${want}`);
    });
  }
  return { tables: toc.tables.length - missing.length, missing, rowsDiffer };
}

export async function restorePostgres(ctx: StepContext, req: DbRestoreRequest): Promise<DbRestoreResult> {
  const started = Date.now();
  // prepare() repeats the preflight's checks (the dump or the server may have changed since);
  // its warnings were the preflight's to give, and the run has said them already.
  const { t, state, pgRestore, toc, dbLevel } = await prepare(ctx, req);
  const c = t.c;
  const db = c.database;
  const names = restoreNames(db, req.stamp);
  const name = c.name;
  /** Warnings of the restore itself, returned for the run to report (not reported here: it would say them twice). */
  const warnings: Message[] = [];
  ctx.reporter.info('run.tool', { tool: 'pg_restore', path: pgRestore.path, version: pgRestore.version });

  // Leftovers of restores that were killed: ours by name, so FORCE may end a pg_restore still in them.
  for (const leftover of state.databases.filter((d) => isLeftover(d, names))) {
    await sql(t, dropSql(leftover, true, state.versionNum), { signal: ctx.signal });
    ctx.reporter.info('restore.db.leftoverRemoved', { database: db, name: leftover });
  }

  ctx.reporter.info('restore.pg.creating', { database: db, name: names.temp });
  await sql(t, createSql(names.temp, state.live, toc.database?.owner), { signal: ctx.signal });

  // From here on, every way out before the swap drops the new database again.
  let tables: number;
  try {
    const jobs = restoreJobs(req.entry.bytes, availableParallelism());
    ctx.reporter.info('restore.pg.loading', { database: db, name: names.temp, jobs });
    let done = 0;
    try {
      await run(planPgRestore(pgRestore.path, c, names.temp, req.dumpFile, jobs, req.password), {
        signal: ctx.signal,
        onStderrLine: (line) => {
          if (/^pg_restore: (processing item|finished item) /.test(line) && toc.entries > 0) {
            done++;
            ctx.reporter.progress(name, Math.min(99, Math.floor((done * 100) / toc.entries)), 'restore');
          }
        },
      });
    } catch (e) {
      if (e instanceof CommandError && e.reason === 'cancelled') throw e;
      const { message, toolOutput } = loadFailedMessage(e);
      throw new PraxisError('restore.pg.loadFailed', { database: db, message }, ExitCode.failed, toolOutput);
    }
    ctx.reporter.progress(name, 100, 'restore');

    const check = await checkRestoredTables(ctx, c, req.password, names.temp, toc, req.entry.rows);
    if (check.missing.length) {
      throw new PraxisError('restore.pg.tablesMissing', { database: db, tables: check.missing.join(', ') });
    }
    if (check.rowsDiffer.length) throw new PraxisError('restore.db.rowsDiffer', { database: db, tables: check.rowsDiffer.join(', ') });
    tables = check.tables;
    ctx.reporter.info('restore.pg.checked', { database: db, tables });
    // Only now: a database-level statement_timeout or default_transaction_read_only of the
    // backup's must not reach pg_restore's or the check's sessions.
    await applyDbLevel(t, db, names.temp, dbLevel);

    // Last moment to cancel: the swap itself is not interrupted (see below).
    ctx.signal.throwIfAborted();
    // The run asked the admin to close the clients; if some are still there, do not swap the
    // database from under them (and RENAME would fail anyway: "being accessed by other users").
    const now = await serverState(t);
    if (now.clients.length) throw clientsError(db, now.clients);

    try {
      // No signal: the swap takes milliseconds, and a cancel in its middle would leave us not
      // knowing which of the two states the server committed.
      await sql(t, swapSql(db, names, state.live !== null));
    } catch (e) {
      const message = serverMessage(e);
      if (/being accessed by other users/i.test(message)) {
        const again = await serverState(t).catch(() => null);
        if (again?.clients.length) throw clientsError(db, again.clients);
      }
      throw new PraxisError('restore.pg.swapFailed', { database: db, message });
    }
  } catch (e) {
    await dropTemp(t, names.temp, state.versionNum);
    throw e;
  }

  let keptAs: string | null = null;
  if (state.live) {
    keptAs = names.kept;
    ctx.reporter.info('restore.pg.swapped', { database: db, keptAs });
    if (req.dropPrevious) {
      try {
        await sql(t, dropSql(names.kept, false, state.versionNum));
        ctx.reporter.info('restore.pg.previousDropped', { database: db, name: names.kept });
        keptAs = null;
      } catch (e) {
        warnings.push({ key: 'restore.pg.dropPreviousFailed', params: { database: db, name: names.kept, message: serverMessage(e) } });
      }
    }
  } else {
    ctx.reporter.info('restore.pg.swappedFresh', { database: db });
  }
  warnings.push(...(await checkDbSettings(t, db, req.entry.databaseSettings)));
  return { database: db, keptAs, tables, durationMs: Date.now() - started, warnings };
}

/**
 * The backup's own database-level statements, on the new database before the swap, in one
 * transaction: if one fails (a setting this server does not know), the restore stops with the
 * live database untouched and says which statement the server refused.
 */
export async function applyDbLevel(t: Target, database: string, target: string, dbLevel: DbLevelSql): Promise<void> {
  if (!dbLevel.statements.length) return;
  try {
    await run(planPgScript(t.psql, t.c, MAINTENANCE_DB, addressedTo(dbLevel, target), t.password), { signal: t.ctx.signal });
  } catch (e) {
    if (e instanceof CommandError && e.reason === 'cancelled') throw e;
    throw new PraxisError('restore.pg.settingsFailed', { database, message: serverMessage(e) });
  }
  t.ctx.reporter.info('restore.pg.settingsApplied', { database, count: dbLevel.statements.length });
}

/** The database's settings as the catalog has them now, or null when there is no such database. */
export async function readDbSettings(t: Target, database: string, signal?: AbortSignal): Promise<DbSettings | null> {
  return parseDbSettings(await sql(t, dbSettingsSql(quoteLiteral(database)), { signal }));
}

/**
 * After the swap: the database now live has the owner, comment, privileges and settings the backup
 * recorded. A difference is a warning, not a failure: the data is restored and in place, and the
 * admin is told exactly which setting to put right. Backups from before the manifest recorded them
 * are carried over all the same, only not checked (said in the log).
 */
async function checkDbSettings(t: Target, database: string, recorded: DbRestoreRequest['entry']['databaseSettings']): Promise<Message[]> {
  if (!recorded) {
    t.ctx.reporter.info('restore.pg.settingsNotRecorded', { database });
    return [];
  }
  try {
    // No signal: the restore is done; a cancel now must not make it look failed.
    const found = await readDbSettings(t, database);
    const differences = found ? diffDbSettings(found, recorded) : [`datname: — ≠ ${database}`];
    if (!differences.length) {
      t.ctx.reporter.info('restore.pg.settingsChecked', { database });
      return [];
    }
    return [{ key: 'restore.pg.settingsDiffer', params: { database, differences: differences.join('; ') } }];
  } catch (e) {
    return [{ key: 'restore.pg.settingsNotChecked', params: { database, message: serverMessage(e) } }];
  }
}

function clientsError(database: string, clients: DbClient[]): PraxisError {
  return new PraxisError('restore.db.clientsConnected', { database, count: clients.length, clients: formatClients(clients) });
}
