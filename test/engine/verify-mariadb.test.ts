// `verify --restore-test` of an Elexis-like MariaDB practice through the real CLI: the engine's
// dump loaded into the scratch schema praxis_verify_<id>, every table's rows compared with the
// manifest, the schema dropped afterwards (after a pass and after a failure); the live schema untouched.
import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { startMariadb, type MariaServer } from '../helpers/mariadb';
import { createSampleFiles, createSampleMariadb } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { addVerifyData, readManifest, sha256, writeManifest } from './verify-support';

const test = suite('verify (MariaDB)');
let root: string;
let env: CliEnv;
let m: MariaServer;
let configFile: string;
let runEnv: Record<string, string>;
const DB = 'elexis';
const TABLES = ['KONTAKT', 'FAELLE', 'BEHANDLUNGEN', 'TRACES'];

const scratch = async () => (await m.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'praxis\\_verify\\_%'`)).split('\n').filter(Boolean);

async function rows(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = Number(await m.sql(`SELECT COUNT(*) FROM \`${t}\``, DB));
  return out;
}

test.before(async () => {
  root = await makeTempDir('praxis-verify-maria-');
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

test('a good backup passes the restore test; the scratch schema is dropped; a leftover of a killed run is removed', async () => {
  const b = await runCli(['run', '--config', configFile, '--json'], runEnv);
  assert.is(b.code, 0, b.stderr);
  const id = b.events.at(-1)!.summary.backupId as string;
  const path = join(root, 'backups', id);
  addVerifyData(path, { elexis: await rows() });
  await m.sql('CREATE DATABASE praxis_verify_20200101_000000');
  const r = await runCli(['verify', id, '--restore-test', '--config', configFile, '--json'], runEnv);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /Reste einer abgebrochenen Prüfung entfernt: praxis_verify_20200101_000000/);
  assert.match(r.stderr, /Einspieltest „elexis“ bestanden: 4 Tabellen eingespielt, bei 4 die Zeilenzahl mit dem Backup verglichen/);
  assert.match(r.stderr, new RegExp(`Probe-Datenbank praxis_verify_${id} wieder gelöscht`));
  assert.equal(await scratch(), []);
  const v = JSON.parse(readFileSync(join(path, 'verification.json'), 'utf8'));
  assert.is(v.ok, true);
  assert.is(v.checked.restoreTest, true);
  assert.is(v.components.find((c: any) => c.name === 'elexis').rowsCompared, 4);
});

test('a dump missing rows: the restore test names the table and the counts, the scratch schema is dropped, the live one untouched', async () => {
  const b = await runCli(['run', '--config', configFile, '--json'], runEnv);
  assert.is(b.code, 0, b.stderr);
  const id = b.events.at(-1)!.summary.backupId as string;
  const path = join(root, 'backups', id);
  const want = await rows();
  addVerifyData(path, { elexis: want });
  // A dump of the same database with fewer rows in one table, in place of the engine's, checksum fixed.
  await m.sql('CREATE DATABASE crafted');
  const dump = await execa('mariadb-dump', [...m.clientArgs(), '--single-transaction', '--triggers', '--routines', DB], { env: { ...process.env, ...m.env() }, encoding: 'buffer' });
  await execa('mariadb', [...m.clientArgs(), 'crafted'], { env: { ...process.env, ...m.env() }, input: dump.stdout });
  await m.sql('DELETE FROM FAELLE WHERE ID % 4 = 0', 'crafted');
  const got = Number(await m.sql('SELECT COUNT(*) FROM FAELLE', 'crafted'));
  const again = await execa('mariadb-dump', [...m.clientArgs(), '--single-transaction', '--triggers', '--routines', '--databases', 'crafted'], { env: { ...process.env, ...m.env() }, encoding: 'buffer' });
  const manifest = readManifest(path);
  const entry = manifest.components.find((c) => c.name === 'elexis')!;
  const gz = gzipSync(Buffer.from(again.stdout));
  writeFileSync(join(path, entry.path), gz);
  entry.sha256 = sha256(gz);
  entry.bytes = gz.length;
  (entry as any).database = 'crafted'; // the dump's own database, as the engine records it
  writeManifest(path, manifest);

  const r = await runCli(['verify', id, '--restore-test', '--config', configFile], runEnv);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`Zeilenzahlen von „elexis“ stimmen nicht .*: FAELLE ${got} ≠ ${want.FAELLE}\\.`));
  assert.equal(await scratch(), []);
  assert.equal(await rows(), want, 'the live schema is untouched');
  await m.sql('DROP DATABASE crafted');
});

test.run();
