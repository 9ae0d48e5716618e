// `status` names the rsync the last backup copied folders with, its flags and what they keep, and
// (when there is something) what this rsync cannot keep (issue 19: "say in the log and status which
// one was used and what it cannot keep"). On this Debian, rsync 3 with ACLs and xattrs: nothing lost.
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('status: the copy tool');
let root: string;
let env: CliEnv;
let configFile: string;

test.before(async () => {
  root = await makeTempDir('status-copy-tool');
  env = await cliEnv(root);
  const src = join(root, 'files');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'brief.txt'), 'Befund');
  configFile = join(root, 'config.json');
  await writeFile(configFile, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'files', type: 'folder', path: src }] }));
});
test.after(() => runCleanups());

test('before any backup nothing is said; after one, status names rsync, its version, flags and what they keep', async () => {
  const before = await runCli(['status', '--config', configFile, '--json'], env.env);
  assert.is(JSON.parse(before.stdout).copyTool, null);
  const run = await runCli(['run', '--config', configFile], env.env);
  assert.is(run.code, 0, run.stderr);
  const version = (await execa('rsync', ['--version'])).stdout.split('\n')[0]!;
  const j = JSON.parse((await runCli(['status', '--config', configFile, '--json'], { ...env.env, PRAXIS_BACKUP_LANG: 'en' })).stdout).copyTool;
  assert.ok(version.includes(j.version), `${j.version} in "${version}"`);
  assert.is(j.flags, '-a -H -A -X -S --numeric-ids');
  assert.is(j.kept, 'hard links, ACLs, extended attributes (xattrs), sparse files and numeric owner ids');
  assert.is(j.cannotKeep, null);
  const text = await runCli(['status', '--config', configFile], env.env);
  assert.match(text.stdout, new RegExp(`Ordner werden kopiert mit rsync ${j.version.replace(/[.]/g, '\\.')} \\(.*rsync, -a -H -A -X -S --numeric-ids\\): erhält außer Inhalt, Rechten, Besitzern und Zeiten auch Hardlinks`));
  assert.not.match(text.stdout, /kann .* nicht erhalten/);
});

test.run();
