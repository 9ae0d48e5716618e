// A real, throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir, listening on
// 127.0.0.1:<free port> with scram-sha-256 password auth, so a wrong password really fails.
//
// Run as root (CI, this dev box), the cluster runs as the `postgres` system user (PostgreSQL refuses
// to run as root); run as anyone else, it runs as that user. Clients (psql) run as the calling user
// and connect over TCP with the password in PGPASSWORD (never on argv).
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  freePort, killAndWaitSync, makeTempDir, pidAlive, registerCleanup, waitForExit, waitUntil,
} from './temp';
import { isMounted, mountTmpfsAt, unmountPath, unmountPathSync } from './tmpfs';

export interface PgServer {
  host: string;
  port: number;
  user: string;
  password: string;
  binDir: string;
  dataDir: string;
  /** server_version without the distribution suffix, e.g. '15.14' (SHOW server_version says '15.14 (Debian 15.14-0+deb12u1)'). */
  version: string;
  /** SHOW server_version verbatim. */
  versionFull: string;
  /** Base directory: data/ (a tmpfs mount point when `ramdisk`), run/ (socket + server log). */
  dir: string;
  /** Whether data/ is on its own tmpfs. */
  ramdisk: boolean;
  socketDir: string;
  logFile: string;
  /** Postmaster pid (from postmaster.pid). */
  pid: number;
  /** libpq environment for a child process (pg_dump, pg_restore, psql): PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE. */
  env(db?: string): Record<string, string>;
  psql(sql: string, db?: string): Promise<string>;
  createDb(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Superuser password (default: random). Any characters except newline. */
  password?: string;
  /** Superuser name (default 'praxis_admin'). */
  user?: string;
  /** Base directory to use instead of a temp dir (created if missing; `data/` inside must not exist yet). */
  dir?: string;
  /** Keep the base directory after stop() (default: removed when it is a temp dir, kept when `dir` was given). */
  keepDir?: boolean;
  /** PostgreSQL bin directory (default: $PRAXIS_PG_BINDIR, newest /usr/lib/postgresql/N/bin, or pg_config --bindir). */
  binDir?: string;
  /** Use exactly this TCP port (default: a free one, re-picked if another process grabs it first). */
  port?: number;
  /** Extra postgresql.conf settings. */
  settings?: Record<string, string | number>;
  /** Data directory on its own tmpfs (default: yes when root on Linux — no disk I/O, much faster;
   * memory is only used as filled). Set false for data larger than RAM. */
  ramdisk?: boolean;
  /** Authentication for TCP connections (pg_hba.conf "host" lines; default 'scram-sha-256'): 'trust' logs anyone in without a password. */
  authHost?: 'scram-sha-256' | 'trust';
}

const SERVICE_USER = 'postgres';
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

export async function findPgBinDir(): Promise<string> {
  const fromEnv = process.env.PRAXIS_PG_BINDIR;
  if (fromEnv) return fromEnv;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  try {
    const { stdout } = await execa('pg_config', ['--bindir']);
    if (existsSync(join(stdout.trim(), 'initdb'))) return stdout.trim();
  } catch { /* not installed */ }
  try {
    const { stdout } = await execa('sh', ['-c', 'command -v initdb']);
    return dirname(stdout.trim());
  } catch {
    throw new Error('PostgreSQL not found: install it (Debian: apt install postgresql) or set PRAXIS_PG_BINDIR.');
  }
}

/** Run a PostgreSQL server tool as the cluster's OS user. */
function asServiceUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', SERVICE_USER, '--', cmd, ...args]] : [cmd, args];
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function confValue(v: string | number): string {
  return typeof v === 'number' ? String(v) : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PgServer> {
  const binDir = opts.binDir ?? (await findPgBinDir());
  const user = opts.user ?? 'praxis_admin';
  const password = opts.password ?? `pw-${randomBytes(12).toString('base64url')}`;
  if (/[\r\n]/.test(password)) throw new Error('startPostgres: the password must not contain a newline');

  let dir: string;
  if (opts.dir) {
    dir = resolve(opts.dir);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
  } else {
    dir = await makeTempDir('praxis-pg', { keep: opts.keepDir });
  }
  const removeDir = opts.keepDir === undefined ? !opts.dir : !opts.keepDir;
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'run');
  const logFile = join(socketDir, 'postgres.log');
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new Error(`startPostgres: ${dataDir} already holds a cluster; remove it first`);
  }

  let uid = -1, gid = -1;
  if (isRoot()) {
    const { stdout } = await execa('id', ['-u', SERVICE_USER]).catch(() => {
      throw new Error(`startPostgres runs as root, so it needs the '${SERVICE_USER}' system user to run the server (PostgreSQL refuses root)`);
    });
    uid = Number(stdout);
    gid = Number((await execa('id', ['-g', SERVICE_USER])).stdout);
  }
  const ramdisk = opts.ramdisk ?? (isRoot() && process.platform === 'linux');

  // Undo whatever was set up so far: unmount the data tmpfs, remove the dir (when it is ours).
  const release = async () => {
    if (isMounted(dataDir)) await unmountPath(dataDir);
    if (removeDir && !isMounted(dataDir)) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const releaseSync = () => {
    unmountPathSync(dataDir);
    if (removeDir && !isMounted(dataDir)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  // Until the server object exists, a crash still unmounts and removes (stop() replaces this).
  const unregisterSetup = registerCleanup(release, { sync: releaseSync, label: `remove ${dir}` });

  try {
    for (const [d, mode] of [[dataDir, 0o700], [socketDir, 0o755]] as const) {
      await mkdir(d, { recursive: true });
      await chmod(d, mode);
      if (uid >= 0) await chown(d, uid, gid);
    }
    if (uid >= 0) {
      // Every parent must be traversable by the service user, or initdb fails with a vague message.
      const probe = await execa('runuser', ['-u', SERVICE_USER, '--', 'test', '-w', dataDir], { reject: false });
      if (probe.exitCode !== 0) {
        throw new Error(`startPostgres: the '${SERVICE_USER}' user cannot write ${dataDir}; some parent directory is not traversable (chmod o+x it, or use a temp dir)`);
      }
    }
    if (ramdisk) {
      await mountTmpfsAt(dataDir, { mode: 0o700, ...(uid >= 0 ? { uid, gid } : {}) });
    }

    // Password file: 0600, owned by the service user, removed right after initdb.
    const pwfile = join(socketDir, 'initdb.pw');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (uid >= 0) await chown(pwfile, uid, gid);
    try {
      const [cmd, args] = asServiceUser(join(binDir, 'initdb'), [
        '-D', dataDir, '--username', user, `--pwfile=${pwfile}`,
        `--auth-host=${opts.authHost ?? 'scram-sha-256'}`, '--auth-local=peer',
        '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions',
      ]);
      await execa(cmd, args, { cwd: dir, env: { LC_ALL: 'C' } }).catch((err) => {
        throw new Error(`initdb failed: ${err.stderr || err.message}`);
      });
    } finally {
      await rm(pwfile, { force: true });
    }
  } catch (err) {
    unregisterSetup();
    await release();
    throw err;
  }

  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: socketDir,
    password_encryption: 'scram-sha-256',
    // Throwaway cluster: durability traded for speed.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '32MB',
    max_connections: 50,
    logging_collector: 'off',
    log_min_messages: 'warning',
    ...opts.settings,
  };

  // A just-probed port can be taken by someone else before the server binds it: retry with a new one.
  let port = 0;
  let started = false;
  let lastError = '';
  const attempts = opts.port ? 1 : 4;
  for (let attempt = 0; attempt < attempts && !started; attempt++) {
    port = opts.port ?? (await freePort());
    const conf = Object.entries({ ...settings, port })
      .map(([k, v]) => `${k} = ${confValue(v)}`).join('\n');
    await appendFile(join(dataDir, 'postgresql.conf'), `\n# praxis-backup test helper (attempt ${attempt + 1})\n${conf}\n`);
    const [cmd, args] = asServiceUser(join(binDir, 'pg_ctl'), ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-s']);
    const r = await execa(cmd, args, { cwd: dir, reject: false });
    if (r.exitCode === 0) {
      started = true;
    } else {
      lastError = `${r.stderr}\n${await readFile(logFile, 'utf8').catch(() => '')}`.trim();
      if (!/could not bind|address already in use/i.test(lastError)) break;
    }
  }
  if (!started) {
    unregisterSetup();
    await release();
    throw new Error(`PostgreSQL did not start: ${lastError}`);
  }
  unregisterSetup();

  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let stopped = false;

  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    killAndWaitSync(pid, 'SIGINT'); // SIGINT = fast shutdown
    releaseSync();
  };
  const unregister = registerCleanup(() => server.stop(), { sync: stopSync, label: `stop PostgreSQL on port ${port}` });

  const host = '127.0.0.1';
  const env = (db = 'postgres'): Record<string, string> => ({
    PGHOST: host, PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGDATABASE: db,
  });

  const server: PgServer = {
    host, port, user, password, binDir, dataDir, dir, socketDir, logFile, pid, ramdisk,
    version: '', versionFull: '',
    env,
    async psql(sql: string, db = 'postgres'): Promise<string> {
      const r = await execa(join(binDir, 'psql'), [
        '-X', '-w', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
        '-h', host, '-p', String(port), '-U', user, '-d', db, '-f', '-',
      ], { input: sql, env: { ...env(db), PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'praxis-test-helper' }, reject: false });
      if (r.exitCode !== 0 || r.failed) {
        throw new Error(`psql failed (exit ${r.exitCode}): ${r.stderr || r.message}`);
      }
      return r.stdout;
    },
    async createDb(name: string): Promise<void> {
      await server.psql(`CREATE DATABASE ${quoteIdent(name)}`);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      unregister();
      if (pidAlive(pid)) {
        const [cmd, args] = asServiceUser(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30', '-s']);
        await execa(cmd, args, { cwd: '/', reject: false });
        if (!(await waitForExit(pid, 10_000))) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
          await waitForExit(pid, 5_000);
        }
      }
      await release();
    },
  };

  try {
    const ready = await waitUntil(async () => {
      const r = await execa(join(binDir, 'pg_isready'), ['-h', host, '-p', String(port), '-t', '1'], { reject: false });
      return r.exitCode === 0;
    }, 30_000);
    if (!ready) throw new Error(`PostgreSQL on port ${port} did not become ready; log: ${logFile}`);
    server.versionFull = await server.psql('SHOW server_version');
    server.version = /^\d+(\.\d+)*/.exec(server.versionFull)?.[0] ?? server.versionFull;
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
