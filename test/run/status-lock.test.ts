// status.json is updated by several processes at once (a run, the tray, `status`, a scheduled
// verify). Without a lock across processes two read-modify-writes interleave and one change is
// lost; for the once-a-day claim that is a second mail. Real processes, one file system.
import { execa } from 'execa';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StatusStore, STATUS_LOCK } from '../../src/run/status-store';
import { STATUS_LOCK_STALE_MS, withFileLock } from '../../src/run/status-lock';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('status.json across processes');
test.after(() => runCleanups());

const RACER = resolve(import.meta.dirname, '../fixtures/status-racer.ts');

test('four processes incrementing one field 40 times each lose no update', async () => {
  const dir = await makeTempDir('praxis-status-lock-');
  const procs = [0, 1, 2, 3].map(() => execa(process.execPath, ['--import', 'tsx', RACER, dir, '40'], { reject: false }));
  const results = await Promise.all(procs);
  for (const r of results) assert.is(r.exitCode, 0, String(r.stderr));
  const s = await new StatusStore(dir).read();
  assert.is((s.alertsNotified ?? {}).counter, '160');
  // Released after each update: nothing is left behind that would make the next writer wait.
  assert.not.ok(readdirNames(dir).includes(STATUS_LOCK));
});

test('six processes claiming the same alert at the same instant: exactly one wins it (one mail, not six)', async () => {
  const CLAIM = resolve(import.meta.dirname, '../fixtures/claim-racer.ts');
  const dir = await makeTempDir('praxis-claim-race-');
  // Far enough ahead that every racer has started (tsx takes a while on a loaded machine); they wait until then.
  const at = Date.now() + 5000;
  const racers = Array.from({ length: 6 }, () => execa(process.execPath, ['--import', 'tsx', CLAIM, dir, String(at), '2026-11-23T08:00:00Z'], { reject: false }));
  const won = (await Promise.all(racers)).map((r) => {
    assert.is(r.exitCode, 0, String(r.stderr));
    return Number(String(r.stdout).trim());
  });
  assert.is(won.reduce((a, b) => a + b, 0), 1, `won per process: ${won.join(',')}`);
  // And it is recorded: a seventh look the same day finds nothing to say.
  const later = await execa(process.execPath, ['--import', 'tsx', CLAIM, dir, '0', '2026-11-23T09:00:00Z']);
  assert.is(String(later.stdout).trim(), '0');
});

test('a lock left by a dead process is taken over', async () => {
  const dir = await makeTempDir('praxis-status-lock-');
  // A process that has certainly ended: its PID is gone once execa returns.
  const child = execa(process.execPath, ['-e', 'process.exit(0)']);
  const pid = child.pid!;
  await child;
  assert.type(pid, 'number');
  writeFileSync(join(dir, STATUS_LOCK), JSON.stringify({ pid, token: 'gone' }));
  const t0 = Date.now();
  const s = await new StatusStore(dir).update((st) => {
    st.weeklySummarySent = '2026-W49';
  });
  assert.is(s.weeklySummarySent, '2026-W49');
  // Taken over because its holder is gone, not after the 30 s that only a hung holder waits for.
  assert.ok(Date.now() - t0 < STATUS_LOCK_STALE_MS, `took ${Date.now() - t0} ms`);
  assert.is(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).weeklySummarySent, '2026-W49');
});

test('a live holder is waited for, not overrun', async () => {
  const dir = await makeTempDir('praxis-status-lock-');
  const order: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const first = withFileLock(join(dir, STATUS_LOCK), async () => {
    entered();
    order.push('first in');
    await held;
    order.push('first out');
  });
  await inside;
  const second = withFileLock(join(dir, STATUS_LOCK), async () => {
    order.push('second in');
  });
  // The second waits however long the first holds it: released only after it has had the chance to enter.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(order, ['first in']);
  release();
  await Promise.all([first, second]);
  assert.equal(order, ['first in', 'first out', 'second in']);
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir);
}

test.run();
