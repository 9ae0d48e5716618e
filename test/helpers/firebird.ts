// A real, throwaway Firebird 3 server for tests (issue 16: the third database kind), the way
// postgres.ts and mariadb.ts start theirs: Debian's /usr/sbin/firebird in the foreground, with its
// own config directory (FIREBIRD=<dir>: firebird.conf, databases.conf, plugins.conf, its own
// security database and SYSDBA password), listening on 127.0.0.1:<free port> only, no systemd,
// no fbguard (its -forever would restart a server the test stops).
//
// Measured traps (a spike before this helper was written):
// - the port goes into firebird.conf: `firebird -p PORT` ignores RemoteBindAddress and listens on *;
// - the server's log path is built in (/var/log/firebird/firebird3.0.log, the system instance's):
//   the server runs in a private mount namespace with <dir>/log bound over /var/log/firebird, so
//   nothing of a test lands there (root only, like the tmpfs helpers);
// - <dir>/intl must point at Debian's intl plugin folder (fbintl.conf's $(root) follows FIREBIRD),
//   else every attach logs "Can't load INTL module";
// - LC_ALL=C.UTF-8 for the server, or database paths with umlauts fail to transliterate;
// - the security database is created embedded (isql-fb on the file, no server yet), with the SYSDBA
//   password on isql's stdin; clients get it as ISC_USER/ISC_PASSWORD in their environment, never argv.
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { freePort, killAndWaitSync, makeTempDir, pidAlive, registerCleanup, waitForExit, waitUntil } from './temp';

const FB_ROOT = '/usr/lib/x86_64-linux-gnu/firebird/3.0';
const SECURITY_SQL = '/usr/share/firebird/3.0/security.sql';

export interface FbServer {
  host: string;
  port: number;
  user: 'SYSDBA';
  password: string;
  dir: string;
  /** Where databases go: <dir>/data. */
  dataDir: string;
  /** The server's own log (gds__log), bound over /var/log/firebird in its namespace. */
  log: string;
  pid: number;
  /** Environment for a client (gbak, isql-fb, gfix): ISC_USER / ISC_PASSWORD. */
  env(): Record<string, string>;
  /** inet://127.0.0.1:<port>/<absolute path of the database file> */
  url(file: string): string;
  /** Runs SQL through isql-fb (UTF8 connection) against a database file; stdout. */
  sql(file: string, sql: string): Promise<string>;
  /** Creates <dataDir>/<name>.fdb with UTF8 as its default character set; returns its path. */
  createDb(name: string): Promise<string>;
  /** Appends aliases ("name = /path\n…") to the server's databases.conf so that its next attach sees them. */
  addAliases(lines: string): Promise<void>;
  stop(): Promise<void>;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Whether this machine can run a test Firebird: Debian's packages installed and root (for the namespace). */
export function firebirdAvailable(): boolean {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot && existsSync('/usr/sbin/firebird') && existsSync(`${FB_ROOT}/intl`) && existsSync(SECURITY_SQL);
}

export async function startFirebird(opts: { password?: string } = {}): Promise<FbServer> {
  const password = opts.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const dir = await makeTempDir('praxis-firebird-');
  const dataDir = join(dir, 'data');
  for (const d of ['lock', 'tmp', 'data', 'log']) await mkdir(join(dir, d), { recursive: true });
  await symlink(join(FB_ROOT, 'intl'), join(dir, 'intl'));
  await copyFile('/etc/firebird/3.0/plugins.conf', join(dir, 'plugins.conf'));
  const port = await freePort();
  await writeFile(
    join(dir, 'firebird.conf'),
    [`RemoteServicePort = ${port}`, 'RemoteBindAddress = 127.0.0.1', `SecurityDatabase = ${dir}/security3.fdb`, 'ServerMode = Super', `TempDirectories = ${dir}/tmp`, 'UdfAccess = None', ''].join('\n'),
  );
  await writeFile(join(dir, 'databases.conf'), `security.db = ${dir}/security3.fdb\n{\n\tRemoteAccess = false\n}\n`);
  const fbEnv = { FIREBIRD: dir, FIREBIRD_LOCK: join(dir, 'lock'), FIREBIRD_TMP: join(dir, 'tmp'), FIREBIRD_MSG: FB_ROOT, LC_ALL: 'C.UTF-8' };

  // The security database with our SYSDBA, embedded (no server yet); the password only on stdin.
  await execa('isql-fb', ['-q', '-user', 'SYSDBA'], {
    env: fbEnv,
    input: `create database ${sqlString(`${dir}/security3.fdb`)};\ninput ${sqlString(SECURITY_SQL)};\ncreate or alter user SYSDBA password ${sqlString(password)};\ncommit;\n`,
  });

  const server: ResultPromise = execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0/log" /var/log/firebird && exec /usr/sbin/firebird -d', dir], {
    env: fbEnv,
    cwd: dir,
    stdin: 'ignore',
    stdout: { file: join(dir, 'log', 'server.out') },
    stderr: { file: join(dir, 'log', 'server.out') },
    reject: false,
    detached: true,
  });
  const pid = server.pid!;
  // A test process that dies (SIGTERM from the runner) still takes the server with it.
  const kill = () => killAndWaitSync(pid, 'SIGKILL');
  registerCleanup(kill, { sync: kill, label: `stop Firebird on port ${port}` });
  const listening = await waitUntil(
    () =>
      new Promise<boolean>((resolve) => {
        const c = createConnection({ host: '127.0.0.1', port }, () => {
          c.end();
          resolve(true);
        });
        c.on('error', () => resolve(false));
      }),
    15_000,
  );
  if (!listening) throw new Error(`firebird did not listen on 127.0.0.1:${port} within 15 s (log: ${dir}/log)`);

  const env = () => ({ ISC_USER: 'SYSDBA', ISC_PASSWORD: password });
  const url = (file: string) => `inet://127.0.0.1:${port}/${file}`;
  const sql = async (file: string, statements: string) =>
    (await execa('isql-fb', ['-q', '-ch', 'UTF8', url(file)], { env: { ...env(), LC_ALL: 'C.UTF-8' }, input: statements })).stdout;
  return {
    host: '127.0.0.1',
    port,
    user: 'SYSDBA',
    password,
    dir,
    dataDir,
    log: join(dir, 'log', 'firebird3.0.log'),
    pid,
    env,
    url,
    sql,
    async createDb(name) {
      const file = join(dataDir, `${name}.fdb`);
      await execa('isql-fb', ['-q', '-ch', 'UTF8'], { env: { ...env(), LC_ALL: 'C.UTF-8' }, input: `create database ${sqlString(url(file))} default character set UTF8;\ncommit;\n` });
      return file;
    },
    async addAliases(lines) {
      // The server reads databases.conf again when its mtime differs from the one it read, in whole
      // seconds: an append within the second of the last read went unseen (an alias unknown, "No
      // such file" for its bare name — seen in CI). The mtime is moved on from its own value.
      const conf = join(dir, 'databases.conf');
      const before = (await stat(conf)).mtime;
      await writeFile(conf, lines, { flag: 'a' });
      const later = new Date(before.getTime() + 10_000);
      await utimes(conf, later, later);
    },
    async stop() {
      if (!pidAlive(pid)) return;
      process.kill(-pid, 'SIGTERM');
      if (!(await waitForExit(pid, 10_000))) killAndWaitSync(pid, 'SIGKILL');
    },
  };
}
