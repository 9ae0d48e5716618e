// A mirror's own generations, and a disk that is too small for them, on real ext4 loop disks (a
// path mirror on the mounted disk) through the nightly flow (runBackup: backup, local retention,
// mirrors) with an injected clock:
// - a mirror with its own retention keeps more generations than the local disk; a changed policy
//   that would remove many there at once is held (exit 3) until the same policy is confirmed locally;
// - a disk too small for the mirror's policy: the oldest generations (never the newest, never a
//   quarter archive) are removed BEFORE the copy to make room, the run warns (exit 3), the copy is
//   complete and verified;
// - a backup larger than everything that may go: the run fails with the numbers (exit 1) before
//   removing anything — the disk holds the same backups before and after, no .partial.
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runBackup } from '../../src/backup/backup-run';
import { validateConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { render, type Message } from '../../src/i18n';
import { policyKey } from '../../src/retention/policy';
import type { StampedEvent } from '../../src/run/events';
import { StatusStore } from '../../src/run/status-store';
import { makeLoopDisk, mountAt } from '../helpers/loop-disk';
import { MapStore } from '../helpers/map-store';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { collect, mirrorDeps, tools } from './offsite-support';

const test = suite('mirror generations and a disk too small for them');
let root: string;
let seq = 0;

const ids = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort() : []);
const leftovers = (dir: string) => readdirSync(dir).filter((n) => /\.(partial|deleting)$/.test(n));

interface Setup {
  config: Config;
  src: string;
  backups: string;
  target: string;
  status: StatusStore;
  state: string;
  dir: string;
}

/** A practice (a few small files) and a path mirror on a fresh ext4 loop disk of `sizeMiB`. */
async function setup(local: unknown, mirrorRetention: unknown, sizeMiB: number): Promise<Setup> {
  const dir = join(root, `p${++seq}`);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files: 5, bytesEach: 20_000 });
  const disk = await makeLoopDisk({ sizeMiB, label: `GEN${seq}` });
  const mp = join(dir, 'usb');
  mkdirSync(mp, { recursive: true });
  await mountAt(disk.device, mp);
  const target = join(mp, 'praxis');
  mkdirSync(target);
  const backups = join(dir, 'backups');
  const config = validateConfig(
    { backupDir: backups, components: [{ name: 'files', type: 'folder', path: src }], retention: local, mirrors: [{ name: 'usb', type: 'path', path: target, mode: 'all', retention: mirrorRetention }] },
    'test',
  );
  const state = join(dir, 'state');
  mkdirSync(state);
  return { config, src, backups, target, status: new StatusStore(state), state, dir };
}

/** One night: the backup at `at`, local retention, the mirror; the summary and every event. */
async function night(s: Setup, at: Date, config: Config = s.config) {
  const c = collect();
  const now = () => at;
  const summary = await runBackup(
    config,
    { platform: 'linux', tools, secrets: new MapStore(new Map()), status: s.status, toolVersion: 'test', now, mirrors: mirrorDeps(s, new MapStore(new Map()), now) },
    c.reporter,
    new AbortController().signal,
  );
  return { summary, events: c.events, id: summary.backupId! };
}

const logged = (events: StampedEvent[], key: string) => events.flatMap((e) => ((e.type === 'log' || e.type === 'warning') && e.message.key === key ? [e.message] : []));
const keyIndex = (events: StampedEvent[], key: string, id: string) => events.findIndex((e) => e.type === 'log' && e.message.key === key && e.message.params?.id === id);
/**
 * Each night's change: one more file, so each backup's file index is larger than the last. The
 * mirror's rsync takes a file with the same size and modification second as in the previous
 * generation for unchanged (its quick check); with the clock injected, two nights run within one
 * real second, and an index of the same size would be linked instead of copied (the read-back
 * check then fails, rightly). Real nights are a day apart.
 */
const change = (s: Setup, d: number, text = `Tag ${d}`) => writeFileSync(join(s.src, `tag-${String(d).padStart(2, '0')}.txt`), text);
/**
 * A night's new megabyte. Its mtime is the night's (injected) time: written within the same real
 * second as the night before, a file of the same size would look unchanged to rsync's quick check
 * (size and modification second) and be hard-linked, and on a fast machine no night would need room.
 */
const newNight = (s: Setup, at: Date) => {
  const f = join(s.src, 'nacht.bin');
  writeFileSync(f, randomBytes(1 << 20));
  utimesSync(f, at, at);
};
/** Noon UTC: the same calendar day in every time zone the machine may have, so the ids' dates are known. */
const noon = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d, 12, 0, 0));

test.before(async () => {
  root = await makeTempDir('praxis-mirror-gen-');
});
test.after(() => runCleanups());

test('own retention: the disk keeps its 8 generations while the local disk keeps 3; a shrink there is held until confirmed', async () => {
  const s = await setup({ last: 3 }, { last: 8 }, 32);
  const made: string[] = [];
  for (let d = 1; d <= 10; d++) {
    change(s, d);
    const n = await night(s, noon(2026, 5, d));
    assert.is(n.summary.exitCode, 0, JSON.stringify(n.summary.error ?? n.summary.warnings));
    made.push(n.id);
    assert.equal(ids(s.backups), made.slice(-3), `night ${d}: local keeps 3`);
    assert.equal(ids(s.target), made.slice(-8), `night ${d}: the disk keeps up to 8`);
  }
  // Nights 9 and 10 each dropped one generation there, after the copy (oldest first).
  const st = await s.status.read();
  assert.is(st.retentionApplied?.usb?.policy, policyKey({ last: 8 }), 'the policy applied there is recorded (the shrink guard)');

  // The mirror's policy changed to last:2 — 6 of 8 would go at once: held, said, nothing removed there.
  const shrunk = validateConfig({ ...JSON.parse(JSON.stringify(s.config)), mirrors: [{ ...s.config.mirrors[0], retention: { last: 2 } }] }, 'test');
  change(s, 11);
  const held = await night(s, noon(2026, 5, 11), shrunk);
  made.push(held.id);
  assert.is(held.summary.exitCode, 3, 'a held removal is a warning');
  const [w] = logged(held.events, 'mirror.retentionHeld');
  assert.ok(w, 'mirror.retentionHeld said');
  assert.is(w!.params!.name, 'usb');
  assert.is(w!.params!.count, 7, 'the 7 oldest there would go');
  assert.equal(ids(s.target), made.slice(-9), 'nothing removed there; the new backup copied');

  // The same policy confirmed for the local directory (the nightly run records it: only one goes
  // locally, under the guard's limit) counts for the mirror: now the removals happen.
  const both = validateConfig({ ...JSON.parse(JSON.stringify(shrunk)), retention: { last: 2 } }, 'test');
  change(s, 12);
  const applied = await night(s, noon(2026, 5, 12), both);
  made.push(applied.id);
  assert.is(applied.summary.exitCode, 0, JSON.stringify(applied.summary.warnings));
  assert.equal(ids(s.target), made.slice(-2));
  assert.equal(ids(s.backups), made.slice(-2));
});

test('a disk too small for the policy: the oldest generations go before the copy, the run warns, the copy is verified; the newest and the quarter archive stay', async () => {
  // 12 MiB ext4: about 9 MiB free, 1 MiB of it the reserve; each night adds 1 MiB of new data.
  const s = await setup({ last: 3 }, { last: 12, quarterly: 4 }, 12);
  const nights = [noon(2026, 3, 20), ...Array.from({ length: 10 }, (_, i) => noon(2026, 4, i + 1))];
  let q1 = '';
  let dropNights = 0;
  let before: string[] = [];
  for (const [i, at] of nights.entries()) {
    change(s, i + 1);
    newNight(s, at);
    const n = await night(s, at);
    if (i === 0) q1 = n.id;
    const after = ids(s.target);
    assert.equal(leftovers(s.target), [], `night ${i + 1}: no .partial, no .deleting`);
    assert.is(n.summary.mirrors?.[0]?.result, 'success', `night ${i + 1}: ${JSON.stringify(n.summary.mirrors?.[0]?.message)}`);
    assert.is(after.at(-1), n.id, `night ${i + 1}: the new backup is there`);
    assert.ok(after.includes(q1), `night ${i + 1}: the quarter archive Q1/2026 stays`);
    assert.ok(logged(n.events, 'mirror.verified').length, `night ${i + 1}: the copy was read back`);
    const dropped = logged(n.events, 'mirror.spaceDropped');
    if (dropped.length) {
      dropNights++;
      assert.is(n.summary.exitCode, 3, `night ${i + 1}: the disk at its limit is a warning`);
      const gone = String(dropped[0]!.params!.ids).split(', ');
      assert.equal(gone, before.filter((id) => !after.includes(id)), `night ${i + 1}: the warning names what went`);
      assert.not.ok(gone.includes(q1));
      assert.not.ok(gone.includes(before.at(-1)!), 'never the newest there');
      // The oldest went: every generation left (but the archive) is newer than every one removed.
      for (const id of after.filter((x) => x !== q1)) for (const g of gone) assert.ok(id > g, `${id} kept, ${g} removed`);
      // Removed before the copy (the one case where removal comes first): room for the new backup.
      assert.ok(keyIndex(n.events, 'mirror.removed', gone[0]!) < keyIndex(n.events, 'mirror.copied', n.id), 'removed before the copy');
      assert.match(render('de', dropped[0]!), /zu wenig Platz; die ältesten Generationen .* wurden entfernt, damit die neue Sicherung passt/);
    } else {
      assert.is(n.summary.exitCode, 0, `night ${i + 1}: ${JSON.stringify(n.summary.warnings)}`);
      assert.equal(after, [...before, n.id], `night ${i + 1}: nothing removed while it fits`);
    }
    before = after;
  }
  assert.ok(dropNights >= 2, `the disk ran out of room on at least two nights (${dropNights})`);
  assert.ok(before.length > 3 && before.length < nights.length, `more generations than locally, fewer than the policy asks (${before.length})`);
  assert.equal(ids(s.backups), before.slice(-3), 'local retention unchanged: its own 3');
});

test('a backup larger than everything that may go: fails with the numbers, nothing removed, nothing half-copied (exit 1)', async () => {
  const s = await setup({ last: 3 }, { last: 10 }, 12);
  for (const d of [1, 2]) {
    change(s, d);
    newNight(s, noon(2026, 6, d));
    assert.is((await night(s, noon(2026, 6, d))).summary.exitCode, 0);
  }
  const there = ids(s.target);
  assert.is(there.length, 2);
  // 14 MiB of scans onto a 12 MiB disk: removing the older generation (1 MiB) cannot make it fit.
  writeFileSync(join(s.src, 'ultraschall.bin'), randomBytes(14 << 20));
  const n = await night(s, noon(2026, 6, 3));
  assert.is(n.summary.exitCode, 1);
  const m = n.summary.mirrors![0]!;
  assert.is(m.result, 'failed');
  const msg = m.message as Message;
  assert.is(msg.key, 'mirror.noSpaceEvenDropping');
  assert.is(msg.params!.name, 'usb');
  assert.is(msg.params!.count, 1, 'one generation could have gone (never the newest there)');
  for (const k of ['needed', 'free', 'reserve', 'freeable']) assert.ok(msg.params![k], `the message has ${k}`);
  assert.match(render('en', msg), /even without its oldest generations: about \d.* is needed plus .* reserve, only .* is free, and removing the 1 oldest backups .* would free only .*Nothing was removed or copied/);
  assert.equal(ids(s.target), there, 'the same backups before and after');
  assert.equal(leftovers(s.target), []);
  assert.equal(logged(n.events, 'mirror.removed'), []);
  assert.ok(ids(s.backups).includes(n.id), 'the local backup is made');
});

test.run();
