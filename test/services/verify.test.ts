// The pure parts of verify: which files the sample reads (deterministic per seed, different per
// backup and day, 20 or 1 %), how row counts are compared, the scratch names, and that a held
// lock refuses the verify with 75 (retention must not remove a backup while it is read).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Reporter } from '../../src/services/events';
import { acquireLock } from '../../src/services/lock';
import { StatusStore } from '../../src/services/status-store';
import { ToolLocator } from '../../src/services/tool-locator';
import { compareRows, isScratchLeftover, scratchName } from '../../src/services/verify-databases';
import { sampleOf, sampleSize } from '../../src/services/verify-index';
import { runVerify } from '../../src/services/verify-run';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('verify (units)');
test.after(runCleanups);

const paths = Array.from({ length: 500 }, (_, i) => `Briefe/${String(i).padStart(4, '0')}.pdf`);

test('sample size: 20 files or 1 %, whichever is more, never more than there are', () => {
  assert.is(sampleSize(5), 5);
  assert.is(sampleSize(500), 20);
  assert.is(sampleSize(2000), 20);
  assert.is(sampleSize(2001), 21);
  assert.is(sampleSize(100_000), 1000);
});

test('sample: the same seed picks the same files; another backup or another day picks others', () => {
  const a = sampleOf(paths, '20261124_031500/2026-11-24');
  assert.is(a.length, 20);
  assert.equal(sampleOf([...paths].reverse(), '20261124_031500/2026-11-24'), a, 'independent of listing order');
  const nextNight = sampleOf(paths, '20261125_031500/2026-11-25');
  const nextWeek = sampleOf(paths, '20261124_031500/2026-12-01');
  const overlap = (x: string[], y: string[]) => x.filter((p) => y.includes(p)).length;
  assert.ok(overlap(a, nextNight) < 10, 'mostly other files');
  assert.ok(overlap(a, nextWeek) < 10);
  // Over a month of nights, most of the folder has been read once.
  const seen = new Set<string>();
  for (let d = 1; d <= 30; d++) for (const p of sampleOf(paths, `202611${String(d).padStart(2, '0')}_031500/x`)) seen.add(p);
  assert.ok(seen.size > 350, `${seen.size} of 500`);
});

test('row counts: differences and tables missing from the dump are problems; none recorded is a warning', () => {
  const actual = new Map([['public.patient', 60], ['public.besuch', 230]]);
  assert.equal(compareRows({ 'public.patient': 60, 'public.besuch': 230 }, actual, 'db'), { problems: [], warnings: [] });
  const r = compareRows({ 'public.patient': 60, 'public.besuch': 240, 'public.rechnung': 5 }, actual, 'db');
  assert.equal(r.problems, [
    { key: 'verify.rowsDiffer', params: { component: 'db', tables: 'public.besuch 230 ≠ 240' } },
    { key: 'verify.tablesAbsent', params: { component: 'db', tables: 'public.rechnung' } },
  ]);
  assert.equal(compareRows(undefined, actual, 'db'), { problems: [], warnings: [{ key: 'verify.rowsNotRecorded', params: { component: 'db' } }] });
});

test('scratch names: praxis_verify_<id>, inside both servers\' limits; only exactly that form counts as a leftover', () => {
  assert.is(scratchName('20261124_031500'), 'praxis_verify_20261124_031500');
  assert.ok(scratchName('20261124_031500').length <= 63);
  assert.throws(() => scratchName('x; DROP DATABASE tomedo'));
  assert.ok(isScratchLeftover('praxis_verify_20200101_000000'));
  assert.not.ok(isScratchLeftover('praxis_verify_20200101_000000_x'));
  assert.not.ok(isScratchLeftover('praxis_verify_mine'));
  assert.not.ok(isScratchLeftover('tomedo'));
});

test('a held lock: verify refuses with 75 and touches nothing', async () => {
  const dir = await makeTempDir('praxis-verify-lock-');
  const backupDir = join(dir, 'backups');
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(backupDir);
  writeFileSync(join(dir, 'src', 'a'), 'a');
  const lock = await acquireLock(backupDir);
  try {
    const config = { backupDir, components: [{ name: 'f', type: 'folder', path: join(dir, 'src') }], mirrors: [] } as any;
    const events: any[] = [];
    const r = await runVerify(
      config,
      { restoreTest: false, deep: false },
      { platform: 'linux', tools: new ToolLocator('linux', process.env), secrets: { get: async () => null } as any, status: new StatusStore(join(dir, 'state')) },
      new Reporter([(e) => events.push(e)]),
      new AbortController().signal,
    );
    assert.is(r.exitCode, 75);
    assert.is(events.at(-1).type, 'finished');
  } finally {
    await lock.release();
  }
});

test.run();
