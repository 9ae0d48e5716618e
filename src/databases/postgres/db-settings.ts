// A PostgreSQL database's own settings and privileges: ALTER DATABASE … SET, ALTER ROLE … IN
// DATABASE … SET, CONNECTION LIMIT, the CONNECT/TEMPORARY/CREATE grants (REVOKE CONNECT FROM
// PUBLIC), the owner and the comment. They belong to the database object, not to anything inside
// it, so the restore — which loads into a NEW database and swaps names — loses them unless it
// carries them over.
//
// Where they come from: the dump itself. Since PostgreSQL 11, `pg_dump -Fc` (without --create)
// writes them into the archive as the entries DATABASE (owner), COMMENT and ACL tagged
// "DATABASE <name>", and DATABASE PROPERTIES (connection limit, the database's and the
// roles-in-database settings). pg_restore emits them only with --create and lists them only with
// `--create --list`. So every backup ever made already holds them, a restore by hand with
// `pg_restore --create` sets them, and we need neither pg_dumpall (which records roles and
// passwords of the whole cluster, not this database) nor a copy of our own. We take pg_dump's own
// statements (its quoting of list settings like search_path is subtle), addressed to the restored
// database's name, and run them on the new database before the swap.
//
// The manifest records the same things as read from the catalog in the dump's snapshot
// (dbSettingsSql): that is what the restore checks the result against after the swap, and what
// `verify --restore-test` checks the scratch database against.
import { quoteIdent } from './quote';

/** The catalog's view of one database's own settings, as the manifest records it. */
export interface DbSettings {
  owner: string;
  comment: string | null;
  /** datconnlimit: -1 = no limit. */
  connectionLimit: number;
  /** aclitems as text, sorted; the default privileges written out (so "never granted" = "granted back"). */
  acl: string[];
  /** The database's own settings, "name=value" as in pg_db_role_setting, sorted. */
  settings: string[];
  /** Settings of a role in this database, by role name. */
  roleSettings: Record<string, string[]>;
}

/**
 * One JSON line; `database` null = the session's own database (the backup reads it in the dump's
 * snapshot), else by name from the maintenance database (the restore's check).
 */
export function dbSettingsSql(databaseLiteral: string | null): string {
  const where = databaseLiteral === null ? 'd.datname = current_database()' : `d.datname = ${databaseLiteral}`;
  return `SELECT jsonb_build_object(
  'owner', pg_get_userbyid(d.datdba),
  'comment', shobj_description(d.oid, 'pg_database'),
  'connectionLimit', d.datconnlimit,
  'acl', (SELECT coalesce(jsonb_agg(a::text ORDER BY a::text), '[]') FROM unnest(coalesce(d.datacl, acldefault('d', d.datdba))) a),
  'settings', (SELECT coalesce(jsonb_agg(s ORDER BY s), '[]') FROM pg_db_role_setting r, unnest(r.setconfig) s WHERE r.setdatabase = d.oid AND r.setrole = 0),
  'roleSettings', (SELECT coalesce(jsonb_object_agg(pg_get_userbyid(r.setrole), (SELECT jsonb_agg(s ORDER BY s) FROM unnest(r.setconfig) s)), '{}')
                   FROM pg_db_role_setting r WHERE r.setdatabase = d.oid AND r.setrole <> 0)
) FROM pg_database d WHERE ${where}`;
}

export function parseDbSettings(lines: string[]): DbSettings | null {
  const line = lines.join('').trim();
  return line ? (JSON.parse(line) as DbSettings) : null;
}

/**
 * What differs, one item per catalog field, "<field>: <found> ≠ <recorded>" (as the row counts are
 * said): the field names are PostgreSQL's own, the same in every language, and what an admin
 * would look up.
 */
export function diffDbSettings(found: DbSettings, recorded: DbSettings): string[] {
  const out: string[] = [];
  const list = (a: string[]) => `{${a.join(', ')}}`;
  if (found.owner !== recorded.owner) out.push(`owner: ${found.owner} ≠ ${recorded.owner}`);
  if (found.comment !== recorded.comment) out.push(`comment: ${JSON.stringify(found.comment)} ≠ ${JSON.stringify(recorded.comment)}`);
  if (found.connectionLimit !== recorded.connectionLimit) out.push(`datconnlimit: ${found.connectionLimit} ≠ ${recorded.connectionLimit}`);
  if (list(found.acl) !== list(recorded.acl)) out.push(`datacl: ${list(found.acl)} ≠ ${list(recorded.acl)}`);
  if (list(found.settings) !== list(recorded.settings)) out.push(`setconfig: ${list(found.settings)} ≠ ${list(recorded.settings)}`);
  for (const role of [...new Set([...Object.keys(found.roleSettings), ...Object.keys(recorded.roleSettings)])].sort()) {
    const f = list(found.roleSettings[role] ?? []);
    const r = list(recorded.roleSettings[role] ?? []);
    if (f !== r) out.push(`setconfig (${role}): ${f} ≠ ${r}`);
  }
  return out;
}

// ---------------------------------------------------------------- the archive's statements

/** The archive entries that belong to the database itself (`pg_restore --create --list` item text after the ids). */
const DB_LEVEL_ITEM = /^(DATABASE PROPERTIES - |(COMMENT|ACL|SECURITY LABEL) - DATABASE )/;
export const isDbLevelItem = (itemText: string): boolean => DB_LEVEL_ITEM.test(itemText);

interface Token {
  kind: 'word' | 'ident' | 'string' | 'other';
  start: number;
  end: number;
}

interface Statement {
  /** The archive entry's type from pg_restore's "-- Name: …; Type: …" header, null before the first. */
  section: string | null;
  start: number;
  end: number;
  tokens: Token[];
}

/**
 * Splits pg_restore's script output into statements, knowing literals and quoted names (a comment
 * may hold a semicolon, a newline, or a line that starts with a backslash). psql meta-commands
 * (\connect, \restrict) stand on lines of their own between statements and are skipped.
 */
function scan(script: string): Statement[] {
  const out: Statement[] = [];
  let section: string | null = null;
  let tokens: Token[] = [];
  let start = -1;
  const n = script.length;
  const lineEnd = (from: number) => {
    const eol = script.indexOf('\n', from);
    return eol < 0 ? n : eol;
  };
  const quoted = (from: number, q: string) => {
    let j = from + 1;
    for (;;) {
      const at = script.indexOf(q, j);
      if (at < 0) return n;
      if (script[at + 1] === q) j = at + 2; // doubled: part of the text
      else return at + 1;
    }
  };
  let i = 0;
  while (i < n) {
    const ch = script[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && script[i + 1] === '-') {
      const end = lineEnd(i);
      const header = /^-- Name: .*; Type: (.+?); Schema: /.exec(script.slice(i, end));
      if (header && !tokens.length) section = header[1]!;
      i = end;
    } else if (ch === '\\' && !tokens.length) {
      // \connect ends an entry; what follows up to the next header is pg_restore's session preamble.
      section = null;
      i = lineEnd(i);
    } else {
      if (start < 0) start = i;
      let end: number;
      let kind: Token['kind'];
      if (ch === "'") [kind, end] = ['string', quoted(i, "'")];
      else if (ch === '"') [kind, end] = ['ident', quoted(i, '"')];
      else if (/[\p{L}\p{N}_$]/u.test(ch)) {
        kind = 'word';
        end = i + 1;
        while (end < n && /[\p{L}\p{N}_$]/u.test(script[end]!)) end++;
      } else [kind, end] = ['other', i + 1];
      if (ch === ';') {
        out.push({ section, start, end, tokens });
        tokens = [];
        start = -1;
      } else tokens.push({ kind, start: i, end });
      i = end;
    }
  }
  return out;
}

/** The sections of the archive that carry the database's own properties (not the CREATE DATABASE one). */
const KEPT_SECTIONS = new Set(['COMMENT', 'ACL', 'SECURITY LABEL', 'DATABASE PROPERTIES']);

export interface DbLevelSql {
  /** The script's client encoding (the archive's), to say before the statements. */
  clientEncoding: string | null;
  /** The statements as pg_dump wrote them (addressed to the dumped database's name: see addressedTo). */
  statements: { text: string; tokens: Token[] }[];
}

/**
 * The statements of the database-level entries in `pg_restore --create -L <those entries> -f -`
 * output. pg_restore also writes CREATE DATABASE and \connect there whatever the list says (in
 * --create mode the DATABASE entry is always emitted): its section is skipped.
 */
export function parseDbLevelScript(script: string): DbLevelSql {
  const result: DbLevelSql = { clientEncoding: null, statements: [] };
  for (const s of scan(script)) {
    const text = script.slice(s.start, s.end);
    const tokens = s.tokens.map((t) => ({ ...t, start: t.start - s.start, end: t.end - s.start }));
    if (s.section === null) {
      const enc = /^SET client_encoding = '([^']*)';$/i.exec(text);
      if (enc) result.clientEncoding = enc[1]!;
    } else if (KEPT_SECTIONS.has(s.section)) {
      result.statements.push({ text, tokens });
    }
  }
  return result;
}

const word = (text: string, t: Token | undefined) => (t?.kind === 'word' ? text.slice(t.start, t.end).toUpperCase() : undefined);

/** A name as the server sees it: "Leser Rolle" → Leser Rolle, tomedo_app (unquoted, so folded) → tomedo_app. */
function nameOf(text: string, t: Token): string {
  const raw = text.slice(t.start, t.end);
  return t.kind === 'ident' ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase();
}

/**
 * The statements addressed to `database` (the name the restored database has when they run):
 * pg_dump names the database right after the keyword DATABASE in every one of them (ALTER
 * DATABASE x, ALTER ROLE r IN DATABASE x, GRANT … ON DATABASE x, COMMENT ON DATABASE x, SECURITY
 * LABEL … ON DATABASE x). One script, client encoding first.
 */
export function addressedTo(sql: DbLevelSql, database: string): string {
  const lines = sql.clientEncoding ? [`SET client_encoding = '${sql.clientEncoding.replace(/'/g, "''")}';`] : [];
  for (const { text, tokens } of sql.statements) {
    let out = '';
    let at = 0;
    tokens.forEach((t, k) => {
      if (k > 0 && word(text, tokens[k - 1]) === 'DATABASE' && (t.kind === 'word' || t.kind === 'ident')) {
        out += text.slice(at, t.start) + quoteIdent(database);
        at = t.end;
      }
    });
    lines.push(out + text.slice(at));
  }
  return lines.join('\n');
}

/**
 * Roles the statements name: grantees (GRANT … TO, REVOKE … FROM), grantors (SET SESSION
 * AUTHORIZATION, GRANTED BY) and roles with settings in the database (ALTER ROLE r IN DATABASE).
 * They must exist before anything is created, as the owners of the dump's objects must.
 */
export function rolesNamed(sql: DbLevelSql): string[] {
  const roles = new Set<string>();
  for (const { text, tokens } of sql.statements) {
    const w = (k: number) => word(text, tokens[k]);
    const isName = (k: number) => tokens[k]?.kind === 'ident' || (tokens[k]?.kind === 'word' && w(k) !== 'PUBLIC');
    if (w(0) === 'ALTER' && w(1) === 'ROLE' && tokens[2]) roles.add(nameOf(text, tokens[2]));
    if (w(0) === 'SET' && w(1) === 'SESSION' && w(2) === 'AUTHORIZATION' && tokens[3]) roles.add(nameOf(text, tokens[3]));
    if (w(0) !== 'GRANT' && w(0) !== 'REVOKE') continue;
    const db = tokens.findIndex((_, k) => w(k) === 'DATABASE');
    if (db < 0) continue;
    const stop = new Set(['WITH', 'GRANTED', 'CASCADE', 'RESTRICT']);
    for (let k = db + 3; k < tokens.length && !stop.has(w(k) ?? ''); k++) {
      if (isName(k)) roles.add(nameOf(text, tokens[k]!));
    }
    const by = tokens.findIndex((_, k) => w(k) === 'GRANTED' && w(k + 1) === 'BY');
    if (by >= 0 && tokens[by + 2]) roles.add(nameOf(text, tokens[by + 2]!));
  }
  return [...roles].sort();
}
