// The default policy (tomedo's „Drei-Generationen“: last 20, daily 7, weekly 4, monthly 12, plus
// 8 quarters) on a real directory of hard-linked snapshot folders spread over two years: two real
// backups by `run`, then ~400 more made with `cp -al` under other ids (a night's changed files
// rewritten in some, so removing a backup frees real bytes), a restore's safety backup, days with
// a backup every two hours, holidays without any. What is kept is computed here by a reference
// written for this test (each rule: the newest backup of each of its first n periods, newest
// first; ISO weeks by the Thursday's day of the year), not by src/retention/policy.ts.
//
// Phase 1, the first night under the default policy (the directory was kept under keep: 1000):
// the run holds the removals (shrink guard, exit 3), preview lists what would go, `retention
// apply --yes` removes exactly that, and du of the directory loses exactly the freed bytes.
// Phase 2, ten days later: the nightly run prunes exactly the reference's ids (no confirmation
// needed now), preview before the run said the same, the quarter archives survive, and du loses
// what preview said, the new backup's own bytes aside.
// The CLI runs with TZ=UTC: an id is the UTC time of the clock the test gives it.
process.env.TZ = 'UTC';

import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneBackup, idInstant, rewriteFile, utcId } from '../helpers/backup-clones';
import { cliEnv, runCli } from '../helpers/cli';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('retention generations');
test.after(runCleanups);

const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);
const ids = (dir: string) => readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort();

// ---- the reference ----

const RULES: [string, number][] = [['last', 20], ['daily', 7], ['weekly', 4], ['monthly', 12], ['quarterly', 8]];

function isoWeekRef(id: string): string {
  const t = Date.UTC(+id.slice(0, 4), +id.slice(4, 6) - 1, +id.slice(6, 8));
  const weekday = (new Date(t).getUTCDay() + 6) % 7; // Monday 0
  const thursday = t + (3 - weekday) * DAY;
  const year = new Date(thursday).getUTCFullYear();
  return `${year}/${Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1}`;
}
const quarterRef = (id: string) => `${id.slice(0, 4)}Q${Math.ceil(+id.slice(4, 6) / 3)}`;

function periodRef(rule: string, id: string, i: number): string {
  if (rule === 'last') return `#${i}`;
  if (rule === 'daily') return id.slice(0, 8);
  if (rule === 'weekly') return isoWeekRef(id);
  if (rule === 'monthly') return id.slice(0, 6);
  return quarterRef(id);
}

/** Ids the default policy removes (newest first), and the quarter archives it keeps. */
function reference(all: string[], safety: Map<string, Date>, now: Date): { remove: string[]; quarterArchives: string[] } {
  const sorted = [...all].sort().reverse();
  const keep = new Set<string>([sorted[0]!]);
  const quarterly: string[] = [];
  for (const [rule, n] of RULES) {
    const seen: string[] = [];
    sorted.forEach((id, i) => {
      const p = periodRef(rule, id, i);
      if (seen.includes(p) || seen.length >= n) return;
      seen.push(p);
      keep.add(id);
      if (rule === 'quarterly') quarterly.push(id);
    });
  }
  for (const [id, finished] of safety) if (all.includes(id) && now.getTime() - finished.getTime() < 7 * DAY) keep.add(id);
  const current = quarterRef(utcId(now));
  return { remove: sorted.filter((id) => !keep.has(id)), quarterArchives: quarterly.filter((id) => quarterRef(id) !== current) };
}

// ---- the directory ----

let root: string;
let env: Record<string, string>;
let configFile: string;
let backupDir: string;
let files: string;
const safety = new Map<string, Date>();

const writeConfig = (retention?: Record<string, number>) =>
  writeFileSync(configFile, JSON.stringify({ backupDir, components: [{ name: 'dokumente', type: 'folder', path: files }], ...(retention ? { retention } : {}), schedule: { cron: '0 3 * * *' } }));
const cli = (args: string[], now: Date) => runCli([...args, '--config', configFile], { ...env, PRAXIS_BACKUP_TEST_NOW: now.toISOString() });

/** Allocated bytes below dir, as du counts them (each inode once); `exclude`: a folder name left out. */
async function du(dir: string, exclude?: string): Promise<number> {
  const r = await execa('du', ['-sB1', ...(exclude ? [`--exclude=${exclude}`] : []), dir]);
  return Number(r.stdout.split(/\s+/)[0]);
}

/** Clones `ids` in order, each from the one before (a history: a file changed once stays changed), every fourth with one file rewritten. */
async function history(from: string, list: string[]): Promise<void> {
  let prev = from;
  for (const [k, id] of list.entries()) {
    // 03:00 is the schedule's; any other time a backup by hand (they count alike).
    const trigger = safety.has(id) ? 'restoreSafety' : id.endsWith('_030000') ? 'schedule' : 'manual';
    const path = await cloneBackup(backupDir, prev, id, { trigger, finishedAt: safety.get(id) });
    if (k % 4 === 0) rewriteFile(join(path, 'dokumente', `scan-${k % 10}.bin`), Buffer.alloc(16 * 1024, k % 251));
    prev = id;
  }
}

const NOW1 = at('2026-11-08T04:00:00Z'); // a Sunday
const NOW2 = at('2026-11-18T14:00:00Z'); // a Wednesday, ten days later

test.before(async () => {
  root = await makeTempDir('praxis-generations-');
  env = { ...(await cliEnv(root)).env, TZ: 'UTC', PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none' };
  files = join(root, 'dokumente');
  mkdirSync(files);
  writeFileSync(join(files, 'brief.txt'), 'Sehr geehrte Kollegin …');
  for (let i = 0; i < 10; i++) writeFileSync(join(files, `scan-${i}.bin`), Buffer.alloc(16 * 1024, i));
  backupDir = join(root, 'backups');
  configFile = join(root, 'config.json');
});

test('phase 1: two years of backups; the first run under the default policy holds, apply --yes removes exactly the reference', async () => {
  // Kept so far under keep: 1000: that is the policy status.json records as applied.
  writeConfig({ keep: 1000 });
  const r1 = await cli(['run', '--json'], at('2024-11-20T03:00:00Z'));
  assert.is(r1.code, 0, r1.stderr);
  writeFileSync(join(files, 'brief.txt'), 'Sehr geehrte Kollegin, anbei der Befund.');
  const r2 = await cli(['run', '--json'], at('2024-11-21T03:00:00Z'));
  assert.is(r2.code, 0, r2.stderr);

  // Every second night, none in the summer holidays, a backup by hand on each first of a month.
  const list: string[] = [];
  for (let t = Date.parse('2024-11-22T03:00:00Z'); t < Date.parse('2026-11-03T00:00:00Z'); t += DAY) {
    const d = new Date(t);
    const id = utcId(d);
    if (id >= '20250714' && id < '20250804') continue;
    if (Math.round((t - Date.parse('2024-11-22T03:00:00Z')) / DAY) % 2 === 0) list.push(id);
    if (d.getUTCDate() === 1) list.push(`${id.slice(0, 8)}_143712`);
  }
  // The last week: a restore's safety backup on Tuesday 10:00 (and the night's backup at 22:00),
  // nights on Wednesday and Thursday, every two hours on Friday and Saturday, Sunday's night.
  safety.set('20261103_100000', at('2026-11-03T10:01:00Z'));
  list.push('20261103_100000', '20261103_220000', '20261104_030000', '20261105_030000');
  for (const day of ['20261106', '20261107']) for (let h = 0; h < 24; h += 2) list.push(`${day}_${String(h).padStart(2, '0')}0000`);
  list.push('20261108_030000');
  await history(utcId(at('2024-11-21T03:00:00Z')), list);
  const before = ids(backupDir);
  assert.is(before.length, list.length + 2);

  writeConfig(); // the default: retention absent
  const preview0 = await cli(['retention', 'preview', '--json'], NOW1);
  assert.is(preview0.code, 0, preview0.stderr);
  assert.equal(preview0.events[0]!.remove, reference(before, safety, NOW1).remove);
  assert.is(preview0.events[0]!.held, true, 'a first application that removes many is held');

  const run = await cli(['run', '--json'], NOW1);
  assert.is(run.code, 3, run.stderr);
  const n1 = run.events.at(-1)!.summary.backupId as string;
  const all = [...before, n1];
  assert.equal(ids(backupDir), all, 'held: nothing removed, the new backup added');
  const expected = reference(all, safety, NOW1);
  assert.ok(expected.remove.length > 300, `${expected.remove.length}`);
  const held = run.events.find((e) => e.type === 'warning' && e.message.key === 'retention.held');
  assert.ok(held, run.stdout);
  assert.is(held.message.params.count, expected.remove.length);
  assert.is(held.message.params.ids, expected.remove.join(', '));

  const preview = await cli(['retention', 'preview', '--json'], NOW1);
  const p = preview.events[0]!;
  assert.equal(p.remove, expected.remove);
  assert.is(p.held, true);
  const kept = p.backups.filter((b: any) => b.keep);
  assert.equal(kept.find((b: any) => b.id === '20261103_100000').reasons, ['safety'], 'the safety backup stays for the week only because it is one');
  assert.equal(kept.filter((b: any) => b.quarterArchive).map((b: any) => b.id), expected.quarterArchives);
  assert.is(expected.quarterArchives.length, 7, 'quarterly 8: the current quarter and 7 that are over');
  assert.equal(kept.find((b: any) => b.id === expected.quarterArchives[0]).quarterArchive, { quarter: 3, year: 2026 });

  const duBefore = await du(backupDir);
  const apply = await cli(['retention', 'apply', '--yes', '--json'], NOW1);
  assert.is(apply.code, 0, apply.stderr);
  const a = apply.events.at(-1)!;
  assert.equal(a.removed, expected.remove);
  assert.equal(ids(backupDir), all.filter((id) => !expected.remove.includes(id)));
  const duAfter = await du(backupDir);
  assert.ok(p.freedBytes > 16 * 1024 * 50, `${p.freedBytes}: rewritten files were freed`);
  assert.is(duBefore - duAfter, p.freedBytes, 'du lost what preview said');
  assert.is(a.freedBytes, p.freedBytes);
  for (const id of expected.quarterArchives) assert.ok(existsSync(join(backupDir, id)), id);
});

test('phase 2: ten days later the nightly run prunes exactly the reference, as preview said, du loses the freed bytes', async () => {
  // Monday's night, then two backups a day (03:00 and by hand at 13:00) until Wednesday.
  const list = ['20261109_030000'];
  for (let d = 10; d <= 18; d++) list.push(`202611${d}_030000`, `202611${d}_130000`);
  const newest = ids(backupDir).at(-1)!;
  await history(newest, list);
  const before = ids(backupDir);

  const preview = await cli(['retention', 'preview', '--json'], NOW2);
  const p = preview.events[0]!;
  assert.equal(p.remove, reference(before, safety, NOW2).remove);
  assert.ok(p.remove.includes('20261103_100000'), 'a safety backup older than a week is left to the policy');
  assert.ok(p.remove.length > 3, `${p.remove.length}: more than the guard's 3, and not held: the policy is confirmed`);
  assert.is(p.held, false);

  const duBefore = await du(backupDir);
  const run = await cli(['run', '--json'], NOW2);
  assert.is(run.code, 0, run.stderr);
  const n2 = run.events.at(-1)!.summary.backupId as string;
  const expected = reference([...before, n2], safety, NOW2);
  const removed = run.events.filter((e) => e.type === 'log' && e.message.key === 'run.retention.removed').map((e) => e.message.params.id);
  assert.equal(removed, expected.remove);
  assert.equal(removed, p.remove, 'preview before the run said exactly this');
  assert.equal(ids(backupDir), [...before, n2].filter((id) => !removed.includes(id)));
  for (const id of expected.quarterArchives) assert.ok(existsSync(join(backupDir, id)), `quarter archive ${id}`);
  assert.is(expected.quarterArchives.length, 7);
  // The new backup's own bytes aside (du leaves it out), du lost what preview said.
  assert.is(duBefore - (await du(backupDir, n2)), p.freedBytes);
});

test.run();
