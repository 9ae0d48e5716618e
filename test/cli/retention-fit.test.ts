// `retention preview` says in advance whether a policy fits the disk: on a real 4 MiB tmpfs with one
// backup of a 600 KiB folder, "last 20" (each night's change assumed as large as the first copy,
// which is all the newest manifest knows) needs about 12 MiB and does not fit; "last 2" needs
// 1.2 MiB and fits with the 10 % reserve kept free. The need is the newest manifest's sizes times
// the kept count, and the disk figures are the tmpfs's own.
process.env.TZ = 'UTC';

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('retention fit');
test.after(runCleanups);

const NOW = '2026-05-04T03:00:00.000Z';
let env: Record<string, string>;
let configFile: string;
let backupDir: string;
let files: string;

const writeConfig = (retention: Record<string, number>) =>
  writeFileSync(configFile, JSON.stringify({ backupDir, components: [{ name: 'befunde', type: 'folder', path: files }], retention, schedule: { cron: '0 3 * * *' } }));

test.before(async () => {
  const root = await makeTempDir('praxis-retention-fit-');
  env = { ...(await cliEnv(root)).env, TZ: 'UTC', PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_TEST_NOW: NOW };
  files = join(root, 'befunde');
  mkdirSync(files);
  for (let i = 0; i < 6; i++) writeFileSync(join(files, `scan-${i}.bin`), Buffer.alloc(100 * 1024, i + 1));
  const disk = await mountTmpfs(4);
  backupDir = join(disk.path, 'backups');
  configFile = join(root, 'config.json');
  writeConfig({ last: 2 });
  const r = await runCli(['run', '--config', configFile], env);
  assert.is(r.code, 0, r.stderr);
});

function newestManifest(): any {
  const id = '20260504_030000';
  return JSON.parse(readFileSync(join(backupDir, id, 'manifest.json'), 'utf8'));
}

test('last 20 does not fit the 4 MiB disk: the need, the disk, and what to do', async () => {
  writeConfig({ last: 20 });
  const r = await runCli(['retention', 'preview', '--json', '--config', configFile], env);
  assert.is(r.code, 0, r.stderr);
  const p = r.events[0]!;
  const folder = newestManifest().components[0];
  assert.is(p.need.folderBytes, folder.bytes);
  assert.is(p.need.folderChangeBytes, folder.bytesCopied);
  assert.ok(folder.bytes >= 600 * 1024, `${folder.bytes}`);
  assert.is(p.need.dumpBytes, 0);
  assert.is(p.need.kept, 20);
  assert.is(p.need.bytes, folder.bytes + 19 * folder.bytesCopied);
  assert.is(p.disk.total, 4 * 1024 * 1024);
  assert.is(p.disk.reserve, Math.ceil(p.disk.total * 0.1));
  assert.is(p.disk.fits, false);
  const text = await runCli(['retention', 'preview', '--config', configFile], env);
  assert.match(text.stdout, /Das passt nicht: es fehlen etwa .* Bitte weniger Generationen behalten/);
  assert.match(text.stdout, /ca\. 12 MB für 20 Sicherungen/);
});

test('last 2 fits, with the reserve free', async () => {
  writeConfig({ last: 2 });
  const r = await runCli(['retention', 'preview', '--json', '--config', configFile], env);
  const p = r.events[0]!;
  assert.is(p.need.kept, 2);
  assert.is(p.disk.fits, true);
  assert.equal(p.remove, []);
  const text = await runCli(['retention', 'preview', '--config', configFile], { ...env, LANG: 'en_GB.UTF-8' });
  assert.match(text.stdout, /That fits: 410 KB \(10 % of the disk\) stay free\./);
});

test.run();
