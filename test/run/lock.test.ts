// The run lock (src/run/lock.ts) in real temp dirs, with real processes: a held lock, a lock
// left by a dead PID, a lock from another computer, release, and two processes racing for it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PraxisError } from '../../src/core/errors';
import { render } from '../../src/i18n';
import { acquireLock, isAlive, LOCK_FILE, type LockInfo } from '../../src/run/lock';
import { linuxIdentity, parseBootTime, parseProcessInfo, planBootTime, planProcessInfo } from '../../src/run/process-identity';
import { cliEnv, runCli } from '../helpers/cli';
import { makeTempDir, registerCleanup, runCleanups } from '../helpers/temp';

const test = suite('lock');
test.after(runCleanups);

const root = fileURLToPath(new URL('../..', import.meta.url));
const RACER = join(root, 'test', 'fixtures', 'lock-racer.ts');

async function expectPraxisError(p: Promise<unknown>): Promise<PraxisError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, PraxisError, `expected a PraxisError, got ${String(e)}`);
    return e as PraxisError;
  }
  assert.unreachable('expected acquireLock to refuse');
  throw new Error('unreachable');
}

const readInfo = async (dir: string) => JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as LockInfo;

/** The PID of a process that has really exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync('/bin/sh', ['-c', 'exit 0']);
  assert.ok(r.pid && r.pid > 0);
  assert.not.ok(isAlive(r.pid), `pid ${r.pid} should be gone`);
  return r.pid;
}

test('acquire writes pid, host and start time; a second acquire while held → exit 75 naming the pid', async () => {
  const dir = await makeTempDir('praxis-lock');
  const started = new Date('2026-11-24T02:15:00.000Z');
  const held = await acquireLock(dir, started);
  const self = linuxIdentity(process.pid)!;
  assert.equal(held.info, { pid: process.pid, host: hostname(), startedAt: started.toISOString(), purpose: 'backup', bootId: self.bootId, procStart: self.start, command: self.command });
  assert.equal(await readInfo(dir), held.info);
  assert.is(held.tookOver, undefined);

  const e = await expectPraxisError(acquireLock(dir));
  assert.is(e.exitCode, 75);
  assert.is(e.message_.key, 'error.lockHeld');
  assert.is(e.message_.params?.pid, process.pid);
  assert.is(e.message_.params?.since, started.toISOString());
  // The refused attempt left the holder's lock alone.
  assert.equal(await readInfo(dir), held.info);

  await held.release();
  assert.not.ok(existsSync(join(dir, LOCK_FILE)));
  const again = await acquireLock(dir);
  assert.is(again.tookOver, undefined);
  await again.release();
});

test('a lock left by a dead pid is taken over, and tookOver says whose it was', async () => {
  const dir = await makeTempDir('praxis-lock');
  const stale: LockInfo = { pid: deadPid(), host: hostname(), startedAt: '2026-11-23T02:15:00.000Z' };
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(stale));
  const held = await acquireLock(dir);
  assert.equal(held.tookOver, stale);
  assert.is((await readInfo(dir)).pid, process.pid);
  // No leftovers of the move-aside.
  assert.equal((await readdir(dir)).sort(), [LOCK_FILE]);
  await held.release();
  assert.not.ok(existsSync(join(dir, LOCK_FILE)));
});

test('a damaged (unreadable) lock file is taken over as stale', async () => {
  const dir = await makeTempDir('praxis-lock');
  await writeFile(join(dir, LOCK_FILE), '{"pid": 12');
  const held = await acquireLock(dir);
  assert.ok(held.tookOver, 'tookOver should report the damaged lock');
  assert.is(held.tookOver!.pid, 0);
  assert.is((await readInfo(dir)).pid, process.pid);
  await held.release();
});

test('a lock of a live process on this host is not taken over (even one that is not us)', async () => {
  const dir = await makeTempDir('praxis-lock');
  // An older version's lock (no identity), written just after its holder started.
  const other: LockInfo = { pid: process.ppid, host: hostname(), startedAt: new Date(linuxIdentity(process.ppid)!.startMs! + 1000).toISOString() };
  assert.ok(isAlive(other.pid));
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(other));
  const e = await expectPraxisError(acquireLock(dir));
  assert.is(e.exitCode, 75);
  assert.is(e.message_.key, 'error.lockHeld');
  assert.is(e.message_.params?.pid, other.pid);
  assert.equal(await readInfo(dir), other);
});

test('a lock from another host → exit 75 naming that host, even if its pid means nothing here', async () => {
  const dir = await makeTempDir('praxis-lock');
  for (const pid of [deadPid(), process.pid]) {
    const foreign: LockInfo = { pid, host: 'empfang-imac.local', startedAt: '2026-11-24T02:15:00.000Z' };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(foreign));
    const e = await expectPraxisError(acquireLock(dir));
    assert.is(e.exitCode, 75);
    assert.is(e.message_.key, 'error.lockHeldOtherHost');
    assert.is(e.message_.params?.host, 'empfang-imac.local');
    assert.is(e.message_.params?.since, foreign.startedAt);
    assert.equal(await readInfo(dir), foreign, 'the other host’s lock must stay');
  }
});

test('release removes only our own lock', async () => {
  const dir = await makeTempDir('praxis-lock');
  const held = await acquireLock(dir, new Date('2026-11-24T02:15:00.000Z'));
  // Meanwhile another run (same pid, later start: e.g. after a restart; or another pid) owns the file.
  for (const other of [
    { pid: process.pid, host: hostname(), startedAt: '2026-11-24T03:00:00.000Z' },
    { pid: process.ppid, host: hostname(), startedAt: '2026-11-24T02:15:00.000Z' },
  ]) {
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(other));
    await held.release();
    assert.equal(await readInfo(dir), other, `release removed a lock that was not ours: ${JSON.stringify(other)}`);
  }
  // Our own is removed, and a second release (or one after the file is gone) is harmless.
  await rm(join(dir, LOCK_FILE));
  const mine = await acquireLock(dir);
  await mine.release();
  assert.not.ok(existsSync(join(dir, LOCK_FILE)));
  await mine.release();
});

// ---- who holds it: purpose, and a PID that now names another process -----------------------

/** A live process that is not a Praxis-Backup run (what a reused PID looks like after a power cut). */
function foreignProcess(): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  registerCleanup(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  assert.ok(child.pid && isAlive(child.pid));
  return child.pid!;
}

test('the lock names what holds it: a run blocked by a restore says a restore is running', async () => {
  const dir = await makeTempDir('praxis-lock');
  for (const purpose of ['restore', 'verify', 'mirror', 'backup'] as const) {
    const held = await acquireLock(dir, new Date('2026-11-24T02:15:00.000Z'), purpose);
    assert.is((await readInfo(dir)).purpose, purpose);
    const e = await expectPraxisError(acquireLock(dir));
    assert.is(e.exitCode, 75);
    assert.equal(e.message_.params?.what, { key: `lock.purpose.${purpose}` });
    await held.release();
  }
  const held = await acquireLock(dir, new Date('2026-11-24T02:15:00.000Z'), 'restore');
  const e = await expectPraxisError(acquireLock(dir));
  assert.match(render('en', e.message_), /^The backup directory is busy: a restore is already running \(since 2026-11-24T02:15:00.000Z, PID \d+ on /);
  assert.match(render('de', e.message_), /^Es läuft bereits eine Wiederherstellung \(seit /);
  await held.release();
  // An older version's lock has no purpose: it is not called "a backup" either.
  await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date(linuxIdentity(process.pid)!.startMs! + 1000).toISOString() }));
  const old = await expectPraxisError(acquireLock(dir));
  assert.match(render('en', old.message_), /busy: another Praxis-Backup run is already running/);
  await rm(join(dir, LOCK_FILE));
});

test('a lock whose PID now belongs to another process (other start time, or another boot) is taken over', async () => {
  const dir = await makeTempDir('praxis-lock');
  const pid = foreignProcess();
  const self = linuxIdentity(process.pid)!;
  const cases: [Partial<LockInfo>, string][] = [
    [{ bootId: self.bootId, procStart: '17' }, 'lock.stale.reused'], // same boot, the PID started at another time
    [{ bootId: 'a1b2c3d4-0000-4000-8000-000000000000', procStart: linuxIdentity(pid)!.start }, 'lock.stale.rebooted'], // before a reboot
  ];
  for (const [identity, why] of cases) {
    const stale: LockInfo = { pid, host: hostname(), startedAt: '2026-11-22T03:15:00.000Z', purpose: 'backup', command: '/usr/bin/node /opt/praxis-backup/dist/cli.js run', ...identity };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(stale));
    const held = await acquireLock(dir);
    assert.equal(held.tookOver, stale);
    assert.is(held.staleReason?.key, why);
    if (why === 'lock.stale.reused') assert.match(render('en', held.staleReason!), new RegExp(`PID ${pid} now belongs to another program \\(sleep 600\\)`));
    assert.is((await readInfo(dir)).pid, process.pid);
    assert.ok(isAlive(pid), 'the foreign process is left alone');
    await held.release();
  }
});

test('a lock of an older version (no identity) whose PID started after the lock was written is taken over', async () => {
  const dir = await makeTempDir('praxis-lock');
  const pid = foreignProcess();
  const started = linuxIdentity(pid)!.startMs!;
  // Written an hour before this PID's process started: the holder cannot be it.
  const stale: LockInfo = { pid, host: hostname(), startedAt: new Date(started - 3600_000).toISOString() };
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(stale));
  const held = await acquireLock(dir);
  assert.equal(held.tookOver, stale);
  // Reused, or (when this machine booted less than an hour before) a boot after the lock: both true.
  assert.ok(['lock.stale.reused', 'lock.stale.rebooted'].includes(held.staleReason!.key), held.staleReason!.key);
  await held.release();
  // Written after it started: it may be the holder, so the lock stands.
  const live: LockInfo = { pid, host: hostname(), startedAt: new Date(started + 1000).toISOString() };
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(live));
  const e = await expectPraxisError(acquireLock(dir));
  assert.is(e.exitCode, 75);
  assert.equal(await readInfo(dir), live);
});

test('a live process with the identity the lock records holds it', async () => {
  const dir = await makeTempDir('praxis-lock');
  const pid = foreignProcess();
  const id = linuxIdentity(pid)!;
  const live: LockInfo = { pid, host: hostname(), startedAt: '2026-11-22T03:15:00.000Z', purpose: 'verify', bootId: id.bootId, procStart: id.start, command: id.command };
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(live));
  const e = await expectPraxisError(acquireLock(dir));
  assert.is(e.exitCode, 75);
  assert.equal(e.message_.params?.what, { key: 'lock.purpose.verify' });
  assert.equal(await readInfo(dir), live);
});

test('macOS identity: the planned ps and sysctl argv, and their recorded output parsed', () => {
  assert.equal([planProcessInfo(4711).file, ...planProcessInfo(4711).args], ['/bin/ps', '-o', 'lstart=,command=', '-p', '4711']);
  assert.equal([planBootTime().file, ...planBootTime().args], ['/usr/sbin/sysctl', '-n', 'kern.boottime']);
  const info = parseProcessInfo('Wed Dec  2 04:10:35 2026     /usr/local/bin/node /Applications/Praxis-Backup.app/cli.js run --json\n');
  assert.is(info?.start, 'Wed Dec 2 04:10:35 2026');
  assert.is(info?.command, '/usr/local/bin/node /Applications/Praxis-Backup.app/cli.js run --json');
  assert.is(parseProcessInfo(''), null);
  assert.is(parseBootTime('{ sec = 1764648000, usec = 123456 } Wed Dec  2 04:00:00 2026\n'), '1764648000.123456');
  assert.is(parseBootTime('garbage'), null);
});

test('through the CLI: a run blocked by a restore names the restore; a stale lock of a reused PID is taken over', async () => {
  const dir = await makeTempDir('praxis-lock-cli');
  const env = (await cliEnv(dir)).env;
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src', 'befund.txt'), 'x');
  const backupDir = join(dir, 'backups');
  await mkdir(backupDir);
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ backupDir, components: [{ name: 'files', type: 'folder', path: join(dir, 'src') }] }));

  const restore = await acquireLock(backupDir, new Date('2026-11-24T09:30:00.000Z'), 'restore');
  const blocked = await runCli(['run', '--config', config], env);
  assert.is(blocked.code, 75, blocked.stderr);
  assert.match(blocked.stderr, /Es läuft bereits eine Wiederherstellung \(seit 2026-11-24T09:30:00.000Z, PID \d+/);
  assert.not.match(blocked.stderr, /ein Backup/);
  await restore.release();

  // After a power cut: the lock of a run from before, its PID now held by some other program.
  const pid = foreignProcess();
  await writeFile(join(backupDir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), startedAt: '2026-11-22T03:15:00.000Z', purpose: 'backup', bootId: 'a1b2c3d4-0000-4000-8000-000000000000', procStart: '4242', command: 'node cli.js run' }));
  const r = await runCli(['run', '--config', config], { ...env, LANG: 'en_US.UTF-8' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Took over a stale lock: a backup \\(PID ${pid}, since 2026-11-22T03:15:00.000Z\\) is no longer running – the computer has been restarted since\\.`));
  assert.ok(isAlive(pid), 'the program that now has the PID is left alone');
});

// ---- two processes racing --------------------------------------------------------------------

interface Racer {
  child: ChildProcessWithoutNullStreams;
  next(): Promise<string>;
  send(line: string): void;
}

function startRacer(): Racer {
  const child = spawn(process.execPath, ['--import', 'tsx', RACER], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  registerCleanup(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  child.on('exit', () => {
    for (const w of waiting.splice(0)) w(`exited ${stderr}`);
  });
  return {
    child,
    send: (line) => child.stdin.write(line + '\n'),
    next: () =>
      new Promise<string>((resolve, reject) => {
        const q = queue.shift();
        if (q !== undefined) return resolve(q);
        const t = setTimeout(() => reject(new Error(`racer ${child.pid} did not answer; stderr: ${stderr}`)), 10_000);
        waiting.push((l) => {
          clearTimeout(t);
          resolve(l);
        });
      }),
  };
}

test('two processes acquiring at the same moment: exactly one wins, every round (fresh and stale locks)', async () => {
  const dir = await makeTempDir('praxis-lock-race');
  const racers = [startRacer(), startRacer()];
  for (const r of racers) assert.is(await r.next(), 'ready');
  const ROUNDS = 200;
  let tookOverStale = 0;
  const wins = [0, 0];
  for (let round = 0; round < ROUNDS; round++) {
    // Every third round starts from a lock left by a dead process: both race to take it over.
    const stale = round % 3 === 2 ? { pid: deadPid(), host: hostname(), startedAt: '2026-11-23T02:15:00.000Z' } : null;
    if (stale) await writeFile(join(dir, LOCK_FILE), JSON.stringify(stale));
    const at = Date.now() + 15;
    for (const r of racers) r.send(`go ${dir} ${at}`);
    const answers = await Promise.all(racers.map((r) => r.next()));
    const winners = answers.map((a, i) => (a.startsWith('won') ? i : -1)).filter((i) => i >= 0);
    assert.is(winners.length, 1, `round ${round}${stale ? ' (stale lock)' : ''}: answers ${JSON.stringify(answers)}`);
    const w = winners[0]!;
    const loser = answers[1 - w]!;
    assert.is(loser, 'lost 75 error.lockHeld', `round ${round}: loser said ${loser}`);
    // The file names the winner.
    assert.is((await readInfo(dir)).pid, racers[w]!.child.pid);
    if (stale) {
      // Either the winner moved the stale lock aside itself (and reports it), or the loser did
      // and then lost the create to the winner: both are fine, as long as only one holds it.
      assert.ok([`won ${stale.pid}`, 'won -'].includes(answers[w]!), `round ${round}: winner said ${answers[w]}`);
      if (answers[w] !== 'won -') tookOverStale++;
    } else assert.is(answers[w], 'won -');
    wins[w]!++;
    racers[w]!.send('release');
    assert.is(await racers[w]!.next(), 'released');
    assert.not.ok(existsSync(join(dir, LOCK_FILE)), `round ${round}: release left the lock file`);
  }
  for (const r of racers) r.send('exit');
  assert.ok(tookOverStale > 0, 'no round reported taking over the stale lock');
  // Both processes did win sometimes: the start is really simultaneous, not always the same order.
  assert.ok(wins[0]! > 0 && wins[1]! > 0, `wins per racer: ${wins.join(' / ')}`);
});

test.run();
