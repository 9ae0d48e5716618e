// How often a night's off-site copy opens the repository. Every restic command derives the key from
// the password anew (scrypt, ~0.5 s), so each one more than raw `restic backup` is time the
// benchmark (bench/offsite.ts) sees. A clean night lists our snapshots once (that listing is also
// the password check), backs up, and reads the new snapshot's manifest back once; it looks for
// stale locks only after a run of ours may have left one — its restic killed mid-upload.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { onChildGroups } from '../../src/process/runner';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { backup, keyring, logKeys, mirrorRun, Nights, PASS, practice, recordingRestic, restic, snapshotIds, type Practice } from './offsite-support';

const test = suite('off-site copy: restic calls per night');

let root: string;
test.before(async () => {
  root = await makeTempDir('praxis-offsite-calls-');
});
test.after(() => runCleanups());

/** The subcommands of the calls recorded since `from` ("list locks", "cat lock": with their object), without the locator's `version`. */
function subcommands(rec: ReturnType<typeof recordingRestic>, from: number): string[] {
  return rec
    .calls()
    .slice(from)
    .map((args) => {
      const sub = args.find((a) => !a.startsWith('-')) ?? '?';
      return sub === 'list' || sub === 'cat' ? `${sub} ${args[args.indexOf(sub) + 1]}` : sub;
    })
    .filter((s) => s !== 'version');
}

const marker = (p: Practice) => join(p.backups, '.restic-aussenstelle.locking');
const lockCount = (repo: string) => readdirSync(join(repo, 'locks')).length;

/** An empty local repository and a restic that records its argv, both named `name`. */
async function recordedRepo(name: string): Promise<{ rec: ReturnType<typeof recordingRestic>; repo: string }> {
  const recDir = join(root, `rec-${name}`);
  await mkdir(recDir, { recursive: true });
  const repo = join(root, `${name}-repo`);
  restic(repo, ['init']);
  return { rec: recordingRestic(recDir), repo };
}

test('a clean night: one listing, one backup, one read-back of the manifest; no look for locks', async () => {
  const { rec, repo } = await recordedRepo('clean');
  const p = await practice(root, 'clean', { repository: repo, resticPath: rec.path });
  const nights = new Nights();

  const first = await backup(p, nights);
  let from = rec.calls().length;
  const [r1] = (await mirrorRun(p, keyring(), nights)).results;
  assert.is(r1!.result, 'success', JSON.stringify(r1!.message));
  assert.equal(r1!.copied, [first]);
  assert.ok(r1!.verification?.ok, JSON.stringify(r1!.verification));
  assert.equal(subcommands(rec, from), ['snapshots', 'backup', 'dump']);
  assert.not.ok(existsSync(marker(p)), 'a clean run leaves no mark');

  // The next night, nothing changed: the first snapshot's manifest comes from the local cache, the
  // new one is read from the repository once, and the copy is checked against it.
  const second = await backup(p, nights);
  from = rec.calls().length;
  const [r2] = (await mirrorRun(p, keyring(), nights)).results;
  assert.is(r2!.result, 'success', JSON.stringify(r2!.message));
  assert.equal(r2!.copied, [second]);
  assert.ok(r2!.verification?.ok, JSON.stringify(r2!.verification));
  const calls = rec.calls().slice(from);
  assert.equal(subcommands(rec, from), ['snapshots', 'backup', 'dump']);
  const bk = calls.find((a) => a.includes('backup'))!;
  assert.is(bk[bk.indexOf('--parent') + 1]!.length, 64, `the first snapshot is the parent: ${bk.join(' ')}`);
  const dump = calls.find((a) => a.includes('dump'))!;
  assert.ok(dump.includes(r2!.stored!), `the read-back is of the snapshot just made (${r2!.stored}): ${dump.join(' ')}`);
  assert.equal(snapshotIds(repo), [first, second]);
});

test('restic killed mid-upload: the mark stays, the next run looks for locks and removes ours, the night after does not look; an unreadable mark is looked at', async () => {
  const { rec, repo } = await recordedRepo('kill');
  // 8 MiB at 1 MiB/s: the upload is still going when the first pack has landed.
  const p = await practice(root, 'kill', { repository: repo, resticPath: rec.path, limitUploadKiBs: 1024 }, { files: 10 });
  for (let i = 0; i < 8; i++) await writeFile(join(p.src, `scan-${i}.pdf`), randomBytes(1 << 20));
  const nights = new Nights();
  const b = await backup(p, nights);

  let resticPid = 0;
  const stop = onChildGroups((groups) => {
    const g = groups.find((x) => /restic/.test(x.program));
    if (g) resticPid = g.pid;
  });
  const running = mirrorRun(p, keyring(), nights);
  // The backup's lock is in the repository (snapshots runs with --no-lock and takes none).
  const deadline = Date.now() + 60_000;
  while (!(resticPid > 0 && lockCount(repo) > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  stop();
  assert.ok(lockCount(repo) > 0, 'restic backup holds its lock');
  process.kill(resticPid, 'SIGKILL');
  const killed = (await running).results[0]!;
  assert.is(killed.result, 'failed');
  assert.is(lockCount(repo), 1, 'the killed restic left its lock');
  assert.ok(existsSync(marker(p)), 'the run whose restic was killed leaves its mark');

  let from = rec.calls().length;
  const next = await mirrorRun(p, keyring(), nights);
  assert.is(next.results[0]!.result, 'success', JSON.stringify(next.results[0]!.message));
  assert.equal(next.results[0]!.copied, [b]);
  const looked = subcommands(rec, from);
  assert.ok(looked.includes('list locks') && looked.includes('unlock'), looked.join(', '));
  assert.ok(logKeys(next.events).includes('offsite.staleLockRemoved'));
  assert.is(lockCount(repo), 0, 'no lock left holding the repository');
  assert.not.ok(existsSync(marker(p)), 'after a clean run the mark is gone');

  // Somebody else's restic, killed: not a run of ours, so no run of ours removes its lock — and the
  // next night does not even look (it has no mark), nor is its copy held up by a stale shared lock.
  const other = spawn(rec.path, ['backup', '--stdin', '--stdin-filename', 'x.txt'], { env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASS }, stdio: ['pipe', 'ignore', 'ignore'] });
  const until = Date.now() + 30_000;
  while (lockCount(repo) === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.is(lockCount(repo), 1, 'the other restic holds its lock');
  other.kill('SIGKILL');
  await new Promise((r) => other.once('exit', r));
  await backup(p, nights);
  from = rec.calls().length;
  const after = await mirrorRun(p, keyring(), nights);
  assert.is(after.results[0]!.result, 'success', JSON.stringify(after.results[0]!.message));
  assert.equal(subcommands(rec, from), ['snapshots', 'backup', 'dump']);
  assert.is(lockCount(repo), 1, "the other's stale lock is not ours to remove");

  // A mark that cannot be read (a disk that filled up while it was written) is looked at all the same.
  await writeFile(marker(p), '{"pid":');
  await backup(p, nights);
  from = rec.calls().length;
  const unreadable = await mirrorRun(p, keyring(), nights);
  assert.is(unreadable.results[0]!.result, 'success', JSON.stringify(unreadable.results[0]!.message));
  assert.ok(subcommands(rec, from).includes('list locks'), subcommands(rec, from).join(', '));
  assert.not.ok(existsSync(marker(p)), 'looked at, the mark is gone');
});

test.run();
