// Praxis-Backup demo: a throwaway practice server on this machine, backed up by the real CLI.
//
//   npm run demo          (= node --import tsx scripts/demo.ts)
//
// 1. starts a PostgreSQL cluster under .demo/pg (as the `postgres` user when run as root),
// 2. creates the sample practice: database tomedo_demo (patients, visits), attachments in
//    .demo/praxis/files (letters, scans, ultrasound), a client program in .demo/praxis/client,
// 3. writes .demo/config.json (backupDir .demo/backups, retention 5),
// 4. runs `node dist/cli.js run` and `node dist/cli.js list` with that config — the DB password
//    reaches the CLI only through PRAXIS_BACKUP_PASSWORD_DATENBANK,
// 5. shows where the backup is and how to restore it with plain pg_restore (and proves it),
// 6. stops PostgreSQL and exits with the exit code of `run`.
//
// Run it again: the practice is recreated identically, the backups stay (up to 5), and the second
// backup hard-links the unchanged files into the first.
//
// Options: --prepare-only  set everything up and write the config, but do not run the CLI.
// Env:     PRAXIS_DEMO_CLI=/path/cli.js  use that CLI instead of dist/cli.js.
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, lutimes, mkdir, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres, type PgServer } from '../test/helpers/postgres';
import { createSampleFiles, createSamplePostgres, SAMPLE_FILES_EPOCH } from '../test/helpers/sample-practice';
import { pidAlive, runCleanups, waitForExit } from '../test/helpers/temp';
import { isMounted, unmountPath } from '../test/helpers/tmpfs';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const demo = join(root, '.demo');
const paths = {
  pg: join(demo, 'pg'),
  praxis: join(demo, 'praxis'),
  files: join(demo, 'praxis', 'files'),
  client: join(demo, 'praxis', 'client'),
  backups: join(demo, 'backups'),
  config: join(demo, 'config.json'),
  // PRAXIS_DEMO_CLI: run another build of the CLI (e.g. a stand-in while dist/ is being built).
  cli: process.env.PRAXIS_DEMO_CLI ?? join(root, 'dist', 'cli.js'),
};
const DB = 'tomedo_demo';
const COMPONENT = 'datenbank';
const passwordEnvName = `PRAXIS_BACKUP_PASSWORD_${COMPONENT.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
const prepareOnly = process.argv.includes('--prepare-only');

const say = (de: string, en: string) => process.stdout.write(`\n▶ ${de}\n  ${en}\n`);
const rel = (p: string) => relative(process.cwd(), p) || '.';

async function main(): Promise<number> {
  if (!prepareOnly && !existsSync(paths.cli)) {
    say('dist/cli.js fehlt – baue das Projekt (npm run build) …', 'dist/cli.js is missing – building the project (npm run build) …');
    const b = await execa('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', reject: false });
    if (b.exitCode !== 0 || !existsSync(paths.cli)) {
      process.stderr.write('\nDer Build ist fehlgeschlagen; bitte `npm run build` ausführen und die Meldungen oben lesen.\n' +
        'The build failed; run `npm run build` and read the messages above.\n');
      return 1;
    }
  }

  await stopStaleServer();
  await rm(paths.pg, { recursive: true, force: true });

  say('Starte einen Wegwerf-PostgreSQL-Server unter .demo/pg …', 'Starting a throwaway PostgreSQL server in .demo/pg …');
  const t0 = performance.now();
  let pg: PgServer;
  try {
    // On disk (not the tests' tmpfs): a demo killed with -9 then leaves nothing mounted behind.
    pg = await startPostgres({ dir: paths.pg, keepDir: false, ramdisk: false });
  } catch (err) {
    if (!/cannot write/.test((err as Error).message)) throw err;
    // e.g. the repository lives under /root (0700): the postgres user cannot reach .demo/pg.
    say(`${(err as Error).message}\n  → nehme stattdessen ein temporäres Verzeichnis.`, '→ using a temporary directory instead.');
    pg = await startPostgres();
  }
  console.log(`  PostgreSQL ${pg.version} auf ${pg.host}:${pg.port}, Benutzer ${pg.user} (${Math.round(performance.now() - t0)} ms)`);

  say('Lege die Beispielpraxis an …', 'Creating the sample practice …');
  const db = await createSamplePostgres(pg, DB, { patients: 120, visitsPerPatient: 6 });
  console.log(`  Datenbank ${DB}: ${Object.entries(db.tables).map(([t, n]) => `${n} ${t}`).join(', ')}`);
  await rm(paths.praxis, { recursive: true, force: true });
  const files = await createSampleFiles(paths.files, { files: 36, bytesEach: 48 * 1024 });
  console.log(`  Anhänge ${rel(paths.files)}: ${files.files} Dateien, ${formatBytes(files.bytes)} (Briefe, Scans, Ultraschall)`);
  const client = await createClientApp(paths.client);
  console.log(`  Client-Programm ${rel(paths.client)}: ${client} Dateien (tomedo.app)`);

  const config = {
    backupDir: paths.backups,
    components: [
      { name: COMPONENT, type: 'postgres', database: DB, host: pg.host, port: pg.port, user: pg.user },
      { name: 'client', type: 'folder', path: paths.client },
      { name: 'files', type: 'folder', path: paths.files },
    ],
    retention: { keep: 5 },
    mirrors: [],
  };
  await mkdir(paths.backups, { recursive: true });
  await writeFile(paths.config, `${JSON.stringify(config, null, 2)}\n`);
  say(`Konfiguration geschrieben: ${rel(paths.config)}`, `Config written: ${rel(paths.config)}`);
  console.log(`  Das DB-Passwort steht nicht darin; die CLI bekommt es über ${passwordEnvName}.`);
  console.log(`  The DB password is not in it; the CLI gets it through ${passwordEnvName}.`);

  // The CLI finds the pg_dump that matches the server first on PATH.
  const env = { ...process.env, PATH: `${pg.binDir}:${process.env.PATH ?? ''}`, [passwordEnvName]: pg.password };
  const cliArgs = ['--config', paths.config];

  if (prepareOnly) {
    say('--prepare-only: die CLI wird nicht gestartet. Sie würde so laufen:', '--prepare-only: not running the CLI. It would run as:');
    console.log(`  ${passwordEnvName}=… node ${rel(paths.cli)} run ${cliArgs.map(rel).join(' ')}`);
    await pg.stop();
    return 0;
  }

  say('Sicherung läuft: praxis-backup run …', 'Backing up: praxis-backup run …');
  const run = await execa(process.execPath, [paths.cli, 'run', ...cliArgs], { cwd: root, env, stdio: 'inherit', reject: false });
  const runCode = run.exitCode ?? 1;

  say('Vorhandene Sicherungen: praxis-backup list', 'Backups present: praxis-backup list');
  await execa(process.execPath, [paths.cli, 'list', ...cliArgs], { cwd: root, env, stdio: 'inherit', reject: false });

  let code = runCode;
  const latest = await newestBackup(paths.backups);
  if ((runCode === 0 || runCode === 3) && latest) {
    const ok = await summary(pg, latest);
    if (!ok) code = 1;
  } else {
    say(`Die Sicherung ist fehlgeschlagen (Exit-Code ${runCode}); die Meldungen oben sagen, warum.`,
      `The backup failed (exit code ${runCode}); the messages above say why.`);
  }

  await pg.stop();
  console.log(`\nPostgreSQL gestoppt. / PostgreSQL stopped. Exit-Code: ${code}`);
  return code;
}

/** A demo killed hard (kill -9, power loss) may have left its server running: stop it. */
async function stopStaleServer(): Promise<void> {
  const dataDir = join(paths.pg, 'data');
  const pidFile = join(dataDir, 'postmaster.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
  const cmdline = pid && pidAlive(pid) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') : '';
  if (cmdline.includes('postgres') && cmdline.includes(paths.pg)) { // else: gone, or a recycled pid that is not ours
    console.log(`  Beende einen übrig gebliebenen Demo-Server (pid ${pid}) … / stopping a leftover demo server …`);
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 15_000))) process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
  }
  if (isMounted(dataDir)) await unmountPath(dataDir);
}

/** A fake macOS app bundle, including a symlink and an executable, with fixed mtimes. */
async function createClientApp(dir: string): Promise<number> {
  const app = join(dir, 'tomedo.app', 'Contents');
  const entries: Array<[string, string, number]> = [
    ['Info.plist', '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>\n  <key>CFBundleName</key><string>tomedo</string>\n  <key>CFBundleShortVersionString</key><string>1.142.0</string>\n</dict></plist>\n', 0o644],
    ['MacOS/tomedo', '#!/bin/sh\necho "tomedo Demo-Client – kein echtes Programm / not a real program"\n', 0o755],
    ['Resources/Lizenz.txt', 'Demo-Lizenz für die Beispielpraxis Dr. med. Weiß\n', 0o644],
    ['Resources/de.lproj/Localizable.strings', '"backup" = "Sicherung";\n"restore" = "Wiederherstellen";\n', 0o644],
    ['Frameworks/Praxis.framework/Versions/A/Praxis', 'Praxis framework binary placeholder\n'.repeat(512), 0o755],
  ];
  const t = new Date(SAMPLE_FILES_EPOCH);
  for (const [name, content, mode] of entries) {
    const p = join(app, name);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
    await chmod(p, mode);
    await utimes(p, t, t);
  }
  const link = join(app, 'Frameworks/Praxis.framework/Versions/Current');
  await symlink('A', link);
  await lutimes(link, t, t);
  return entries.length + 1;
}

async function newestBackup(dir: string): Promise<string | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort();
  const last = names.at(-1);
  return last ? join(dir, last) : undefined;
}

/** Where the backup is, how to restore it by hand — and a restore with plain pg_restore as proof. */
async function summary(pg: PgServer, backup: string): Promise<boolean> {
  const dump = join(backup, `${COMPONENT}.pgdump`);
  say(`Fertig. Die neueste Sicherung liegt in ${rel(backup)}`, `Done. The newest backup is in ${rel(backup)}`);
  for (const name of (await readdir(backup)).sort()) {
    const s = await stat(join(backup, name));
    console.log(`    ${name}${s.isDirectory() ? '/' : `  (${formatBytes(s.size)})`}`);
  }
  const restoreDb = `${DB}_restore`;
  console.log(`
  Wiederherstellen ohne Praxis-Backup / Restoring without Praxis-Backup:
    Datenbank / database (PostgreSQL-Bordmittel / plain PostgreSQL tools):
      # Inhalt ansehen (ohne Server) / show the contents (no server needed):
      pg_restore --list ${rel(dump)}
      # in eine neue Datenbank / into a new database:
      createdb -h HOST -U USER ${restoreDb}
      pg_restore -h HOST -U USER -d ${restoreDb} --no-owner ${rel(dump)}
      # oder die Original-DB ersetzen / or replace the original database:
      pg_restore -h HOST -U USER -d postgres --clean --create ${rel(dump)}
    Ordner / folders (normale Kopie / a plain copy):
      cp -a ${rel(join(backup, 'files'))}/. /pfad/zu/tomedo/files/
      cp -a ${rel(join(backup, 'client'))}/. /pfad/zum/client/`);

  if (!existsSync(dump)) {
    say(`Achtung: ${rel(dump)} fehlt in der Sicherung.`, `Warning: ${rel(dump)} is missing from the backup.`);
    return false;
  }
  say(`Probe: pg_restore in die neue Datenbank ${restoreDb} …`, `Proof: pg_restore into a new database ${restoreDb} …`);
  try {
    await pg.createDb(restoreDb);
    const r = await execa(join(pg.binDir, 'pg_restore'), ['--no-owner', '--exit-on-error', '-d', restoreDb, dump], {
      env: { ...process.env, ...pg.env(restoreDb) }, reject: false,
    });
    if (r.exitCode !== 0) throw new Error(r.stderr);
    const count = (db: string) => pg.psql('SELECT (SELECT count(*) FROM patient) || \' Patienten, \' || (SELECT count(*) FROM besuch) || \' Besuche\'', db);
    const [orig, restored] = [await count(DB), await count(restoreDb)];
    const same = orig === restored;
    console.log(`  Original: ${orig}\n  Restored: ${restored}  ${same ? '✓ gleich / identical' : '✗ VERSCHIEDEN / DIFFERENT'}`);
    return same;
  } catch (err) {
    say(`Die Probe-Wiederherstellung ist fehlgeschlagen: ${(err as Error).message}`, 'The restore proof failed (see above).');
    return false;
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

main()
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  })
  .catch(async (err) => {
    process.stderr.write(`\nDemo abgebrochen / demo aborted: ${(err as Error)?.stack ?? err}\n`);
    await runCleanups();
    process.exit(1);
  });
