// status.json is updated by several processes at once (a run, the tray, `status`, a scheduled
// verify). Without a lock across processes two read-modify-writes interleave and one change is
// lost; for the once-a-day claim that is a second mail. Real processes, one file system.
import { execa } from 'execa';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StatusStore, STATUS_LOCK } from '../../src/services/status-store';
import { STATUS_LOCK_STALE_MS, withFileLock } from '../../src/services/status-lock';
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
