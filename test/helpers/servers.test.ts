// The test infrastructure itself, for real: PostgreSQL and MariaDB servers, sample data, a
// size-limited tmpfs, and the promise that nothing (process, mount, temp dir) outlives a test file.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres, type PgServer } from './postgres';
import { startMariadb, type MariaServer } from './mariadb';
import { isMounted, mountTmpfs } from './tmpfs';
import { createSampleFiles, createSampleMariadb, createSamplePostgres, SAMPLE_FILES_EPOCH } from './sample-practice';
import { makeTempDir, pidAlive, registerCleanup, runCleanups } from './temp';

const here = fileURLToPath(new URL('.', import.meta.url));
const timings: string[] = [];

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  timings.push(`${label}: ${Math.round(performance.now() - t0)} ms`);
  return r;
}

function procUid(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

async function uidOf(user: string): Promise<number> {
  return Number((await execa('id', ['-u', user])).stdout);
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out.sort();
}

async function treeHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of await walk(dir)) {
    const s = await stat(f);
    h.update(`${relative(dir, f)}\0${s.size}\0${s.mtimeMs}\0`);
    h.update(await readFile(f));
  }
  return h.digest('hex');
}

// ---------------------------------------------------------------- PostgreSQL
const PG = suite('postgres');
let pg: PgServer;

PG('starts as the postgres user on 127.0.0.1 with a free port', async () => {
  pg = await timed('PostgreSQL start (initdb + pg_ctl + pg_isready)', () => startPostgres({ password: "s3cr'et:with\\odd chars" }));
  assert.is(pg.host, '127.0.0.1');
  assert.ok(pg.port > 1024 && pg.port < 65536, `port ${pg.port}`);
  assert.match(pg.version, /^\d+\.\d+$/);
  assert.ok(pg.versionFull.startsWith(pg.version), pg.versionFull);
  assert.is(await pg.psql('SELECT current_user'), pg.user);
  assert.is(await pg.psql('SHOW listen_addresses'), '127.0.0.1');
  assert.is(await pg.psql('SHOW port'), String(pg.port));
  assert.is(procUid(pg.pid), await uidOf('postgres'), 'postmaster runs as postgres, not root');
  assert.ok(pg.ramdisk, 'root on Linux: data dir on tmpfs by default');
  assert.ok(isMounted(pg.dataDir), 'data dir is a tmpfs mount');
  const st = statSync(pg.dataDir);
  assert.is(st.mode & 0o777, 0o700);
  assert.is(st.uid, await uidOf('postgres'));
  assert.not.ok(existsSync(join(pg.socketDir, 'initdb.pw')), 'password file removed after initdb');
  assert.ok(existsSync(join(pg.socketDir, `.s.PGSQL.${pg.port}`)), 'unix socket inside the temp dir');
});

PG('sample practice: row counts, umlauts, sequences', async () => {
  const r = await timed('PostgreSQL sample (200 patients x 5 visits)', () => createSamplePostgres(pg, 'tomedo', { patients: 200, visitsPerPatient: 5 }));
  assert.equal(r.tables, { patient: 200, besuch: 1000 });
  assert.is(await pg.psql('SELECT count(*) FROM patient', 'tomedo'), '200');
  assert.is(await pg.psql('SELECT count(*) FROM besuch', 'tomedo'), '1000');
  assert.is(await pg.psql('SELECT count(DISTINCT patient_id) FROM besuch', 'tomedo'), '200');
  assert.is(await pg.psql(`SELECT count(*) > 0 FROM patient WHERE nachname IN ('Müller', 'Weiß', 'Öztürk')`, 'tomedo'), 't');
  assert.is(await pg.psql(`SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'tomedo'`), 'UTF8');
  // identity sequences continue after the sample rows (a restore must keep that)
  assert.is(await pg.psql('INSERT INTO patient (nachname, vorname, geburtsdatum, geschlecht, angelegt) VALUES ($$Neu$$, $$Nina$$, $$2000-01-01$$, $$w$$, now()) RETURNING id', 'tomedo'), '201');
  // deterministic: a second database with the same options holds the same rows
  await createSamplePostgres(pg, 'tomedo2', { patients: 200, visitsPerPatient: 5 });
  const digest = (db: string) => pg.psql('SELECT md5(string_agg(p::text, $$|$$ ORDER BY id)) FROM (SELECT * FROM patient WHERE id <= 200) p', db);
  assert.is(await digest('tomedo'), await digest('tomedo2'));
  // re-running replaces the tables instead of failing or doubling
  const again = await createSamplePostgres(pg, 'tomedo2', { patients: 3, visitsPerPatient: 0 });
  assert.equal(again.tables, { patient: 3, besuch: 0 });
  assert.is(await pg.psql('SELECT (SELECT count(*) FROM patient) || $$/$$ || (SELECT count(*) FROM besuch)', 'tomedo2'), '3/0');
});

PG('a wrong password fails, the right one works (same path, over TCP)', async () => {
  const connect = (password: string) => execa(join(pg.binDir, 'psql'), ['-X', '-w', '-At', '-c', 'SELECT 42'], {
    env: { ...pg.env('tomedo'), PGPASSWORD: password }, reject: false,
  });
  const good = await connect(pg.password);
  assert.is(good.exitCode, 0, good.stderr);
  assert.is(good.stdout, '42');
  const bad = await connect(`${pg.password}x`);
  assert.is.not(bad.exitCode, 0);
  assert.match(bad.stderr, /password authentication failed for user "praxis_admin"/);
  const none = await execa(join(pg.binDir, 'psql'), ['-X', '-w', '-At', '-c', 'SELECT 1'], {
    env: { ...pg.env(), PGPASSWORD: '' }, reject: false,
  });
  assert.is.not(none.exitCode, 0, 'no password, no login');
});

PG('psql() throws with the server error', async () => {
  try {
    await pg.psql('SELECT * FROM gibt_es_nicht', 'tomedo');
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, Error);
    assert.match((err as Error).message, /relation "gibt_es_nicht" does not exist/);
  }
});

PG('stop() ends the server, frees the port, removes the dir; twice is fine', async () => {
  const { pid, dir, port, binDir } = pg;
  await timed('PostgreSQL stop', () => pg.stop());
  assert.not.ok(pidAlive(pid), 'postmaster gone');
  assert.not.ok(isMounted(pg.dataDir), 'data tmpfs unmounted');
  assert.not.ok(existsSync(dir), 'temp dir removed');
  const ready = await execa(join(binDir, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-t', '1'], { reject: false });
  assert.is.not(ready.exitCode, 0);
  await pg.stop();
});

// ---------------------------------------------------------------- MariaDB
const MA = suite('mariadb');
let ma: MariaServer;

MA('starts as the mysql user on 127.0.0.1, without /etc/mysql settings', async () => {
  ma = await timed('MariaDB start (install-db + mariadbd + root password)', () => startMariadb({ password: "Pr@xis'pw\\1" }));
  assert.is(ma.host, '127.0.0.1');
  assert.is(ma.user, 'root');
  assert.match(ma.version, /^\d+\.\d+\.\d+$/);
  assert.ok(ma.versionFull.startsWith(ma.version), ma.versionFull);
  assert.is(await ma.sql('SELECT @@port'), String(ma.port));
  assert.is(await ma.sql('SELECT @@bind_address'), '127.0.0.1');
  assert.is(await ma.sql('SELECT @@socket'), ma.socket);
  assert.is(await ma.sql('SELECT @@datadir'), `${ma.dataDir}/`);
  assert.is(await ma.sql('SELECT @@log_bin'), '0');
  assert.is(procUid(ma.pid), await uidOf('mysql'), 'mariadbd runs as mysql, not root');
  assert.ok(ma.ramdisk && isMounted(ma.dataDir), 'data dir is a tmpfs mount');
  assert.is(await ma.sql('SELECT CURRENT_USER()'), 'root@127.0.0.1');
});

MA('sample practice: row counts, trigger, stored procedure', async () => {
  const r = await timed('MariaDB sample (200 patients x 5 visits)', () => createSampleMariadb(ma, 'elexis', { patients: 200, visitsPerPatient: 5 }));
  assert.equal(r.tables, { KONTAKT: 201, FAELLE: 200, BEHANDLUNGEN: 1000, TRACES: 1000 });
  for (const [table, n] of Object.entries(r.tables)) {
    assert.is(await ma.sql(`SELECT COUNT(*) FROM ${table}`, 'elexis'), String(n), table);
  }
  assert.is(await ma.sql('CALL PatientenZaehlen()', 'elexis'), '200');
  assert.is(await ma.sql(`SELECT COUNT(*) FROM KONTAKT WHERE Bezeichnung1 IN ('Müller', 'Weiß', 'Öztürk')`, 'elexis') !== '0', true);
  assert.is(await ma.sql(`SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'elexis'`), '1');
  assert.is(await ma.sql(`SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'elexis'`), '1');
  // the trigger really fires
  await ma.sql(`INSERT INTO BEHANDLUNGEN (ID, FallID, Datum) VALUES ('Bneu', 'F0000000001', '20260101')`, 'elexis');
  assert.is(await ma.sql('SELECT COUNT(*) FROM TRACES', 'elexis'), '1001');
  assert.is(await ma.sql(`SELECT action FROM TRACES ORDER BY ID DESC LIMIT 1`, 'elexis'), 'Konsultation angelegt: Bneu (Fall F0000000001)');
});

MA('a wrong password fails with "Access denied", the right one works', async () => {
  const connect = (password: string, extra: string[]) => execa('mariadb', [...extra, '-u', 'root', '-N', '-B', '-e', 'SELECT 42'], {
    env: { MYSQL_PWD: password }, reject: false,
  });
  const tcp = ma.clientArgs();
  const good = await connect(ma.password, tcp);
  assert.is(good.exitCode, 0, good.stderr);
  assert.is(good.stdout, '42');
  const bad = await connect(`${ma.password}x`, tcp);
  assert.is.not(bad.exitCode, 0);
  assert.match(bad.stderr, /Access denied for user 'root'@'(127\.0\.0\.1|localhost)'/);
  // the socket no longer lets root in without the password either
  const socketNoPw = await connect('', ['--no-defaults', `--socket=${ma.socket}`]);
  assert.is.not(socketNoPw.exitCode, 0);
  assert.match(socketNoPw.stderr, /Access denied/);
});

MA('sql() throws with the server error', async () => {
  try {
    await ma.sql('SELECT * FROM GIBT_ES_NICHT', 'elexis');
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, Error);
    assert.match((err as Error).message, /Table 'elexis.GIBT_ES_NICHT' doesn't exist/);
  }
});

MA('stop() ends the server and removes the dir; twice is fine', async () => {
  const { pid, dir } = ma;
  await timed('MariaDB stop', () => ma.stop());
  assert.not.ok(pidAlive(pid), 'mariadbd gone');
  assert.not.ok(isMounted(ma.dataDir), 'data tmpfs unmounted');
  assert.not.ok(existsSync(dir), 'temp dir removed');
  const r = await execa('mariadb', [...ma.clientArgs(), '--connect-timeout=2', '-e', 'SELECT 1'], { env: { MYSQL_PWD: ma.password }, reject: false });
  assert.match(r.stderr, /Can't connect/);
  await ma.stop();
});

// ---------------------------------------------------------------- tmpfs
const FS = suite('tmpfs');

FS('a 5 MiB tmpfs takes 4 MiB, refuses 6 MiB with ENOSPC, and goes away', async () => {
  const m = await timed('tmpfs mount', () => mountTmpfs(5));
  assert.ok(isMounted(m.path), 'mounted');
  const line = readFileSync('/proc/self/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === m.path);
  assert.match(line ?? '', /^praxis-test \S+ tmpfs .*size=5120k/);
  await writeFile(join(m.path, 'vier.bin'), Buffer.alloc(4 * 1024 * 1024, 1));
  await rm(join(m.path, 'vier.bin'));
  try {
    await writeFile(join(m.path, 'sechs.bin'), Buffer.alloc(6 * 1024 * 1024, 1));
    assert.unreachable('6 MiB fit into 5 MiB');
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  await m.unmount();
  assert.not.ok(isMounted(m.path), 'unmounted');
  assert.not.ok(existsSync(m.path), 'mount point removed');
  await m.unmount();
});

// ---------------------------------------------------------------- sample files
const FILES = suite('sample files');

FILES('attachments tree: counts, folders, fixed mtimes, deterministic (rsync sees nothing to do)', async () => {
  const base = await makeTempDir('praxis-files');
  const a = join(base, 'a'), b = join(base, 'b');
  const r = await createSampleFiles(a, { files: 30, bytesEach: 10_000 });
  assert.equal(r, { files: 30, bytes: 300_000 });
  const files = await walk(a);
  assert.is(files.length, 30);
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  assert.is(bytes, 300_000);
  assert.equal((await readdir(a)).sort(), ['Briefe', 'Scans', 'Ultraschall']);
  assert.ok(files.some((f) => /Überweisung_/.test(f)), 'umlaut in a file name');
  assert.ok(files.some((f) => / /.test(relative(a, f))), 'space in a file name');
  const mtimes = await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs));
  assert.ok(mtimes.every((t) => t >= SAMPLE_FILES_EPOCH && t < SAMPLE_FILES_EPOCH + 30 * 60_000), 'fixed mtimes');
  await createSampleFiles(b, { files: 30, bytesEach: 10_000 });
  assert.is(await treeHash(a), await treeHash(b));
  const dry = await execa('rsync', ['-a', '--itemize-changes', '--dry-run', `${a}/`, `${b}/`]);
  assert.is(dry.stdout.trim(), '', 'rsync finds nothing to transfer between two sample trees');
  // ...and different options really give a different tree
  await createSampleFiles(b, { files: 30, bytesEach: 10_001 });
  assert.is.not(await treeHash(a), await treeHash(b));
});

// ---------------------------------------------------------------- cleanup guarantees
const CLEAN = suite('cleanup');

// A child process starts both servers and a tmpfs, then ends without stopping them:
//   forgot-stop: the event loop runs dry ('beforeExit', async cleanups) — servers on disk (ramdisk: false),
//   throw:       an uncaught exception ('exit', synchronous fallbacks — the same path as process.exit()),
//   sigterm:     killed by a signal (async cleanups, exit 143).
// The three children run at the same time (each takes a few seconds); each test checks one of them.
type Mode = 'forgot-stop' | 'throw' | 'sigterm';
interface ChildInfo { pids: number[]; dirs: string[]; mounts: string[] }

const childScript = (mode: Mode) => `
import { startPostgres } from ${JSON.stringify(join(here, 'postgres.ts'))};
import { startMariadb } from ${JSON.stringify(join(here, 'mariadb.ts'))};
import { mountTmpfs } from ${JSON.stringify(join(here, 'tmpfs.ts'))};
const ramdisk = ${mode !== 'forgot-stop'};
const [pg, ma, fs] = await Promise.all([startPostgres({ ramdisk }), startMariadb({ ramdisk }), mountTmpfs(1)]);
if (pg.ramdisk !== ramdisk || ma.ramdisk !== ramdisk) throw new Error('ramdisk option ignored');
console.log(JSON.stringify({ pids: [pg.pid, ma.pid], dirs: [pg.dir, ma.dir, fs.path], mounts: [fs.path, ...(ramdisk ? [pg.dataDir, ma.dataDir] : [])] }));
${mode === 'throw' ? "setTimeout(() => { throw new Error('test crashed'); }, 10);" : ''}
${mode === 'sigterm' ? 'setInterval(() => {}, 1000);' : ''}
`;

async function runChild(mode: Mode): Promise<{ info?: ChildInfo; exitCode?: number; stderr: string }> {
  const dir = await makeTempDir('praxis-child');
  const script = join(dir, 'child.mts');
  await writeFile(script, childScript(mode));
  const child = execa(process.execPath, ['--import', 'tsx', script], { cwd: join(here, '..', '..'), reject: false, forceKillAfterDelay: false });
  let info: ChildInfo | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    const line = d.toString().split('\n').find((l) => l.startsWith('{'));
    if (!line || info) return;
    const got: ChildInfo = JSON.parse(line);
    info = got;
    // Safety net for this test process: if the child leaves anything behind, the assertions
    // below fail, and this still kills / unmounts it.
    registerCleanup(async () => {
      for (const pid of got.pids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
      for (const m of got.mounts) if (isMounted(m)) await execa('umount', ['-l', m], { reject: false });
    });
    if (mode === 'sigterm') setTimeout(() => child.kill('SIGTERM'), 50);
  });
  const r = await child;
  return { info, exitCode: r.exitCode, stderr: r.stderr };
}

const children = new Map<Mode, ReturnType<typeof runChild>>();
CLEAN.before(() => {
  for (const mode of ['forgot-stop', 'throw', 'sigterm'] as const) {
    const p = runChild(mode);
    p.catch(() => {}); // awaited (and reported) by its test
    children.set(mode, p);
  }
});

for (const [mode, expectedExit] of [['forgot-stop', 0], ['throw', 1], ['sigterm', 143]] as const) {
  CLEAN(`nothing survives a test file that ends by: ${mode}`, async () => {
    const { info, exitCode, stderr } = await children.get(mode)!;
    assert.ok(info, `child printed its servers: ${stderr}`);
    assert.is(exitCode, expectedExit, stderr);
    for (const pid of info!.pids) assert.not.ok(pidAlive(pid), `pid ${pid} still alive after ${mode}`);
    for (const m of info!.mounts) assert.not.ok(isMounted(m), `${m} still mounted after ${mode}`);
    for (const d of info!.dirs) assert.not.ok(existsSync(d), `${d} left behind after ${mode}`);
  });
}

CLEAN.after(async () => {
  await runCleanups();
  console.log(`\n  Timings:\n    ${timings.join('\n    ')}`);
});

PG.after(async () => { await pg?.stop(); });
MA.after(async () => { await ma?.stop(); });

PG.run();
MA.run();
FS.run();
FILES.run();
CLEAN.run();
