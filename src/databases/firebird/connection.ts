// Talking to a Firebird server: its connection strings, the client environment, isql-fb for SQL,
// and the server's words when something fails.
//
// The password reaches gbak, isql-fb and gfix as ISC_PASSWORD (ISC_USER the user) in their
// environment only: Firebird's client library reads both, and its tools have no password file
// (`-fetch_password FILE` exists, but needs the user in argv). Measured with Firebird 3.0.11
// (test/helpers/firebird.ts): a wrong password, an unknown user and no password at all all give
// "Your user name and password are not defined. Ask your database administrator to set up a
// Firebird login."; a server that is down "Unable to complete network request to host … Failed to
// establish a connection."; a missing database file or unknown alias "I/O error during "open"
// operation for file …".
import type { FirebirdComponent } from '../../config/schema';
import type { Platform } from '../../platform/paths';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import type { ToolInfo } from '../../process/tool-locator';
import type { StepContext } from '../../run/step-context';
import { FB_TOOLS, type FbToolName } from './tools';

/** A Firebird program, found by its own ToolSpec (tools.ts). */
export function findTool(ctx: StepContext, name: FbToolName): Promise<ToolInfo> {
  return ctx.tools.find(FB_TOOLS[name]);
}

/** A database on the server, by path or alias: `inet://host:port/<database>` (Firebird 3's URL form). */
export function fbUrl(c: Pick<FirebirdComponent, 'host' | 'port'>, database: string): string {
  return `inet://${c.host}:${c.port}/${database}`;
}

/** The server's service manager, for `gbak -se` (the server itself reads or writes the database file). */
export function serviceMgr(c: Pick<FirebirdComponent, 'host' | 'port'>): string {
  return `${c.host}/${c.port}:service_mgr`;
}

/**
 * ISC_USER always (the config's user, not one the admin's shell may have exported); ISC_PASSWORD
 * when we have one. A UTF-8 locale: the client library converts a database path from the locale's
 * character set, and under launchd, systemd or a locale that is not installed (C) a path with an
 * umlaut fails ("Cannot transliterate character between character sets", measured). C.UTF-8 is in
 * every glibc since 2.35 and in Debian; macOS has en_US.UTF-8.
 */
export function fbEnv(platform: Platform, c: Pick<FirebirdComponent, 'user'>, password: string | null): Record<string, string> {
  return { ISC_USER: c.user, ...(password !== null ? { ISC_PASSWORD: password } : {}), LC_ALL: platform === 'darwin' ? 'en_US.UTF-8' : 'C.UTF-8' };
}

export const secretsOf = (password: string | null): string[] => (password ? [password] : []);

/** Lines of ours in isql's output start with this (isql pads columns and prints empty lines around them). */
export const ROW_MARK = 'PB|';
/** Field separator inside a marked line: a tab, which no table name of a practice program holds. */
export const SEP = '\t';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * One isql-fb run: the statements on stdin after `set bail on` (stop at the first error, exit 1),
 * UTF8 connection (table names with umlauts), no headings. Returns the marked lines' fields.
 */
export function planIsql(isql: string, c: FirebirdComponent, database: string, sql: string, password: string | null, platform: Platform): CommandPlan {
  return {
    label: `isql (${database})`,
    file: isql,
    args: ['-q', '-ch', 'UTF8', fbUrl(c, database)],
    input: `set bail on;\nset heading off;\n${sql}\n`,
    env: fbEnv(platform, c, password),
    secrets: secretsOf(password),
    timeoutMs: 120_000,
  };
}

export async function isql(ctx: StepContext, c: FirebirdComponent, password: string | null, database: string, sql: string, signal: AbortSignal | undefined = ctx.signal): Promise<string[][]> {
  const tool = await findTool(ctx, 'isql-fb');
  const rows: string[][] = [];
  await run(planIsql(tool.path, c, database, sql, password, ctx.platform), {
    signal,
    onStdoutLine: (l) => {
      if (l.startsWith(ROW_MARK)) rows.push(l.slice(ROW_MARK.length).trimEnd().split(SEP));
    },
  });
  return rows;
}

/** `select 'PB|' || a || '<tab>' || b …`: one marked line per row. */
export function marked(...exprs: string[]): string {
  // Parenthesised: || binds tighter than * in Firebird's grammar.
  return [`'${ROW_MARK}'`, ...exprs.map((e, i) => (i ? `ascii_char(9) || (${e})` : `(${e})`))].join(' || ');
}

/** The server's own words from a failed gbak/isql/gfix call, without the tools' prefixes and boilerplate. */
export function serverMessage(e: unknown): string {
  if (!(e instanceof CommandError)) return (e as Error)?.message ?? String(e);
  const words = [...e.stderrTail, ...e.stdoutTail]
    .map((l) => l.replace(/^(gbak|gfix):\s*/, '').replace(/^ERROR:\s*/, '').replace(/^-/, '').trim())
    .filter((l) => l && !/^Exiting before completion due to errors|^Statement failed, SQLSTATE|^Use CONNECT or CREATE DATABASE|^(Dynamic SQL Error|SQL error code)/.test(l))
    .filter((l) => !/^(readied|creating file|starting transaction|writing |restoring |committing|created database|\d+ records|closing file|finishing|adjusting|database .* has a page size)/.test(l));
  return [...new Set(words)].slice(0, 4).join(' ') || (e.signal ? `${e.label}: ${e.signal}` : e.message);
}

export const WRONG_LOGIN = /Your user name and password are not defined/;
export const SERVER_DOWN = /Unable to complete network request to host/;
export const NO_DATABASE = /I\/O error during "open" operation for file/;

/** Firebird has no password file a tool could skip: only whether the server refused the login. */
export function fbLoginSignals(lines: string[]): { wantsPassword: boolean; ignoredFiles: string[] } {
  return { wantsPassword: WRONG_LOGIN.test(lines.join('\n')), ignoredFiles: [] };
}

/** "3.0.11" → "3.0", for the version comparison of a restore. */
export function fbMajor(version: string): string | null {
  const m = /(\d+)\.(\d+)/.exec(version);
  return m ? `${m[1]}.${m[2]}` : null;
}
