// The assistant's step 1 against real servers started here: PostgreSQL with trust (no password
// needed), PostgreSQL with scram (asks for one), MariaDB whose root has a password plus a user
// without one. Each server is tried without a password first; the one that asks is listed again
// with the typed password (wrong, then right). psql and mariadb are started through recording
// shims: the passwords never appear in any argv.
import { execa } from 'execa';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LinuxVolumes } from '../../src/diskutil/linux-volumes';
import type { Platform } from '../../src/platform/paths';
import { ToolLocator, type ToolName } from '../../src/process/tool-locator';
import { databaseTools } from '../../src/databases/registry';
import type { FoundServer } from '../../src/setup-assistant/contracts';
import { createDiscovery, parseProbeTarget, type DiscoveryOptions } from '../../src/setup-assistant/discover/create-discovery';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { freePort, makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('discovery: database servers');

const PG_PW = 'Scram "geheim" $1 x';
const MARIA_PW = "Maria 'geheim' #2";

let trustPg: PgServer;
let scramPg: PgServer;
let maria: MariaServer;
let base: string;
let shimDir: string;
let argvLog: string;
let n = 0;

/** The real tools, but found through shims that record argv and whether a password variable was set. */
class ShimTools extends ToolLocator {
  override async searchDirs(tool: ToolName): Promise<string[]> {
    return [shimDir, ...(await super.searchDirs(tool))];
  }
}

async function shim(name: string, real: string): Promise<void> {
  const script = `#!/bin/sh
{ printf '%s' "${name}"; for a in "$@"; do printf ' %s' "$(printf '%s' "$a" | tr '\\n' ' ')"; done; printf ' PGPASSWORD=%s MYSQL_PWD=%s\\n' "\${PGPASSWORD+set}" "\${MYSQL_PWD+set}"; } >> '${argvLog}'
exec '${real}' "$@"
`;
  await writeFile(join(shimDir, name), script);
  await chmod(join(shimDir, name), 0o755);
}

function discovery(extra: DiscoveryOptions['extra'], more: Partial<DiscoveryOptions> = {}) {
  const platform: Platform = more.platform ?? 'linux';
  return createDiscovery({
    platform,
    tools: new ShimTools('linux', process.env),
    volumes: new LinuxVolumes({ mountBase: join(base, 'volumes') }),
    extra,
    defaultPlaces: false,
    fsRoot: join(base, `empty-root-${++n}`),
    home: join(base, `home-${n}`),
    loginUser: 'nobody-here',
    ...more,
  });
}

const signal = () => new AbortController().signal;
const byPort = (all: FoundServer[], port: number) => all.filter((s) => s.port === port);

test.before(async () => {
  base = await makeTempDir('praxis-discover-');
  // The tools' own files of this machine's user must not decide the outcome: a HOME of our own.
  process.env.HOME = join(base, 'home');
  await mkdir(process.env.HOME, { recursive: true });
  for (const v of ['PGPASSWORD', 'PGPASSFILE', 'PGUSER', 'PGHOST', 'PGPORT', 'MYSQL_PWD', 'MYSQL_HOST', 'MYSQL_TCP_PORT']) delete process.env[v];
  shimDir = join(base, 'shims');
  argvLog = join(base, 'argv.log');
  await mkdir(shimDir);
  const real = new ToolLocator('linux', process.env, databaseTools());
  await shim('psql', (await real.findForServer('psql')).path);
  await shim('pg_dump', (await real.findForServer('pg_dump')).path);
  await shim('mariadb', (await real.find('mariadb')).path);
  [trustPg, scramPg, maria] = await Promise.all([
    startPostgres({ authHost: 'trust', user: 'postgres' }),
    startPostgres({ password: PG_PW, user: 'postgres' }),
    startMariadb({ password: MARIA_PW }),
  ]);
  await trustPg.createDb('tomedo');
  await trustPg.psql('CREATE TABLE patient (id int PRIMARY KEY, name text); INSERT INTO patient SELECT g, md5(g::text) FROM generate_series(1, 2000) g;', 'tomedo');
  await scramPg.createDb('elexis');
  await maria.createDb('praxis');
  await maria.sql('CREATE TABLE befund (id INT PRIMARY KEY, text VARCHAR(200)); INSERT INTO befund VALUES (1, "a"), (2, "b");', 'praxis');
  // A user the server lets in without a password, over TCP and the socket.
  await maria.sql("CREATE USER 'ohne_pw'@'127.0.0.1'; CREATE USER 'ohne_pw'@'localhost'; GRANT SELECT ON *.* TO 'ohne_pw'@'127.0.0.1'; GRANT SELECT ON *.* TO 'ohne_pw'@'localhost';");
  // A role named like this OS user: peer authentication over the socket lets exactly that one in.
  const me = (await import('node:os')).userInfo().username;
  await scramPg.psql(`CREATE ROLE "${me}" LOGIN SUPERUSER`);
  await trustPg.psql(`CREATE ROLE "${me}" LOGIN SUPERUSER`);
});

test.after(async () => {
  await runCleanups();
});

test('PostgreSQL with trust: found over TCP without a password, its databases listed with sizes, system ones flagged', async () => {
  const all = await discovery({ postgres: [{ host: '127.0.0.1', port: trustPg.port }] }).findServers(signal());
  assert.is(all.length, 1);
  const s = all[0]!;
  assert.equal([s.kind, s.host, s.port, s.via, s.where, s.user, s.login], ['postgres', '127.0.0.1', trustPg.port, 'tcp', `127.0.0.1:${trustPg.port}`, 'postgres', 'none']);
  assert.is(s.problem, undefined);
  const tomedo = s.databases.find((d) => d.name === 'tomedo');
  assert.ok(tomedo, JSON.stringify(s.databases));
  assert.is(tomedo.system, false);
  // 2000 rows and a primary key: more than an empty database's size.
  const postgres = s.databases.find((d) => d.name === 'postgres')!;
  assert.ok(tomedo.sizeBytes > postgres.sizeBytes, `${tomedo.sizeBytes} > ${postgres.sizeBytes}`);
  for (const sys of ['postgres', 'template0', 'template1']) assert.is(s.databases.find((d) => d.name === sys)?.system, true, sys);
  assert.match(s.toolVersion ?? '', /^pg_dump \(PostgreSQL\) \d+/);
});

test('PostgreSQL with scram: "password" without one; a wrong one keeps "password" and says so; the right one lists', async () => {
  const d = discovery({ postgres: [{ host: '127.0.0.1', port: scramPg.port }] });
  const [s] = await d.findServers(signal());
  assert.ok(s);
  assert.is(s.login, 'password');
  assert.equal(s.databases, []);
  assert.is(s.problem, undefined);

  const wrong = await d.listDatabases(s, 'falsch', signal());
  assert.is(wrong.login, 'password');
  assert.equal(wrong.databases, []);
  assert.is(wrong.problem?.key, 'discover.passwordWrong');
  assert.match(String(wrong.problem?.params?.message), /password authentication failed/);

  const right = await d.listDatabases(s, PG_PW, signal());
  assert.is(right.login, 'none');
  assert.is(right.problem, undefined);
  assert.equal([right.via, right.host, right.port, right.user], ['tcp', '127.0.0.1', scramPg.port, 'postgres']);
  const elexis = right.databases.find((x) => x.name === 'elexis');
  assert.ok(elexis && elexis.sizeBytes > 0 && !elexis.system, JSON.stringify(right.databases));
});

test('MariaDB: root asks for a password; wrong stays "password", right lists the database with its size', async () => {
  const d = discovery({ mariadb: [{ host: '127.0.0.1', port: maria.port }] });
  const [s] = await d.findServers(signal());
  assert.ok(s);
  assert.equal([s.kind, s.host, s.port, s.via, s.user, s.login], ['mariadb', '127.0.0.1', maria.port, 'tcp', 'root', 'password']);

  const wrong = await d.listDatabases(s, 'falsch', signal());
  assert.is(wrong.login, 'password');
  assert.is(wrong.problem?.key, 'discover.passwordWrong');
  assert.match(String(wrong.problem?.params?.message), /ERROR 1045/);

  const right = await d.listDatabases(s, MARIA_PW, signal());
  assert.is(right.login, 'none');
  const praxis = right.databases.find((x) => x.name === 'praxis');
  assert.ok(praxis && praxis.sizeBytes > 0 && !praxis.system, JSON.stringify(right.databases));
  for (const sys of ['mysql', 'information_schema', 'performance_schema']) assert.is(right.databases.find((x) => x.name === sys)?.system, true, sys);
  assert.match(right.toolVersion ?? '', /Distrib|Ver/);
});

test('MariaDB: a user without a password logs in ("none"); TCP and socket of the same server are one entry', async () => {
  const tcp = { host: '127.0.0.1', port: maria.port, user: 'ohne_pw' };
  // The socket alone: the port it reports is the server's own (@@port), not the default 3306.
  const [viaSocket] = await discovery({ mariadb: [{ host: maria.socket, user: 'ohne_pw' }] }).findServers(signal());
  assert.ok(viaSocket);
  assert.equal([viaSocket.via, viaSocket.host, viaSocket.where, viaSocket.port, viaSocket.login], ['socket', 'localhost', maria.socket, maria.port, 'none']);
  assert.ok(viaSocket.databases.some((x) => x.name === 'praxis'));

  const both = await discovery({ mariadb: [tcp, { host: maria.socket, user: 'ohne_pw' }] }).findServers(signal());
  assert.is(both.length, 1, JSON.stringify(both));
  assert.equal([both[0]!.via, both[0]!.user, both[0]!.login], ['tcp', 'ohne_pw', 'none']);
});

test('macOS: the login user is proposed where the superuser asks for a password and it gets in (Homebrew)', async () => {
  const all = await discovery({ mariadb: [{ host: '127.0.0.1', port: maria.port }] }, { platform: 'darwin', loginUser: 'ohne_pw' }).findServers(signal());
  assert.equal(all.map((s) => [s.user, s.login]), [['ohne_pw', 'none']]);
  // On Linux only the superuser is tried.
  const linux = await discovery({ mariadb: [{ host: '127.0.0.1', port: maria.port }] }, { loginUser: 'ohne_pw' }).findServers(signal());
  assert.equal(linux.map((s) => [s.user, s.login]), [['root', 'password']]);
});

test('PostgreSQL over its socket: peer authentication lets in the role named like the OS user; of TCP and socket the one that logs in is kept', async () => {
  const me = (await import('node:os')).userInfo().username;
  // The scram server over TCP asks for a password; over the socket (peer) the same role gets in.
  const all = await discovery({
    postgres: [
      { host: '127.0.0.1', port: scramPg.port, user: me },
      { host: scramPg.socketDir, port: scramPg.port, user: me },
    ],
  }).findServers(signal());
  assert.is(all.length, 1, JSON.stringify(all));
  const s = all[0]!;
  assert.equal([s.via, s.host, s.port, s.where, s.login], ['socket', scramPg.socketDir, scramPg.port, join(scramPg.socketDir, `.s.PGSQL.${scramPg.port}`), 'none']);
  assert.ok(s.databases.some((x) => x.name === 'elexis'));

  // Given as the socket file itself, the port comes from its name.
  const [file] = await discovery({ postgres: [{ host: join(trustPg.socketDir, `.s.PGSQL.${trustPg.port}`), user: me }] }).findServers(signal());
  assert.equal([file?.via, file?.port, file?.login], ['socket', trustPg.port, 'none']);
});

test('a place with nothing listening, named by the admin: listed as failed, naming the place', async () => {
  const port = await freePort();
  const all = await discovery({ postgres: [{ host: '127.0.0.1', port }], mariadb: [{ host: join(base, 'no-such.sock') }] }).findServers(signal());
  assert.equal(all.map((s) => [s.kind, s.login, s.problem?.key, s.problem?.params?.where]), [
    ['postgres', 'failed', 'discover.refused', `127.0.0.1:${port}`],
    ['mariadb', 'failed', 'discover.refused', join(base, 'no-such.sock')],
  ]);
  assert.equal(all[0]!.databases, []);
});

test('data folders without a running server (Debian, Homebrew, Postgres.app) are reported via "dataDir" with their port', async () => {
  const root = join(base, 'fake-root');
  await mkdir(join(root, 'var/lib/postgresql/15/main'), { recursive: true });
  await writeFile(join(root, 'var/lib/postgresql/15/main/PG_VERSION'), '15\n');
  await mkdir(join(root, 'etc/postgresql/15/main'), { recursive: true });
  await writeFile(join(root, 'etc/postgresql/15/main/postgresql.conf'), "#port = 1\nport = 5499\t# changed\n");
  // A cluster whose port is the running trust server's: not listed twice.
  await mkdir(join(root, 'var/lib/postgresql/16/main'), { recursive: true });
  await writeFile(join(root, 'var/lib/postgresql/16/main/PG_VERSION'), '16\n');
  await writeFile(join(root, 'var/lib/postgresql/16/main/postgresql.conf'), `port = ${trustPg.port}\n`);
  // Not a cluster: no PG_VERSION.
  await mkdir(join(root, 'var/lib/postgresql/14/main'), { recursive: true });
  await mkdir(join(root, 'var/lib/mysql'), { recursive: true });

  const all = await discovery({ postgres: [{ host: '127.0.0.1', port: trustPg.port }] }, { fsRoot: root }).findServers(signal());
  const dataDirs = all.filter((s) => s.via === 'dataDir');
  assert.equal(
    dataDirs.map((s) => [s.kind, s.where, s.port, s.host, s.user, s.login, s.problem?.key]),
    [
      ['postgres', join(root, 'var/lib/postgresql/15/main'), 5499, 'localhost', 'postgres', 'failed', 'discover.dataDirNotStarted'],
      ['mariadb', join(root, 'var/lib/mysql'), 3306, '127.0.0.1', 'root', 'failed', 'discover.dataDirNotStarted'],
    ],
  );
  assert.is(byPort(all, trustPg.port).length, 1);

  // macOS: Postgres.app in the home, Homebrew under /opt/homebrew.
  const mac = join(base, 'fake-mac');
  const home = join(mac, 'Users/anna');
  await mkdir(join(home, 'Library/Application Support/Postgres/var-16'), { recursive: true });
  await writeFile(join(home, 'Library/Application Support/Postgres/var-16/PG_VERSION'), '16\n');
  await mkdir(join(mac, 'opt/homebrew/var/postgresql@14'), { recursive: true });
  await writeFile(join(mac, 'opt/homebrew/var/postgresql@14/PG_VERSION'), '14\n');
  await writeFile(join(mac, 'opt/homebrew/var/postgresql@14/postgresql.conf'), 'port = 5433\n');
  await mkdir(join(mac, 'opt/homebrew/var/mysql'), { recursive: true });
  const onMac = await discovery({}, { platform: 'darwin', fsRoot: mac, home, loginUser: 'anna' }).findServers(signal());
  assert.equal(
    onMac.map((s) => [s.kind, s.where, s.port, s.via, s.user]),
    [
      ['postgres', join(home, 'Library/Application Support/Postgres/var-16'), 5432, 'dataDir', 'anna'],
      ['postgres', join(mac, 'opt/homebrew/var/postgresql@14'), 5433, 'dataDir', 'anna'],
      ['mariadb', join(mac, 'opt/homebrew/var/mysql'), 3306, 'dataDir', 'anna'],
    ],
  );
});

test('a data folder\'s server, started meanwhile, is listed over TCP; still silent, it stays a data folder', async () => {
  const d = discovery({});
  const folder: FoundServer = {
    kind: 'postgres', host: '127.0.0.1', port: trustPg.port, via: 'dataDir', where: '/var/lib/postgresql/15/main', user: 'postgres',
    login: 'failed', databases: [], problem: { key: 'discover.dataDirNotStarted', params: {} },
  };
  const started = await d.listDatabases(folder, null, signal());
  assert.equal([started.via, started.where, started.login, started.problem], ['tcp', `127.0.0.1:${trustPg.port}`, 'none', undefined]);
  assert.ok(started.databases.some((x) => x.name === 'tomedo'));
  const silent = await d.listDatabases({ ...folder, port: await freePort() }, null, signal());
  assert.equal([silent.via, silent.where, silent.login, silent.problem?.key], ['dataDir', '/var/lib/postgresql/15/main', 'failed', 'discover.dataDirNotStarted']);
});

test('no password ever in an argv: psql and mariadb got theirs in the environment or the option file', async () => {
  const log = await readFile(argvLog, 'utf8');
  const lines = log.split('\n').filter(Boolean);
  assert.ok(lines.some((l) => l.startsWith('psql ') && l.includes(String(scramPg.port)) && l.endsWith('PGPASSWORD=set MYSQL_PWD=')), 'psql ran with PGPASSWORD');
  assert.ok(lines.some((l) => l.startsWith('mariadb --defaults-extra-file=')), 'mariadb ran with an option file');
  for (const secret of [PG_PW, MARIA_PW, 'falsch']) assert.not.ok(log.includes(secret), `"${secret}" in an argv`);
  // Without a password from us, none was set for the child either.
  assert.ok(lines.some((l) => l.startsWith('psql ') && l.includes(String(trustPg.port)) && l.endsWith('PGPASSWORD= MYSQL_PWD=')));
});

test('default places: the sockets where the platform keeps them are found; a stale socket and silent places yield nothing', async () => {
  const root = join(base, 'socket-root');
  await mkdir(join(root, 'run/postgresql'), { recursive: true });
  await mkdir(join(root, 'run/mysqld'), { recursive: true });
  await mkdir(join(root, 'tmp'), { recursive: true });
  await symlink(join(trustPg.socketDir, `.s.PGSQL.${trustPg.port}`), join(root, 'run/postgresql', `.s.PGSQL.${trustPg.port}`));
  await symlink(maria.socket, join(root, 'run/mysqld/mysqld.sock'));
  // Left behind by a server that crashed: the file is a socket, but nobody listens.
  const stale = join(root, 'tmp', '.s.PGSQL.5439');
  await execa('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', stale]);
  const all = await discovery({}, { defaultPlaces: true, fsRoot: root }).findServers(signal());
  const ours = all.filter((s) => s.where.startsWith(root) || s.where === maria.socket);
  assert.equal(
    ours.map((s) => [s.kind, s.via, s.host, s.port, s.where, s.user]),
    [
      ['postgres', 'socket', join(root, 'run/postgresql'), trustPg.port, join(root, 'run/postgresql', `.s.PGSQL.${trustPg.port}`), 'postgres'],
      // The config can only name the client's own socket: "localhost".
      ['mariadb', 'socket', 'localhost', 3306, maria.socket, 'root'],
    ],
  );
  // Something answered, so it is shown: the peer login of "postgres" is refused to this OS user;
  // MariaDB's root asks for its password.
  assert.is(ours[0]!.login, 'failed');
  assert.is(ours[0]!.problem?.key, 'discover.loginFailed');
  assert.match(String(ours[0]!.problem?.params?.message), /Peer authentication failed/);
  assert.is(ours[1]!.login, 'password');
});

test('client tools missing: the server is shown as failed, with the install hint', async () => {
  const empty = join(base, 'no-tools');
  await mkdir(empty, { recursive: true });
  class NoTools extends ToolLocator {
    override async searchDirs(): Promise<string[]> {
      return [empty];
    }
  }
  const d = discovery({ postgres: [{ host: '127.0.0.1', port: trustPg.port }], mariadb: [{ host: '127.0.0.1', port: maria.port }] }, { tools: new NoTools('linux', {}) });
  const all = await d.findServers(signal());
  assert.equal(all.map((s) => [s.kind, s.login, s.problem?.key, s.toolVersion]), [
    ['postgres', 'failed', 'error.toolMissing', undefined],
    ['mariadb', 'failed', 'error.toolMissing', undefined],
  ]);
  assert.match(String(all[0]!.problem?.params?.hint), /apt install postgresql-client/);
  assert.match(String(all[1]!.problem?.params?.hint), /apt install mariadb-client/);
});

test('init --postgres/--mariadb targets: HOST:PORT, [v6]:PORT, USER@HOST:PORT, sockets; nonsense is null', () => {
  assert.equal(parseProbeTarget('db.praxis.local:5433'), { host: 'db.praxis.local', port: 5433 });
  assert.equal(parseProbeTarget('127.0.0.1'), { host: '127.0.0.1' });
  assert.equal(parseProbeTarget('[::1]:3307'), { host: '::1', port: 3307 });
  assert.equal(parseProbeTarget('admin@localhost:5432'), { host: 'localhost', port: 5432, user: 'admin' });
  assert.equal(parseProbeTarget('/run/postgresql'), { host: '/run/postgresql' });
  assert.equal(parseProbeTarget('root@/tmp/mysql.sock'), { host: '/tmp/mysql.sock', user: 'root' });
  assert.is(parseProbeTarget('host:99999'), null);
  assert.is(parseProbeTarget('host:port'), null);
  assert.is(parseProbeTarget(''), null);
});

test.run();
