// `status` after a run that was killed (kill -9, power cut): the text must say what the JSON says,
// that the last run was interrupted, and name it; "no backup is running" alone hides that the
// night's backup is missing.
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli, startCli, type CliEnv } from '../helpers/cli';
import { killAndWaitSync, makeTempDir, pidAlive, runCleanups, waitUntil } from '../helpers/temp';

const test = suite('status after an interrupted run');

let root: string;
let env: CliEnv;
let configFile: string;
let hookPidFile: string;

test.before(async () => {
  root = await makeTempDir('status-interrupted');
  env = await cliEnv(root);
  const src = join(root, 'files');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'brief.txt'), 'Befund');
  hookPidFile = join(root, 'hook.pid');
  configFile = join(root, 'config.json');
  // The hook stands for a long step: it says it is there, then waits until it is killed.
  await writeFile(
    configFile,
    JSON.stringify({
      backupDir: join(root, 'backups'),
      components: [{ name: 'files', type: 'folder', path: src }],
      hooks: { beforeBackup: { command: ['/bin/sh', '-c', `echo $$ > ${hookPidFile}; exec sleep 600`], timeoutSeconds: 900 } },
    }),
  );
});

test.after(async () => {
  if (existsSync(hookPidFile)) {
    const pid = Number(readFileSync(hookPidFile, 'utf8'));
    if (pid && pidAlive(pid)) killAndWaitSync(pid, 'SIGKILL');
  }
  await runCleanups();
});

test('a run killed with -9 is reported as interrupted in the text, in German and English, and in --json', async () => {
  const child = startCli(['run', '--config', configFile], env.env);
  const statusFile = join(env.stateDir, 'status.json');
  const reached = await waitUntil(async () => {
    if (!existsSync(hookPidFile) || !existsSync(statusFile)) return false;
    return JSON.parse(readFileSync(statusFile, 'utf8')).running?.pid === child.pid;
  }, 60_000);
  assert.ok(reached, 'the run reached its beforeBackup hook and recorded itself as running');

  const during = await runCli(['status', '--config', configFile], env.env);
  assert.match(during.stdout, new RegExp(`Backup läuft seit .*PID ${child.pid}`), 'while alive it is running');

  process.kill(child.pid!, 'SIGKILL');
  await child;

  const de = await runCli(['status', '--config', configFile], env.env);
  assert.match(de.stdout, new RegExp(`letzte Backup .*PID ${child.pid}.* wurde unterbrochen, bei: prepare`));
  assert.not.match(de.stdout, /^Zurzeit läuft kein Backup\.$/m, 'not the plain "nothing running" line');
  const en = await runCli(['status', '--config', configFile], { ...env.env, LANG: 'en_GB.UTF-8' });
  assert.match(en.stdout, /The last backup .* was interrupted/);

  const json = await runCli(['status', '--config', configFile, '--json'], env.env);
  const s = json.events[0]!;
  assert.is(s.running, null);
  assert.is(s.interrupted, true);
  assert.is(s.interruptedRun.pid, child.pid);
  assert.match(s.interruptedRun.backupId, /^\d{8}_\d{6}$/);
});

test('a run whose PID now belongs to another process (power cut, PID reused) is interrupted, not "running since 2020"', async () => {
  // A process that is certainly alive and certainly started after the recorded run's start.
  const other = execa('sleep', ['600']);
  try {
    await mkdir(env.stateDir, { recursive: true });
    const status = {
      version: 1,
      running: { pid: other.pid, startedAt: '2020-01-06T02:15:00.000Z', backupId: '20200106_031500', backupDir: join(root, 'backups'), phase: 'backup', component: 'files' },
      destinations: {},
    };
    await writeFile(join(env.stateDir, 'status.json'), JSON.stringify(status));
    const de = await runCli(['status', '--config', configFile], env.env);
    assert.not.match(de.stdout, /Backup läuft seit/, de.stdout);
    assert.match(de.stdout, new RegExp(`letzte Backup .*PID ${other.pid}.* wurde unterbrochen, bei: files`));
    const json = await runCli(['status', '--config', configFile, '--json'], env.env);
    assert.is(json.events[0]!.running, null);
    assert.is(json.events[0]!.interrupted, true);
  } finally {
    other.kill('SIGKILL');
    await other.catch(() => {});
  }
});

test.run();
