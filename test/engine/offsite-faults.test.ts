// What goes wrong with an off-site repository, against real servers and a real restic 0.14:
// a server that is not there (REST port closed), the repository's disk full (rclone serve restic
// on a small tmpfs), restic killed with -9 in the middle of an upload (stale lock, half a pack),
// a wrong repository password, a backend secret missing from the keyring.
import { spawn } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readCatalog } from '../../src/backup-directory/catalog';
import { onChildGroups } from '../../src/process/runner';
import { startRestServer } from '../helpers/rest-server';
import { makeTempDir, pidAlive, runCleanups, waitUntil } from '../helpers/temp';
import { backup, dataBytes, keyring, logKeys, MIRROR, mirrorRun, Nights, PASS, practice, REAL_RESTIC, restic, resticTry, snapshotIds } from './offsite-support';

const test = suite('off-site copy: faults');

let root: string;
test.before(async () => {
  root = await makeTempDir('praxis-offsite-faults-');
});
test.after(() => runCleanups());

const locks = (repo: string) => restic(repo, ['list', 'locks', '--no-lock']).split('\n').filter(Boolean);

test('REST port closed: offsite.unreachable at once, the next mirror still runs', async () => {
  const server = await startRestServer();
  restic(server.url, ['init']);
  await server.stop();
  const local = join(root, 'zweite-repo');
  restic(local, ['init']);
  const nights = new Nights();
  const p = await practice(root, 'zu', { repository: server.url }, { moreMirrors: [{ name: 'zweite', type: 'restic', repository: local }] });
  const b = await backup(p, nights);
  const run = await mirrorRun(p, keyring({ 'encryption://zweite': PASS }), nights);
  const [gone, other] = run.results;
  console.log(`  unreachable after ${gone!.durationMs} ms`);
  assert.is(gone!.result, 'failed');
  assert.is(gone!.message?.key, 'offsite.unreachable', JSON.stringify(gone!.message));
  assert.is(gone!.message?.params?.port, server.port);
  // restic itself retries a dead server for minutes; the product knocks first.
  assert.ok(gone!.durationMs < 10_000, `${gone!.durationMs} ms`);
  assert.is(other!.result, 'success', JSON.stringify(other!.message));
  assert.equal(other!.copied, [b]);
  assert.equal(snapshotIds(local), [b]);
});

test('repository disk full (REST, append-only, on a tmpfs): offsite.full, no snapshot, local backups unchanged; with space again the next run succeeds and restic check is clean', async () => {
  const server = await startRestServer({ appendOnly: true, tmpfsMiB: 16 });
  restic(server.url, ['init']);
  const nights = new Nights();
  const p = await practice(root, 'voll', { repository: server.url }, { files: 10 });
  for (let i = 0; i < 6; i++) await writeFile(join(p.src, `scan-${i}.pdf`), randomBytes(1 << 20));
  const b = await backup(p, nights);
  // Leave about 2 MiB free for a backup of more than 6 MiB.
  const filler = join(server.dir, 'platzhalter');
  const { bavail, bsize } = statfsSync(server.dir);
  await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - (2 << 20))));
  const before = (await readCatalog(p.backups)).complete.map((x) => [x.id, x.bytes]);

  const full = (await mirrorRun(p, keyring(), nights)).results[0]!;
  console.log(`  full after ${full.durationMs} ms: ${JSON.stringify(full.message)}`);
  assert.is(full.result, 'failed');
  assert.is(full.message?.key, 'offsite.full', JSON.stringify(full.message));
  assert.equal(snapshotIds(server.url), []);
  assert.equal((await readCatalog(p.backups)).complete.map((x) => [x.id, x.bytes]), before, 'the local backups are unchanged');

  await rm(filler);
  const again = (await mirrorRun(p, keyring(), nights)).results[0]!;
  assert.is(again.result, 'success', JSON.stringify(again.message));
  assert.equal(again.copied, [b]);
  assert.equal(snapshotIds(server.url), [b]);
  const check = await resticTry(server.url, ['check']);
  assert.is(check.code, 0, check.stderr);
  assert.match(check.stdout, /no errors were found/);
});

test('restic killed with -9 mid-upload: the next run removes only our stale lock (a live process\'s lock stays), succeeds, and restic check is clean', async () => {
  const server = await startRestServer({ appendOnly: true });
  restic(server.url, ['init']);
  const nights = new Nights();
  // 8 MiB at 1 MiB/s: the upload is still going when the first pack has landed.
  const p = await practice(root, 'kill', { repository: server.url, limitUploadKiBs: 1024 }, { files: 10 });
  for (let i = 0; i < 8; i++) await writeFile(join(p.src, `scan-${i}.pdf`), randomBytes(1 << 20));
  const b = await backup(p, nights);

  let resticPid = 0;
  const stopWatching = onChildGroups((groups) => {
    const g = groups.find((x) => /restic/.test(x.program));
    if (g) resticPid = g.pid;
  });
  const running = mirrorRun(p, keyring(), nights);
  const landed = await waitUntil(async () => dataBytes(server.dir) > 0 && resticPid > 0, 60_000);
  stopWatching();
  assert.ok(landed, 'a pack landed while restic ran');
  process.kill(resticPid, 'SIGKILL');
  const killed = (await running).results[0]!;
  assert.is(killed.result, 'failed');
  assert.equal(snapshotIds(server.url), []);
  assert.is(locks(server.url).length, 1, 'the killed restic left its lock');

  // Somebody else's restic holds a lock right now (a live process: backup --stdin waiting for its input).
  const other = spawn(REAL_RESTIC, ['backup', '--stdin', '--stdin-filename', 'anderer.txt'], { env: { ...process.env, RESTIC_REPOSITORY: server.url, RESTIC_PASSWORD: PASS }, stdio: ['pipe', 'ignore', 'ignore'] });
  const otherDone = new Promise((r) => other.once('exit', r));
  assert.ok(await waitUntil(async () => locks(server.url).length === 2, 30_000), 'the other restic holds its lock');

  const next = await mirrorRun(p, keyring(), nights);
  const r = next.results[0]!;
  assert.is(r.result, 'success', JSON.stringify(r.message));
  assert.equal(r.copied, [b]);
  assert.ok(logKeys(next.events).includes('offsite.staleLockRemoved'), logKeys(next.events).join(' '));
  assert.ok(pidAlive(other.pid!), 'the other restic still runs');
  assert.is(locks(server.url).length, 1, 'only the live process\'s lock is left');
  other.stdin!.end('fertig\n');
  await otherDone;
  assert.equal(locks(server.url), [], 'no lock left holding the repository');
  const check = await resticTry(server.url, ['check']);
  assert.is(check.code, 0, check.stderr);
  assert.match(check.stdout, /no errors were found/);
  assert.ok(snapshotIds(server.url).includes(b));
});

test('wrong repository password (REST): offsite.wrongPassword, nothing sent', async () => {
  const server = await startRestServer({ appendOnly: true });
  restic(server.url, ['init']);
  const nights = new Nights();
  const p = await practice(root, 'falsch', { repository: server.url });
  await backup(p, nights);
  const r = (await mirrorRun(p, keyring({}, 'nicht-das-passwort'), nights)).results[0]!;
  assert.is(r.result, 'failed');
  assert.is(r.message?.key, 'offsite.wrongPassword', JSON.stringify(r.message));
  assert.equal(snapshotIds(server.url), []);
});

test('a backend secret missing from the keyring: offsite.backendSecretMissing naming the variable and its id', async () => {
  const repo = join(root, 'cloud-repo');
  restic(repo, ['init']);
  const nights = new Nights();
  const p = await practice(root, 'cloud', { repository: repo, backendEnv: ['AWS_ACCESS_KEY_ID'] });
  await backup(p, nights);
  const r = (await mirrorRun(p, keyring(), nights)).results[0]!;
  assert.is(r.result, 'failed');
  assert.is(r.message?.key, 'offsite.backendSecretMissing', JSON.stringify(r.message));
  assert.is(r.message?.params?.variable, 'AWS_ACCESS_KEY_ID');
  assert.is(r.message?.params?.id, `restic-env://${MIRROR}/AWS_ACCESS_KEY_ID`);
  assert.equal(snapshotIds(repo), []);
  // Stored: the same mirror works (restic ignores the variable for a local repository).
  const ok = (await mirrorRun(p, keyring({ [`restic-env://${MIRROR}/AWS_ACCESS_KEY_ID`]: 'AKIAEXAMPLE' }), nights)).results[0]!;
  assert.is(ok.result, 'success', JSON.stringify(ok.message));
});

test.run();
