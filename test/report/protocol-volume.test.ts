// The protocol names the USB disk a copy went to by its label and UUID, and says it was ejected: a
// real ext4 disk on a loop device, found by label, copied onto by the CLI on a November night (test
// clock, TZ Europe/Berlin), then `report --month 2026-11` read back with pdftotext and --json.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, runCli } from '../helpers/cli';
import { makeLoopDisk, mountsOf } from '../helpers/loop-disk';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('report: the USB disk of a copy');
test.after(() => runCleanups());

test('a copy onto a USB disk: label, UUID, read back, ejected — in the PDF and in --json', async () => {
  const root = await makeTempDir('praxis-report-usb-');
  const disk = await makeLoopDisk({ sizeMiB: 32, label: 'PRAXIS-USB' });
  const files = join(root, 'files');
  await createSampleFiles(files, { files: 3, bytesEach: 2000 });
  const configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      practiceName: 'Zahnarztpraxis Jäger',
      backupDir: join(root, 'backups'),
      components: [{ name: 'dateien', type: 'folder', path: files }],
      mirrors: [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-USB' }, mode: 'all', eject: true }],
    }),
  );
  const { env } = await cliEnv(root, { PRAXIS_BACKUP_MOUNT_BASE: join(root, 'mnt'), PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_KEYRING: 'off', TZ: 'Europe/Berlin' });
  const run = await runCli(['run', '--config', configFile], { ...env, PRAXIS_BACKUP_TEST_NOW: '2026-11-20T02:15:00Z' });
  assert.is(run.code, 0, run.stderr);
  assert.equal(mountsOf(disk.device), [], 'ejected (unmounted) after the copy');

  const out = join(root, 'protokoll.pdf');
  const now = { ...env, PRAXIS_BACKUP_TEST_NOW: '2026-11-20T09:00:00Z' };
  const r = await runCli(['report', '--month', '2026-11', '--out', out, '--config', configFile], now);
  assert.is(r.code, 0, r.stderr);
  const layout = execFileSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
  assert.match(layout, /Zahnarztpraxis Jäger/);
  assert.match(layout, /20\.11\.2026\s+usb \(volume\)\s+20261120_0315\d\d\s+ja\s+ja\s+erfolgreich/);
  assert.match(layout, /Name PRAXIS-USB/);
  const raw = execFileSync('pdftotext', ['-raw', out, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
  assert.ok(raw.includes(`UUID${disk.uuid}`), `UUID ${disk.uuid} in the PDF`);
  // At 10:00 the same morning nothing is open: the backup is seven hours old, the copy too.
  assert.match(layout, /Keine offenen Befunde\./);

  const j = await runCli(['report', '--month', '2026-11', '--out', join(root, 'j.pdf'), '--json', '--config', configFile], now);
  assert.is(j.code, 0, j.stderr);
  const copy = j.events[0]!.mirrorCopies[0];
  assert.equal([copy.name, copy.mirrorType, copy.result, copy.verified, copy.ejected, copy.target.label, copy.target.uuid.toLowerCase()], ['usb', 'volume', 'success', true, true, 'PRAXIS-USB', disk.uuid.toLowerCase()]);
  assert.equal(j.events[0]!.findings, []);
});

test.run();
