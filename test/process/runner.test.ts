// The one process seam (src/process/runner.ts) against real processes: /bin/sh, sleep, head, cat.
// Nothing here is mocked: exit codes, redaction, line splitting, streaming, process-group kills,
// timeouts and stdin are all observed on the children the runner really starts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childEnv, CommandError, displayArgv, run, type CommandPlan, type RunResult } from '../../src/process/runner';
import { runHook } from '../../src/run/hooks';
import { makeTempDir, pidAlive, registerCleanup, runCleanups } from '../helpers/temp';

const test = suite('process runner');
test.after(runCleanups);

const sh = (script: string, extra: Partial<CommandPlan> = {}): CommandPlan => ({
  label: 'test step',
  file: '/bin/sh',
  args: ['-c', script],
  ...extra,
});

/** Runs and expects a CommandError; fails the test if the call resolves. */
async function runFails(plan: CommandPlan, opts: Parameters<typeof run>[1] = {}): Promise<CommandError> {
  let result: RunResult | undefined;
  try {
    result = await run(plan, opts);
  } catch (e) {
    assert.instance(e, CommandError, `expected a CommandError, got ${String(e)}`);
    return e as CommandError;
  }
  assert.unreachable(`expected ${plan.label} to fail, it resolved with exit ${result?.exitCode}`);
  throw new Error('unreachable');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function readPids(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

/** Kill leftovers if an assertion failed before the runner could (never leave sleep 300 behind). */
function killOnCleanup(pidFile: string): void {
  registerCleanup(async () => {
    for (const pid of await readPids(pidFile)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone, as it should be */
      }
    }
  });
}

// ---- exit codes -------------------------------------------------------------------------------

test('exit 0 is success by default, without warning; durationMs is the real run time', async () => {
  // Bounded by what the child surely took (its sleep) and by what we saw around the call — never
  // by a guess of how fast this machine is.
  const t0 = Date.now();
  const r = await run(sh('sleep 0.2; echo hello'));
  const outside = Date.now() - t0;
  assert.is(r.exitCode, 0);
  assert.is(r.warning, false);
  assert.equal(r.stdoutTail, ['hello']);
  assert.equal(r.stderrTail, []);
  assert.ok(r.durationMs >= 180 && r.durationMs <= outside, `durationMs ${r.durationMs}, the call took ${outside} ms`);
});

test('okExitCodes: 3 is ok only when listed', async () => {
  const e = await runFails(sh('exit 3'));
  assert.is(e.exitCode, 3);
  assert.is(e.reason, 'exit');
  const r = await run(sh('exit 3', { okExitCodes: [0, 3] }));
  assert.is(r.exitCode, 3);
  assert.is(r.warning, false);
});

test('warnExitCodes: 24 resolves with warning=true; 0 next to it stays warning=false', async () => {
  const r = await run(sh('echo "file has vanished: x" >&2; exit 24', { warnExitCodes: [24] }));
  assert.is(r.exitCode, 24);
  assert.is(r.warning, true);
  assert.equal(r.stderrTail, ['file has vanished: x']);
  const ok = await run(sh('exit 0', { warnExitCodes: [24] }));
  assert.is(ok.warning, false);
});

test('other exit codes throw CommandError with exitCode and the tail of stderr', async () => {
  // 100 stderr lines: the tail keeps the last 60, the message shows the last 5.
  const e = await runFails(sh('i=1; while [ $i -le 100 ]; do echo "problem $i" >&2; i=$((i+1)); done; echo out; exit 5', { warnExitCodes: [24], okExitCodes: [0, 1] }));
  assert.is(e.exitCode, 5);
  assert.is(e.reason, 'exit');
  assert.is(e.label, 'test step');
  assert.is(e.stderrTail.length, 60);
  assert.is(e.stderrTail[0], 'problem 41');
  assert.is(e.stderrTail.at(-1), 'problem 100');
  assert.equal(e.stdoutTail, ['out']);
  assert.match(e.message, /^test step failed \(exit 5\): /);
  assert.match(e.message, 'problem 96 | problem 97 | problem 98 | problem 99 | problem 100');
  assert.not.match(e.message, 'problem 95');
});

test('a child killed by a signal (not by us) is a failure, even if its code would be ok', async () => {
  const e = await runFails(sh('kill -KILL $$'));
  assert.is(e.reason, 'exit');
  assert.is(e.signal, 'SIGKILL');
});

// ---- secrets ----------------------------------------------------------------------------------

const SECRET = `Pw-${randomBytes(6).toString('hex')}`;

test('a secret echoed by the child never reaches callbacks, tails or the error message', async () => {
  const seen: string[] = [];
  const plan = sh('echo "password is $PRAXIS_PW!"; echo "stderr says $PRAXIS_PW" >&2; echo "again:$PRAXIS_PW:$PRAXIS_PW" >&2; exit 7', {
    env: { PRAXIS_PW: SECRET },
    secrets: [SECRET],
  });
  const e = await runFails(plan, { onStdoutLine: (l) => seen.push(`out ${l}`), onStderrLine: (l) => seen.push(`err ${l}`) });
  // The child did print it (replaced, not dropped):
  assert.equal(seen.sort(), ['err again:***:***', 'err stderr says ***', 'out password is ***!']);
  const everything = [...seen, ...e.stdoutTail, ...e.stderrTail, e.message, ...e.argv].join('\n');
  assert.not.match(everything, SECRET);
  assert.match(e.message, 'stderr says ***');
});

test('a secret in args is redacted in displayArgv and in the error (whose message falls back to argv)', async () => {
  const plan: CommandPlan = {
    label: 'client',
    file: '/bin/sh',
    args: ['-c', 'exit 9', 'sh', `--password=${SECRET}`, SECRET],
    secrets: [SECRET],
  };
  assert.equal(displayArgv(plan), ['/bin/sh', '-c', 'exit 9', 'sh', '--password=***', '***']);
  const e = await runFails(plan);
  assert.is(e.exitCode, 9);
  assert.equal(e.argv, ['/bin/sh', '-c', 'exit 9', 'sh', '--password=***', '***']);
  // No stderr: the message shows the argv, redacted.
  assert.match(e.message, '--password=***');
  assert.not.match(e.message, SECRET);
});

test('a secret passed through plan.env reaches the child but is not in its argv', async () => {
  const plan = sh(
    // The child proves it got the value by printing its hash, and checks its own argv for it.
    'printf %s "$PRAXIS_PW" | sha256sum | cut -d" " -f1; ' +
      'if tr "\\0" " " < /proc/$$/cmdline | grep -qF -- "$PRAXIS_PW"; then echo ARGV-HAS-SECRET; else echo ARGV-CLEAN; fi',
    { env: { PRAXIS_PW: SECRET }, secrets: [SECRET] },
  );
  const r = await run(plan);
  assert.equal(r.stdoutTail, [createHash('sha256').update(SECRET).digest('hex'), 'ARGV-CLEAN']);
  assert.not.match(displayArgv(plan).join(' '), SECRET);
  // The env is for the child only, not leaked into ours.
  assert.is(process.env.PRAXIS_PW, undefined);
});

// ---- no secret of ours in a child's environment ----------------------------------------------

// Variables that carry a password when the admin (or a script) sets them for a run.
const OUR_SECRETS = {
  PRAXIS_BACKUP_PASSWORD_DATENBANK: 'pw-of-the-database',
  PRAXIS_BACKUP_PASSWORD_NAS: 'pw-of-the-share',
  PGPASSWORD: 'pw-exported-for-libpq',
  MYSQL_PWD: 'pw-exported-for-mariadb',
  PASSWD: 'pw-exported-for-smbclient',
};

/** Runs fn with OUR_SECRETS in this process's environment, as a scripted run would have them. */
async function withSecretsInOurEnv<T>(fn: () => Promise<T>): Promise<T> {
  Object.assign(process.env, OUR_SECRETS);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(OUR_SECRETS)) delete process.env[k];
  }
}

/** The child's own environment as the kernel has it (/proc/self/environ), name=value lines. */
const PRINT_ENVIRON = 'tr "\\0" "\\n" < /proc/$$/environ';

test('a child inherits none of our secret variables: its /proc/<pid>/environ has only the plan’s own', async () => {
  const r = await withSecretsInOurEnv(() => run(sh(PRINT_ENVIRON, { env: { PGPASSWORD: 'given-by-the-plan', PGAPPNAME: 'x' } })));
  const environ = r.stdoutTail.join('\n');
  for (const [name, value] of Object.entries(OUR_SECRETS)) {
    if (name === 'PGPASSWORD') continue;
    assert.not.match(environ, value, `${name} leaked into the child`);
    assert.not.match(environ, `${name}=`);
  }
  assert.ok(r.stdoutTail.includes('PGPASSWORD=given-by-the-plan'), 'the plan’s own secret arrives');
  assert.not.match(environ, OUR_SECRETS.PGPASSWORD, 'ours is replaced by the plan’s');
  assert.ok(r.stdoutTail.includes(`PATH=${process.env.PATH}`), 'everything else is inherited');
});

test('a hook (the admin’s own script) gets no secret either, only PRAXIS_BACKUP_ID', async () => {
  const lines: string[] = [];
  const hook = { command: PRINT_ENVIRON, timeoutSeconds: 30 };
  await withSecretsInOurEnv(() => runHook('beforeBackup', hook, { PRAXIS_BACKUP_ID: '20260101_031500' }, (l) => lines.push(l)));
  assert.ok(lines.includes('PRAXIS_BACKUP_ID=20260101_031500'));
  for (const value of Object.values(OUR_SECRETS)) assert.not.ok(lines.some((l) => l.includes(value)), `hook saw ${value}`);
});

test('childEnv: a password variable the admin exported reaches only the tool it is for; our CLI inherits all', () => {
  const parent = { ...OUR_SECRETS, PATH: '/usr/bin', HOME: '/home/praxis' };
  const names = (file: string, extra: Partial<CommandPlan> = {}) => Object.keys(childEnv({ file, ...extra }, parent)).sort();
  for (const tool of ['/usr/bin/rsync', 'du', '/bin/sh', '/usr/sbin/mount.cifs', '/usr/bin/gocryptfs', '/usr/bin/node']) {
    const got = names(tool);
    assert.not.ok(got.some((n) => n.startsWith('PRAXIS_BACKUP_PASSWORD_') || n === 'PGPASSWORD' || n === 'MYSQL_PWD'), `${tool}: ${got}`);
  }
  assert.equal(names('/usr/lib/postgresql/16/bin/pg_dump'), ['HOME', 'PATH', 'PGPASSWORD']);
  assert.equal(names('psql'), ['HOME', 'PATH', 'PGPASSWORD']);
  assert.equal(names('/usr/bin/mariadb-dump'), ['HOME', 'MYSQL_PWD', 'PATH']);
  assert.equal(names('/usr/bin/smbclient'), ['HOME', 'PASSWD', 'PATH']);
  assert.is(childEnv({ file: 'pg_dump', env: { PGPASSWORD: 'ours' } }, parent).PGPASSWORD, 'ours', 'the plan’s password wins');
  assert.equal(names('/usr/bin/node', { inheritSecrets: true }), Object.keys(parent).sort());
});

// ---- line splitting and streaming -------------------------------------------------------------

test('lines are split on \\r, \\n and \\r\\n; empty pieces are dropped', async () => {
  const lines: string[] = [];
  const r = await run(sh(`printf 'a\\rb\\nc\\r\\nd\\n\\n\\re\\rlast-without-newline'`), { onStdoutLine: (l) => lines.push(l) });
  assert.equal(lines, ['a', 'b', 'c', 'd', 'e', 'last-without-newline']);
  assert.equal(r.stdoutTail, lines);
});

test('a \\r-terminated progress line arrives while the child still runs (not at exit)', async () => {
  // The child prints one progress line and then waits for a file only this test creates: the line
  // must reach us while the child is provably still running, however slow the machine is.
  const dir = await makeTempDir('praxis-runner');
  const go = join(dir, 'go');
  const lines: string[] = [];
  let settled = false;
  const finished = run(
    sh(`printf '     1,024  10%%   1.00MB/s    0:00:09\\r'; while [ ! -e '${go}' ]; do sleep 0.05; done; printf '  10,240 100%%   1.00MB/s    0:00:00\\n'`, {
      timeoutMs: 120_000, // a hang guard only: a runner that buffers until exit fails the wait below first
    }),
    { onStdoutLine: (line) => lines.push(line) },
  ).finally(() => (settled = true));
  await waitFor(() => lines.length > 0 || settled, 60_000, 'the first progress line');
  assert.not.ok(settled, 'the child ended before it was released');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, '10%');
  await writeFile(go, '');
  await finished;
  assert.is(lines.length, 2);
  assert.match(lines[1]!, '100%');
});

// ---- stdoutFile: the child writes into a file, we follow it ----------------------------------

test('stdoutFile: the child writes into a new 0600 file (not a pipe), every line arrives in order, the same as through a pipe; the file is gone after', async () => {
  const dir = await makeTempDir('praxis-runner');
  const path = join(dir, '.out');
  // 40 000 lines with multi-byte names (split across read chunks somewhere), \r progress, no last newline.
  const script = `readlink /proc/self/fd/1; stat -L -c %a /proc/self/fd/1; i=0; while [ $i -lt 40000 ]; do printf 'PBI Ärzte/Größe-%d.pdf\\n' $i; i=$((i+1)); done; printf '  10%%\\r 100%%\\rlast'`;
  const viaFile: string[] = [];
  const r = await run(sh(script, { timeoutMs: 300_000 }), { stdoutFile: { path, followMs: 20 }, onStdoutLine: (l) => viaFile.push(l) });
  assert.equal(viaFile.slice(0, 2), [path, '600'], 'fd 1 of the child is the file itself, owner-only');
  const viaPipe: string[] = [];
  await run(sh(script, { timeoutMs: 300_000 }), { onStdoutLine: (l) => viaPipe.push(l) });
  assert.match(viaPipe[0]!, /^(socket|pipe):/);
  assert.is(viaFile.length, 40_005);
  assert.equal(viaFile.slice(2), viaPipe.slice(2));
  assert.is(viaFile[1236], 'PBI Ärzte/Größe-1234.pdf');
  assert.equal(r.stdoutTail, viaFile.slice(-60));
  assert.not.ok(existsSync(path), 'removed after the run');
});

test('stdoutFile: a file already at the path is never overwritten (the run does not start); a failed or cancelled child leaves no file', async () => {
  const dir = await makeTempDir('praxis-runner');
  const path = join(dir, '.out');
  await writeFile(path, 'somebody else');
  const refused = await runFails(sh('echo x'), { stdoutFile: { path } });
  assert.is(refused.reason, 'spawn');
  assert.is(await readFile(path, 'utf8'), 'somebody else');
  const failed = await runFails(sh('echo partial; exit 3'), { stdoutFile: { path: join(dir, '.out2') } });
  assert.is(failed.exitCode, 3);
  assert.equal(failed.stdoutTail, ['partial']);
  assert.not.ok(existsSync(join(dir, '.out2')));
  const abort = new AbortController();
  const go = join(dir, 'started');
  const cancelled = runFails(sh(`touch '${go}'; exec sleep 300`), { stdoutFile: { path: join(dir, '.out3') }, signal: abort.signal });
  await waitFor(() => existsSync(go), 60_000, 'the child to start');
  abort.abort();
  assert.is((await cancelled).reason, 'cancelled');
  assert.not.ok(existsSync(join(dir, '.out3')));
});

test('stdout and stderr tails keep only the last 60 lines', async () => {
  const r = await run(sh('seq 1 500; seq 1 70 >&2'));
  assert.is(r.stdoutTail.length, 60);
  assert.is(r.stdoutTail[0], '441');
  assert.is(r.stdoutTail[59], '500');
  assert.is(r.stderrTail[0], '11');
});

const BIG = 200 * 1024 * 1024;
// Streaming keeps some tens of MB of not-yet-collected chunks around at most; buffering would need
// all of BIG. The bound sits between the two; the control test below proves it can be exceeded.
const RSS_BOUND = 100 * 1024 * 1024;

async function streamBig(keep: boolean): Promise<{ bytes: number; growth: number }> {
  const kept: Buffer[] = [];
  const base = process.memoryUsage().rss;
  let peak = base;
  let bytes = 0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    await run(
      { label: 'big dump', file: 'head', args: ['-c', String(BIG), '/dev/zero'] },
      {
        consumeStdout: async (stdout) => {
          for await (const chunk of stdout as AsyncIterable<Buffer>) {
            bytes += chunk.length;
            if (keep) kept.push(chunk);
            peak = Math.max(peak, process.memoryUsage().rss);
          }
        },
      },
    );
  } finally {
    clearInterval(sample);
  }
  kept.length = 0;
  return { bytes, growth: peak - base };
}

test(`consumeStdout streams ${BIG / 2 ** 20} MB without buffering: RSS grows far less than the output`, async () => {
  const { bytes, growth } = await streamBig(false);
  assert.is(bytes, BIG);
  assert.ok(growth < RSS_BOUND, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB while streaming ${BIG / 2 ** 20} MB (bound ${RSS_BOUND / 2 ** 20} MB)`);
});

test('control: the same probe does see buffering (a consumer that keeps every chunk exceeds the bound)', async () => {
  const { bytes, growth } = await streamBig(true);
  assert.is(bytes, BIG);
  assert.ok(growth > RSS_BOUND, `keeping ${BIG / 2 ** 20} MB grew RSS by only ${(growth / 2 ** 20).toFixed(1)} MB: the probe cannot detect buffering`);
});

test('a consumer that rejects kills the child: reason stdout-consumer, cause kept', async () => {
  const diskFull = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  const e = await runFails(
    { label: 'endless', file: 'yes', args: ['praxis'] },
    {
      graceMs: 120_000, // the SIGTERM must do it; a SIGKILL after this is a hang guard only
      consumeStdout: async (stdout) => {
        for await (const _chunk of stdout) throw diskFull;
      },
    },
  );
  assert.is(e.reason, 'stdout-consumer');
  assert.is(e.cause, diskFull);
  // Ended by our SIGTERM or by the pipe the consumer closed (yes then exits on EPIPE), not by the
  // SIGKILL after graceMs; nothing else ends `yes`.
  assert.is.not(e.signal, 'SIGKILL', 'the endless child outlived the SIGTERM and the closed pipe');
});

// ---- cancel, timeout, spawn, stdin ------------------------------------------------------------

test('abort kills the whole process group (grandchildren too): reason cancelled', async () => {
  const dir = await makeTempDir('praxis-runner');
  const pidFile = join(dir, 'pids');
  killOnCleanup(pidFile);
  const ac = new AbortController();
  const started = run(
    sh(`sleep 300 >/dev/null 2>&1 & echo $! >> '${pidFile}'; sleep 300 >/dev/null 2>&1 & echo $! >> '${pidFile}'; echo $$ >> '${pidFile}'; wait`),
    { signal: ac.signal, graceMs: 120_000 }, // SIGTERM alone must do it (asserted below); the SIGKILL is a hang guard
  );
  const failed = started.then(
    () => null,
    (e: unknown) => e,
  );
  await waitFor(async () => (await readPids(pidFile)).length === 3, 60_000, 'the child to start two sleeps');
  const pids = await readPids(pidFile);
  for (const pid of pids) assert.ok(pidAlive(pid), `pid ${pid} should be running before the abort`);
  ac.abort();
  const e = await failed;
  assert.instance(e, CommandError);
  assert.is((e as CommandError).reason, 'cancelled');
  assert.is((e as CommandError).signal, 'SIGTERM');
  // The sleeps are grandchildren: only a kill of the process group reaches them.
  await waitFor(() => pids.every((p) => !pidAlive(p)), 60_000, `pids ${pids.join(', ')} to be gone`).catch(() => {});
  const alive = pids.filter((p) => pidAlive(p));
  assert.equal(alive, [], `still running after cancel: ${alive.join(', ')}`);
});

test('a signal that is already aborted cancels at once', async () => {
  const dir = await makeTempDir('praxis-runner');
  const started = join(dir, 'started');
  const ac = new AbortController();
  ac.abort();
  // "At once" means the child never ran: no exit, no signal, and the file it would make is absent.
  // (A runner that let it run would hit the hang guard and fail on the reason.)
  const e = await runFails(sh(`touch '${started}'; sleep 300`, { timeoutMs: 120_000 }), { signal: ac.signal });
  assert.is(e.reason, 'cancelled');
  assert.is(e.exitCode, undefined);
  assert.is(e.signal, undefined);
  assert.not.ok(existsSync(started), 'the child was started although the signal was already aborted');
});

test('a child that ignores SIGTERM (and its children) is SIGKILLed after graceMs', async () => {
  const dir = await makeTempDir('praxis-runner');
  const pidFile = join(dir, 'pids');
  killOnCleanup(pidFile);
  const ac = new AbortController();
  let ready = false;
  const graceMs = 700;
  // trap "" TERM: ignored by the shell, and inherited as ignored by the sleep it starts.
  const started = run(sh(`trap '' TERM; sleep 300 >/dev/null 2>&1 & echo $! >> '${pidFile}'; echo ready; while :; do sleep 0.05; done`), {
    signal: ac.signal,
    graceMs,
    onStdoutLine: (l) => (ready ||= l === 'ready'),
  });
  const failed = started.then(
    () => null,
    (e: unknown) => e,
  );
  await waitFor(() => ready, 60_000, 'the child to install its trap');
  const [grandchild] = await readPids(pidFile);
  const t0 = Date.now();
  ac.abort();
  const e = await failed;
  const elapsed = Date.now() - t0;
  assert.instance(e, CommandError);
  assert.is((e as CommandError).reason, 'cancelled');
  // Ended by SIGKILL: the SIGTERM was really ignored (the child outlived it) …
  assert.is((e as CommandError).signal, 'SIGKILL');
  // … and the SIGKILL came no earlier than graceMs after the SIGTERM. (No upper bound: a loaded
  // machine may deliver it late, which is not a defect.)
  assert.ok(elapsed >= graceMs - 50, `ended after ${elapsed} ms, before graceMs ${graceMs}`);
  await waitFor(() => !pidAlive(grandchild!), 60_000, 'the grandchild to be gone').catch(() => {});
  assert.not.ok(pidAlive(grandchild!), 'the grandchild survived the SIGKILL of the group');
});

test('timeoutMs ends a hanging child: reason timeout', async () => {
  const t0 = Date.now();
  // sleep 300: if timeoutMs did nothing, the child's own end would resolve the run and fail it.
  const e = await runFails(sh('sleep 300', { timeoutMs: 300 }));
  const elapsed = Date.now() - t0;
  assert.is(e.reason, 'timeout');
  assert.is(e.signal, 'SIGTERM');
  assert.match(e.message, /^test step failed \(timeout/);
  assert.ok(elapsed >= 250, `timed out after ${elapsed} ms, before timeoutMs 300`);
  // and a child that finishes in time is not affected (the limit here is a hang guard only)
  const r = await run(sh('echo quick', { timeoutMs: 120_000 }));
  assert.equal(r.stdoutTail, ['quick']);
});

test('a missing program is reason spawn (absolute path and bare name)', async () => {
  const abs = await runFails({ label: 'pg_dump', file: '/nonexistent/bin/pg_dump-praxis', args: ['--version'] });
  assert.is(abs.reason, 'spawn');
  assert.is(abs.exitCode, undefined);
  assert.match(abs.message, /^pg_dump failed \(spawn\)/);
  const bare = await runFails({ label: 'tool', file: `no-such-tool-${randomBytes(3).toString('hex')}`, args: [] });
  assert.is(bare.reason, 'spawn');
});

test('stdin: plan.input reaches the child; without input stdin is closed (cat ends at once)', async () => {
  const r = await run(sh('read first; read second; echo "got:$first/$second"'), undefined);
  // no input: `read` sees EOF immediately
  assert.equal(r.stdoutTail, ['got:/']);
  const withInput = await run(sh('read first; read second; echo "got:$first/$second"', { input: 'eins\nzwei\n' }));
  assert.equal(withInput.stdoutTail, ['got:eins/zwei']);
  const cat = await run({ label: 'cat', file: 'cat', args: [], timeoutMs: 120_000 });
  assert.equal(cat.stdoutTail, []);
});

test.run();
