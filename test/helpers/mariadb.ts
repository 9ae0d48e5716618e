// A real, throwaway MariaDB server for tests: mariadb-install-db + mariadbd in a temp dir,
// listening on 127.0.0.1:<free port> and a socket inside the temp dir. The root password is set
// right after start, so a TCP login needs it ("Access denied" otherwise).
//
// Every server and client call passes --no-defaults FIRST, so /etc/mysql/* and ~/.my.cnf never leak in.
// Run as root, mariadbd drops to the `mysql` system user itself (--user=mysql).
// Passwords reach the client through MYSQL_PWD in its environment, never argv.
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  freePort, killAndWaitSync, makeTempDir, pidAlive, registerCleanup, waitForExit, waitUntil,
} from './temp';
import { isMounted, mountTmpfsAt, unmountPath, unmountPathSync } from './tmpfs';

export interface MariaServer {
  host: string;
  port: number;
  socket: string;
  user: string;
  password: string;
  /** Numeric part of VERSION(), e.g. '10.11.19'. */
  version: string;
  /** SELECT VERSION() verbatim, e.g. '10.11.19-MariaDB-0+deb12u1'. */
  versionFull: string;
  /** Base directory: data/ (a tmpfs mount point when `ramdisk`), run/ (socket, pid file, error log). */
  dir: string;
  dataDir: string;
  ramdisk: boolean;
  errorLog: string;
  pid: number;
  /** Environment for a `mariadb` / `mariadb-dump` child: MYSQL_PWD (plus MYSQL_HOST / MYSQL_TCP_PORT). */
  env(): Record<string, string>;
  /** argv prefix for a client over TCP: ['--no-defaults', '--protocol=TCP', '-h', host, '-P', port, '-u', user, '--default-character-set=utf8mb4']. */
  clientArgs(): string[];
  sql(sql: string, db?: string): Promise<string>;
  createDb(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMariadbOptions {
  /** root password (default: random). */
  password?: string;
  /** Base directory instead of a temp dir (`data/` inside must not exist yet). */
  dir?: string;
  /** Keep the base directory after stop() (default: removed when it is a temp dir, kept when `dir` was given). */
  keepDir?: boolean;
  /** Use exactly this TCP port (default: a free one, re-picked if another process grabs it first). */
  port?: number;
  /** Extra mariadbd options, e.g. ['--max-allowed-packet=64M']. */
  serverArgs?: string[];
  /** Data directory on its own tmpfs (default: yes when root on Linux). mariadb-install-db alone
   * takes ~4 s on a busy disk (hundreds of fdatasync calls) and ~0.5 s on tmpfs. */
  ramdisk?: boolean;
}

const SERVICE_USER = 'mysql';
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export async function startMariadb(opts: StartMariadbOptions = {}): Promise<MariaServer> {
  const password = opts.password ?? `pw-${randomBytes(12).toString('base64url')}`;
  const user = 'root';
  const host = '127.0.0.1';

  let dir: string;
  if (opts.dir) {
    dir = resolve(opts.dir);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
  } else {
    dir = await makeTempDir('praxis-maria', { keep: opts.keepDir });
  }
  const removeDir = opts.keepDir === undefined ? !opts.dir : !opts.keepDir;
  const dataDir = join(dir, 'data');
  const runDir = join(dir, 'run');
  const socket = join(runDir, 'mysqld.sock');
  const pidFile = join(runDir, 'mysqld.pid');
  const errorLog = join(runDir, 'mysqld.err');
  if (existsSync(join(dataDir, 'mysql'))) {
    throw new Error(`startMariadb: ${dataDir} already holds a server; remove it first`);
  }

  const root = isRoot();
  const ramdisk = opts.ramdisk ?? (root && process.platform === 'linux');
  const userArgs = root ? [`--user=${SERVICE_USER}`] : [];

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
  const fail = async (message: string): Promise<never> => {
    unregisterSetup();
    await release();
    throw new Error(message);
  };

  try {
    await mkdir(runDir, { recursive: true });
    await chmod(runDir, 0o755);
    let uid = -1, gid = -1;
    if (root) {
      uid = Number((await execa('id', ['-u', SERVICE_USER]).catch(() => {
        throw new Error(`startMariadb runs as root, so it needs the '${SERVICE_USER}' system user`);
      })).stdout);
      gid = Number((await execa('id', ['-g', SERVICE_USER])).stdout);
      await chown(runDir, uid, gid);
    }
    if (ramdisk) {
      await mkdir(dataDir, { recursive: true });
      await mountTmpfsAt(dataDir, { mode: 0o755, ...(uid >= 0 ? { uid, gid } : {}) });
    }
  } catch (err) {
    await fail((err as Error).message);
  }

  const install = await execa('mariadb-install-db', [
    // Own --tmpdir: parallel bootstraps sharing /tmp collided on their temporary tables
    // ("Could not remove temporary table '/tmp/#sql-temptable-…'", then aborted or crashed).
    '--no-defaults', `--datadir=${dataDir}`, `--tmpdir=${runDir}`, ...userArgs,
    '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve',
    '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M',
  ], { cwd: dir, reject: false });
  if (install.exitCode !== 0) await fail(`mariadb-install-db failed: ${install.stderr || install.stdout}`);

  const serverArgs = (port: number) => [
    '--no-defaults', // must be first
    `--datadir=${dataDir}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--pid-file=${pidFile}`, `--log-error=${errorLog}`, `--tmpdir=${runDir}`, ...userArgs,
    '--skip-log-bin', '--skip-name-resolve', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci',
    // Throwaway server: small and fast, durability traded for speed.
    '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M', '--innodb-flush-log-at-trx-commit=0',
    '--innodb-doublewrite=0', '--innodb-flush-method=nosync', '--max-connections=50',
    ...(opts.serverArgs ?? []),
  ];

  // Connect through the socket as root without a password (only possible until we set one).
  const socketClient = (sqlText: string) => execa('mariadb', [
    '--no-defaults', `--socket=${socket}`, '-u', user, '-N', '-B', '--connect-timeout=2',
  ], { input: sqlText, reject: false, env: { MYSQL_PWD: '' } });

  let port = 0;
  let child: ResultPromise | undefined;
  let exited = false;
  let lastError = '';
  const attempts = opts.port ? 1 : 4;
  for (let attempt = 0; attempt < attempts; attempt++) {
    port = opts.port ?? (await freePort());
    exited = false;
    // Detached and unref'd: its own process group (Ctrl-C in the terminal is handled by our cleanup,
    // not delivered to mariadbd), and it never keeps the test process alive — the cleanups stop it.
    child = execa('mariadbd', serverArgs(port), { detached: true, stdio: 'ignore', cleanup: false, reject: false });
    child.unref();
    child.on('exit', () => { exited = true; });
    void child.catch(() => {});
    const ready = await waitUntil(async () => exited || (await socketClient('SELECT 1')).exitCode === 0, 60_000);
    if (ready && !exited) break;
    lastError = await readFile(errorLog, 'utf8').catch(() => '(no error log)');
    if (!exited && child.pid) killAndWaitSync(child.pid, 'SIGKILL', 2000);
    child = undefined;
    if (!/already in use|bind on TCP\/IP port/i.test(lastError)) break;
  }
  if (!child?.pid) {
    await fail(`mariadbd did not start: ${lastError.split('\n').filter((l) => /ERROR|error/.test(l)).slice(-8).join('\n') || lastError}`);
  }
  unregisterSetup();
  const pid = child!.pid!;
  const proc = child!;

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    killAndWaitSync(pid, 'SIGTERM', 15_000);
    releaseSync();
  };
  const unregister = registerCleanup(() => server.stop(), { sync: stopSync, label: `stop MariaDB on port ${port}` });

  const clientArgs = () => [
    '--no-defaults', '--protocol=TCP', '-h', host, '-P', String(port), '-u', user, '--default-character-set=utf8mb4',
  ];
  const env = () => ({ MYSQL_PWD: password, MYSQL_HOST: host, MYSQL_TCP_PORT: String(port) });

  const server: MariaServer = {
    host, port, socket, user, password, dir, dataDir, ramdisk, errorLog, pid,
    version: '', versionFull: '',
    env, clientArgs,
    async sql(sqlText: string, db?: string): Promise<string> {
      const r = await execa('mariadb', [...clientArgs(), '-N', '-B', '--connect-timeout=10', ...(db ? ['-D', db] : [])], {
        input: sqlText, env: { MYSQL_PWD: password }, reject: false,
      });
      if (r.exitCode !== 0 || r.failed) throw new Error(`mariadb failed (exit ${r.exitCode}): ${r.stderr || r.message}`);
      return r.stdout;
    },
    async createDb(name: string): Promise<void> {
      await server.sql(`CREATE DATABASE ${quoteIdent(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      unregister();
      if (pidAlive(pid)) {
        proc.ref(); // keep the loop alive while we wait for it
        try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
        if (!(await waitForExit(pid, 30_000))) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
          await waitForExit(pid, 5_000);
        }
        proc.unref();
      }
      await release();
    },
  };

  try {
    // The root accounts install-db created (normal auth, no password) get one now; anonymous
    // accounts go, so a wrong password can never fall through to them.
    const pw = sqlString(password);
    const setup = await socketClient([
      `ALTER USER 'root'@'localhost' IDENTIFIED BY ${pw};`,
      `CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY ${pw};`,
      `GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;`,
      `DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost', '127.0.0.1'));`,
      `FLUSH PRIVILEGES;`,
    ].join('\n'));
    if (setup.exitCode !== 0) throw new Error(`setting the MariaDB root password failed: ${setup.stderr}`);
    server.versionFull = await server.sql('SELECT VERSION()');
    server.version = /^\d+(\.\d+)*/.exec(server.versionFull)?.[0] ?? server.versionFull;
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
