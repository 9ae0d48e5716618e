// Restore through the real CLI, with real parts: PostgreSQL started by the test, rsync, an ext4
// loop disk as the mirror. Back up, change the live data, put the backup back — and every
// safeguard: confirmation, partial selection, damaged dump, wrong password, safety backup first.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { makeLoopDisk, mountsOf } from '../helpers/loop-disk';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleFiles, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('restore');
let root: string;
let env: CliEnv;
let pg: PgServer;

const ids = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort() : []);

/** Every table's rows as one fingerprint per table: equal fingerprints, equal data (row level). */
async function fingerprint(db: string): Promise<Record<string, string>> {
  const tables = (await pg.psql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`, db)).split('\n').filter(Boolean);
  const out: Record<string, string> = {};
  for (const t of tables) out[t] = await pg.psql(`SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM "${t}" x`, db);
  return out;
}

const databases = async () => (await pg.psql(`SELECT datname FROM pg_database ORDER BY 1`)).split('\n').filter(Boolean);

interface Practice {
  dir: string;
  db: string;
  files: string;
  program: string;
  backupDir: string;
  configFile: string;
  env: Record<string, string>;
}

async function practice(name: string, extra: Record<string, unknown> = {}): Promise<Practice> {
  const dir = join(root, name);
  const db = `praxis_${name}`;
  await createSamplePostgres(pg, db, { patients: 60 });
  const files = join(dir, 'Anhaenge');
  await createSampleFiles(files, { files: 30, bytesEach: 8_000 });
  const program = join(dir, 'Server');
  await mkdir(program, { recursive: true });
  writeFileSync(join(program, 'server.jar'), 'v1');
  const backupDir = join(dir, 'backups');
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir,
      components: [
        { name: 'datenbank', type: 'postgres', database: db, host: '127.0.0.1', port: pg.port, user: pg.user },
        { name: 'anhaenge', type: 'folder', path: files },
        { name: 'server', type: 'folder', path: program, role: 'program' },
      ],
      retention: { keep: 5 },
      ...extra,
    }),
  );
  return { dir, db, files, program, backupDir, configFile, env: { ...env.env, PRAXIS_BACKUP_PASSWORD_DATENBANK: pg.password } };
}

async function backup(p: Practice): Promise<string> {
  const r = await runCli(['run', '--config', p.configFile, '--json'], p.env);
  assert.is(r.code, 0, r.stderr);
  return r.events.at(-1)!.summary.backupId;
}

/** What the admin does after the backup: change rows, delete rows, add, change and delete files. */
async function changeEverything(p: Practice): Promise<void> {
  await pg.psql(`UPDATE patient SET nachname = 'GEÄNDERT' WHERE id <= 10`, p.db);
  await pg.psql(`DELETE FROM besuch WHERE id % 3 = 0`, p.db);
  await pg.psql(`INSERT INTO patient (id, vorname, nachname, geburtsdatum, geschlecht, angelegt) SELECT 9000, 'Neu', 'Patientin', '1990-01-01', 'w', now()`, p.db);
  writeFileSync(join(p.files, 'neu-nach-dem-backup.pdf'), 'scanned after the backup');
  const some = (readdirSync(p.files, { recursive: true }) as string[]).filter((f) => f.endsWith('.pdf')).sort();
  rmSync(join(p.files, some[0]!));
  writeFileSync(join(p.files, some[1]!), 'changed content');
  writeFileSync(join(p.program, 'plugin-neu.jar'), 'installed after the backup');
  writeFileSync(join(p.program, 'server.jar'), 'v2');
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = join(dir, f);
    try {
      out[f] = readFileSync(p).toString('base64');
    } catch {
      /* directory */
    }
  }
  return out;
}

test.before(async () => {
  root = await makeTempDir('praxis-restore-');
  env = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_MOUNT_BASE: join(root, 'mnt') });
  pg = await startPostgres();
});
test.after(() => runCleanups());

test('everything back: database equal to the backup row by row, attachments = backup + newer files, program folder exact, old database kept, safety backup made', async () => {
  const p = await practice('full');
  const id = await backup(p);
  const atBackup = await fingerprint(p.db);
  const filesAtBackup = tree(p.files);
  await changeEverything(p);
  const changedDb = await fingerprint(p.db);
  assert.not.equal(changedDb, atBackup);

  const r = await runCli(['restore', id, '--yes', '--config', p.configFile, '--json'], p.env);
  if (process.env.SHOW_RESTORE) console.error(r.stderr);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await fingerprint(p.db), atBackup, 'database equals the backup');
  // Attachments: every file of the backup as it was, plus the one scanned after it.
  const now = tree(p.files);
  assert.is(now['neu-nach-dem-backup.pdf'], Buffer.from('scanned after the backup').toString('base64'));
  delete now['neu-nach-dem-backup.pdf'];
  assert.equal(now, filesAtBackup);
  // Program folder: exactly the backup.
  assert.equal(readdirSync(p.program).sort(), ['server.jar']);
  assert.is(readFileSync(join(p.program, 'server.jar'), 'utf8'), 'v1');
  // The previous live database is kept, with the changes.
  const kept = (await databases()).filter((d) => d.startsWith(`${p.db}_vor_restore_`));
  assert.is(kept.length, 1);
  assert.equal(await fingerprint(kept[0]!), changedDb);
  // The safety backup: a second complete backup holding the changed state.
  const all = ids(p.backupDir);
  assert.is(all.length, 2);
  const safety = all.find((x) => x !== id)!;
  assert.ok(existsSync(join(p.backupDir, safety, 'anhaenge', 'neu-nach-dem-backup.pdf')));
  const summary = r.events.at(-1)!.summary;
  assert.is(summary.safetyBackupId, safety);
  assert.equal(summary.keptDatabases, kept);
  assert.match(r.stderr, /Sicherheitskopie .* des jetzigen Stands liegt in/);
  assert.match(r.stderr, /bleibt als „praxis_full_vor_restore_\d{8}_\d{6}“ erhalten/);
  assert.match(r.stderr, /Stelle anhaenge \(folder\) wieder her/);
  // The overview said what gets replaced and that newer data is lost.
  assert.match(r.stderr, /Wiederherstellung von Backup \d{8}_\d{6} vom/);
  assert.match(r.stderr, /ACHTUNG: Alles, was nach dem/);
  assert.match(r.stderr, /1 Datei\(en\), die neuer als das Backup sind, bleiben erhalten/);
  assert.match(r.stderr, /server: ersetzt/);
  assert.ok(r.events.some((e) => e.type === 'restore-plan'));
  // The password appears nowhere the restore wrote.
  assert.not.ok(readFileSync(join(env.logDir, readdirSync(env.logDir).filter((n) => n.startsWith('restore-'))[0]!), 'utf8').includes(pg.password));
});

test('--delete-newer-files: attachments exactly the backup; the overview counts and names the files first', async () => {
  const p = await practice('exact');
  const id = await backup(p);
  const filesAtBackup = tree(p.files);
  await changeEverything(p);
  const r = await runCli(['restore', id, '--yes', '--delete-newer-files', '--drop-previous', '--config', p.configFile], p.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /1 Datei\(en\), die neuer als das Backup sind, werden GELÖSCHT, z\. B\.: neu-nach-dem-backup\.pdf/);
  assert.equal(tree(p.files), filesAtBackup);
  assert.equal((await databases()).filter((d) => d.startsWith(`${p.db}_vor_restore_`)), [], '--drop-previous');
  assert.match(r.stderr, /Wiederherstellung von \d{8}_\d{6} abgeschlossen \([^)]*\)\.$/m, r.stderr);
});

test('only the database: warns that database and attachments may not match, and needs confirmation (no terminal: --yes)', async () => {
  const p = await practice('partial');
  const id = await backup(p);
  await changeEverything(p);
  const changed = await fingerprint(p.db);
  const r = await runCli(['restore', id, '--components', 'datenbank', '--config', p.configFile], p.env);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /nur ein Teil wiederhergestellt \(datenbank\), nicht: anhaenge, server/);
  assert.match(r.stderr, /mit --yes bestätigen/);
  assert.equal(await fingerprint(p.db), changed, 'nothing changed');
  assert.is(ids(p.backupDir).length, 1, 'no safety backup either');
  const ok = await runCli(['restore', id, '--components', 'datenbank', '--yes', '--config', p.configFile], p.env);
  assert.is(ok.code, 3, ok.stderr); // restored, with the mismatch warning
  assert.ok(existsSync(join(p.files, 'neu-nach-dem-backup.pdf')));
  assert.not.equal(await fingerprint(p.db), changed);
});

test('a damaged dump in the chosen backup is refused before anything changes', async () => {
  const p = await practice('damaged');
  const id = await backup(p);
  await changeEverything(p);
  const changed = await fingerprint(p.db);
  const dump = join(p.backupDir, id, 'datenbank.pgdump');
  const fd = openSync(dump, 'r+');
  writeSync(fd, Buffer.from('XXXX'), 0, 4, 200);
  closeSync(fd);
  const r = await runCli(['restore', id, '--yes', '--config', p.configFile], p.env);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /ist beschädigt und wird NICHT wiederhergestellt \(es wurde nichts verändert\): datenbank: sha256/);
  assert.equal(await fingerprint(p.db), changed);
  assert.ok(existsSync(join(p.program, 'plugin-neu.jar')));
  assert.is(ids(p.backupDir).length, 1, 'no safety backup was made');
});

test('wrong admin password: exit 1, a clear message, nothing changed', async () => {
  const p = await practice('password');
  const id = await backup(p);
  await changeEverything(p);
  const changed = await fingerprint(p.db);
  const before = await databases();
  const r = await runCli(['restore', id, '--yes', '--config', p.configFile], { ...p.env, PRAXIS_BACKUP_PASSWORD_DATENBANK: 'falsch-123' });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /Passwort|password/i);
  assert.not.ok(r.stderr.includes('falsch-123'));
  assert.equal(await fingerprint(p.db), changed);
  assert.equal(await databases(), before);
  assert.is(ids(p.backupDir).length, 1);
});

test('the safety backup exists and is complete before the first live change (seen from hooks.beforeRestore)', async () => {
  const seen = join(root, 'seen.txt');
  const p = await practice('safety', {
    hooks: { beforeRestore: { command: ['/bin/sh', '-c', `for d in "$0"/2*; do test -f "$d/manifest.json" && basename "$d"; done > ${seen}`, join(root, 'safety', 'backups')] } },
  });
  const id = await backup(p);
  await changeEverything(p);
  const r = await runCli(['restore', id, '--yes', '--config', p.configFile], p.env);
  assert.is(r.code, 0, r.stderr);
  const complete = readFileSync(seen, 'utf8').split('\n').filter(Boolean);
  assert.is(complete.length, 2, `complete backups when the first live change was about to happen: ${complete.join(', ')}`);
  assert.ok(complete.includes(id));
  // When the hook ran, the database was still the changed one: the hook runs before any change.
});

test('--no-safety-backup: no safety backup; the admin\'s own choice is said once, as information, and the exit follows the result (0)', async () => {
  const p = await practice('nosafety');
  const id = await backup(p);
  const r = await runCli(['restore', id, '--yes', '--no-safety-backup', '--config', p.configFile], p.env);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr.match(/Ohne Sicherheitskopie/g)?.length, 1, r.stderr);
  assert.not.match(r.stderr, /⚠[^\n]*--no-safety-backup/);
  assert.match(r.stderr, /Es wird KEINE Sicherheitskopie des jetzigen Stands erstellt/, 'the overview shows the choice before asking');
  assert.is(ids(p.backupDir).length, 1);
  const json = await runCli(['restore', id, '--yes', '--no-safety-backup', '--config', p.configFile, '--json'], p.env);
  assert.is(json.code, 0, json.stderr);
  assert.equal(json.events.at(-1)!.summary.warnings, []);
});

test('from a mirror disk: mounted for the restore, unmounted afterwards', async () => {
  const disk = await makeLoopDisk({ sizeMiB: 64, label: 'RESTORE-USB' });
  const p = await practice('mirror', { mirrors: [{ name: 'usb', type: 'volume', volume: { label: 'RESTORE-USB' }, mode: 'all' }] });
  const id = await backup(p);
  assert.equal(mountsOf(disk.device), [], 'the backup run unmounted it');
  const atBackup = await fingerprint(p.db);
  await changeEverything(p);
  // The local copy is gone (the server's disk died): only the USB disk has it.
  rmSync(join(p.backupDir, id), { recursive: true });
  const r = await runCli(['restore', id, '--from-mirror', 'usb', '--yes', '--no-safety-backup', '--config', p.configFile], p.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /Quelle der Wiederherstellung: .*Praxis-Backup/);
  assert.match(r.stderr, /wurde wieder ausgehängt/);
  assert.equal(mountsOf(disk.device), []);
  assert.equal(await fingerprint(p.db), atBackup);
});

test('--dry-run: every check and the overview (also as JSON for the tray), nothing changed, no safety backup', async () => {
  const p = await practice('dryrun');
  const id = await backup(p);
  await changeEverything(p);
  const changed = await fingerprint(p.db);
  const r = await runCli(['restore', id, '--dry-run', '--delete-newer-files', '--config', p.configFile, '--json'], p.env);
  assert.is(r.code, 0, r.stderr);
  const plan = r.events.find((e) => e.type === 'restore-plan')!;
  assert.equal(plan.plan.components.map((c: any) => c.name), ['datenbank', 'anhaenge', 'server']);
  assert.equal(plan.plan.components[1].notInBackup, { count: 1, first: ['neu-nach-dem-backup.pdf'] });
  assert.ok(plan.text.some((l: string) => l.includes('werden GELÖSCHT')));
  assert.match(r.stderr, /es wurde nichts verändert/);
  assert.equal(await fingerprint(p.db), changed);
  assert.ok(existsSync(join(p.files, 'neu-nach-dem-backup.pdf')));
  assert.is(ids(p.backupDir).length, 1);
});

test('unknown backup and unknown component: exit 2 naming what exists', async () => {
  const p = await practice('unknown');
  const id = await backup(p);
  let r = await runCli(['restore', '20200101_000000', '--yes', '--config', p.configFile], p.env);
  assert.is(r.code, 2);
  assert.match(r.stderr, new RegExp(`kein vollständiges Backup 20200101_000000 .* Die neuesten: ${id}`));
  r = await runCli(['restore', id, '--components', 'röntgen', '--yes', '--config', p.configFile], p.env);
  assert.is(r.code, 2);
  assert.match(r.stderr, /keine Komponente „röntgen“\. Enthalten sind: datenbank, anhaenge, server/);
  r = await runCli(['restore', '--config', p.configFile], p.env);
  assert.is(r.code, 2);
  assert.match(r.stderr, /Welches Backup\?/);
});

test.run();
