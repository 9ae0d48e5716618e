// `verify --fix-permissions` through the built CLI: a backup folder an admin opened to everyone
// (chmod 0777, e.g. to copy it by hand) is found by the plain verify (exit 3, the path and its mode
// named, nothing changed), closed by --fix-permissions (exit 0), and the flag is in the help.
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('verify --fix-permissions (CLI)');
let root: string;
let env: CliEnv;
let configFile: string;
let backup: string;

const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

test.before(async () => {
  root = await makeTempDir('praxis-verify-perm-');
  env = await cliEnv(root);
  await createSampleFiles(join(root, 'files'), { files: 3, bytesEach: 500 });
  configFile = join(root, 'config.json');
  const backupDir = join(root, 'backups');
  await writeFile(configFile, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: join(root, 'files') }], verify: { afterBackup: false } }));
  const r = await runCli(['run', '--config', configFile], env.env);
  assert.is(r.code, 0, r.stderr);
  backup = join(backupDir, readdirSync(backupDir).find((n) => /^\d{8}_\d{6}$/.test(n))!);
});
test.after(() => runCleanups());

test('the help names --fix-permissions', async () => {
  const r = await runCli(['--help'], env.env);
  assert.match(r.stdout + r.stderr, '--fix-permissions');
});

test('a backup folder opened to everyone: verify says so (exit 3), --fix-permissions closes it (exit 0)', async () => {
  chmodSync(backup, 0o777);
  const open = await runCli(['verify', '--config', configFile], env.env);
  assert.is(open.code, 3, open.stderr);
  assert.match(open.stderr, `${backup} ist für andere Benutzer dieses Computers lesbar (Rechte 0777 statt 0700)`);
  assert.match(open.stderr, '--fix-permissions');
  assert.is(mode(backup), '0777', 'a plain verify changes nothing');

  const fixed = await runCli(['verify', '--fix-permissions', '--config', configFile, '--json'], env.env);
  assert.is(fixed.code, 0, fixed.stderr);
  assert.ok(fixed.events.some((e) => e.message?.key === 'verify.modeFixed' && e.message.params.path === backup), fixed.stdout);
  assert.is(mode(backup), '0700');
  assert.is(mode(join(backup, 'verification.json')), '0600');
});

test.run();
