// `retention preview` and `retention apply`, and the nightly run holding a policy that shrank:
// twelve days of nightly backups under "last 30", then the config says "last 5". The run removes
// nothing and says how many and which (exit 3); apply asks on a terminal, refuses without one
// unless --yes; once applied, the next run prunes as usual (exit 0).
// The CLI runs with TZ=UTC, so an id is the UTC time of the clock the test gives it.
process.env.TZ = 'UTC';

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { acquireLock } from '../../src/run/lock';
import { cloneBackup, utcId } from '../helpers/backup-clones';
import { CLI, cliEnv, runCli } from '../helpers/cli';
import { runInPty } from '../helpers/pty';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('retention cli');
test.after(runCleanups);

const day = (n: number) => new Date(Date.UTC(2026, 2, n, 3, 0, 0)); // 2026-03-n 03:00 UTC
const ids = (dir: string) => readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort();

let root: string;
let env: Record<string, string>;
let configFile: string;
let backupDir: string;

const writeConfig = (retention: Record<string, number>) =>
  writeFileSync(configFile, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: join(root, 'files') }], retention, schedule: { cron: '0 3 * * *' } }));
const runAt = (d: Date, json = true) => runCli(['run', '--config', configFile, ...(json ? ['--json'] : [])], { ...env, PRAXIS_BACKUP_TEST_NOW: d.toISOString() });
const retention = (args: string[], d: Date) => runCli(['retention', ...args, '--config', configFile], { ...env, PRAXIS_BACKUP_TEST_NOW: d.toISOString() });

test.before(async () => {
  root = await makeTempDir('praxis-retention-cli-');
  env = { ...(await cliEnv(root)).env, TZ: 'UTC', PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none' };
  mkdirSync(join(root, 'files'));
  writeFileSync(join(root, 'files', 'brief.txt'), 'Sehr geehrte Kollegin …');
  writeFileSync(join(root, 'files', 'befund.bin'), Buffer.alloc(64 * 1024, 7));
  backupDir = join(root, 'backups');
  configFile = join(root, 'config.json');
  writeConfig({ last: 30 });
  // Day 1 by `run`, days 2–11 hard-linked copies of it, day 12 by `run` again: 12 nightly backups.
  const first = await runAt(day(1));
  assert.is(first.code, 0, first.stderr);
  for (let n = 2; n <= 11; n++) await cloneBackup(backupDir, utcId(day(1)), utcId(day(n)));
  const twelfth = await runAt(day(12));
  assert.is(twelfth.code, 0, twelfth.stderr);
  assert.is(ids(backupDir).length, 12);
});

test('bad subcommand or --yes on preview: exit 2 naming it', async () => {
  const a = await retention(['show'], day(12));
  assert.is(a.code, 2);
  assert.match(a.stderr, /preview\|apply, got "show"/);
  const b = await retention(['preview', '--yes'], day(12));
  assert.is(b.code, 2);
  assert.match(b.stderr, /--yes only goes with apply/);
});

test('last 30 → last 5: preview says which go and that the run will hold them', async () => {
  writeConfig({ last: 5 });
  const p = await retention(['preview', '--json'], day(12));
  assert.is(p.code, 0, p.stderr);
  const j = p.events[0]!;
  const expected = ids(backupDir).slice(0, 7).reverse(); // the 7 oldest, newest first
  assert.equal(j.remove, expected);
  assert.is(j.policy, 'last=5');
  assert.is(j.held, true);
  assert.is(j.applied.policy, 'last=30');
  assert.equal(j.backups[0].reasons, ['last', 'newest']);
  assert.is(j.backups.filter((b: any) => b.keep).length, 5);
  const text = await retention(['preview'], day(12));
  assert.match(text.stdout, /5 Sicherungen bleiben, 7 würden gelöscht/);
  assert.match(text.stdout, /noch nicht bestätigt .* „praxis-backup retention apply“/);
  const en = await runCli(['retention', 'preview', '--config', configFile], { ...env, LANG: 'en_GB.UTF-8' });
  assert.match(en.stdout, /5 backups are kept, 7 would be deleted/);
});

test('the nightly run holds the shrunk policy: exit 3, nothing removed, count and ids said', async () => {
  const before = ids(backupDir);
  const r = await runAt(day(13));
  assert.is(r.code, 3, r.stderr);
  const now = ids(backupDir);
  assert.equal(now, [...before, utcId(day(13))], 'the new backup is added, none removed');
  const held = r.events.find((e) => e.type === 'warning' && e.message.key === 'retention.held');
  assert.ok(held, r.stdout);
  assert.is(held.message.params.count, 8);
  const going = now.slice(0, 8);
  assert.is(held.message.params.ids, [...going].reverse().join(', '));
  for (const id of going) assert.ok(held.message.text.includes(id), id);
  assert.match(held.message.text, /8 Backups auf einmal/);
});

test('apply without a terminal and without --yes: exit 2 naming the count and --yes; nothing removed', async () => {
  const before = ids(backupDir);
  const r = await retention(['apply'], day(13));
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /würde 8 Sicherungen löschen/);
  assert.match(r.stderr, /--yes/);
  assert.equal(ids(backupDir), before);
});

test('apply on a terminal lists them and asks; "nein" removes nothing (exit 1)', async () => {
  const before = ids(backupDir);
  const r = await runInPty(
    `${process.execPath} ${CLI} retention apply --config ${configFile}`,
    { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin', PRAXIS_BACKUP_TEST_NOW: day(13).toISOString() },
    [{ waitFor: '[ja/nein]', type: 'nein' }],
  );
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /löscht diese 8 Sicherungen/);
  for (const id of before.slice(0, 8)) assert.ok(r.out.includes(id), id);
  assert.match(r.out, /Nichts gelöscht/);
  assert.equal(ids(backupDir), before);
});

test('while another run holds the directory: apply exits 75 and removes nothing, preview still answers', async () => {
  const before = ids(backupDir);
  const lock = await acquireLock(backupDir, day(13), 'backup');
  try {
    const r = await retention(['apply', '--yes'], day(13));
    assert.is(r.code, 75, r.stderr);
    assert.match(r.stderr, /ein Backup/);
    const p = await retention(['preview', '--json'], day(13));
    assert.is(p.code, 0, p.stderr);
    assert.equal(p.events[0]!.remove, before.slice(0, 8).reverse());
  } finally {
    await lock.release();
  }
  assert.equal(ids(backupDir), before);
});

test('apply --yes removes them; the next run prunes as usual and exits 0', async () => {
  const before = ids(backupDir);
  const r = await retention(['apply', '--yes', '--json'], day(13));
  assert.is(r.code, 0, r.stderr);
  const j = r.events.at(-1)!;
  assert.equal(j.removed, before.slice(0, 8).reverse());
  assert.ok(j.freedBytes > 0);
  assert.equal(ids(backupDir), before.slice(8));
  assert.not.ok(existsSync(join(backupDir, '.praxis-backup.lock')), 'the lock is released');
  const next = await runAt(day(14));
  assert.is(next.code, 0, next.stderr);
  assert.equal(ids(backupDir), [...before.slice(9), utcId(day(14))]);
  const p = await retention(['preview', '--json'], day(14));
  assert.is(p.events[0]!.held, false);
  assert.equal(p.events[0]!.remove, []);
});

test('apply also confirms the own policy of a mirror (its disk may be at home: it applies from the next copy)', async () => {
  const cfg = JSON.parse(readFileSync(configFile, 'utf8'));
  cfg.mirrors = [{ name: 'usb', type: 'path', path: join(root, 'usb'), retention: { last: 2, quarterly: 4 } }];
  writeFileSync(configFile, JSON.stringify(cfg));
  const r = await retention(['apply', '--yes'], day(15));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /Mirror "usb": its own retention \(.*2.*\) is confirmed|Datenträger „usb“: die eigene Aufbewahrung/);
  const status = JSON.parse(readFileSync(join(env.XDG_STATE_HOME!, 'praxis-backup', 'status.json'), 'utf8'));
  assert.equal(status.retentionApplied.usb.policy, 'last=2,quarterly=4');
});

test.run();
