// The scheduled check waits for a running backup (verify --scheduled): it tries the backup
// directory's lock again at intervals instead of giving up, says so once, checks the backup once
// the lock is free, gives up with exit 75 after the limit, and stops at once when cancelled.
// Real lock file, real folder backup, real rsync; only the intervals are short (the CLI's are a
// minute / three hours: SCHEDULED_LOCK_WAIT).
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import { runBackup } from '../../src/backup/backup-run';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { ExitCode } from '../../src/core/errors';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { acquireLock } from '../../src/run/lock';
import { StatusStore } from '../../src/run/status-store';
import { ToolLocator } from '../../src/process/tool-locator';
import { runVerify, SCHEDULED_LOCK_WAIT } from '../../src/verify/verify-run';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('verify waits for the lock');
const tools = new ToolLocator('linux', process.env);
let root: string;

async function practice(name: string) {
  const dir = join(root, name);
  await createSampleFiles(join(dir, 'files'), { files: 5, bytesEach: 5_000 });
  const config = validateConfig({ backupDir: join(dir, 'backups'), components: [{ name: 'files', type: 'folder', path: join(dir, 'files') }], retention: { keep: 3 }, verify: { afterBackup: false } }, 'test');
  const status = new StatusStore(join(dir, 'state'));
  const deps = { platform: 'linux' as const, tools, secrets: new EnvSecretStore({}, new Map()), status, toolVersion: 'test' };
  const s = await runBackup(config, deps, new Reporter([]), new AbortController().signal);
  assert.is(s.exitCode, 0, JSON.stringify(s.error));
  return { config, deps, id: s.backupId! };
}

function collect() {
  const events: StampedEvent[] = [];
  return { reporter: new Reporter([(e) => events.push(e)]), events, keys: () => events.map((e) => ('message' in e ? (e.message as { key: string }).key : e.type)) };
}

test.before(async () => {
  root = await makeTempDir('praxis-verify-wait-');
});
test.after(() => runCleanups());

test('the scheduled wait is a minute between tries, three hours at most', () => {
  assert.equal(SCHEDULED_LOCK_WAIT, { everyMs: 60_000, maxMs: 10_800_000 });
});

test('a backup holds the lock: the check says it waits (once), then checks the backup when the lock is free', async () => {
  const p = await practice('free');
  const held = await acquireLock(p.config.backupDir);
  const c = collect();
  // The lock is freed when the check says it waits, not after a fixed delay: on a slow machine the
  // check may start only after such a delay, find the lock free and never wait.
  let releasedAt = -1;
  const released = new Promise<void>((resolve) => {
    c.reporter.addSink((e) => {
      if (releasedAt < 0 && 'message' in e && (e.message as { key: string }).key === 'verify.waitingForLock') {
        releasedAt = performance.now();
        void held.release().then(resolve);
      }
    });
  });
  const s = await runVerify(p.config, { restoreTest: false, deep: false, waitForLock: { everyMs: 100, maxMs: 3_600_000 } }, p.deps, c.reporter, new AbortController().signal);
  const endedAt = performance.now();
  await released;
  assert.is(s.exitCode, ExitCode.ok, JSON.stringify(s.error));
  assert.is(s.backupId, p.id);
  assert.is(c.keys().filter((k) => k === 'verify.waitingForLock').length, 1, 'said once, not every try');
  assert.ok(c.keys().indexOf('verify.waitingForLock') < c.keys().indexOf('finished'), 'it waited before it checked');
  assert.is(c.events.filter((e) => e.type === 'finished').length, 1);
  // The check started after the lock was freed: its duration fits between the release and the end
  // (1 ms for the two clocks' rounding), however long the wait or the machine took.
  assert.ok(s.verification!.durationMs! <= endedAt - releasedAt + 1, `the duration is the check’s, not the wait’s: ${s.verification!.durationMs} ms`);
});

test('without waitForLock (a check started by hand): exit 75 at once, nothing waited', async () => {
  const p = await practice('now');
  const held = await acquireLock(p.config.backupDir);
  try {
    const c = collect();
    // The lock stays held to the end: a check that waited would not come back before the guard.
    const s = await guarded(runVerify(p.config, { restoreTest: false, deep: false }, p.deps, c.reporter, new AbortController().signal));
    assert.is(s.exitCode, ExitCode.locked);
    assert.not.ok(c.keys().includes('verify.waitingForLock'), 'nothing waited');
  } finally {
    await held.release();
  }
});

test('the lock stays held past the limit: exit 75 after the limit', async () => {
  const p = await practice('limit');
  const held = await acquireLock(p.config.backupDir);
  try {
    const c = collect();
    const started = performance.now();
    const s = await guarded(runVerify(p.config, { restoreTest: false, deep: false, waitForLock: { everyMs: 100, maxMs: 500 } }, p.deps, c.reporter, new AbortController().signal));
    const took = performance.now() - started;
    assert.is(s.exitCode, ExitCode.locked);
    assert.is(c.keys().filter((k) => k === 'verify.waitingForLock').length, 1);
    // Five waits of 100 ms cannot take less (timers never fire early); how much longer is the machine's business.
    assert.ok(took >= 500, `took ${took} ms`);
  } finally {
    await held.release();
  }
});

test('cancelled while waiting (the tray’s „Abbrechen“, a stopped job): ends at once as cancelled', async () => {
  const p = await practice('cancel');
  const held = await acquireLock(p.config.backupDir);
  try {
    const abort = new AbortController();
    const c = collect();
    // Cancelled once it waits (not after a fixed delay, which may come before the wait or after it).
    c.reporter.addSink((e) => {
      if ('message' in e && (e.message as { key: string }).key === 'verify.waitingForLock') abort.abort();
    });
    // Between tries it sleeps an hour: coming back before the guard means the cancel ended the sleep.
    const s = await guarded(runVerify(p.config, { restoreTest: false, deep: false, waitForLock: { everyMs: 3_600_000, maxMs: 10_800_000 } }, p.deps, c.reporter, abort.signal));
    assert.is(s.result, 'failed');
    assert.is(s.error?.key, 'error.cancelled');
  } finally {
    await held.release();
  }
});

/**
 * Fails instead of hanging when a check does not come back. Far above any machine's speed (the
 * checks here take well under a second); what the tests assert does not depend on it.
 */
async function guarded<T>(p: Promise<T>, ms = 120_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s: it waited`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

test.run();
