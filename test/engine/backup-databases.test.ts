// A whole backup of a practice with real servers: PostgreSQL (tomedo), MariaDB (Elexis) and two
// folders. The backup must restore with plain pg_restore and `gunzip -c | mariadb`, and no
// password may appear anywhere the tool writes.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allText, cliEnv, readLogs, runCli, type CliEnv } from '../helpers/cli';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleFiles, createSampleMariadb, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('backup of databases and folders');

// Passwords with characters that break naive quoting in option files and shells.
const PG_PW = 'Pg-Geheim "#1" $HOME \\ ü';
const MARIA_PW = "Ma'Geheim \"2\" ; # ä";

let pg: PgServer;
let maria: MariaServer;
let root: string;
let env: CliEnv;
let configFile: string;
let backupDir: string;
let pgCounts: Record<string, number>;
let mariaCounts: Record<string, number>;
let folderFiles: { files: number; bytes: number };

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function config(overrides: { pgDb?: string; mariaDb?: string } = {}) {
  return {
    backupDir,
    components: [
      { name: 'datenbank', type: 'postgres', database: overrides.pgDb ?? 'tomedo', host: pg.host, port: pg.port, user: pg.user },
      { name: 'elexis', type: 'mariadb', database: overrides.mariaDb ?? 'elexis', host: maria.host, port: maria.port, user: maria.user },
      { name: 'client', type: 'folder', path: join(root, 'praxis', 'client') },
      { name: 'files', type: 'folder', path: join(root, 'praxis', 'files') },
    ],
    retention: { keep: 5 },
  };
}

function passwordsEnv(pgPw = PG_PW, mariaPw = MARIA_PW): Record<string, string> {
  return { ...env.env, PRAXIS_BACKUP_PASSWORD_DATENBANK: pgPw, PRAXIS_BACKUP_PASSWORD_ELEXIS: mariaPw };
}

test.before(async () => {
  root = await makeTempDir('praxis-db-');
  [pg, maria] = await Promise.all([startPostgres({ password: PG_PW }), startMariadb({ password: MARIA_PW })]);
  pgCounts = (await createSamplePostgres(pg, 'tomedo', { patients: 120, visitsPerPatient: 5 })).tables;
  mariaCounts = (await createSampleMariadb(maria, 'elexis', { patients: 80, visitsPerPatient: 3 })).tables;
  await mkdir(join(root, 'praxis', 'client', 'tomedo.app', 'Contents'), { recursive: true });
  await writeFile(join(root, 'praxis', 'client', 'tomedo.app', 'Contents', 'Info.plist'), '<plist/>');
  folderFiles = await createSampleFiles(join(root, 'praxis', 'files'), { files: 30, bytesEach: 8192 });
  backupDir = join(root, 'backups');
  env = await cliEnv(root);
  configFile = join(root, 'config.json');
  await writeFile(configFile, JSON.stringify(config(), null, 2));
});

test.after(async () => {
  await runCleanups();
});

test('run: exit 0, layout and manifest as in DESIGN.md', async () => {
  const r = await runCli(['run', '--config', configFile, '--json'], passwordsEnv());
  assert.is(r.code, 0, r.stderr);
  const last = r.events.at(-1)!;
  assert.is(last.type, 'finished');
  assert.is(last.summary.result, 'success');

  const ids = readdirSync(backupDir).filter((n) => !n.startsWith('.'));
  assert.is(ids.length, 1, `one backup folder, got ${ids.join(', ')}`);
  const id = ids[0]!;
  assert.match(id, /^\d{8}_\d{6}$/);
  const dir = join(backupDir, id);
  assert.equal(readdirSync(dir).sort(), ['client', 'client.index.jsonl.gz', 'datenbank.pgdump', 'elexis.sql.gz', 'files', 'files.index.jsonl.gz', 'manifest.json', 'verification.json']); // verification.json: the check right after the backup
  assert.is(statSync(dir).mode & 0o777, 0o700, 'backup folder 0700');
  assert.is(statSync(join(dir, 'datenbank.pgdump')).mode & 0o777, 0o600, 'dump 0600');
  assert.is(statSync(join(dir, 'elexis.sql.gz')).mode & 0o777, 0o600, 'dump 0600');

  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.is(m.format, 1);
  assert.is(m.id, id);
  assert.is(m.status, 'complete');
  assert.is(m.tool.name, 'praxis-backup');
  assert.ok(m.host.length > 0);
  assert.ok(Date.parse(m.startedAt) <= Date.parse(m.finishedAt));
  const byName = Object.fromEntries(m.components.map((c: any) => [c.name, c]));
  assert.equal(Object.keys(byName).sort(), ['client', 'datenbank', 'elexis', 'files']);

  const pgc = byName.datenbank;
  assert.is(pgc.type, 'postgres');
  assert.is(pgc.path, 'datenbank.pgdump');
  assert.is(pgc.bytes, statSync(join(dir, 'datenbank.pgdump')).size);
  assert.is(pgc.sha256, sha256(join(dir, 'datenbank.pgdump')));
  assert.ok(pgc.serverVersion.startsWith(pg.version), `${pgc.serverVersion} vs ${pg.version}`);
  assert.ok(pgc.dumpTool.path.endsWith('pg_dump'));
  // The rows the dump must contain, counted in pg_dump's own snapshot.
  assert.equal(pgc.rows, Object.fromEntries(Object.entries(pgCounts).map(([t, n]) => [`public.${t}`, n])));
  assert.is(pgc.rowsExact, 'snapshot');

  const mc = byName.elexis;
  assert.is(mc.path, 'elexis.sql.gz');
  assert.is(mc.bytes, statSync(join(dir, 'elexis.sql.gz')).size);
  assert.is(mc.sha256, sha256(join(dir, 'elexis.sql.gz')));
  assert.ok(mc.serverVersion.includes(maria.version), `${mc.serverVersion} vs ${maria.version}`);
  for (const [t, n] of Object.entries(mariaCounts)) assert.is(mc.rows[t], n, t);
  assert.is(mc.rowsExact, 'dump');

  // Each dump said it was moving: bytes written (never more than the file), no percent (its end is not known).
  for (const c of [pgc, mc]) {
    const dumping = r.events.filter((e: any) => e.type === 'progress' && e.name === c.name && e.phase === 'dump');
    assert.ok(dumping.length >= 1, `no dump progress of ${c.name}`);
    assert.ok(dumping.every((e: any) => e.percent === null && e.bytes > 0 && e.bytes <= c.bytes), JSON.stringify(dumping));
  }

  assert.is(byName.files.files, folderFiles.files);
  assert.is(byName.files.bytes, folderFiles.bytes);
  assert.is(byName.client.files, 1);
  // Each folder's file index beside the manifest (path, size, mtime; no hashes unless deep).
  for (const name of ['client', 'files']) {
    const index = byName[name].index;
    assert.equal({ path: index.path, files: index.files, deep: index.deep }, { path: `${name}.index.jsonl.gz`, files: byName[name].files, deep: false });
    assert.is(index.sha256, sha256(join(dir, index.path)));
  }
  // The tree itself is there, byte for byte.
  const rel = readdirSync(join(root, 'praxis', 'files'), { recursive: true }) as string[];
  for (const f of rel) {
    const src = join(root, 'praxis', 'files', f);
    if (statSync(src).isFile()) assert.is(sha256(join(dir, 'files', f)), sha256(src), f);
  }
});

test('the .pgdump restores with plain pg_restore into a new database with the same rows', async () => {
  const id = readdirSync(backupDir).filter((n) => !n.startsWith('.'))[0]!;
  await pg.createDb('tomedo_restored');
  await execa(join(pg.binDir, 'pg_restore'), ['--no-owner', '-d', 'tomedo_restored', join(backupDir, id, 'datenbank.pgdump')], {
    env: pg.env('tomedo_restored'),
  });
  for (const [table, count] of Object.entries(pgCounts)) {
    const n = Number(await pg.psql(`SELECT count(*) FROM ${table}`, 'tomedo_restored'));
    assert.is(n, count, `${table}`);
  }
  // Content, not only counts: the umlauts survived.
  const orig = await pg.psql('SELECT string_agg(nachname, \',\' ORDER BY id) FROM patient', 'tomedo');
  const back = await pg.psql('SELECT string_agg(nachname, \',\' ORDER BY id) FROM patient', 'tomedo_restored');
  assert.is(back, orig);
});

test('the .sql.gz restores with gunzip -c | mariadb (tables, trigger, procedure)', async () => {
  const id = readdirSync(backupDir).filter((n) => !n.startsWith('.'))[0]!;
  const before = await maria.sql('SELECT GROUP_CONCAT(BEZEICHNUNG1 ORDER BY ID) FROM KONTAKT', 'elexis').catch(() => null);
  await maria.sql('DROP DATABASE elexis');
  await execa('sh', ['-c', `gunzip -c "$1" | mariadb ${maria.clientArgs().map((a) => `'${a}'`).join(' ')}`, 'sh', join(backupDir, id, 'elexis.sql.gz')], {
    env: { ...process.env, ...maria.env() },
  });
  for (const [table, count] of Object.entries(mariaCounts)) {
    const n = Number(await maria.sql(`SELECT COUNT(*) FROM \`${table}\``, 'elexis'));
    assert.is(n, count, table);
  }
  if (before !== null) assert.is(await maria.sql('SELECT GROUP_CONCAT(BEZEICHNUNG1 ORDER BY ID) FROM KONTAKT', 'elexis'), before);
  const routines = Number(await maria.sql("SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema='elexis'"));
  const triggers = Number(await maria.sql("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema='elexis'"));
  assert.ok(routines >= 1, 'stored procedure restored (--routines)');
  assert.ok(triggers >= 1, 'trigger restored (--triggers)');
});

test('no password in argv-visible places, logs, status, manifest or output', async () => {
  const r = await runCli(['run', '--config', configFile], passwordsEnv());
  assert.is(r.code, 0, r.stderr);
  const haystack = [r.stdout, r.stderr, readLogs(env.logDir), allText(env.stateDir), allText(backupDir), readFileSync(configFile, 'utf8')].join('\n');
  for (const pw of [PG_PW, MARIA_PW]) {
    assert.not.ok(haystack.includes(pw), 'password found in output, logs, status or backup');
  }
  // The log says which pg_dump was used.
  assert.match(readLogs(env.logDir), /pg_dump/);
});

test('wrong database name: exit 1, the server message and the database named, nothing written', async () => {
  const file = join(root, 'wrong-db.json');
  await writeFile(file, JSON.stringify(config({ pgDb: 'gibtsnicht' })));
  const before = readdirSync(backupDir).sort();
  const r = await runCli(['run', '--config', file], passwordsEnv());
  assert.is(r.code, 1);
  assert.match(r.stderr, /gibtsnicht/);
  assert.match(r.stderr, /does not exist|existiert nicht/);
  assert.equal(readdirSync(backupDir).sort(), before, 'no new folder, no .partial');
});

test('wrong PostgreSQL password: exit 1, server message, password nowhere', async () => {
  const wrong = 'Falsch-Passwort-XYZ-123';
  const r = await runCli(['run', '--config', configFile, '--json'], passwordsEnv(wrong, MARIA_PW));
  assert.is(r.code, 1);
  assert.match(r.stderr, /password authentication failed/);
  const last = r.events.at(-1)!;
  assert.is(last.summary.result, 'failed');
  assert.match(last.summary.error.text, /tomedo/);
  const haystack = [r.stdout, r.stderr, readLogs(env.logDir), allText(env.stateDir)].join('\n');
  assert.not.ok(haystack.includes(wrong), 'wrong password leaked');
  assert.not.ok(haystack.includes(MARIA_PW), 'MariaDB password leaked');
  const status = JSON.parse(readFileSync(join(env.stateDir, 'status.json'), 'utf8'));
  assert.is(status.lastRun.result, 'failed');
  assert.is(status.running, null);
});

test('wrong MariaDB password: exit 1, "Access denied", password nowhere', async () => {
  const wrong = 'Falsch"Maria;#';
  const r = await runCli(['run', '--config', configFile], passwordsEnv(PG_PW, wrong));
  assert.is(r.code, 1);
  assert.match(r.stderr, /Access denied/);
  assert.match(r.stderr, /elexis/);
  const haystack = [r.stdout, r.stderr, readLogs(env.logDir), allText(env.stateDir)].join('\n');
  assert.not.ok(haystack.includes(wrong));
  assert.not.ok(haystack.includes(PG_PW));
  assert.not.ok(readdirSync(backupDir).some((n) => n.endsWith('.partial')));
});

test.run();
