// `praxis-backup verify` through the real CLI, with real parts: PostgreSQL started by the test,
// rsync, an ext4 loop disk as the mirror. A good backup passes (restore test into a scratch
// database that is gone afterwards); a tampered dump, a dump missing rows, a damaged folder and a
// damaged copy on the mirror are each found and named — the last for that destination only.
import { execa } from 'execa';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, readLogs, runCli, startCli, type CliEnv } from '../helpers/cli';
import { makeLoopDisk, mountsOf, type LoopDisk } from '../helpers/loop-disk';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleFiles, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups, waitUntil } from '../helpers/temp';
import { addVerifyData, flipBytes, readManifest, sha256, writeManifest } from './verify-support';

const test = suite('verify');
let root: string;
let env: CliEnv;
let pg: PgServer;

interface Practice {
  dir: string;
  db: string;
  files: string;
  backupDir: string;
  configFile: string;
  env: Record<string, string>;
}

const databases = async () => (await pg.psql(`SELECT datname FROM pg_database ORDER BY 1`)).split('\n').filter(Boolean);
const scratch = async () => (await databases()).filter((d) => d.startsWith('praxis_verify_'));

async function rowsOf(db: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['patient', 'besuch']) out[`public.${t}`] = Number(await pg.psql(`SELECT count(*) FROM ${t}`, db));
  return out;
}

async function practice(name: string, mirrors: unknown[] = []): Promise<Practice> {
  const dir = join(root, name);
  const db = `praxis_${name}`;
  await createSamplePostgres(pg, db, { patients: 60 });
  const files = join(dir, 'Anhaenge');
  await createSampleFiles(files, { files: 40, bytesEach: 6_000 });
  const backupDir = join(dir, 'backups');
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir,
      components: [
        { name: 'datenbank', type: 'postgres', database: db, host: '127.0.0.1', port: pg.port, user: pg.user },
        { name: 'anhaenge', type: 'folder', path: files },
      ],
      retention: { keep: 5 },
      mirrors,
    }),
  );
  return { dir, db, files, backupDir, configFile, env: { ...env.env, PRAXIS_BACKUP_PASSWORD_DATENBANK: pg.password } };
}

/** A backup made by the engine, with row counts and file index (recorded by it, or added from the same data). */
async function backup(p: Practice, opts: { deep?: boolean; rows?: boolean } = {}): Promise<{ id: string; path: string }> {
  const r = await runCli(['run', '--config', p.configFile, '--json'], p.env);
  assert.is(r.code, 0, r.stderr);
  const id = r.events.at(-1)!.summary.backupId as string;
  const path = join(p.backupDir, id);
  addVerifyData(path, opts.rows === false ? {} : { datenbank: await rowsOf(p.db) }, { deep: opts.deep, force: opts.deep });
  if (opts.rows === false) {
    const m = readManifest(path);
    for (const c of m.components) delete c.rows;
    writeManifest(path, m);
  }
  return { id, path };
}

const verification = (path: string) => JSON.parse(readFileSync(join(path, 'verification.json'), 'utf8'));
const status = () => JSON.parse(readFileSync(join(env.stateDir, 'status.json'), 'utf8'));

test.before(async () => {
  root = await makeTempDir('praxis-verify-');
  env = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_MOUNT_BASE: join(root, 'mnt') });
  pg = await startPostgres();
});
test.after(() => runCleanups());

test('a good backup: checksums, index and restore test pass; the scratch database is gone; a killed run\'s leftover is removed and said', async () => {
  const p = await practice('gut');
  const b = await backup(p);
  await pg.createDb('praxis_verify_20200101_000000'); // what a verify killed with -9 leaves
  await pg.createDb('praxis_verify_mine'); // not of our form: never touched
  const r = await runCli(['verify', '--restore-test', '--config', p.configFile, '--json'], p.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /Reste einer abgebrochenen Prüfung entfernt: praxis_verify_20200101_000000/);
  assert.match(r.stderr, new RegExp(`Einspieltest „datenbank“ bestanden: 2 Tabellen eingespielt, bei 2 die Zeilenzahl`));
  assert.match(r.stderr, /zur Probe eingespielt: lässt sich zurückspielen/);
  assert.equal(await scratch(), ['praxis_verify_mine']);
  const v = verification(b.path);
  assert.is(v.ok, true);
  assert.is(v.backupId, b.id);
  assert.is(v.destination, 'local');
  assert.equal(v.checked, { checksums: true, index: true, deep: false, restoreTest: true });
  assert.equal(v.problems, []);
  assert.ok(v.durationMs >= 0 && v.at);
  assert.ok(v.sampleSeed.startsWith(b.id));
  const folder = v.components.find((c: any) => c.name === 'anhaenge');
  assert.is(folder.files, 40);
  assert.is(folder.contentChecked, 20, 'a sample: 20 files or 1 %, whichever is more');
  const st = status().destinations.local.lastVerified;
  assert.equal({ ...st, at: undefined }, { at: undefined, backupId: b.id, ok: true, restoreTest: true });
  assert.is(r.events.at(-1)!.summary.verification.ok, true);
  // Without --restore-test: no database touched, the check is recorded as such.
  const quick = await runCli(['verify', b.id, '--config', p.configFile], p.env);
  assert.is(quick.code, 0, quick.stderr);
  assert.is(verification(b.path).checked.restoreTest, false);
  assert.is(status().destinations.local.lastVerified.restoreTest, false);
  await pg.psql('DROP DATABASE praxis_verify_mine');
});

test('a dump tampered with after the fact: verify fails naming the file (exit 1), verification.json and the status say so', async () => {
  const p = await practice('manipuliert');
  const b = await backup(p);
  const dump = join(b.path, 'datenbank.pgdump');
  flipBytes(dump);
  const r = await runCli(['verify', '--config', p.configFile, '--json'], p.env);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /Backup-Datei datenbank\.pgdump \(datenbank\) ist beschädigt: sha256/);
  assert.match(r.stderr, /Prüfung von Backup \d{8}_\d{6} \(Sicherungsverzeichnis\) fehlgeschlagen: 1 Problem/);
  const v = verification(b.path);
  assert.is(v.ok, false);
  assert.is(v.problems[0].key, 'verify.checksum');
  assert.is(v.problems[0].params.file, 'datenbank.pgdump');
  const st = status().destinations.local.lastVerified;
  assert.is(st.ok, false);
  assert.is(st.message.key, 'verify.checksum');
  assert.is(r.events.at(-1)!.summary.exitCode, 1);
  // Scheduled (verify.cron): the same result, and the admin is alerted (recorded once a day).
  const sch = await runCli(['verify', '--scheduled', '--config', p.configFile], p.env);
  assert.is(sch.code, 1, sch.stderr);
  assert.ok(JSON.stringify(status().alertsNotified ?? {}).includes('verif'), JSON.stringify(status().alertsNotified));
  // A tampered dump is not loaded (it failed already), and nothing is left on the server.
  const rt = await runCli(['verify', '--restore-test', '--config', p.configFile], p.env);
  assert.is(rt.code, 1);
  assert.equal(await scratch(), []);
});

test('a dump missing rows (re-dumped under the old manifest, checksum fixed): the restore test names the table and the counts; scratch dropped', async () => {
  const p = await practice('zeilen');
  const b = await backup(p);
  const m = readManifest(b.path);
  const entry = m.components.find((c) => c.name === 'datenbank')!;
  const dump = join(b.path, entry.path);
  // Restore it elsewhere, delete rows, dump again with pg_dump -Fc, put it in place under the old manifest.
  const crafted = 'praxis_zeilen_crafted';
  await pg.createDb(crafted);
  const pgEnv = { ...process.env, ...pg.env(crafted) };
  await execa(join(pg.binDir, 'pg_restore'), ['--no-owner', '-d', crafted, dump], { env: pgEnv });
  await pg.psql('DELETE FROM besuch WHERE id % 10 = 0', crafted);
  const redumped = join(p.dir, 'redumped.pgdump');
  await execa(join(pg.binDir, 'pg_dump'), ['-Fc', '-f', redumped, crafted], { env: pgEnv });
  copyFileSync(redumped, dump);
  chmodSync(dump, 0o600); // copyFile took pg_dump's 0644: the crafted dump differs in its rows only
  const data = readFileSync(dump);
  entry.sha256 = sha256(data);
  entry.bytes = data.length;
  writeManifest(b.path, m);
  const want = entry.rows!['public.besuch']!;
  const got = Number(await pg.psql('SELECT count(*) FROM besuch', crafted));
  assert.ok(got < want);

  const plain = await runCli(['verify', '--config', p.configFile], p.env);
  assert.is(plain.code, 0, 'checksums alone cannot see it: ' + plain.stderr);
  const r = await runCli(['verify', '--restore-test', '--config', p.configFile, '--json'], p.env);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`Zeilenzahlen von „datenbank“ stimmen nicht mit dem Backup überein \\(eingespielt ≠ beim Backup gezählt\\): public\\.besuch ${got} ≠ ${want}\\.`));
  assert.not.match(r.stderr, /public\.patient \d+ ≠/);
  const v = verification(b.path);
  assert.is(v.ok, false);
  assert.is(v.checked.restoreTest, true);
  assert.equal(v.problems.map((x: any) => x.key), ['verify.rowsDiffer']);
  assert.equal(await scratch(), [], 'dropped after the failing test too');
  assert.ok((await databases()).includes(p.db), 'the live database is untouched');
});

test('a backup without recorded row counts: loads, but says the counts are not proven (warning, exit 3)', async () => {
  const p = await practice('ohnezeilen');
  await backup(p, { rows: false });
  const r = await runCli(['verify', '--restore-test', '--config', p.configFile], p.env);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /⚠ Zeilenzahlen wurden in diesem Backup nicht aufgezeichnet/);
  assert.equal(await scratch(), []);
});

test('folder index: a deleted file, a size change (sample run) and a same-size content change (--deep) are found', async () => {
  const p = await practice('ordner');
  const b = await backup(p, { deep: true });
  const folder = join(b.path, 'anhaenge');
  const all = readdirSync(folder, { recursive: true }) as string[];
  const pdfs = all.filter((f) => f.endsWith('.pdf')).sort();
  // Same size, same mtime, other bytes: only reading the content shows it.
  const sneaky = join(folder, pdfs[0]!);
  const st = statSync(sneaky);
  flipBytes(sneaky, 4);
  utimesSync(sneaky, st.atime, st.mtime);
  const ok = await runCli(['verify', '--config', p.configFile], p.env);
  // (The sample may or may not include that one file; a deep check must.)
  const deep = await runCli(['verify', '--deep', '--config', p.configFile], p.env);
  assert.is(deep.code, 1, deep.stderr);
  assert.match(deep.stderr, new RegExp(`Inhalt von 1 Datei\\(en\\) seit dem Backup verändert: ${pdfs[0]!.replace(/[.]/g, '\\.')}`));
  assert.match(deep.stderr, /alle 40 Dateien mit dem Dateiverzeichnis verglichen und vollständig gelesen/);
  assert.is(verification(b.path).checked.deep, true);
  assert.ok([0, 1].includes(ok.code));

  // A deleted file and a truncated one: found by the quick check (sizes of every file).
  rmSync(join(folder, pdfs[1]!));
  truncateSync(join(folder, pdfs[2]!), 100);
  writeFileSync(join(folder, 'eingeschmuggelt.txt'), 'x');
  const r = await runCli(['verify', '--config', p.configFile], p.env);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`fehlen 1 Datei\\(en\\) des Backups: ${pdfs[1]!.replace(/[.]/g, '\\.')}`));
  assert.match(r.stderr, new RegExp(`1 Datei\\(en\\) eine andere Größe als beim Backup \\(jetzt ≠ damals\\): ${pdfs[2]!.replace(/[.]/g, '\\.')} \\(100 ≠ \\d+ B\\)`));
  assert.match(r.stderr, /1 Datei\(en\), die nicht zum Backup gehören: eingeschmuggelt\.txt/);
});

test('bad input: unknown backup id and unknown mirror → 2; no backup yet → 1', async () => {
  const p = await practice('eingabe');
  const none = await runCli(['verify', '--config', p.configFile], p.env);
  assert.is(none.code, 1, none.stderr);
  assert.match(none.stderr, /noch kein vollständiges Backup/);
  await backup(p);
  const unknown = await runCli(['verify', '20000101_000000', '--config', p.configFile], p.env);
  assert.is(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /Backup 20000101_000000 gibt es in .* nicht\. Die neuesten: \d{8}_\d{6}/);
  const bad = await runCli(['verify', 'gestern', '--config', p.configFile], p.env);
  assert.is(bad.code, 2, bad.stderr);
  const mirror = await runCli(['verify', '--target', 'gibtsnicht', '--config', p.configFile], p.env);
  assert.is(mirror.code, 2, mirror.stderr);
  assert.match(mirror.stderr, /Unbekannter Datenträger „gibtsnicht“/);
});

test('cancelled in the middle of the restore test (SIGTERM, as the tray\'s "Abbrechen"): the scratch database is dropped all the same', async () => {
  const p = await practice('abbruch');
  // The practice software's own role owns its tables, as on a real server: the dump says
  // `ALTER TABLE … OWNER TO praxis_abbruch_app`, and pg_restore has to wait for that role.
  await pg.psql(`CREATE ROLE praxis_abbruch_app`);
  await pg.psql(ownTables('praxis_abbruch_app'), p.db);
  const b = await backup(p);
  await pg.psql(ownTables(pg.user), p.db); // the role owns nothing now: it can be dropped
  // The cancel comes when the restore test is in the middle, whatever the machine's speed: this
  // session drops the role in a transaction it keeps open, so the role is locked and pg_restore
  // stops at the first table's owner change, inside the scratch database, until the transaction
  // ends — which is after the cancel (then ROLLBACK: the role is back).
  const hold = await holdOpen(`BEGIN; DROP ROLE praxis_abbruch_app;`);
  try {
    const child = startCli(['verify', '--restore-test', '--config', p.configFile], p.env);
    const waiting = await waitUntil(async () => {
      if (child.exitCode !== null) return true;
      const n = await pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'praxis\\_verify\\_%' AND wait_event_type = 'Lock'`);
      return n !== '0';
    }, 120_000, 25);
    assert.ok(waiting && child.exitCode === null, `the restore test did not get to the owner change (exit ${child.exitCode}): ${child.exitCode === null ? '' : (await child).stderr}`);
    child.kill('SIGTERM');
    const r = await child;
    assert.is(r.exitCode, 1, String(r.stderr));
    assert.not.match(String(r.stderr), /bestanden/);
    assert.match(String(r.stderr), /Probe-Datenbank praxis_verify_\d{8}_\d{6} wieder gelöscht/);
    assert.equal(await scratch(), []);
  } finally {
    await hold.end('ROLLBACK;');
  }
  assert.ok((await runCli(['verify', b.id, '--restore-test', '--config', p.configFile], p.env)).code === 0);
});

/** Gives every table of the sample database to `role` (owned sequences follow their table). */
const ownTables = (role: string) =>
  `DO $$ DECLARE t record; BEGIN FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP ` +
  `EXECUTE format('ALTER TABLE public.%I OWNER TO %I', t.tablename, ${pgLiteral(role)}); END LOOP; END $$`;
const pgLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A psql session that ran `sql` (and said so) and stays open until end() sends its last words. */
async function holdOpen(sql: string): Promise<{ end(last: string): Promise<void> }> {
  const session = execa(join(pg.binDir, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres'], { env: pg.env('postgres'), reject: false, stdin: 'pipe' });
  let out = '';
  session.stdout!.on('data', (d: Buffer) => (out += d));
  session.stderr!.on('data', (d: Buffer) => (out += d));
  session.stdin!.write(`${sql}\nSELECT 'held';\n`);
  const held = await waitUntil(async () => out.includes('held') || session.exitCode !== null, 60_000, 20);
  if (!held || !out.includes('held')) {
    session.kill('SIGKILL');
    throw new Error(`psql could not hold "${sql}": ${out}`);
  }
  return {
    async end(last: string) {
      session.stdin!.end(`${last}\n`);
      const r = await session;
      assert.is(r.exitCode, 0, `psql: ${out}`);
    },
  };
}

/** Mount the disk ourselves, run fn on the mirror's backup folder, unmount. */
async function onDisk<T>(disk: LoopDisk, fn: (dir: string) => T): Promise<T> {
  const mp = join(root, `inspect-${Date.now()}`);
  mkdirSync(mp);
  await execa('mount', [disk.device, mp]);
  try {
    return fn(join(mp, 'Praxis-Backup'));
  } finally {
    await execa('umount', [mp]);
  }
}

test('a mirror on a loop disk: checked after the copy; a damaged copy is reported for that destination only, the local backup still passes', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'PRAXIS-VERIFY' });
  const p = await practice('spiegel');
  const b = await backup(p); // without the mirror: its manifest gets the verify data first
  const withMirror = JSON.parse(readFileSync(p.configFile, 'utf8'));
  withMirror.mirrors = [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-VERIFY' }, mode: 'all', eject: true }];
  writeFileSync(p.configFile, JSON.stringify(withMirror));
  const m = await runCli(['mirror', '--config', p.configFile, '--json'], p.env);
  assert.is(m.code, 0, m.stderr);
  assert.match(m.stderr, /1 Backup\(s\) auf „usb“ geprüft/);
  let st = status().destinations;
  assert.is(st.usb.lastVerified.backupId, b.id);
  assert.is(st.usb.lastVerified.ok, true);
  assert.equal(mountsOf(disk.device), []);
  await onDisk(disk, (dir) => {
    const v = JSON.parse(readFileSync(join(dir, b.id, 'verification.json'), 'utf8'));
    assert.is(v.destination, 'usb');
    assert.is(v.ok, true);
  });

  // Damage the copy: bytes of the dump changed, an attachment truncated.
  const victim = await onDisk(disk, (dir) => {
    flipBytes(join(dir, b.id, 'datenbank.pgdump'));
    const f = (readManifest(join(dir, b.id)).components.find((c) => c.name === 'anhaenge')!);
    const files = readdirSync(join(dir, b.id, f.path), { recursive: true }) as string[];
    const pdf = files.filter((x) => x.endsWith('.pdf')).sort()[3]!;
    truncateSync(join(dir, b.id, f.path, pdf), 10);
    return pdf;
  });
  const before = status().destinations.local.lastVerified;
  const r = await runCli(['verify', '--target', 'usb', '--config', p.configFile, '--json'], p.env);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /Backup-Datei datenbank\.pgdump \(datenbank\) ist beschädigt/);
  assert.match(r.stderr, new RegExp(`andere Größe als beim Backup \\(jetzt ≠ damals\\): ${victim.replace(/[.]/g, '\\.')} \\(10 ≠`));
  assert.match(r.stderr, /Prüfung von Backup \d{8}_\d{6} \(usb\) fehlgeschlagen: 2 Problem/);
  assert.equal(mountsOf(disk.device), [], 'unmounted (ejected) again');
  st = status().destinations;
  assert.is(st.usb.lastVerified.ok, false);
  assert.equal(st.local.lastVerified, before, 'the local destination is not touched by a mirror check');
  await onDisk(disk, (dir) => {
    const v = JSON.parse(readFileSync(join(dir, b.id, 'verification.json'), 'utf8'));
    assert.is(v.destination, 'usb');
    assert.is(v.ok, false);
  });
  // The original is fine.
  const local = await runCli(['verify', '--config', p.configFile], p.env);
  assert.is(local.code, 0, local.stderr);
  assert.is(status().destinations.local.lastVerified.ok, true);
  assert.is(verification(b.path).ok, true);
  assert.match(readLogs(env.logDir), /verify\.failed/);
});

test.run();
