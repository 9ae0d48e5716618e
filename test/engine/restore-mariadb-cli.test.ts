// Restore of an Elexis-like MariaDB practice through the real CLI: the engine's backup put back
// (row-level equal, previous schema kept), and `restore --sql` with a file from mariadb-dump.
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { createSampleFiles, createSampleMariadb } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('restore (MariaDB, CLI)');
let root: string;
let env: CliEnv;
let m: MariaServer;
let configFile: string;
let runEnv: Record<string, string>;
const DB = 'elexis';

async function checksums(db: string): Promise<Record<string, string>> {
  const tables = (await m.sql(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`)).split('\n').filter(Boolean);
  const out = await m.sql(`CHECKSUM TABLE ${tables.map((t) => `\`${db}\`.\`${t}\``).join(', ')} EXTENDED`);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => [l.split('\t')[0]!.split('.')[1]!, l.split('\t')[1]!]));
}

const schemas = async () => (await m.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${DB}%' ORDER BY 1`)).split('\n').filter(Boolean);

/** A plain mysqldump-style file of the live database (as an admin would make one), and its rows. */
async function exportSql(name: string): Promise<{ dumpFile: string; atDump: Record<string, string> }> {
  const dumpFile = join(root, name);
  const d = await execa('mariadb-dump', [...m.clientArgs(), '--single-transaction', DB], { env: { ...process.env, ...m.env() } });
  writeFileSync(dumpFile, d.stdout);
  return { dumpFile, atDump: await checksums(DB) };
}

test.before(async () => {
  root = await makeTempDir('praxis-restore-maria-');
  env = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none' });
  m = await startMariadb();
  await createSampleMariadb(m, DB, { patients: 80 });
  const files = join(root, 'Briefe');
  await createSampleFiles(files, { files: 10 });
  configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir: join(root, 'backups'),
      components: [
        { name: 'elexis', type: 'mariadb', database: DB, host: '127.0.0.1', port: m.port, user: m.user },
        { name: 'briefe', type: 'folder', path: files },
      ],
    }),
  );
  runEnv = { ...env.env, PRAXIS_BACKUP_PASSWORD_ELEXIS: m.password };
});
test.after(() => runCleanups());

test('the engine backup put back: every table equal row by row, the previous schema kept with the changes', async () => {
  const b = await runCli(['run', '--config', configFile, '--json'], runEnv);
  assert.is(b.code, 0, b.stderr);
  const id = b.events.at(-1)!.summary.backupId;
  const atBackup = await checksums(DB);
  await m.sql(`UPDATE KONTAKT SET Bezeichnung1 = 'GEÄNDERT' WHERE 1 = 1 LIMIT 5`, DB);
  await m.sql(`DELETE FROM BEHANDLUNGEN LIMIT 10`, DB);
  const changed = await checksums(DB);
  assert.not.equal(changed, atBackup);
  const r = await runCli(['restore', id, '--yes', '--config', configFile], runEnv);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await checksums(DB), atBackup);
  const kept = (await schemas()).filter((s) => s.startsWith(`${DB}_vor_restore_`));
  assert.is(kept.length, 1);
  assert.equal(await checksums(kept[0]!), changed);
  assert.equal((await schemas()).filter((s) => s.includes('_restore_') && !s.includes('_vor_')), [], 'no half schema left');
  assert.match(r.stderr, /Stelle elexis \(mariadb\) wieder her/);
  await m.sql(`DROP DATABASE \`${kept[0]}\``); // as below: the next restore may have the same stamp
});

test('restore --sql: a mysqldump-style file into the configured database; without --yes it asks (exit 2)', async () => {
  const { dumpFile, atDump } = await exportSql('export.sql');
  await m.sql(`DELETE FROM KONTAKT LIMIT 3`, DB);

  const ask = await runCli(['restore', '--sql', dumpFile, '--database', DB, '--config', configFile], runEnv);
  assert.is(ask.code, 2, ask.stderr);
  assert.match(ask.stderr, /Lade .*export\.sql in die Datenbank elexis/);
  assert.match(ask.stderr, /mit --yes bestätigen/);

  const r = await runCli(['restore', '--sql', dumpFile, '--database', DB, '--yes', '--drop-previous', '--config', configFile, '--json'], runEnv);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await checksums(DB), atDump);
  assert.is(r.events.at(-1)!.type, 'finished');
  assert.is(r.events.at(-1)!.summary.result, 'success');

  const unknown = await runCli(['restore', '--sql', dumpFile, '--database', 'andere', '--yes', '--config', configFile], runEnv);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /keine MariaDB\/MySQL-Komponente mit der Datenbank „andere“\. Eingetragen sind: elexis/);
  const missing = await runCli(['restore', '--sql', join(root, 'gibtsnicht.sql'), '--database', DB, '--yes', '--config', configFile], runEnv);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /gibtsnicht\.sql gibt es nicht/);
  assert.ok(existsSync(join(root, 'backups')) && readdirSync(join(root, 'backups')).length >= 1);
});

/** A function, a view calling it, a view on that view; then the function is dropped (an update of the practice software did it). */
async function breakViews(): Promise<void> {
  await m.sql(`CREATE FUNCTION Anrede(g CHAR(1)) RETURNS VARCHAR(10) DETERMINISTIC RETURN IF(g = 'w', 'Frau', 'Herr');
    CREATE OR REPLACE VIEW V_ANREDE AS SELECT ID, Anrede(Geschlecht) AS Anrede FROM KONTAKT;
    CREATE OR REPLACE VIEW V_ANREDE_2 AS SELECT ID FROM V_ANREDE;
    DROP FUNCTION Anrede;`, DB);
}

test('a broken view: the backup saves every table and ends with a warning naming it; verify --restore-test passes knowing it is missing', async () => {
  await breakViews();
  const b = await runCli(['run', '--config', configFile, '--json'], runEnv);
  assert.is(b.code, 3, b.stderr);
  assert.match(b.stderr, /Sichten \(Views\), die auf eine Tabelle, Spalte oder Funktion verweisen, die es nicht mehr gibt: V_ANREDE, V_ANREDE_2\./);
  const id = b.events.at(-1)!.summary.backupId as string;
  const manifest = JSON.parse(readFileSync(join(root, 'backups', id, 'manifest.json'), 'utf8'));
  const elexis = manifest.components.find((c: { name: string }) => c.name === 'elexis');
  assert.equal(elexis.missingObjects.map((o: { name: string }) => o.name), ['V_ANREDE', 'V_ANREDE_2']);
  assert.is(elexis.rows.KONTAKT, Number(await m.sql('SELECT COUNT(*) FROM KONTAKT', DB)));
  const v = await runCli(['verify', id, '--restore-test', '--config', configFile], runEnv);
  assert.ok([0, 3].includes(v.code), v.stderr);
  assert.match(v.stderr, /ließ sich einspielen, aber ohne das, was beim Backup defekt war .*VIEW V_ANREDE /);
  await m.sql('DROP VIEW V_ANREDE_2, V_ANREDE', DB);
});

test('restore over a live database with a broken view (--no-safety-backup): exit 3, the data back, the kept copy said to lack the view, every name one that exists', async () => {
  const b = await runCli(['run', '--config', configFile, '--json'], runEnv);
  assert.is(b.code, 0, b.stderr);
  const id = b.events.at(-1)!.summary.backupId as string;
  const atBackup = await checksums(DB);
  await m.sql(`DELETE FROM KONTAKT LIMIT 2`, DB);
  await breakViews();
  const r = await runCli(['restore', id, '--yes', '--no-safety-backup', '--components', 'elexis', '--config', configFile], runEnv);
  assert.is(r.code, 3, r.stderr);
  assert.equal(await checksums(DB), atBackup);
  const kept = (await schemas()).filter((s) => s.startsWith(`${DB}_vor_restore_`)).at(-1)!;
  assert.match(r.stderr, new RegExp(`Der bisherige Stand bleibt als „${kept}“ mit allen Tabellen und Daten erhalten, aber ohne: VIEW V_ANREDE \\(.*\\); VIEW V_ANREDE_2 \\(`), r.stderr);
  assert.not.match(r.stderr, /vollständig in/);
  assert.not.match(r.stderr, /fehlgeschlagen/);
  assert.not.match(r.stderr, /Sicherheitskopie —/);
  assert.is(r.stderr.match(/Es wird nur ein Teil wiederhergestellt/g)?.length, 1, 'each warning said once, not again in the overview');
  assert.equal((await schemas()).filter((s) => s.includes('_restore_') && !s.includes('_vor_')), [], 'no half-made schema left');
  // The kept schema goes now: the next test's restore may start within the same second, and its
  // stamp (whole seconds) would name the same schema (seen in CI: "database exists").
  await m.sql(`DROP DATABASE \`${kept}\``);
});

test('restore --sql --drop-previous over a live database with a broken view: success, never "nothing was changed"', async () => {
  const { dumpFile, atDump } = await exportSql('export-2.sql');
  await m.sql(`DELETE FROM KONTAKT LIMIT 2`, DB);
  await breakViews();
  const r = await runCli(['restore', '--sql', dumpFile, '--database', DB, '--yes', '--drop-previous', '--config', configFile], runEnv);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await checksums(DB), atDump);
  assert.not.match(r.stderr, /nichts verändert/);
  assert.equal((await schemas()).filter((s) => s.includes('_restore_') && !s.includes('_vor_')), []);
});

test('a restore that fails after one database was swapped, without a safety backup: the message names the kept database, never "safety backup —"', async () => {
  await createSampleMariadb(m, 'zweite', { patients: 5 });
  const twoDbs = join(root, 'config-2.json');
  writeFileSync(twoDbs, JSON.stringify({
    backupDir: join(root, 'backups-2'),
    components: ['elexis', 'zweite'].map((database) => ({ name: database, type: 'mariadb', database, host: '127.0.0.1', port: m.port, user: m.user })),
  }));
  const env2 = { ...runEnv, PRAXIS_BACKUP_PASSWORD_ZWEITE: m.password };
  const b = await runCli(['run', '--config', twoDbs, '--json'], env2);
  assert.is(b.code, 0, b.stderr);
  const id = b.events.at(-1)!.summary.backupId as string;
  // The second database's rows no longer match its dump: its restore stops after the load, the first one is done.
  const manifestFile = join(root, 'backups-2', id, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  manifest.components[1].rows.KONTAKT += 1;
  writeFileSync(manifestFile, JSON.stringify(manifest));
  const r = await runCli(['restore', id, '--yes', '--no-safety-backup', '--config', twoDbs], env2);
  assert.is(r.code, 1, r.stderr);
  const kept = (await schemas()).filter((s) => s.startsWith(`${DB}_vor_restore_`)).at(-1)!;
  assert.match(r.stderr, new RegExp(`Ein Teil wurde bereits zurückgeschrieben; eine Sicherheitskopie des Stands davor gibt es nicht \\(--no-safety-backup\\)\\. Die bisherigen Datenbanken bleiben erhalten als: ${kept}\\.`));
  assert.not.match(r.stderr, /Sicherheitskopie —|: —/);
});

test.run();
