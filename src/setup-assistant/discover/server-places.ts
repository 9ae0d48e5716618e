// Where database servers are looked for: the default ports and sockets of each platform's usual
// installs, plus places the admin names (`init --postgres HOST:PORT`, a server on another port or
// host; the tests' servers on random ports). Knocking is cheap — a TCP connect, a stat of the
// socket — so psql and mariadb only start where something is there.
import { readdir, realpath, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { Platform } from '../../platform/paths';
import type { DatabaseKind } from '../contracts';
import type { Place } from './server-listing';

/** A place the admin named: host and port, or a socket (PostgreSQL: its directory or `.s.PGSQL.N` file; MariaDB: the socket file). */
export interface ProbeTarget {
  host: string;
  port?: number;
  /** Log in as this user instead of the ones proposed for the kind. */
  user?: string;
}

export interface Candidate extends Place {
  /** Named by the admin: nothing answering there is reported, not left out. */
  explicit: boolean;
  user?: string;
}

export const DEFAULT_PORT: Record<DatabaseKind, number> = { postgres: 5432, mariadb: 3306 };

/**
 * TCP host per kind, as the config's defaults: "localhost" lets libpq try ::1 and 127.0.0.1 (both
 * are in Debian's pg_hba.conf); the MariaDB client takes "localhost" to mean its socket, so TCP is
 * 127.0.0.1.
 */
export const DEFAULT_HOST: Record<DatabaseKind, string> = { postgres: 'localhost', mariadb: '127.0.0.1' };

/** Debian's postgresql-common (/var/run → /run), and /tmp where Homebrew, Postgres.app and source builds put it. */
const PG_SOCKET_DIRS: Record<Platform, string[]> = {
  linux: ['/var/run/postgresql', '/run/postgresql', '/tmp'],
  darwin: ['/tmp'],
};

/** Debian's mariadb-server, and /tmp/mysql.sock (Homebrew, MySQL's own packages). */
const MARIA_SOCKETS: Record<Platform, string[]> = {
  linux: ['/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock', '/tmp/mysql.sock'],
  darwin: ['/tmp/mysql.sock'],
};

const PG_SOCKET = /^\.s\.PGSQL\.(\d+)$/;

const isSocket = (p: string) => stat(p).then((s) => s.isSocket(), () => false);

function tcp(kind: DatabaseKind, host: string, port: number, explicit: boolean, user?: string): Candidate {
  const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { kind, host, port, via: 'tcp', where: shown, explicit, ...(user ? { user } : {}) };
}

function pgSocket(dir: string, port: number, explicit: boolean, user?: string): Candidate {
  return { kind: 'postgres', host: dir, port, via: 'socket', where: join(dir, `.s.PGSQL.${port}`), explicit, ...(user ? { user } : {}) };
}

function mariaSocket(file: string, port: number, explicit: boolean, user?: string): Candidate {
  // The config can only say "localhost" (the client's own default socket): a socket elsewhere is
  // better reached over TCP, which the default places also try.
  return { kind: 'mariadb', host: 'localhost', port, via: 'socket', where: file, socketFile: file, explicit, ...(user ? { user } : {}) };
}

/** Every PostgreSQL socket in a directory, whatever its port (a second cluster on 5433 is found too). */
async function pgSocketsIn(dir: string): Promise<Candidate[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Candidate[] = [];
  for (const n of names.sort()) {
    const m = PG_SOCKET.exec(n);
    if (m && (await isSocket(join(dir, n)))) out.push(pgSocket(dir, Number(m[1]), false));
  }
  return out;
}

/** An admin's socket target: a directory or a `.s.PGSQL.N` file for PostgreSQL, the socket file for MariaDB. */
async function explicitSocket(kind: DatabaseKind, t: ProbeTarget): Promise<Candidate> {
  if (kind === 'mariadb') return mariaSocket(t.host, t.port ?? DEFAULT_PORT.mariadb, true, t.user);
  const m = PG_SOCKET.exec(basename(t.host));
  if (m) return pgSocket(dirname(t.host), Number(m[1]), true, t.user);
  return pgSocket(t.host, t.port ?? DEFAULT_PORT.postgres, true, t.user);
}

/** `fsRoot`: prefix of the default socket places ("/" for real; tests hand in a folder of their own). */
export async function candidates(
  platform: Platform,
  defaults: boolean,
  extra: Partial<Record<DatabaseKind, ProbeTarget[]>>,
  fsRoot = '/',
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const kind of ['postgres', 'mariadb'] as const) {
    if (defaults) out.push(tcp(kind, DEFAULT_HOST[kind], DEFAULT_PORT[kind], false));
    for (const t of extra[kind] ?? []) {
      out.push(t.host.startsWith('/') ? await explicitSocket(kind, t) : tcp(kind, t.host, t.port ?? DEFAULT_PORT[kind], true, t.user));
    }
    if (!defaults) continue;
    if (kind === 'postgres') {
      const dirs = new Set(await Promise.all(PG_SOCKET_DIRS[platform].map((d) => realpath(join(fsRoot, d)).catch(() => join(fsRoot, d)))));
      for (const d of dirs) out.push(...(await pgSocketsIn(d)));
    } else {
      const files = new Set(await Promise.all(MARIA_SOCKETS[platform].map((f) => realpath(join(fsRoot, f)).catch(() => join(fsRoot, f)))));
      for (const f of files) if (await isSocket(f)) out.push(mariaSocket(f, DEFAULT_PORT.mariadb, false));
    }
  }
  return out;
}

/**
 * Does anything answer there? A connect, closed at once: TCP, or the socket (a socket file left by
 * a server that crashed is still there, and refuses).
 */
export async function answers(p: Place, signal: AbortSignal, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = p.via === 'socket' ? connect({ path: p.socketFile ?? p.where }) : connect({ host: p.host, port: p.port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(ok);
    };
    const onAbort = () => done(false);
    // A firewall that drops packets answers with silence: after timeoutMs it counts as nobody.
    const timer = setTimeout(() => done(false), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
