// The scheduled check waits for a running backup (verify --scheduled): it tries the backup
// directory's lock again at intervals instead of giving up, says so once, checks the backup once
// the lock is free, gives up with exit 75 after the limit, and stops at once when cancelled.
// Real lock file, real folder backup, real rsync; only the intervals are short (the CLI's are a
// minute / three hours: SCHEDULED_LOCK_WAIT).
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import { runBackup } from '../../src/services/backup-run';
import { EnvSecretStore } from '../../src/services/credentials';
import { ExitCode } from '../../src/services/errors';
import { Reporter, type StampedEvent } from '../../src/services/events';
import { acquireLock } from '../../src/services/lock';
import { StatusStore } from '../../src/services/status-store';
import { ToolLocator } from '../../src/services/tool-locator';
import { runVerify, SCHEDULED_LOCK_WAIT } from '../../src/services/verify-run';
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
  const started = Date.now();
  setTimeout(() => void held.release(), 400);
  const s = await runVerify(p.config, { restoreTest: false, deep: false, waitForLock: { everyMs: 100, maxMs: 10_000 } }, p.deps, c.reporter, new AbortController().signal);
  assert.is(s.exitCode, ExitCode.ok, JSON.stringify(s.error));
  assert.ok(Date.now() - started >= 400, 'it did wait');
  assert.is(s.backupId, p.id);
  assert.is(c.keys().filter((k) => k === 'verify.waitingForLock').length, 1, 'said once, not every try');
  assert.is(c.events.filter((e) => e.type === 'finished').length, 1);
  assert.ok(s.verification!.durationMs! < Date.now() - started, 'the duration is the check’s, not the wait’s');
});

test('without waitForLock (a check started by hand): exit 75 at once, nothing waited', async () => {
  const p = await practice('now');
  const held = await acquireLock(p.config.backupDir);
  try {
    const started = Date.now();
    const s = await runVerify(p.config, { restoreTest: false, deep: false }, p.deps, collect().reporter, new AbortController().signal);
    assert.is(s.exitCode, ExitCode.locked);
    assert.ok(Date.now() - started < 2000);
  } finally {
    await held.release();
  }
});

test('the lock stays held past the limit: exit 75 after about the limit', async () => {
  const p = await practice('limit');
  const held = await acquireLock(p.config.backupDir);
  try {
    const started = Date.now();
    const s = await runVerify(p.config, { restoreTest: false, deep: false, waitForLock: { everyMs: 100, maxMs: 500 } }, p.deps, collect().reporter, new AbortController().signal);
    const took = Date.now() - started;
    assert.is(s.exitCode, ExitCode.locked);
    assert.ok(took >= 500 && took < 5000, `took ${took} ms`);
  } finally {
    await held.release();
  }
});

test('cancelled while waiting (the tray’s „Abbrechen“, a stopped job): ends at once as cancelled', async () => {
  const p = await practice('cancel');
  const held = await acquireLock(p.config.backupDir);
  try {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const started = Date.now();
    const s = await runVerify(p.config, { restoreTest: false, deep: false, waitForLock: { everyMs: 60_000, maxMs: 3_600_000 } }, p.deps, collect().reporter, abort.signal);
    assert.ok(Date.now() - started < 3000, 'not a minute');
    assert.is(s.result, 'failed');
    assert.is(s.error?.key, 'error.cancelled');
  } finally {
    await held.release();
  }
});

test.run();
