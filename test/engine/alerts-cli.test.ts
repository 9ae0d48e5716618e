// Alerts through the real CLI: a scheduled run tells about an old or missing copy itself (once a
// day, shared with the tray through the status file), and `status --json` exits 1 for monitoring.
// notify-send needs a notification daemon on a desktop session; here a stand-in on PATH records
// the argv it was called with (its exact argv is tested in test/notify/notifier.test.ts).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('alerts (CLI)');

test.after(() => runCleanups());

test('a scheduled run notifies an alert once a day; status --json lists it and exits 1', async () => {
  const root = await makeTempDir('praxis-alerts-');
  const bin = join(root, 'bin');
  await mkdir(bin);
  const calls = join(root, 'notify-send.calls');
  writeFileSync(join(bin, 'notify-send'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${calls}\n`);
  chmodSync(join(bin, 'notify-send'), 0o755);
  const { env } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PATH: `${bin}:${process.env.PATH}` });
  const files = join(root, 'files');
  await createSampleFiles(files, { files: 5 });
  const configFile = join(root, 'config.json');
  // The USB copy goes to a folder that is not there (the disk stayed at home): an optional mirror.
  writeFileSync(
    configFile,
    JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'files', type: 'folder', path: files }], mirrors: [{ name: 'usb', type: 'path', path: join(root, 'usb-disk') }] }),
  );
  // "Once a day" is by the CLI's clock: the day this test starts and the day it has seen both runs.
  const dayBefore = new Date().toDateString();
  const first = await runCli(['run', '--scheduled', '--config', configFile], env);
  assert.is(first.code, 3, first.stderr);
  const said = readFileSync(calls, 'utf8');
  assert.match(said, /Praxis-Backup: bitte prüfen .*Noch keine Sicherung auf „usb“/);
  // The second night on the same day (or a manual scheduled run): not again.
  const second = await runCli(['run', '--scheduled', '--config', configFile], env);
  assert.is(second.code, 3);
  const times = readFileSync(calls, 'utf8').match(/bitte prüfen/g)?.length;
  // Only if midnight fell between the two runs may the second one say it again (a new day).
  if (new Date().toDateString() === dayBefore) assert.is(times, 1);
  else assert.ok(times === 1 || times === 2, `said ${times} times over midnight`);
  const st = await runCli(['status', '--config', configFile, '--json'], env);
  assert.is(st.code, 1);
  assert.equal(st.events[0]!.alerts.map((a: any) => [a.key, a.severity]), [['never:usb', 'warning']]);
  assert.ok(existsSync(join(root, 'backups')));
});

test.run();
