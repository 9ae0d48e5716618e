// `praxis-backup list` says which retention rules keep each backup and marks the last state of a
// quarter that is over, kept by the quarterly rule: „Quartalssicherung Q3/2026“ / "quarter archive
// Q3/2026" (issue 18). Backups over most of 2026: one made by `run`, the others hard-linked copies
// of it under other ids (test/helpers/backup-clones.ts). The CLI's clock is PRAXIS_BACKUP_TEST_NOW
// and its zone UTC, so an id is the UTC wall time the test names.
process.env.TZ = 'UTC';

import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneBackup } from '../helpers/backup-clones';
import { cliEnv, runCli } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('list retention marks');
test.after(runCleanups);

let root: string;
let env: Record<string, string>;
let configFile: string;
let backupDir: string;

const FIRST = '20260310_030000';
const CLONES = ['20260331_030000', '20260415_030000', '20260630_030000', '20260701_030000', '20260915_030000', '20260930_030000', '20261001_030000', '20261115_030000'];

const list = (args: string[], now: string, extra: Record<string, string> = {}) => runCli(['list', ...args], { ...env, PRAXIS_BACKUP_TEST_NOW: now, ...extra });

test.before(async () => {
  root = await makeTempDir('praxis-list-marks-');
  env = { ...(await cliEnv(root)).env, TZ: 'UTC', PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none' };
  mkdirSync(join(root, 'files'));
  writeFileSync(join(root, 'files', 'brief.txt'), 'Sehr geehrte Kollegin …');
  backupDir = join(root, 'backups');
  configFile = join(root, 'config.json');
  // Three quarters: the newest one (running) and two that are over; Q1 is the fourth, beyond the rule.
  writeFileSync(configFile, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: join(root, 'files') }], retention: { last: 2, monthly: 2, quarterly: 3 } }));
  const run = await runCli(['run', '--config', configFile, '--json'], { ...env, PRAXIS_BACKUP_TEST_NOW: '2026-03-10T03:00:00Z' });
  assert.is(run.code, 0, run.stderr);
  assert.is(run.events.at(-1)!.summary.backupId, FIRST);
  for (const id of CLONES) await cloneBackup(backupDir, FIRST, id);
});

test('--json: keptBy per backup, quarterArchive only for the quarters that are over and kept by the quarterly rule', async () => {
  const r = await list(['--config', configFile, '--json'], '2026-11-20T12:00:00Z');
  assert.is(r.code, 0, r.stderr);
  const backups = r.events[0]!.backups as { id: string; keptBy: string[]; quarterArchive: { quarter: number; year: number } | null }[];
  assert.equal(backups.map((b) => b.id), [...CLONES].reverse().concat(FIRST));
  const byId = Object.fromEntries(backups.map((b) => [b.id, b]));
  assert.equal(byId['20261115_030000']!.keptBy, ['last', 'monthly', 'quarterly', 'newest']);
  assert.equal(byId['20261001_030000']!.keptBy, ['last', 'monthly']);
  assert.equal(byId['20260930_030000']!.keptBy, ['quarterly']);
  assert.equal(byId['20260630_030000']!.keptBy, ['quarterly']);
  assert.equal(byId['20260915_030000']!.keptBy, [], 'no rule keeps it: the next run removes it');
  assert.equal(byId['20260331_030000']!.keptBy, [], 'Q1 is the fourth quarter: quarterly 3 does not reach it');
  const marked = backups.filter((b) => b.quarterArchive).map((b) => [b.id, b.quarterArchive]);
  assert.equal(marked, [
    ['20260930_030000', { quarter: 3, year: 2026 }],
    ['20260630_030000', { quarter: 2, year: 2026 }],
  ]);
  assert.is(byId['20261115_030000']!.quarterArchive, null, 'Q4 is still running on 20 Nov');
});

test('text: the mark after the line in German and English; once Q4 is over the newest is Q4’s archive', async () => {
  const de = await list(['--config', configFile], '2026-11-20T12:00:00Z');
  assert.is(de.code, 0, de.stderr);
  const line = (out: string, id: string) => out.split('\n').find((l) => l.includes(id)) ?? '';
  assert.match(line(de.stdout, '20260930_030000'), /files {2}Quartalssicherung Q3\/2026$/);
  assert.match(line(de.stdout, '20260630_030000'), /Quartalssicherung Q2\/2026$/);
  for (const id of ['20261115_030000', '20261001_030000', '20260915_030000', '20260331_030000', FIRST]) {
    assert.not.match(line(de.stdout, id), /Quartalssicherung/, id);
  }
  assert.is((de.stdout.match(/Quartalssicherung/g) ?? []).length, 2);
  const en = await list(['--config', configFile], '2027-01-04T12:00:00Z', { PRAXIS_BACKUP_LANG: 'en' });
  assert.is(en.code, 0, en.stderr);
  // 4 Jan 2027, no backup yet in Q1/2027: Q4/2026 is over, its last backup (15 Nov) is its archive.
  assert.match(line(en.stdout, '20261115_030000'), /quarter archive Q4\/2026$/);
  assert.match(line(en.stdout, '20260930_030000'), /quarter archive Q3\/2026$/);
  assert.match(line(en.stdout, '20260630_030000'), /quarter archive Q2\/2026$/);
  assert.is((en.stdout.match(/quarter archive/g) ?? []).length, 3);
});

test('--dir: a copy elsewhere is marked by the config’s policy, or by the default one without a config', async () => {
  const usb = join(root, 'usb');
  await execa('cp', ['-al', backupDir, usb]);
  const withConfig = await list(['--dir', usb, '--config', configFile, '--json'], '2026-11-20T12:00:00Z');
  assert.is(withConfig.code, 0, withConfig.stderr);
  assert.equal(withConfig.events[0]!.backups.filter((b: any) => b.quarterArchive).map((b: any) => b.id), ['20260930_030000', '20260630_030000']);
  // No config file: the default policy (quarterly 8) reaches Q1 too.
  const noConfig = await list(['--dir', usb, '--config', join(root, 'gibt-es-nicht.json'), '--json'], '2026-11-20T12:00:00Z');
  assert.is(noConfig.code, 0, noConfig.stderr);
  assert.equal(noConfig.events[0]!.backups.filter((b: any) => b.quarterArchive).map((b: any) => b.id), ['20260930_030000', '20260630_030000', '20260331_030000']);
});

test.run();
