// verify.afterBackup through the real CLI: every backup is checked before it is mirrored, with a
// restore test into a scratch database when the policy says so, and the proof lands beside the
// manifest (verification.json) and in the status the tray and the alerts read.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli } from '../helpers/cli';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSampleFiles, createSamplePostgres } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('verify after backup');
let pg: PgServer;
let root: string;

test.before(async () => {
  root = await makeTempDir('praxis-verify-after-');
  pg = await startPostgres();
  await createSamplePostgres(pg, 'praxis', { patients: 40 });
  await createSampleFiles(join(root, 'files'), { files: 12 });
});
test.after(() => runCleanups());

async function backup(name: string, verify: unknown) {
  const dir = join(root, name);
  const { env, stateDir } = await cliEnv(dir, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_PASSWORD_DATENBANK: pg.password });
  const configFile = join(root, `${name}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      backupDir: join(dir, 'backups'),
      components: [
        { name: 'datenbank', type: 'postgres', database: 'praxis', host: '127.0.0.1', port: pg.port, user: pg.user },
        { name: 'files', type: 'folder', path: join(root, 'files') },
      ],
      ...(verify === undefined ? {} : { verify }),
    }),
  );
  const r = await runCli(['run', '--config', configFile, '--json'], env);
  return { r, dir, env, configFile, stateDir, id: r.events.at(-1)?.summary?.backupId as string };
}

test('default (auto, a small database): checksums, index and a restore test after the backup; verification.json and lastVerified', async () => {
  const b = await backup('auto', undefined);
  assert.is(b.r.code, 0, b.r.stderr);
  const v = JSON.parse(readFileSync(join(b.dir, 'backups', b.id, 'verification.json'), 'utf8'));
  assert.is(v.ok, true);
  assert.equal(v.checked, { checksums: true, index: true, deep: false, restoreTest: true });
  const st = JSON.parse(readFileSync(join(b.stateDir, 'status.json'), 'utf8'));
  assert.equal([st.destinations.local.lastVerified.backupId, st.destinations.local.lastVerified.ok, st.destinations.local.lastVerified.restoreTest], [b.id, true, true]);
  assert.equal((await pg.psql(`SELECT datname FROM pg_database WHERE datname LIKE 'praxis_verify_%'`)).trim(), '', 'scratch database dropped');
  const status = await runCli(['status', '--config', b.configFile, '--json'], b.env);
  assert.is(status.code, 0, status.stdout);
});

test('verify.afterBackup false: no restore test, still checksums and the index', async () => {
  const b = await backup('off', { afterBackup: false });
  assert.is(b.r.code, 0, b.r.stderr);
  const v = JSON.parse(readFileSync(join(b.dir, 'backups', b.id, 'verification.json'), 'utf8'));
  assert.equal(v.checked.restoreTest, false);
  assert.ok(existsSync(join(b.dir, 'backups', b.id, 'manifest.json')));
});

test.run();
