// planRetention's promises beyond the policy (src/retention/retention-plan.ts): the newest complete
// backup stays whatever the rules say, a restore's safety backup stays a week after it finished and
// not a millisecond longer, backups made by hand count like scheduled ones, only a quarter that is
// over has a „Quartalssicherung“; and shrinkHeld's threshold (more than 3 removals under a policy
// not applied before). Entries are built minimally: planRetention reads ids, trigger and finishedAt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackupEntry } from '../../src/backup-directory/catalog';
import type { Manifest } from '../../src/backup-directory/manifest';
import { backupEntry, isoOfId } from '../helpers/backup-entry';
import type { RetentionConfig } from '../../src/config/schema';
import { DEFAULT_RETENTION } from '../../src/retention/policy';
import { planRetention, SAFETY_KEEP_MS, SHRINK_CONFIRM_ABOVE, shrinkHeld } from '../../src/retention/retention-plan';

const DAY = 86_400_000;

/** An id's wall time read as UTC: only a plausible instant for the manifest, nothing is compared with a zone. */
const isoOf = isoOfId;

const entry = (id: string, trigger?: Manifest['trigger'], finishedAt = isoOf(id, 600_000)): BackupEntry =>
  backupEntry(id, { trigger, finishedAt });

/** Nightly ids at 03:15 from `first` (YYYY-MM-DD) for `nights` nights, newest first as readCatalog gives them. */
function nightly(first: string, nights: number, trigger?: Manifest['trigger']): BackupEntry[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  const out: BackupEntry[] = [];
  for (let n = 0; n < nights; n++) {
    const d = new Date(start + n * DAY);
    const id = `${d.toISOString().slice(0, 10).replaceAll('-', '')}_031500`;
    out.push(entry(id, trigger));
  }
  return out.reverse();
}

const ids = (bs: { id: string }[]) => bs.map((b) => b.id);
const reasonsOf = (plan: ReturnType<typeof planRetention>, id: string) => plan.decisions.find((d) => d.entry.id === id)!.reasons;

test('the newest complete backup always stays and says so; it is never in remove for any policy', () => {
  const complete = nightly('2026-01-01', 300);
  const now = new Date('2026-10-28T12:00:00Z');
  for (const retention of [{ keep: 1 }, { last: 1 }, { quarterly: 1 }, { weekly: 2, monthly: 1 }, { ...DEFAULT_RETENTION }] as RetentionConfig[]) {
    const plan = planRetention(complete, retention, now);
    assert.ok(reasonsOf(plan, complete[0]!.id).includes('newest'), JSON.stringify(retention));
    assert.not.ok(ids(plan.remove).includes(complete[0]!.id));
    assert.is(plan.decisions.length, complete.length, 'every complete backup has a decision');
    assert.equal(ids(plan.remove), ids(plan.decisions.filter((d) => d.reasons.length === 0).map((d) => d.entry)));
  }
  // keep 1: only the newest stays, for two reasons.
  const one = planRetention(complete, { keep: 1 } as RetentionConfig, now);
  assert.equal(reasonsOf(one, '20261027_031500'), ['last', 'newest']);
  assert.is(one.remove.length, 299);
  assert.is(one.policy, 'last=1');
  // Only one backup at all: it stays, with any policy.
  assert.equal(planRetention([entry('20261027_031500')], { daily: 1 } as RetentionConfig, now).remove, []);
  assert.equal(planRetention([], { keep: 3 } as RetentionConfig, now).decisions, []);
});

test('a restore’s safety backup stays for 7 days after it finished, then the policy decides', () => {
  // Nightly backups; on 10 Nov at 14:02 a restore made its safety backup (finished 14:05 UTC).
  const nights = nightly('2026-10-01', 50);
  const safety = entry('20261110_140200', 'restoreSafety', '2026-11-10T14:05:00.000Z');
  const complete = [...nights, safety].sort((a, b) => (a.id < b.id ? 1 : -1));
  const retention = { last: 3 } as RetentionConfig;
  const finished = Date.parse(safety.manifest.finishedAt);
  // Nightly backups go on until 19 Nov: the safety backup is far beyond the newest 3.
  const justInside = planRetention(complete, retention, new Date(finished + SAFETY_KEEP_MS - 1));
  assert.equal(reasonsOf(justInside, safety.id), ['safety']);
  assert.not.ok(ids(justInside.remove).includes(safety.id));
  const weekOver = planRetention(complete, retention, new Date(finished + SAFETY_KEEP_MS));
  assert.equal(reasonsOf(weekOver, safety.id), []);
  assert.ok(ids(weekOver.remove).includes(safety.id), 'a week after it finished, the policy decides');
  assert.is(SAFETY_KEEP_MS, 7 * DAY);
  // Only a restore's safety backup has this: a scheduled backup at the same time goes.
  const plain = entry('20261110_140200', 'schedule', '2026-11-10T14:05:00.000Z');
  const withPlain = [...nights, plain].sort((a, b) => (a.id < b.id ? 1 : -1));
  assert.ok(ids(planRetention(withPlain, retention, new Date(finished + DAY)).remove).includes(plain.id));
  // A clock stepped back (finishedAt after now): still young, still kept.
  assert.equal(reasonsOf(planRetention(complete, retention, new Date(finished - DAY)), safety.id), ['safety']);
});

test('the safety week counts from finishedAt, not from the id', () => {
  const nights = nightly('2026-10-01', 50);
  const longRestore = entry('20261103_090000', 'restoreSafety', '2026-11-05T09:00:00.000Z');
  const complete = [...nights, longRestore].sort((a, b) => (a.id < b.id ? 1 : -1));
  const now = new Date('2026-11-11T09:00:00Z'); // 8 days after the id, 6 after it finished
  assert.equal(reasonsOf(planRetention(complete, { last: 3 } as RetentionConfig, now), longRestore.id), ['safety']);
});

test('backups made by hand count like scheduled ones (and like old ones without a trigger)', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const retention = { ...DEFAULT_RETENTION } as RetentionConfig;
  const scheduled = nightly('2025-06-01', 550, 'schedule');
  const manual = nightly('2025-06-01', 550, 'manual');
  const old = nightly('2025-06-01', 550);
  const plans = [scheduled, manual, old].map((c) => planRetention(c, retention, now));
  assert.ok(plans[0]!.remove.length > 400, 'the policy removes most of a year and a half');
  assert.equal(ids(plans[1]!.remove), ids(plans[0]!.remove));
  assert.equal(ids(plans[2]!.remove), ids(plans[0]!.remove));
  // Mixed: a backup by hand in the afternoon is the day's newest, and so the day's kept one.
  const mixed = [entry('20261201_163000', 'manual'), ...nightly('2026-11-01', 31, 'schedule')].sort((a, b) => (a.id < b.id ? 1 : -1));
  const plan = planRetention(mixed, { daily: 2 } as RetentionConfig, now);
  assert.equal(reasonsOf(plan, '20261201_163000'), ['daily', 'newest']);
  assert.equal(reasonsOf(plan, '20261201_031500'), [], 'the scheduled one of the same day goes');
  assert.equal(reasonsOf(plan, '20261130_031500'), ['daily']);
});

test('quarter archives: only the last state of a quarter that is over, with its quarter and year', () => {
  // Every night from 1 Jan 2026 to 2 Dec 2026; now: 2 Dec 2026 (Q4 is not over).
  const complete = nightly('2026-01-01', 336);
  assert.is(complete[0]!.id, '20261202_031500');
  const plan = planRetention(complete, { ...DEFAULT_RETENTION } as RetentionConfig, new Date('2026-12-02T10:00:00Z'));
  const archives = plan.decisions.filter((d) => d.quarterArchive).map((d) => [d.entry.id, d.quarterArchive]);
  assert.equal(archives, [
    ['20260930_031500', { quarter: 3, year: 2026 }],
    ['20260630_031500', { quarter: 2, year: 2026 }],
    ['20260331_031500', { quarter: 1, year: 2026 }],
  ]);
  const newest = plan.decisions[0]!;
  assert.ok(newest.reasons.includes('quarterly'), 'the quarterly rule keeps the newest of Q4 too …');
  assert.is(newest.quarterArchive, undefined, '… but Q4 is not over: not a Quartalssicherung yet');
  // Kept by other rules, not by the quarterly one: no mark (1 Oct is monthly's, not a quarter's end).
  const oct = plan.decisions.find((d) => d.entry.id === '20261031_031500')!;
  assert.ok(oct.reasons.includes('monthly') && !oct.quarterArchive);
  // Without a quarterly rule there is no Quartalssicherung at all.
  assert.not.ok(planRetention(complete, { last: 20, monthly: 12 } as RetentionConfig, new Date('2026-12-02T10:00:00Z')).decisions.some((d) => d.quarterArchive));
});

test('quarter archives: a quarter is over when the clock says so, even before the new quarter’s first backup', () => {
  // The server was off over the new year: the newest backup is of 30 Dec, now is 4 Jan 2027.
  const complete = nightly('2026-07-01', 183);
  assert.is(complete[0]!.id, '20261230_031500');
  const inQ4 = planRetention(complete, { quarterly: 8 } as RetentionConfig, new Date('2026-12-31T10:00:00Z'));
  assert.is(inQ4.decisions[0]!.quarterArchive, undefined, '31 Dec: Q4 is still running');
  const inQ1 = planRetention(complete, { quarterly: 8 } as RetentionConfig, new Date('2027-01-04T10:00:00Z'));
  assert.equal(inQ1.decisions[0]!.quarterArchive, { quarter: 4, year: 2026 }, '4 Jan: 30 Dec is Q4’s last state');
  assert.equal(inQ1.decisions.filter((d) => d.quarterArchive).length, 2, 'Q4 and Q3');
});

test('shrinkHeld: more than 3 removals under a policy not applied before; the same policy never holds', () => {
  assert.is(SHRINK_CONFIRM_ABOVE, 3);
  const now = new Date('2026-12-02T10:00:00Z');
  const complete = nightly('2026-11-01', 30); // 1 … 30 Nov
  const three = planRetention(complete, { keep: 27 } as RetentionConfig, now);
  const four = planRetention(complete, { keep: 26 } as RetentionConfig, now);
  assert.is(three.remove.length, 3);
  assert.is(four.remove.length, 4);
  assert.equal(ids(four.remove), ['20261104_031500', '20261103_031500', '20261102_031500', '20261101_031500'], 'the oldest go, newest first');
  // Changed from keep 30 (or never applied): 3 go without asking, 4 need a confirmation.
  assert.is(shrinkHeld(three, 'last=30'), false);
  assert.is(shrinkHeld(four, 'last=30'), true);
  assert.is(shrinkHeld(four, undefined), true, 'a first run that would remove 4 asks too');
  // The policy applied before: the night's usual removals (any number) go on.
  assert.is(shrinkHeld(four, 'last=26'), false);
  assert.is(shrinkHeld(four, four.policy), false);
  const many = planRetention(nightly('2026-01-01', 330), { ...DEFAULT_RETENTION } as RetentionConfig, now);
  assert.is(shrinkHeld(many, 'last=20,daily=7,weekly=4,monthly=12,quarterly=8'), false);
  assert.is(shrinkHeld(many, 'last=10'), true);
  // Nothing to remove: never held.
  assert.is(shrinkHeld(planRetention(complete, { keep: 100 } as RetentionConfig, now), 'last=1'), false);
});

test.run();
