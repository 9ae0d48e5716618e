// Restoring a MariaDB/MySQL database without ever dropping the live one first (restore-types.ts):
// the dump is streamed into a new schema `<db>_restore_<stamp>`, checked, and only then swapped
// in with ONE `RENAME TABLE` statement (atomic in MariaDB), which moves the live tables into
// `<db>_vor_restore_<stamp>` and the restored ones into the live schema in the same instant.
//
// What RENAME TABLE cannot move across schemas, and how it is handled (tried on MariaDB 10.11):
// - tables with triggers: refused (ERROR 1435 "Trigger in wrong schema"), so triggers are dropped
//   on both sides right before the RENAME and re-created from SHOW CREATE TRIGGER right after;
// - views: refused (ERROR 1450), procedures, functions and events are not moved at all: all are
//   re-created from their SHOW CREATE output (the backup's in the live schema, the previous ones
//   in the kept copy, whose events are disabled so they never run there).
// The whole swap is one `mariadb` script in a detached child: killing us (even kill -9) after it
// started does not stop it halfway. Until it starts, the live schema has not been touched.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline, Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { MariadbComponent } from '../../config/schema';
import type { Message } from '../../i18n';
import { run, CommandError, type CommandPlan } from '../../process/runner';
import { connectFailed } from '../common/db-errors';
import { ExitCode, PraxisError } from '../../core/errors';
import { serverMessage, withOptionFile } from './dump';
import type { ManifestComponent } from '../../backup-directory/manifest';
import type { DbClient, DbPreflight, DbRestoreRequest, DbRestoreResult, SqlFileRestoreRequest } from '../restore-types';
import type { StepContext } from '../../run/step-context';
import { MARIADB } from './tools';

/** `restore --sql FILE --database NAME`: a plain mysqldump file (.sql or .sql.gz) loaded the same way. */
// InnoDB needs about 1.1–1.5 × the SQL text of a mysqldump (pages kept 15/16 full, secondary
// indexes; hex-dumped blobs shrink to half): the test measured 1.16 on 20 000 sample patients.
// The .sql.gz size alone says little (gzip packed the sample 14.6 ×, real data less), so the
// text size is read from gzip's trailer. For the free-space check, not a promise.
export const INNODB_PER_SQL_BYTE = 1.5;

/**
 * Bytes of SQL text in the file: gzip's trailer (ISIZE) holds the uncompressed size modulo 4 GiB,
 * lifted here to at least 3 × the compressed size (SQL text never packs worse), which catches a
 * wrapped value in the usual cases; a plain file is its own size.
 */
export async function sqlTextBytes(file: string): Promise<number> {
  const size = (await stat(file)).size;
  if (!(await isGzip(file)) || size < 18) return size;
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, size - 4);
    let n = b.readUInt32LE(0);
    while (n < 3 * size) n += 2 ** 32;
    return n;
  } finally {
    await fh.close();
  }
}

/** An object the backup does not hold because it was broken when the backup was taken (mariadb-dump.ts). */
type MissingObject = NonNullable<ManifestComponent['missingObjects']>[number];

/** `elexis_vor_restore_20261124_031500` must fit MariaDB's 64-character identifier limit. */
const MAX_DB_NAME = 64 - '_vor_restore_YYYYMMDD_HHMMSS'.length;
/** First bytes of a line that are inspected; the statements we look for are far shorter. */
const HEAD = 1024;
// The client keeps at most 15 characters of a delimiter.
const DELIM = '$$praxis$$';

export const quoteIdent = (name: string): string => '`' + name.replace(/`/g, '``') + '`';
export const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

// ---- one client session per restore: the option file stays for the whole restore ------------------

export interface Session {
  ctx: StepContext;
  c: MariadbComponent;
  client: string;
  opt: string;
  secrets: string[];
}

export async function withSession<T>(ctx: StepContext, c: MariadbComponent, password: string | null, fn: (s: Session) => Promise<T>): Promise<T> {
  const client = await ctx.tools.find(MARIADB);
  return withOptionFile(c, password, (opt) => fn({ ctx, c, client: client.path, opt, secrets: password ? [password] : [] }));
}

/** A script on stdin; `database` as an option (a name starting with "-" must not become one). */
export function planMariaSql(client: string, optFile: string, c: MariadbComponent, database: string | null, secrets: string[]): CommandPlan {
  return {
    label: `mariadb (${database ?? c.database})`,
    file: client,
    args: [
      `--defaults-extra-file=${optFile}`, '--batch', '--skip-column-names', '--connect-timeout=15',
      '--default-character-set=utf8mb4', ...(database ? [`--database=${database}`] : []),
    ],
    secrets,
  };
}

/**
 * Loading a dump: --binary-mode keeps NUL and \r in data as they are and, just as important,
 * turns off the client's own commands (\! shell, \. source, \u use, connect) except DELIMITER,
 * so a file cannot run programs or switch databases through the client behind our back.
 */
export function planMariaLoad(client: string, optFile: string, c: MariadbComponent, schema: string, secrets: string[]): CommandPlan {
  const plan = planMariaSql(client, optFile, c, schema, secrets);
  return { ...plan, label: `mariadb (${schema})`, args: [...plan.args.filter((a) => a !== '--skip-column-names'), '--binary-mode'] };
}

/** `mariadb --batch` escapes \n, \t, \0 and \\ in values. */
function unescapeBatch(v: string): string {
  return v.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch === 't' ? '\t' : ch === '0' ? '\0' : ch));
}

/** Runs a script and returns its rows. Raw stdout (not lines): a \r inside a trigger body must not split a row. */
export async function query(s: Session, script: string, database: string | null = null, signal?: AbortSignal): Promise<string[][]> {
  let out = '';
  await run(
    { ...planMariaSql(s.client, s.opt, s.c, database, s.secrets), input: script },
    {
      signal,
      consumeStdout: async (stdout) => {
        stdout.setEncoding('utf8');
        for await (const chunk of stdout) out += chunk as string;
      },
    },
  );
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t').map(unescapeBatch));
}

export async function exec(s: Session, script: string, database: string | null = null): Promise<void> {
  try {
    await query(s, script, database);
  } catch (e) {
    throw new PraxisError('restore.maria.sqlFailed', { database: database ?? s.c.database, message: serverMessage(e) }, ExitCode.failed, toolLines(e));
  }
}

const toolLines = (e: unknown): string[] => (e instanceof CommandError ? e.stderrTail.slice(-5) : []);

// ---- login, version, clients -------------------------------------------------------------------

interface LiveInfo {
  version: string;
  /** Default charset/collation of the live schema, or null when it does not exist. */
  schema: { charset: string; collation: string } | null;
}

export async function login(s: Session): Promise<LiveInfo> {
  const db = s.c.database;
  try {
    const rows = await query(s, [
      `SELECT 'v', VERSION();`,
      `SELECT 's', DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${lit(db)};`,
    ].join('\n'), null, s.ctx.signal);
    const v = rows.find((r) => r[0] === 'v');
    const sch = rows.find((r) => r[0] === 's');
    return { version: v?.[1] ?? '', schema: sch ? { charset: sch[1]!, collation: sch[2]! } : null };
  } catch (e) {
    const message = serverMessage(e);
    // 1045 is the server's "Access denied … (using password: YES/NO)": the password (or user) is wrong.
    if (/\b1045\b|Access denied/i.test(message)) {
      throw new PraxisError('restore.db.wrongPassword', { user: s.c.user, host: s.c.host, port: s.c.port, database: db, message });
    }
    connectFailed(e, s.c, message);
  }
}

/** Connections whose current database is the live one, except ours (needs the PROCESS privilege to see others). */
async function connectedClients(s: Session, database: string): Promise<DbClient[]> {
  const rows = await query(s,
    `SELECT ID, USER, HOST, COALESCE(COMMAND, ''), COALESCE(STATE, '') FROM information_schema.PROCESSLIST ` +
    `WHERE DB = ${lit(database)} AND ID <> CONNECTION_ID() ORDER BY ID;`);
  return rows.map(([id, user, host, command, state]) => ({
    id: id!,
    user: user!,
    // "192.168.1.20:51234" → the address; "localhost" (socket) has no port.
    address: host!.replace(/:\d+$/, ''),
    program: [command, state].filter(Boolean).join(', ') || undefined,
  }));
}

const clientList = (clients: DbClient[]) => clients.map((k) => `#${k.id} ${k.user}@${k.address}${k.program ? ` (${k.program})` : ''}`).join(', ');

interface ServerKind {
  family: 'MariaDB' | 'MySQL';
  /** The release series ("10.11", "8.0"): for MariaDB each X.Y is a major release, MySQL 8.0 → 8.4 too. */
  series: string;
}

export function serverKind(version: string): ServerKind {
  const v = version.replace(/^5\.5\.5-/, ''); // MariaDB's old protocol prefix
  const m = /^(\d+)\.(\d+)/.exec(v);
  return { family: /mariadb/i.test(v) ? 'MariaDB' : 'MySQL', series: m ? `${m[1]}.${m[2]}` : v };
}

export async function preflightMariadb(ctx: StepContext, req: DbRestoreRequest): Promise<DbPreflight> {
  const c = req.component as MariadbComponent;
  return withSession(ctx, c, req.password, async (s) => {
    const live = await login(s);
    const warnings: Message[] = [];
    const dumpVersion = req.entry.serverVersion;
    if (dumpVersion) {
      const a = serverKind(dumpVersion);
      const b = serverKind(live.version);
      if (a.family !== b.family || a.series !== b.series) {
        warnings.push({ key: 'restore.db.versionDiffers', params: { database: c.database, dump: dumpVersion, server: live.version } });
        // Only then is the dump read twice: a MySQL 8 dump (utf8mb4_0900_ai_ci) on MariaDB before
        // 11.4.5, or a MariaDB 11 dump (utf8mb4_uca1400_ai_ci) on 10.x, cannot load at all.
        const names = await unknownCharsets(s, req.dumpFile, [req.entry.database ?? c.database, c.database]);
        if (names.length) {
          throw new PraxisError('restore.maria.cannotLoad', { dumpVersion, serverVersion: live.version, names: names.join(', ') });
        }
      }
    }
    return {
      serverVersion: live.version,
      clients: live.schema ? await connectedClients(s, c.database) : [],
      warnings,
      estimatedBytes: Math.round((await sqlTextBytes(req.dumpFile)) * INNODB_PER_SQL_BYTE),
    };
  });
}

async function unknownCharsets(s: Session, file: string, own: string[]): Promise<string[]> {
  const inspector = new DumpInspector(file, own, 'scan');
  const source = await sourceStream(file, () => {});
  await new Promise<void>((resolve, reject) => {
    pipeline(source, inspector, new Writable({ write: (_c, _e, cb) => cb() }), (e) => (e ? reject(e) : resolve()));
  });
  const used = [...inspector.charsets];
  if (used.length === 0) return [];
  const known = new Set((await query(s,
    `SELECT LOWER(COLLATION_NAME) FROM information_schema.COLLATIONS UNION SELECT LOWER(CHARACTER_SET_NAME) FROM information_schema.CHARACTER_SETS;`,
  )).map((r) => r[0]));
  return used.filter((n) => !known.has(n)).sort();
}

// ---- the dump stream: inspected line by line on its way into the client ----------------------------

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** The file's SQL text, gunzipped when it starts with gzip's magic bytes (the name says nothing); onRead counts the file's own bytes. */
async function sourceStream(file: string, onRead: (bytes: number) => void): Promise<Readable> {
  const gz = await isGzip(file);
  const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
  raw.on('data', (b) => onRead(b.length));
  return gz ? pipeline(raw, createGunzip(), () => {}) : raw;
}

const IDENT = String.raw`(\`(?:[^\`]|\`\`)+\`|[\w$]+)`;
const unquote = (id: string) => (id.startsWith('`') ? id.slice(1, -1).replace(/``/g, '`') : id);
const RE = {
  // Leading blanks and executable-comment openers (/*!40000 DROP DATABASE …*/, /*M!100100 …).
  lead: /^\s*(?:\/\*M?!\d*\s*)?/,
  createDb: new RegExp(String.raw`^CREATE\s+(?:DATABASE|SCHEMA)\s+(?:\/\*!\d+\s*)?(?:IF\s+NOT\s+EXISTS\s*)?(?:\*\/\s*)?${IDENT}(.*)$`, 'is'),
  dropDb: new RegExp(String.raw`^DROP\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+EXISTS\s+)?${IDENT}`, 'i'),
  alterDb: new RegExp(String.raw`^ALTER\s+(?:DATABASE|SCHEMA)\s+${IDENT}`, 'i'),
  use: new RegExp(String.raw`^USE\s*${IDENT}\s*;?\s*$`, 'is'),
  createTable: new RegExp(String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${IDENT}(\s*\.\s*${IDENT})?`, 'i'),
  view: new RegExp(String.raw`^(?:CREATE\s+(?:OR\s+REPLACE\s+)?)?(?:ALGORITHM\s*=\s*\w+\s+)?(?:DEFINER\s*=\s*\S+\s+)?(?:SQL\s+SECURITY\s+\w+\s+)?VIEW\s+${IDENT}\s+AS\b`, 'i'),
  charset: /\b(?:COLLATE|CHARSET|CHARACTER\s+SET|collation_connection|character_set_client)\s*=?\s*'?(\w+)/gi,
};
/** `ALTER DATABASE CHARACTER SET …` names no database (it means the current one, ours). */
const NOT_A_NAME = new Set(['character', 'charset', 'collate', 'default', 'comment', 'upgrade']);

/**
 * Passes the SQL through line by line, looking only at each line's first bytes: mysqldump writes
 * one statement per line (extended INSERTs included) and statements that name a database are short.
 * The dump's own database (the engine dumps with --databases) is rewritten to the new schema:
 * CREATE DATABASE/USE of it are skipped (we are connected to the new schema already), DROP DATABASE
 * of it is skipped (it would drop the live one!), ALTER DATABASE of it (mysqldump switches the
 * database collation around routines) names the new schema. Any other database is refused: a
 * `mysqldump --databases other` or `--all-databases` file must not write into other databases.
 */
export class DumpInspector extends Transform {
  readonly tables = new Set<string>();
  readonly views = new Set<string>();
  readonly charsets = new Set<string>();
  /** The dump's CREATE DATABASE options (charset, collation) when it had them. */
  createOptions: string | null = null;
  private held: Buffer[] = [];
  private heldLen = 0;
  private passing = false;
  private lineNo = 0;
  private readonly own: Set<string>;

  constructor(
    private readonly file: string,
    private readonly ownNames: string[],
    private readonly mode: 'load' | 'scan',
    private readonly target = '',
  ) {
    super();
    this.own = new Set(ownNames.map((n) => n.toLowerCase()));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      let start = 0;
      while (start < chunk.length) {
        const nl = chunk.indexOf(10, start);
        const end = nl === -1 ? chunk.length : nl + 1;
        const piece = chunk.subarray(start, end);
        if (this.passing) this.push(piece);
        else {
          this.held.push(piece);
          this.heldLen += piece.length;
          if (nl !== -1 || this.heldLen >= HEAD) {
            const line = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
            this.held = [];
            this.heldLen = 0;
            this.push(this.decide(line));
            this.passing = nl === -1; // a long line: the rest passes unseen
          }
        }
        if (nl !== -1) {
          this.passing = false;
          this.lineNo++;
        }
        start = end;
      }
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (this.heldLen) this.push(this.decide(Buffer.concat(this.held)));
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private refuse(key: 'restore.maria.otherDatabase' | 'restore.maria.qualifiedName', text: string, database: string): never {
    const statement = text.trim().slice(0, 120);
    throw new PraxisError(key, { file: this.file, line: this.lineNo + 1, statement, database, target: this.ownNames[0] ?? '' }, ExitCode.invalidInput);
  }

  private skip(text: string): Buffer {
    // A comment in its place keeps the line numbers in the server's error messages right.
    return Buffer.from(`-- praxis-backup: skipped, this loads into ${this.target}: ${text.trim().replace(/\*\//g, '* /').slice(0, 200)}\n`);
  }

  private decide(line: Buffer): Buffer {
    const text = line.subarray(0, HEAD).toString('utf8');
    const raw = text.replace(/^\s+/, '');
    const s = text.replace(RE.lead, '');
    const isOwn = (id: string) => this.own.has(unquote(id).toLowerCase());
    let m: RegExpExecArray | null;

    if (/^(INSERT|REPLACE)\s|^\(/i.test(raw)) return line; // data: never a statement of interest, and may contain any text
    if (this.mode === 'scan') for (const cm of s.matchAll(RE.charset)) this.charsets.add(cm[1]!.toLowerCase());
    if ((m = RE.use.exec(s))) {
      if (!isOwn(m[1]!)) this.refuse('restore.maria.otherDatabase', s, unquote(m[1]!));
      return this.skip(s);
    }
    if ((m = RE.createDb.exec(s))) {
      if (!isOwn(m[1]!)) this.refuse('restore.maria.otherDatabase', s, unquote(m[1]!));
      const opts = /(?:DEFAULT\s+)?(?:CHARACTER\s+SET|CHARSET)\s*=?\s*(\w+)(?:\s+COLLATE\s*=?\s*(\w+))?/i.exec(m[2] ?? '');
      if (opts) this.createOptions = `CHARACTER SET ${opts[1]}${opts[2] ? ` COLLATE ${opts[2]}` : ''}`;
      return this.skip(s);
    }
    if ((m = RE.dropDb.exec(s))) {
      if (!isOwn(m[1]!)) this.refuse('restore.maria.otherDatabase', s, unquote(m[1]!));
      return this.skip(s);
    }
    if ((m = RE.alterDb.exec(s)) && !NOT_A_NAME.has(unquote(m[1]!).toLowerCase())) {
      if (!isOwn(m[1]!)) this.refuse('restore.maria.otherDatabase', s, unquote(m[1]!));
      if (line.length >= HEAD) this.refuse('restore.maria.otherDatabase', s, unquote(m[1]!));
      const full = line.toString('utf8');
      const at = full.length - s.length + m.index + m[0].length - m[1]!.length;
      return Buffer.from(full.slice(0, at) + quoteIdent(this.target) + full.slice(at + m[1]!.length));
    }
    // Only a plain CREATE TABLE is a table: `/*!50001 CREATE TABLE` is an old mysqldump's stand-in for a view.
    if ((m = RE.createTable.exec(raw))) {
      if (m[2]) this.refuse('restore.maria.qualifiedName', raw, unquote(m[1]!));
      this.tables.add(unquote(m[1]!));
    }
    if ((m = RE.view.exec(s))) this.views.add(unquote(m[1]!));
    return line;
  }
}

// ---- restore ---------------------------------------------------------------------------------------

export async function restoreMariadb(ctx: StepContext, req: DbRestoreRequest): Promise<DbRestoreResult> {
  const c = req.component as MariadbComponent;
  // The engine's dumps carry CREATE DATABASE/USE of the database they were taken from.
  return restoreInto(ctx, c, req.dumpFile, req.password, req.stamp, req.dropPrevious, [c.database, req.entry.database ?? c.database], req.entry.rows, req.entry.missingObjects);
}

export async function restoreSqlFile(ctx: StepContext, req: SqlFileRestoreRequest<MariadbComponent>): Promise<DbRestoreResult> {
  // Only the database named by --database counts as the file's own: a file for another one is refused.
  return restoreInto(ctx, req.component, req.file, req.password, req.stamp, req.dropPrevious, [req.component.database]);
}

async function restoreInto(
  ctx: StepContext, c: MariadbComponent, file: string, password: string | null, stamp: string, dropPrevious: boolean, own: string[],
  expectedRows?: Record<string, number>, missingInBackup: MissingObject[] = [],
): Promise<DbRestoreResult> {
  const started = Date.now();
  const live = c.database;
  if (live.length > MAX_DB_NAME) throw new PraxisError('restore.maria.nameTooLong', { database: live, max: MAX_DB_NAME }, ExitCode.invalidInput);
  const fresh = `${live}_restore_${stamp}`;
  const vor = `${live}_vor_restore_${stamp}`;
  return withSession(ctx, c, password, async (s) => {
    const liveInfo = await login(s);
    await dropLeftovers(s, live);
    const charset = liveInfo.schema ? `CHARACTER SET ${liveInfo.schema.charset} COLLATE ${liveInfo.schema.collation}` : '';
    await exec(s, `CREATE DATABASE ${quoteIdent(fresh)} ${charset};`);
    let tables: number;
    try {
      const inspector = await load(s, file, fresh, own);
      if (!liveInfo.schema && inspector.createOptions) {
        // No live database yet: the restored one keeps the dump's default charset (it is created from it below).
        await exec(s, `ALTER DATABASE ${quoteIdent(fresh)} ${inspector.createOptions};`);
      }
      tables = await check(s, fresh, inspector);
      if (expectedRows) await checkRows(s, fresh, live, expectedRows);
      ctx.reporter.info('restore.maria.loaded', { schema: fresh, tables });
      if (liveInfo.schema) {
        // The orchestrator asked the admin to close them; this is the safety net right before the swap.
        const clients = await connectedClients(s, live);
        if (clients.length) throw new PraxisError('restore.db.clientsConnected', { database: live, count: clients.length, clients: clientList(clients) });
      }
      if (ctx.signal.aborted) throw new CommandError(`mariadb (${fresh})`, [], undefined, undefined, [], [], 'cancelled');
    } catch (e) {
      await dropSchema(s, fresh);
      throw e;
    }
    const { keptAs, failures } = await swap(s, live, fresh, vor, liveInfo.schema !== null);
    let kept: string | null = keptAs;
    try {
      if (keptAs && dropPrevious) {
        await exec(s, `DROP DATABASE ${quoteIdent(keptAs)};`);
        ctx.reporter.info('restore.maria.previousDropped', { name: keptAs });
        kept = null;
      }
    } catch (e) {
      // The data is swapped in already: never "nothing was changed".
      throw new PraxisError('restore.maria.swapIncomplete', { database: live, keptAs: keptAs ?? '—', message: serverMessage(e) }, ExitCode.failed, toolLines(e));
    }
    return { database: live, keptAs: kept, tables, durationMs: Date.now() - started, warnings: objectWarnings(ctx, live, kept, failures, missingInBackup) };
  });
}

/**
 * What could not be re-created, said per side: the backup's objects missing in the live database
 * (the data is back, the practice software may miss them), and the previous state's objects
 * missing in the kept copy (so it is not called complete). Each definition goes to the log, so
 * nothing is lost that the admin or the software's support may want to create by hand.
 */
function objectWarnings(ctx: StepContext, live: string, kept: string | null, failures: ObjectFailure[], missingInBackup: MissingObject[]): Message[] {
  const list = (fs: { kind: string; name: string; reason: string }[]) => fs.map((f) => `${f.kind} ${f.name} (${f.reason})`).join('; ');
  const warnings: Message[] = [];
  if (missingInBackup.length) warnings.push({ key: 'restore.maria.notInBackup', params: { database: live, objects: list(missingInBackup) } });
  const restored = failures.filter((f) => f.side === 'restored');
  const previous = failures.filter((f) => f.side === 'kept');
  for (const f of kept ? failures : restored) ctx.reporter.info('restore.maria.definition', { kind: f.kind, name: f.name, schema: f.schema, definition: f.definition });
  if (restored.length) warnings.push({ key: 'restore.maria.objectsMissing', params: { database: live, objects: list(restored) } });
  if (kept && previous.length) warnings.push({ key: 'restore.maria.keptIncomplete', params: { keptAs: kept, objects: list(previous) } });
  return warnings;
}

/** `<db>_restore_<stamp>` left by a restore that was killed: only names of exactly that form. */
async function dropLeftovers(s: Session, live: string): Promise<void> {
  const like = live.replace(/[\\_%]/g, '\\$&') + '\\_restore\\_%';
  const exact = new RegExp(`^${live.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_restore_\\d{8}_\\d{6}$`);
  const rows = await query(s, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ${lit(like)};`);
  for (const [name] of rows) {
    if (!exact.test(name!)) continue;
    await exec(s, `DROP DATABASE ${quoteIdent(name!)};`);
    s.ctx.reporter.info('restore.db.leftoverRemoved', { database: live, name: name! });
  }
}

async function dropSchema(s: Session, name: string): Promise<void> {
  try {
    await query(s, `DROP DATABASE IF EXISTS ${quoteIdent(name)};`);
    s.ctx.reporter.info('restore.maria.freshDropped', { name });
  } catch (e) {
    // The next restore removes it; say so rather than hide the original error.
    s.ctx.reporter.warn('restore.maria.freshLeft', { name, message: serverMessage(e) });
  }
}

export async function load(s: Session, file: string, fresh: string, own: string[]): Promise<DumpInspector> {
  const { ctx, c } = s;
  const size = (await stat(file)).size || 1;
  let read = 0;
  ctx.reporter.info('restore.maria.loading', { file, schema: fresh });
  const inspector = new DumpInspector(file, own, 'load', fresh);
  const feed = pipeline(
    await sourceStream(file, (n) => {
      read += n;
      ctx.reporter.progress(c.name, Math.min(99, Math.floor((read * 100) / size)), 'restore');
    }),
    inspector,
    () => {},
  );
  // The file's own failure is the cause even when the client, fed half a statement, gave up first.
  let feedError: unknown;
  feed.on('error', (e) => (feedError ??= e));
  try {
    await run(planMariaLoad(s.client, s.opt, c, fresh, s.secrets), { stdin: feed, signal: ctx.signal });
  } catch (e) {
    if (e instanceof CommandError && e.reason === 'cancelled') throw e;
    if (feedError instanceof PraxisError) throw feedError;
    if (feedError) throw new PraxisError('restore.maria.readFailed', { file, message: (feedError as Error).message });
    throw new PraxisError('restore.maria.loadFailed', { file, schema: fresh, message: serverMessage(e) }, ExitCode.failed, toolLines(e));
  }
  ctx.reporter.progress(c.name, 100, 'restore');
  return inspector;
}

/** Every table and view the dump created is there (row counts: checkRows, when the manifest has them). */
export async function check(s: Session, fresh: string, inspector: DumpInspector): Promise<number> {
  const rows = await query(s, `SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(fresh)};`);
  const have = new Map(rows.map(([n, t]) => [n!.toLowerCase(), t!]));
  const missing = [
    ...[...inspector.tables].filter((t) => !have.has(t.toLowerCase()) || have.get(t.toLowerCase()) === 'VIEW'),
    ...[...inspector.views].filter((v) => have.get(v.toLowerCase()) !== 'VIEW'),
  ];
  if (missing.length) throw new PraxisError('restore.maria.checkFailed', { schema: fresh, missing: missing.join(', ') });
  return rows.filter(([, t]) => t !== 'VIEW').length;
}

/**
 * The loaded copy has every table the manifest counted at backup time, each with that many rows
 * (tables: "name" → rows). Since rowsExact "dump" these are the rows the dump itself holds
 * (counted as it was written, see mariadb-dump.ts), so a difference here is a real loss. Older
 * backups ("consistent-snapshot") were counted a moment before the dump's own snapshot: a write
 * in that moment makes this refuse a good dump, the safe way round — the live database stays.
 */
export async function checkRows(s: Session, fresh: string, database: string, expected: Record<string, number>): Promise<void> {
  const have = new Set((await query(s, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(fresh)} AND TABLE_TYPE <> 'VIEW';`)).map(([n]) => n!));
  const names = Object.keys(expected).sort();
  const missing = names.filter((t) => !have.has(t));
  if (missing.length) throw new PraxisError('restore.maria.checkFailed', { schema: fresh, missing: missing.join(', ') });
  if (!names.length) return;
  const counts = await query(s, names.map((t) => `SELECT COUNT(*) FROM ${quoteIdent(fresh)}.${quoteIdent(t)};`).join('\n'), null, s.ctx.signal);
  const differ = names.flatMap((t, i) => (Number(counts[i]?.[0]) === expected[t] ? [] : [`${t} ${counts[i]?.[0]} ≠ ${expected[t]}`]));
  if (differ.length) throw new PraxisError('restore.db.rowsDiffer', { database, tables: differ.join(', ') });
}

// ---- the swap --------------------------------------------------------------------------------------

type Kind = 'TRIGGER' | 'VIEW' | 'PROCEDURE' | 'FUNCTION' | 'EVENT';
interface Definition {
  kind: Kind;
  name: string;
  create: string;
  sqlMode: string;
  timeZone?: string;
  /** Views: their columns, for a stand-in created first so views on views load in any order. */
  columns?: string[];
}
interface SchemaObjects {
  tables: string[];
  defs: Definition[];
}

/** Tables and the SHOW CREATE text of everything else, read with the schema as current database (views come out unqualified). */
async function objectsOf(s: Session, schema: string): Promise<SchemaObjects> {
  const l = lit(schema);
  const rows = await query(s, [
    `SELECT 'T', TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${l};`,
    `SELECT 'G', TRIGGER_NAME, '' FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${l} ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER;`,
    `SELECT 'R', ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${l} AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION');`,
    `SELECT 'E', EVENT_NAME, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${l};`,
    `SELECT 'C', TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ${l} ORDER BY TABLE_NAME, ORDINAL_POSITION;`,
  ].join('\n'));
  const tables = rows.filter((r) => r[0] === 'T' && r[2] !== 'VIEW' && r[2] !== 'TEMPORARY').map((r) => r[1]!);
  const wanted: { kind: Kind; name: string }[] = [
    ...rows.filter((r) => r[0] === 'R').map((r) => ({ kind: r[2] as Kind, name: r[1]! })),
    ...rows.filter((r) => r[0] === 'T' && r[2] === 'VIEW').map((r) => ({ kind: 'VIEW' as Kind, name: r[1]! })),
    ...rows.filter((r) => r[0] === 'G').map((r) => ({ kind: 'TRIGGER' as Kind, name: r[1]! })),
    ...rows.filter((r) => r[0] === 'E').map((r) => ({ kind: 'EVENT' as Kind, name: r[1]! })),
  ];
  if (wanted.length === 0) return { tables, defs: [] };
  const shown = await query(s, wanted.map((w) => `SHOW CREATE ${w.kind} ${quoteIdent(w.name)};`).join('\n'), schema);
  const defs = wanted.map((w, i): Definition => {
    const r = shown[i] ?? [];
    switch (w.kind) {
      case 'VIEW':
        return { ...w, create: r[1]!, sqlMode: '', columns: rows.filter((c) => c[0] === 'C' && c[1] === w.name).map((c) => c[2]!) };
      case 'TRIGGER':
        return { ...w, sqlMode: r[1]!, create: r[2]! };
      case 'EVENT':
        return { ...w, sqlMode: r[1]!, timeZone: r[2]!, create: r[3]! };
      default:
        return { ...w, sqlMode: r[1]!, create: r[2]! };
    }
  });
  return { tables, defs };
}

/** Statements that re-create one object (or do one step) in `schema`; self-contained, so any tail of a script can be run again. */
interface Unit {
  stmts: string[];
  /** The object this unit creates, and on which side: the restored (live) or the kept previous schema. */
  obj?: { side: Side; def: Definition; schema: string };
}
type Side = 'restored' | 'kept';

/** An object that could not be re-created on one side, and the server's reason. */
export interface ObjectFailure {
  side: Side;
  schema: string;
  kind: Kind;
  name: string;
  reason: string;
  definition: string;
}

/** Units that re-create the definitions in `schema`: routines, view stand-ins, views, triggers, events. */
function recreate(schema: string, side: Side, defs: Definition[], disableEvents: boolean): Unit[] {
  const use = `USE ${quoteIdent(schema)}`;
  const unit = (d: Definition, extra: string[] = []): Unit => ({
    stmts: [use, `SET SESSION sql_mode = ${lit(d.sqlMode)}`, ...(d.timeZone ? [`SET SESSION time_zone = ${lit(d.timeZone)}`] : []), d.create, ...extra],
    obj: { side, def: d, schema },
  });
  const views = defs.filter((d) => d.kind === 'VIEW');
  return [
    ...defs.filter((d) => d.kind === 'PROCEDURE' || d.kind === 'FUNCTION').map((d) => unit(d)),
    // Stand-ins first, so views on views load in any order; OR REPLACE, so a repeated tail runs again.
    ...views.map((v): Unit => ({ stmts: [use, `CREATE OR REPLACE VIEW ${quoteIdent(v.name)} AS SELECT ${(v.columns ?? []).map((c) => `NULL AS ${quoteIdent(c)}`).join(', ') || '1'}`] })),
    ...views.map((v): Unit => ({ stmts: [use, v.create.replace(/^CREATE\s/i, 'CREATE OR REPLACE ')], obj: { side, def: v, schema } })),
    ...defs.filter((d) => d.kind === 'TRIGGER').map((d) => unit(d)),
    ...defs.filter((d) => d.kind === 'EVENT').map((d) => unit(d, disableEvents ? [`ALTER EVENT ${quoteIdent(d.name)} DISABLE`] : [])),
  ];
}

/** One client script of units; `lines[i]` is the first input line of statement i (the client's "at line N"). */
function scriptOf(units: Unit[]): { text: string; owner: (line: number) => number } {
  let text = `DELIMITER ${DELIM}\n`;
  let line = 2;
  const starts: { line: number; unit: number }[] = [];
  units.forEach((u, i) => {
    for (const st of u.stmts) {
      starts.push({ line, unit: i });
      text += `${st} ${DELIM}\n`;
      line += st.split('\n').length;
    }
  });
  const owner = (n: number) => {
    let found = -1;
    for (const s of starts) if (s.line <= n) found = s.unit;
    return found;
  };
  return { text, owner };
}

/** `ERROR 1305 (42000) at line 57: FUNCTION x.f does not exist` → line and message. */
const ERROR_LINE = /^ERROR \d+ \([\w ]+\) at line (\d+)[^:]*: (.*)$/;

/** Runs units in one client; returns the error message of each unit that failed (by index). `force`: go on after an error. */
async function runUnits(s: Session, units: Unit[], force: boolean): Promise<{ errors: Map<number, string>; failure?: unknown }> {
  const { text, owner } = scriptOf(units);
  const errors = new Map<number, string>();
  const plan = planMariaSql(s.client, s.opt, s.c, null, s.secrets);
  try {
    // No cancel signal: once started, the script runs to its end (a few DDL statements).
    await run(
      { ...plan, args: force ? [...plan.args, '--force'] : plan.args, input: text },
      {
        onStderrLine: (l) => {
          const m = ERROR_LINE.exec(l);
          const u = m ? owner(Number(m[1])) : -1;
          if (m && u >= 0 && !errors.has(u)) errors.set(u, m[2]!);
        },
      },
    );
    return { errors };
  } catch (e) {
    return { errors, failure: e };
  }
}

/** Names of what exists in a schema now, as "KIND name". */
async function existing(s: Session, schema: string): Promise<Set<string>> {
  const l = lit(schema);
  const rows = await query(s, [
    `SELECT 'VIEW', TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${l};`,
    `SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${l};`,
    `SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${l};`,
    `SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${l};`,
  ].join('\n'));
  return new Set(rows.map(([k, n]) => `${k} ${n!.toLowerCase()}`));
}

export interface SwapResult {
  keptAs: string | null;
  /** Objects of the backup missing in the live schema, and of the previous state missing in the kept one. */
  failures: ObjectFailure[];
}

async function swap(s: Session, live: string, fresh: string, vor: string, liveExists: boolean): Promise<SwapResult> {
  const { ctx } = s;
  const [L, F, V] = [live, fresh, vor].map(quoteIdent) as [string, string, string];
  // Read before anything changes; each side's objects come from its own schema: the backup's from
  // the loaded copy, the previous ones from the live schema. A side's broken object never stops the other.
  const restored = await objectsOf(s, fresh);
  const previous: SchemaObjects = liveExists ? await objectsOf(s, live) : { tables: [], defs: [] };
  if (!liveExists) await exec(s, `CREATE DATABASE ${L} ${await charsetOf(s, fresh)};`);
  if (liveExists) await exec(s, `CREATE DATABASE ${V} ${await charsetOf(s, live)};`);

  const dropTriggers = (schema: string, o: SchemaObjects) =>
    o.defs.filter((d) => d.kind === 'TRIGGER').map((d) => `DROP TRIGGER ${quoteIdent(schema)}.${quoteIdent(d.name)}`);
  const renames = [
    ...previous.tables.map((t) => `${L}.${quoteIdent(t)} TO ${V}.${quoteIdent(t)}`),
    ...restored.tables.map((t) => `${F}.${quoteIdent(t)} TO ${L}.${quoteIdent(t)}`),
  ];
  const before: Unit = {
    stmts: [
      // A client that connected after the check would make RENAME wait for its locks for a year (the default).
      'SET SESSION lock_wait_timeout = 60',
      ...dropTriggers(live, previous),
      ...dropTriggers(fresh, restored),
      ...previous.defs.filter((d) => d.kind === 'VIEW').map((d) => `DROP VIEW ${L}.${quoteIdent(d.name)}`),
      ...(renames.length ? [`RENAME TABLE ${renames.join(', ')}`] : []),
    ],
  };
  const after: Unit[] = [
    ...previous.defs.filter((d) => d.kind === 'PROCEDURE' || d.kind === 'FUNCTION' || d.kind === 'EVENT')
      .map((d): Unit => ({ stmts: [`DROP ${d.kind} IF EXISTS ${L}.${quoteIdent(d.name)}`] })),
    // The backup's objects first: what the live schema held can never keep them from being created.
    ...recreate(live, 'restored', restored.defs, false),
    ...(liveExists ? recreate(vor, 'kept', previous.defs, true) : []),
    { stmts: [`DROP DATABASE ${F}`] },
  ];
  const units = [before, ...after];
  ctx.reporter.info('restore.maria.swapping', { database: live, tables: restored.tables.length });
  // One client for all of it: killing us (even kill -9) after it started does not stop it halfway.
  const main = await runUnits(s, units, false);
  if (main.failure) {
    const message = serverMessage(main.failure);
    const moved = (await query(s, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(fresh)} AND TABLE_TYPE <> 'VIEW';`))[0]?.[0] === '0';
    if (!moved && liveExists) {
      // The RENAME did not happen: put back what was taken off the live tables before it.
      const back = recreate(live, 'kept', previous.defs.filter((d) => d.kind === 'TRIGGER' || d.kind === 'VIEW'), false);
      await runUnits(s, back, true);
      await dropSchema(s, fresh);
      await query(s, `DROP DATABASE IF EXISTS ${V};`).catch(() => {});
      throw new PraxisError('restore.maria.swapFailed', { database: live, message }, ExitCode.failed, toolLines(main.failure));
    }
    if (!moved) throw new PraxisError('restore.maria.swapFailed', { database: live, message }, ExitCode.failed, toolLines(main.failure));
    // The tables are swapped; a statement after the RENAME failed and the client stopped there. The
    // rest is run again from that unit on, going on past errors, so each object's own error is known.
    const from = main.errors.size ? Math.max(1, Math.min(...main.errors.keys())) : 1;
    const rest = await runUnits(s, units.slice(from), true);
    for (let i = from; i < units.length; i++) main.errors.delete(i);
    for (const [i, m] of rest.errors) main.errors.set(i + from, m);
  }
  try {
    const failures = await whatIsMissing(s, units, main.errors, live, liveExists ? vor : null);
    await query(s, `DROP DATABASE IF EXISTS ${F};`).catch((e) => ctx.reporter.warn('restore.maria.freshLeft', { name: fresh, message: serverMessage(e) }));
    if (liveExists) ctx.reporter.info('restore.maria.swapped', { database: live, keptAs: vor });
    else ctx.reporter.info('restore.maria.swappedFresh', { database: live });
    return { keptAs: liveExists ? vor : null, failures };
  } catch (e) {
    // The data is swapped in already: whatever failed now, never "nothing was changed".
    throw new PraxisError('restore.maria.swapIncomplete', { database: live, keptAs: liveExists ? vor : '—', message: serverMessage(e) }, ExitCode.failed, toolLines(e));
  }
}

/**
 * The objects that are not there after the swap, each with the client's error for it. What exists
 * now is the truth; a view whose own statement failed is only its stand-in (NULL columns), which
 * is removed rather than passed off as the view.
 */
async function whatIsMissing(s: Session, units: Unit[], errors: Map<number, string>, live: string, kept: string | null): Promise<ObjectFailure[]> {
  const failures: ObjectFailure[] = [];
  const have = { restored: await existing(s, live), kept: kept ? await existing(s, kept) : new Set<string>() };
  const standIns: string[] = [];
  units.forEach((u, i) => {
    if (!u.obj) return;
    const { side, def, schema } = u.obj;
    const error = errors.get(i);
    if (def.kind === 'VIEW' && error !== undefined) standIns.push(`DROP VIEW IF EXISTS ${quoteIdent(schema)}.${quoteIdent(def.name)};`);
    else if (have[side].has(`${def.kind} ${def.name.toLowerCase()}`)) return;
    if (failures.some((f) => f.side === side && f.kind === def.kind && f.name === def.name)) return;
    failures.push({ side, schema, kind: def.kind, name: def.name, reason: error ?? 'not created', definition: def.create });
  });
  if (standIns.length) await query(s, standIns.join('\n'));
  return failures.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

async function charsetOf(s: Session, schema: string): Promise<string> {
  const r = (await query(s, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${lit(schema)};`))[0];
  return r ? `CHARACTER SET ${r[0]} COLLATE ${r[1]}` : '';
}
