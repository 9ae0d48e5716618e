// Restore of an Elexis-like MariaDB practice through the real CLI: the engine's backup put back
// (row-level equal, previous schema kept), and `restore --sql` with a file from mariadb-dump.
import { execa } from 'execa';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
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
});

test('restore --sql: a mysqldump-style file into the configured database; without --yes it asks (exit 2)', async () => {
  const dumpFile = join(root, 'export.sql');
  const d = await execa('mariadb-dump', [...m.clientArgs(), '--single-transaction', DB], { env: { ...process.env, ...m.env() } });
  writeFileSync(dumpFile, d.stdout);
  const atDump = await checksums(DB);
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

test.run();
