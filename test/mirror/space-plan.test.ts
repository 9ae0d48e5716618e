// The plan for a mirror disk that is too small (src/mirror/space-plan.ts), as pure functions over
// hand-made entries: which backups may go and in which order (the policy's drops first, then the
// oldest kept; never the newest there, the newest local, a quarter archive, a restore's safety
// backup of the week, a copy being replaced), and how few of them planRoom takes — a local backup
// not copied saves its estimate, a removed predecessor makes a later copy cost its full size.
// The real disk (ext4 loop device) is test/engine/mirror-generations.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackupEntry } from '../../src/backup-directory/catalog';
import type { Manifest } from '../../src/backup-directory/manifest';
import { backupEntry } from '../helpers/backup-entry';
import { planRetention } from '../../src/retention/retention-plan';
import { planRoom, roomCandidates, type RoomCandidate } from '../../src/mirror/space-plan';

const NOW = new Date('2026-05-20T12:00:00Z');

/** A backup of one folder: `bytes` in all, `changed` of them new since the previous one. */
const entry = (id: string, o: { bytes?: number; changed?: number; trigger?: Manifest['trigger'] } = {}): BackupEntry =>
  backupEntry(id, {
    dir: '/usb',
    bytes: o.bytes ?? 1000,
    startedAt: NOW.toISOString(),
    finishedAt: new Date(NOW.getTime() - 86_400_000).toISOString(),
    components: [{ name: 'files', type: 'folder', path: 'files', bytes: o.bytes ?? 1000, bytesCopied: o.changed ?? 100, warnings: [] }],
    trigger: o.trigger,
  });

const newestFirst = (xs: BackupEntry[]) => [...xs].sort((a, b) => (a.id < b.id ? 1 : -1));
const idsOf = (cs: RoomCandidate[]) => cs.map((c) => `${c.entry.id}${c.there ? '' : ' (local)'}${c.kept ? '' : ' (policy)'}`);

test('candidates: what the policy drops there first, then the oldest kept (there or still to copy); the protected ones never', () => {
  // Q4/2025's last backup is a quarter archive; May: one a day.
  const q4 = entry('20251230_031500');
  const may = [1, 2, 3, 4, 5, 6, 7, 8].map((d) => entry(`202605${String(d).padStart(2, '0')}_031500`));
  const safety = entry('20260503_120000', { trigger: 'restoreSafety' });
  const there = newestFirst([q4, ...may.slice(0, 6), safety]); // up to 6 May on the disk
  const toPut = [may[6]!, may[7]!]; // 7 and 8 May: new (8 May the newest local backup)
  const plan = planRetention(newestFirst([q4, safety, ...may]), { last: 6, quarterly: 4 }, NOW);
  const c = roomCandidates({ decisions: plan.decisions, there, toPut, newestLocal: may[7]!.id, held: false });
  assert.equal(idsOf(c), [
    // last:6 keeps 4–8 May and 3 May's safety backup (that one stays its week anyway): the older go anyway.
    '20260501_031500 (policy)',
    '20260502_031500 (policy)',
    '20260503_031500 (policy)',
    // then the oldest kept; 6 May is the newest there, 8 May the newest local: neither.
    '20260504_031500',
    '20260505_031500',
    '20260507_031500 (local)',
  ]);
  assert.ok(plan.decisions.find((d) => d.entry.id === q4.id)?.quarterArchive, 'Q4/2025 is a quarter archive (so it is not a candidate)');
});

test('candidates: a copy being replaced stays; while the shrink guard holds, the policy drops count as kept (the disk decides, and says so)', () => {
  const xs = [1, 2, 3, 4].map((d) => entry(`2026050${d}_031500`));
  const there = newestFirst(xs.slice(0, 3));
  const plan = planRetention(newestFirst(xs), { last: 2 }, NOW);
  const replaced = roomCandidates({ decisions: plan.decisions, there, toPut: [xs[1]!, xs[3]!], newestLocal: xs[3]!.id, held: false });
  assert.equal(idsOf(replaced), ['20260501_031500 (policy)']);
  const held = roomCandidates({ decisions: plan.decisions, there, toPut: [xs[3]!], newestLocal: xs[3]!.id, held: true });
  assert.equal(idsOf(held), ['20260501_031500', '20260502_031500']);
});

test('planRoom: nothing goes while it fits; else the fewest candidates that make room for the copy plus the 10 % reserve', () => {
  const old = entry('20260501_031500');
  const mid = entry('20260502_031500');
  const now = entry('20260503_031500', { bytes: 5000, changed: 300 });
  const there = ['20260502_031500', '20260501_031500'];
  const candidates: RoomCandidate[] = [
    { entry: old, there: true, kept: true },
    { entry: mid, there: true, kept: true },
  ];
  const base = { toPut: [now], there, candidates, mode: 'all' as const };
  // 10 000 total → 1 000 reserve; the copy writes what changed (300): 1 300 free is just enough.
  const fits = planRoom({ ...base, space: { total: 10_000, free: 1_300 }, freed: null });
  assert.equal([fits.fits, fits.needed, fits.reserve, fits.drop.length], [true, 300, 1_000, 0]);
  const short = planRoom({ ...base, space: { total: 10_000, free: 1_299 }, freed: null });
  assert.is(short.fits, false, 'one byte short, and no removals allowed (freed null)');
  const one = planRoom({ ...base, space: { total: 10_000, free: 1_200 }, freed: [150, 900] });
  assert.equal([one.fits, one.drop.map((c) => c.entry.id), one.freed], [true, [old.id], 150]);
  // Removing both takes the new backup's predecessor: it then costs its full 5 000 — not enough.
  const none = planRoom({ ...base, space: { total: 10_000, free: 500 }, freed: [150, 900] });
  assert.equal([none.fits, none.drop.length, none.needed, none.freed], [false, 2, 5_000, 900]);
});

test('planRoom: a local backup left out saves its estimate; the next one then costs its full size', () => {
  const there = entry('20260501_031500');
  const a = entry('20260502_031500', { bytes: 2000, changed: 400 });
  const b = entry('20260503_031500', { bytes: 2000, changed: 400 });
  const candidates: RoomCandidate[] = [{ entry: a, there: false, kept: true }];
  const plan = planRoom({ toPut: [a, b], there: [there.id], candidates, space: { total: 10_000, free: 1_500 }, freed: [], mode: 'all' });
  // Both: 800 (each has a predecessor). Without a: b alone, its predecessor (the one there) stays: 400.
  assert.equal([plan.fits, plan.put.map((x) => x.id), plan.needed], [true, [b.id], 400]);
  // On an empty disk both cost 2 000 + 400; without a, b is the first copy there: its full 2 000.
  const lone = planRoom({ toPut: [a, b], there: [], candidates, space: { total: 10_000, free: 3_000 }, freed: [], mode: 'all' });
  assert.equal([lone.fits, lone.put.map((x) => x.id), lone.needed], [true, [b.id], 2_000]);
});

test.run();
