// The off-site test servers themselves, with the real restic (0.14 on Debian 12): a REST repository
// served by `rclone serve restic` (append-only or not, with a login, on a tmpfs) and an SFTP
// repository on a real sshd with a generated key. The assertions pin the restic / rclone / OpenSSH
// behaviour the restic destination is built on (messages, exit codes, what append-only allows); the
// measured times are printed at the end (restic retries with backoff — they are not asserted).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRestServer, type RestServer } from './rest-server';
import { startSshd, type SshServer } from './sshd';
import { isMounted } from './tmpfs';
import { makeTempDir, pidAlive, runCleanups, visibly, waitForExit, waitUntil } from './temp';

const PASSWORD = 'Repo-Passwort 17';
const facts: string[] = [];

interface Restic {
  repository: string;
  /** Extra global options (e.g. -o sftp.command=…). */
  options?: string[];
}

let cacheDir = '';
let data = '';
let big = '';

function resticEnv(r: Restic): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cacheDir,
    RESTIC_REPOSITORY: r.repository,
    RESTIC_PASSWORD: PASSWORD,
    RESTIC_CACHE_DIR: cacheDir,
  };
}

const RESTIC_OPTIONS = { extendEnv: false, reject: false, all: true, stdin: 'ignore' } as const;
type ResticRun = ResultPromise<typeof RESTIC_OPTIONS & { env: Record<string, string> }>;

function restic(r: Restic, args: string[]): ResticRun {
  return execa('restic', [...(r.options ?? []), ...args], { ...RESTIC_OPTIONS, env: resticEnv(r) });
}

async function timedRestic(r: Restic, args: string[]) {
  const t0 = performance.now();
  const res = await restic(r, args);
  return { res, ms: Math.round(performance.now() - t0) };
}

async function snapshotIds(r: Restic): Promise<string[]> {
  const res = await restic(r, ['snapshots', '--json']);
  assert.is(res.exitCode, 0, res.all);
  return (JSON.parse(res.stdout) as { id: string }[]).map((s) => s.id);
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

/** Upload the 30 MB file at 2 MiB/s (~15 s): slow enough to interrupt it mid-upload, every time. */
function slowBackup(r: Restic): ResticRun {
  return restic(r, ['backup', '--limit-upload', '2048', big]);
}

/** Wait until the repository folder holds a data pack: the upload is under way. */
async function waitForPack(repoDir: string): Promise<void> {
  assert.ok(await waitUntil(async () => (await filesUnder(join(repoDir, 'data'))).length > 0, 120_000, 20), `no data pack appeared in ${repoDir}`);
}

const setup = visibly(async () => {
  cacheDir = await makeTempDir('praxis-restic-cache');
  data = await makeTempDir('praxis-restic-data');
  await mkdir(join(data, 'dokumente'));
  for (let i = 0; i < 20; i++) await writeFile(join(data, 'dokumente', `brief-${i}.txt`), `Brief ${i}\n`.repeat(100 + i));
  big = await makeTempDir('praxis-restic-big');
  // Random bytes: restic cannot deduplicate or compress them away.
  const chunks: Buffer[] = [];
  for (let i = 0; i < 30; i++) chunks.push(randomBytes(1024 * 1024));
  await writeFile(join(big, 'praxis.fdb'), Buffer.concat(chunks));
});

// ---------------------------------------------------------------- REST (rclone serve restic)
const REST = suite('rest server');
REST.before(setup);

REST('init, backup and snapshots through the REST server; restic removes its own lock through --append-only', async () => {
  const server = await startRestServer({ appendOnly: true });
  assert.match(server.url, /^rest:http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.is(server.url, `rest:http://127.0.0.1:${server.port}/`);
  const r = { repository: server.url };
  const init = await restic(r, ['init']);
  assert.is(init.exitCode, 0, init.all);
  assert.ok(existsSync(join(server.dir, 'config')), 'the repository lives in the served folder');
  const backup = await restic(r, ['backup', data]);
  assert.is(backup.exitCode, 0, backup.all);
  assert.match(backup.stdout, /snapshot [0-9a-f]{8} saved/);
  assert.is((await snapshotIds(r)).length, 1);
  assert.equal(await filesUnder(join(server.dir, 'locks')), [], 'every command removed its lock (append-only allows locks)');
  await server.stop();
});

REST('a login: wrong or missing password is refused (401); the right one, percent-encoded in the address, works and is not in rclone\'s argv', async () => {
  const password = 'p@ss w:rd/x';
  const server = await startRestServer({ user: 'praxis', password });
  assert.is(server.url, `rest:http://praxis:${encodeURIComponent(password)}@127.0.0.1:${server.port}/`);
  assert.is(server.urlWithoutPassword, `rest:http://praxis@127.0.0.1:${server.port}/`);
  const none = await restic({ repository: `rest:http://127.0.0.1:${server.port}/` }, ['init']);
  assert.is(none.exitCode, 1, none.all);
  assert.match(none.stderr, /401 Unauthorized/);
  const wrong = await restic({ repository: `rest:http://praxis:falsch@127.0.0.1:${server.port}/` }, ['init']);
  assert.is(wrong.exitCode, 1, wrong.all);
  assert.match(wrong.stderr, /server response unexpected: 401 Unauthorized \(401\)/);
  const ok = await restic({ repository: server.url }, ['init']);
  assert.is(ok.exitCode, 0, ok.all);
  assert.match(ok.stdout, new RegExp(`rest:http://praxis:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/`), 'restic masks the password');
  assert.not.ok(ok.all.includes(password) || ok.all.includes(encodeURIComponent(password)));
  const cmdline = readFileSync(`/proc/${server.pid()}/cmdline`, 'utf8');
  assert.match(cmdline, /serve\0restic/);
  assert.not.ok(cmdline.includes(password), 'the test server takes its login from the environment');
  await server.stop();
});

REST('port closed: restic fails at once (no retries) with "connection refused"; restart() brings the server back on the same port', async () => {
  const server = await startRestServer({ appendOnly: true });
  const r = { repository: server.url };
  assert.is((await restic(r, ['init'])).exitCode, 0);
  assert.is((await restic(r, ['backup', data])).exitCode, 0);
  const port = server.port;
  await server.stop();
  assert.not.ok(server.running());
  const { res, ms } = await timedRestic(r, ['snapshots']);
  assert.is(res.exitCode, 1, res.all);
  assert.match(res.stderr, /Fatal: unable to open config file: client\.Head: .*connect: connection refused/);
  assert.match(res.stderr, /Is there a repository at the following location\?/);
  assert.not.match(res.stderr, /retrying/, 'opening the repository is not retried');
  facts.push(`REST port closed, restic snapshots: exit ${res.exitCode} after ${ms} ms`);
  await server.restart();
  assert.is(server.port, port);
  assert.ok(server.running());
  assert.is((await snapshotIds(r)).length, 1, 'same folder, same repository');
  await server.stop();
});

REST('restic killed with -9 mid-upload: the next backup succeeds; check is blocked by the stale lock until `restic unlock` (no --remove-all) clears it through --append-only', async () => {
  const server = await startRestServer({ appendOnly: true });
  const r = { repository: server.url };
  assert.is((await restic(r, ['init'])).exitCode, 0);
  const killed = slowBackup(r);
  await waitForPack(server.dir);
  killed.kill('SIGKILL');
  const k = await killed;
  assert.is(k.signal, 'SIGKILL');
  assert.equal(await snapshotIds(r), [], 'killed before its snapshot was written');
  const staleLocks = await filesUnder(join(server.dir, 'locks'));
  assert.is(staleLocks.length, 1, 'the killed restic left its lock');

  const again = await restic(r, ['backup', big]);
  assert.is(again.exitCode, 0, `a shared lock does not block a backup: ${again.all}`);
  assert.is((await snapshotIds(r)).length, 1);

  const blocked = await restic(r, ['check']);
  assert.is(blocked.exitCode, 1, blocked.all);
  assert.match(blocked.stderr, /repository is already locked by PID \d+/);
  assert.match(blocked.stderr, /the `unlock` command can be used to remove stale locks/);

  const unlock = await restic(r, ['unlock']);
  assert.is(unlock.exitCode, 0, unlock.all);
  assert.match(unlock.stdout, /successfully removed locks/);
  assert.equal(await filesUnder(join(server.dir, 'locks')), [], 'the stale lock is gone');

  const check = await restic(r, ['check']);
  assert.is(check.exitCode, 0, check.all);
  assert.match(check.stdout, /no errors were found/);
  // A pack the killed run finished uploading is in no index: check names it, "non-critical". One
  // still uploading when the client died is dropped by rclone, so this varies from run to run.
  const leftover = /not referenced in any index/.test(check.stdout);
  if (leftover) assert.match(check.stdout, /This is non-critical/);
  facts.push(`kill -9 mid-upload: next backup exit ${again.exitCode}; check before unlock exit ${blocked.exitCode} ("already locked"); unlock exit ${unlock.exitCode}; check after exit ${check.exitCode}${leftover ? ' (an unreferenced pack noted as non-critical)' : ''}`);
  await server.stop();
});

REST('tmpfsMiB: the served folder is a tmpfs of that size', async () => {
  const server = await startRestServer({ tmpfsMiB: 16 });
  assert.ok(isMounted(server.dir));
  const fs = statfsSync(server.dir);
  assert.is(fs.blocks * fs.bsize, 16 * 1024 * 1024);
  const r = { repository: server.url };
  assert.is((await restic(r, ['init'])).exitCode, 0);
  assert.ok(existsSync(join(server.dir, 'config')));
  await server.stop();
});

// -------------------------------------------- REST: what waits out restic's retries (run side by side)
// Each of these takes restic's full retry schedule (10 tries with backoff, 45–60 s); they run at the
// same time, started by the suite's before hook, and each test checks its own outcome.
const SLOW = suite('rest server: refusals that restic retries');
interface Outcome<T> { promise: Promise<T> }
let forgetRefused: Outcome<{ before: string[]; after: string[]; res: Awaited<ReturnType<typeof timedRestic>>; locks: string[]; rwForget: number; rwAfter: string[] }>;
let diskFull: Outcome<{ res: Awaited<ReturnType<typeof timedRestic>>; log: string; mounted: boolean }>;
let restartMidUpload: Outcome<{ appendOnly: { exitCode: number | undefined; all: string; ms: number }; next: number; check: string; checkExit: number | undefined; readWrite: { exitCode: number | undefined; ms: number } }>;

function started<T>(fn: () => Promise<T>): Outcome<T> {
  const promise = fn();
  promise.catch(() => { /* reported by the test that awaits it */ });
  return { promise };
}

SLOW.before(visibly(async () => {
  if (!big) await setup();
  forgetRefused = started(async () => {
    const server = await startRestServer({ appendOnly: true });
    const r = { repository: server.url };
    assert.is((await restic(r, ['init'])).exitCode, 0);
    assert.is((await restic(r, ['backup', data])).exitCode, 0);
    assert.is((await restic(r, ['backup', data])).exitCode, 0);
    const before = await snapshotIds(r);
    const res = await timedRestic(r, ['forget', before[0]!]);
    const after = await snapshotIds(r);
    const locks = await filesUnder(join(server.dir, 'locks'));
    await server.stop();
    // The same on a server without --append-only: forget works (so the refusal is the flag's).
    const rw = await startRestServer();
    const r2 = { repository: rw.url };
    assert.is((await restic(r2, ['init'])).exitCode, 0);
    assert.is((await restic(r2, ['backup', data])).exitCode, 0);
    assert.is((await restic(r2, ['backup', data])).exitCode, 0);
    const rwBefore = await snapshotIds(r2);
    const rwForget = (await restic(r2, ['forget', rwBefore[0]!])).exitCode ?? -1;
    const rwAfter = await snapshotIds(r2);
    await rw.stop();
    return { before, after, res, locks, rwForget, rwAfter };
  });
  diskFull = started(async () => {
    const server = await startRestServer({ appendOnly: true, tmpfsMiB: 8 });
    const r = { repository: server.url };
    assert.is((await restic(r, ['init'])).exitCode, 0);
    const res = await timedRestic(r, ['backup', big]);
    const out = { res, log: server.log(), mounted: isMounted(server.dir) };
    await server.stop();
    return out;
  });
  restartMidUpload = started(async () => {
    const server = await startRestServer({ appendOnly: true });
    const r = { repository: server.url };
    assert.is((await restic(r, ['init'])).exitCode, 0);
    const t0 = performance.now();
    const run = slowBackup(r);
    await waitForPack(server.dir);
    await server.restart();
    const first = await run;
    const ms = Math.round(performance.now() - t0);
    const next = (await restic(r, ['backup', big])).exitCode ?? -1;
    const check = await restic(r, ['check']);
    await server.stop();
    // Without --append-only the retried pack simply overwrites the partial one.
    const rw = await startRestServer();
    const r2 = { repository: rw.url };
    assert.is((await restic(r2, ['init'])).exitCode, 0);
    const t1 = performance.now();
    const run2 = slowBackup(r2);
    await waitForPack(rw.dir);
    await rw.restart();
    const second = await run2;
    const ms2 = Math.round(performance.now() - t1);
    await rw.stop();
    return {
      appendOnly: { exitCode: first.exitCode, all: first.all, ms },
      next,
      check: check.all,
      checkExit: check.exitCode,
      readWrite: { exitCode: second.exitCode, ms: ms2 },
    };
  });
}));

SLOW('append-only: `restic forget <snapshot>` fails with 403 and the snapshot stays; forget works without --append-only', async () => {
  const o = await forgetRefused.promise;
  assert.is(o.before.length, 2);
  assert.is(o.res.res.exitCode, 1, o.res.res.all);
  assert.match(o.res.res.stderr, /unable to remove <snapshot\/[0-9a-f]{10}> from the repository/);
  assert.match(o.res.res.stderr, /blob not removed, server response: 403 Forbidden \(403\)/);
  assert.match(o.res.res.stderr, /Remove\(<snapshot\/[0-9a-f]{10}>\) returned error, retrying after/);
  assert.equal(o.after, o.before, 'the snapshot is still there');
  assert.equal(o.locks, [], 'forget\'s own exclusive lock was removed all the same');
  assert.is(o.rwForget, 0);
  assert.is(o.rwAfter.length, 1);
  facts.push(`append-only forget: exit ${o.res.res.exitCode} after ${o.res.ms} ms (403, retried)`);
});

SLOW('repository disk full (8 MiB tmpfs, append-only): 500 from rclone, then 403 on the retries; restic exits 1', async () => {
  const o = await diskFull.promise;
  assert.ok(o.mounted);
  assert.is(o.res.res.exitCode, 1, o.res.res.all);
  assert.match(o.log, /file too big for remaining disk space|no space left on device/i);
  assert.match(o.res.res.stderr, /Save\(<data\/[0-9a-f]{10}>\) returned error, retrying after [^:]+: server response unexpected: 500 Internal Server Error \(500\)/);
  assert.match(o.res.res.stderr, /Fatal: unable to save snapshot: server response unexpected: (403 Forbidden \(403\)|500 Internal Server Error \(500\))/);
  const last = /Fatal: unable to save snapshot: server response unexpected: (\d+)/.exec(o.res.res.stderr)?.[1];
  facts.push(`disk full (append-only): exit ${o.res.res.exitCode} after ${o.res.ms} ms, last status ${last}`);
});

SLOW('server restarted mid-upload: with --append-only the run fails (the partial pack cannot be overwritten: 403), the next one succeeds and check is clean; without it the run completes', async () => {
  const o = await restartMidUpload.promise;
  assert.is(o.appendOnly.exitCode, 1, o.appendOnly.all);
  assert.match(o.appendOnly.all, /Save\(<data\/[0-9a-f]{10}>\) returned error, retrying after [^:]+: server response unexpected: 403 Forbidden \(403\)/);
  assert.is(o.next, 0);
  assert.is(o.checkExit, 0, o.check);
  assert.match(o.check, /no errors were found/);
  assert.is(o.readWrite.exitCode, 0);
  facts.push(`restart mid-upload: append-only run exit ${o.appendOnly.exitCode} after ${o.appendOnly.ms} ms, next run exit ${o.next}; without append-only exit ${o.readWrite.exitCode} after ${o.readWrite.ms} ms`);
});

// ---------------------------------------------------------------- SFTP (sshd)
const SFTP = suite('sftp server');
let sshd: SshServer;
let knownHosts = '';
let repoDir = '';

SFTP.before(visibly(async () => {
  if (!data) await setup();
  sshd = await startSshd();
  const dir = await makeTempDir('praxis-restic-sftp');
  knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `${await sshd.knownHostsLine()}\n`);
  repoDir = join(dir, 'repository');
}));

function sftp(knownHostsFile = knownHosts, repository = sshd.repoUrl(repoDir)): Restic {
  return { repository, options: ['-o', `sftp.command=${sshd.sftpCommand(knownHostsFile)}`] };
}

SFTP('init, backup and snapshots over SFTP with the generated key and our own known_hosts', async () => {
  assert.is(sshd.repoUrl(repoDir), `sftp://${sshd.user}@127.0.0.1:${sshd.port}/${repoDir}`);
  assert.match(await sshd.knownHostsLine(), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 AAAA[0-9A-Za-z+/=]+$`));
  const init = await restic(sftp(), ['init']);
  assert.is(init.exitCode, 0, init.all);
  assert.ok(existsSync(join(repoDir, 'config')), 'the double slash made the path absolute');
  const backup = await restic(sftp(), ['backup', data]);
  assert.is(backup.exitCode, 0, backup.all);
  assert.is((await snapshotIds(sftp())).length, 1);
  assert.match(sshd.log(), /Accepted publickey for /);
  // One slash: a path relative to the user's home, where no repository is.
  const relative = await restic(sftp(knownHosts, `sftp://${sshd.user}@127.0.0.1:${sshd.port}${repoDir}`), ['snapshots']);
  assert.is(relative.exitCode, 1, relative.all);
  assert.match(relative.stderr, /unable to open config file: Lstat: file does not exist/);
});

/**
 * restic 0.14 relays ssh's stderr ("subprocess ssh: …") from a goroutine and may exit before it
 * ran: measured 6 in 40 runs without a single ssh line, only "unable to start the sftp session,
 * error: EOF" (or "read |0: file already closed", "failed to send packet: write |1: file already
 * closed"). So restic's output can only say "no SFTP session"; why (host key, refused, login) is
 * for ssh itself to tell: the same command line with stdin closed, which restic would have run.
 * The relay may also stop after any line (seen in CI: only ssh's first "@@@…" banner line came
 * through), so what restic relays is returned and checked against what ssh alone prints.
 */
function assertNoSession(res: { exitCode?: number; stderr: string; all: string }): string[] {
  assert.is(res.exitCode, 1, res.all);
  assert.match(res.stderr, /Fatal: unable to open repository at sftp:\/\/.*: unable to start the sftp session, error: (EOF|read \|0: file already closed|failed to send packet: write \|1: file already closed)/, res.all);
  assert.not.match(res.stderr, /retrying/, 'no retries: the session never started');
  return res.stderr.split('\n').flatMap((l) => (l.startsWith('subprocess ssh: ') ? [l.slice('subprocess ssh: '.length).trim()] : []));
}

/** Every line restic relayed is one that ssh itself prints (none made up, none of another failure). */
function assertRelayedFrom(relayed: string[], sshStderr: string): void {
  for (const line of relayed) assert.ok(sshStderr.includes(line), `restic relayed "${line}", which ssh alone does not print:\n${sshStderr}`);
}

/** ssh alone, exactly as restic would start it, with nothing to send: 0 when a session opens. */
function sshProbe(knownHostsFile: string) {
  return execa('sh', ['-c', `exec ${sshd.sftpCommand(knownHostsFile)} </dev/null`], { reject: false, all: true });
}

SFTP('an unknown host is refused with StrictHostKeyChecking=yes (restic: no session; ssh itself says why)', async () => {
  const empty = join(sshd.dir, 'empty_known_hosts');
  await writeFile(empty, '');
  const unknown = new RegExp(`No ED25519 host key is known for \\[127\\.0\\.0\\.1\\]:${sshd.port} and you have requested strict checking`);
  const relayed = assertNoSession(await restic(sftp(empty), ['snapshots']));
  const probe = await sshProbe(empty);
  assert.is(probe.exitCode, 255, probe.all);
  assert.match(probe.stderr, unknown);
  assertRelayedFrom(relayed, probe.stderr);
  assert.match(probe.stderr, /Host key verification failed\./);
  const ok = await sshProbe(knownHosts);
  assert.is(ok.exitCode, 0, `the probe opens a session with the right key: ${ok.all}`);
});

SFTP('a changed host key is refused (restic exit 1; ssh: exit 255, "REMOTE HOST IDENTIFICATION HAS CHANGED"); with the new key known it works again', async () => {
  const old = await sshd.knownHostsLine();
  await sshd.regenerateHostKey();
  const now = await sshd.knownHostsLine();
  assert.is.not(now, old);
  assert.ok(sshd.pid() > 0);
  const { res, ms } = await timedRestic(sftp(), ['snapshots']);
  const relayed = assertNoSession(res);
  facts.push(`SFTP host key changed: restic exit ${res.exitCode} after ${ms} ms, ${/subprocess ssh: /.test(res.stderr) ? 'with' : 'WITHOUT'} ssh's lines`);
  const probe = await sshProbe(knownHosts);
  assert.is(probe.exitCode, 255, probe.all);
  assert.match(probe.stderr, /@ +WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! +@/);
  assert.match(probe.stderr, new RegExp(`Host key for \\[127\\.0\\.0\\.1\\]:${sshd.port} has changed and you have requested strict checking`));
  assert.match(probe.stderr, /Host key verification failed\./);
  assertRelayedFrom(relayed, probe.stderr);
  const renewed = join(sshd.dir, 'renewed_known_hosts');
  await writeFile(renewed, `${now}\n`);
  assert.is((await snapshotIds(sftp(renewed))).length, 1);
});

SFTP('port closed: restic fails at once (ssh: "Connection refused"); stop() ends open sessions; restart() serves again', async () => {
  const known = join(sshd.dir, 'current_known_hosts');
  await writeFile(known, `${await sshd.knownHostsLine()}\n`);
  // An open SFTP session (what a running restic holds): stop() must end it, not only the listener.
  const logins = () => sshd.log().split('Accepted publickey').length;
  const before = logins();
  const session = execa('sh', ['-c', `exec ${sshd.sftpCommand(known)}`], { stdin: 'pipe', reject: false });
  assert.ok(await waitUntil(async () => logins() > before && sshd.sessions().length > 0, 15_000), 'the session started');
  const sessions = sshd.sessions();
  const listener = sshd.pid();
  await sshd.stop();
  assert.not.ok(pidAlive(listener));
  for (const p of sessions) assert.not.ok(pidAlive(p), `session ${p} outlived stop()`);
  assert.ok(await waitForExit(session.pid!, 15_000), 'the client saw its connection end');
  await session;

  const refused = new RegExp(`ssh: connect to host 127\\.0\\.0\\.1 port ${sshd.port}: Connection refused`);
  const { res, ms } = await timedRestic(sftp(known), ['snapshots']);
  const relayed = assertNoSession(res);
  facts.push(`SFTP port closed, restic snapshots: exit ${res.exitCode} after ${ms} ms`);
  const probe = await sshProbe(known);
  assert.is(probe.exitCode, 255, probe.all);
  assert.match(probe.stderr, refused);
  assertRelayedFrom(relayed, probe.stderr);
  await sshd.restart();
  assert.is((await snapshotIds(sftp(known))).length, 1);
});

SFTP('server gone mid-upload: restic notices at once ("connection lost"), exits 1 within seconds and leaves its lock; after restart() `restic unlock` clears it', async () => {
  const known = join(sshd.dir, 'current_known_hosts');
  await writeFile(known, `${await sshd.knownHostsLine()}\n`);
  const r = sftp(known);
  const packsBefore = (await filesUnder(join(repoDir, 'data'))).length;
  const run = slowBackup(r);
  assert.ok(await waitUntil(async () => (await filesUnder(join(repoDir, 'data'))).length > packsBefore, 120_000, 20), 'the upload started');
  await sshd.stop();
  const t0 = performance.now();
  const res = await run;
  const ms = Math.round(performance.now() - t0);
  assert.is(res.exitCode, 1, res.all);
  assert.match(res.stderr, /connection lost|ssh command exited: exit status 255/, res.all);
  assert.match(res.stderr, /Fatal: unable to save snapshot: /, res.all);
  facts.push(`SFTP server gone mid-upload: restic exit ${res.exitCode} ${ms} ms after the stop`);
  await sshd.restart();
  assert.is((await filesUnder(join(repoDir, 'locks'))).length, 1, 'its lock stayed behind');
  const unlock = await restic(r, ['unlock']);
  assert.is(unlock.exitCode, 0, unlock.all);
  assert.equal(await filesUnder(join(repoDir, 'locks')), []);
  const check = await restic(r, ['check']);
  assert.is(check.exitCode, 0, check.all);
});

SFTP.after(async () => {
  await runCleanups();
  console.log(`\n  Measured (restic 0.14, rclone 1.60, OpenSSH 9.2):\n    ${facts.join('\n    ')}`);
});

REST.run();
SLOW.run();
SFTP.run();
