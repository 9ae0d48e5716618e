// The off-site copy against a real REST repository server: `rclone serve restic --append-only` on
// 127.0.0.1 (test/helpers/rest-server.ts), restic 0.14 as the product runs it.
// - Append-only proved: a raw `restic forget` through the server fails and the snapshot stays; our
//   mirror with appendOnly:true never even asks for a removal (every argv it gives restic is
//   recorded by a wrapper at resticPath); with appendOnly:false the refused removal is a warning
//   (exit code 3), not a failed copy.
// - Bytes sent ≈ bytes changed (one 1 MB file changed; nothing changed: near zero).
// - During a slow upload (limitUploadKiBs): progress events with percent and files; the repository
//   password and the REST login's password in no child's argv, in no child's environment but
//   restic's, and nowhere in events, status, logs or manifests.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mirrorsExitCode } from '../../src/mirror/mirror-run';
import { startRestServer } from '../helpers/rest-server';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { backup, keyring, logKeys, MIRROR, mirrorRun, Nights, PASS, practice, recordingRestic, restic, resticTry, sampleChildren, snapshotIds, snapshots } from './offsite-support';

const test = suite('off-site copy to a REST server (rclone serve restic)');

let root: string;
test.before(async () => {
  root = await makeTempDir('praxis-offsite-rest-');
});
test.after(() => runCleanups());

const forgets = (calls: string[][]) => calls.filter((a) => a[0] === 'forget' || a[0] === 'prune');

test('append-only server: raw forget is refused and the snapshot stays; appendOnly:true never asks to remove; appendOnly:false gets a warning (exit 3), not a failure', async () => {
  const server = await startRestServer({ appendOnly: true });
  restic(server.url, ['init']);
  const rec = recordingRestic(await makeTempDir('praxis-restic-bin-'));
  const nights = new Nights();
  const p = await practice(root, 'nurdazu', { repository: server.url, resticPath: rec.path }, { keep: 2 });
  const secrets = keyring();

  const b1 = await backup(p, nights);
  const b2 = await backup(p, nights);
  let run = await mirrorRun(p, secrets, nights);
  assert.is(run.results[0]!.result, 'success', JSON.stringify(run.results[0]!.message));
  assert.equal(run.results[0]!.copied, [b1, b2]);
  const b3 = await backup(p, nights); // keep 2: b1 is gone locally
  run = await mirrorRun(p, secrets, nights);
  assert.is(run.results[0]!.result, 'success', JSON.stringify(run.results[0]!.message));
  assert.equal(run.results[0]!.copied, [b3]);
  assert.equal(run.results[0]!.removed, []);
  assert.equal(snapshotIds(server.url), [b1, b2, b3], 'append-only: b1 stays in the repository');
  assert.equal(forgets(rec.calls()), [], 'appendOnly:true: no forget or prune was even tried');
  assert.ok(rec.calls().some((a) => a[0] === 'backup'), 'the wrapper did record the product\'s restic calls');
  assert.ok(logKeys(run.events).includes('offsite.keepsAll'));

  // The server itself refuses: a raw forget of b1's snapshot fails, the snapshot is still listed.
  const s1 = snapshots(server.url).find((s) => s.tags.includes(b1))!;
  const forget = await resticTry(server.url, ['forget', s1.id]);
  assert.is.not(forget.code, 0, 'forget through --append-only must fail');
  assert.match(forget.stderr, /403 Forbidden/);
  assert.ok(snapshots(server.url).some((s) => s.id === s1.id), 'the snapshot is still there after the refused forget');

  // A config that does not know the server is append-only: the copy succeeds, the refused removal is a warning.
  const b4 = await backup(p, nights); // local: b3, b4; repository: b1, b2, b3
  const lax = { ...p, config: { ...p.config, mirrors: p.config.mirrors.map((m) => ({ ...m, appendOnly: false })) } };
  run = await mirrorRun(lax, secrets, nights);
  const r = run.results[0]!;
  console.log(`  append-only server, appendOnly:false: result ${r.result}, warnings ${r.warnings.map((w) => w.key).join(', ')}, ${r.durationMs} ms`);
  assert.is(r.result, 'success', JSON.stringify(r.message));
  assert.equal(r.copied, [b4]);
  assert.equal(r.removed, []);
  assert.ok(r.warnings.some((w) => w.key === 'offsite.deleteRefused'), JSON.stringify(r.warnings));
  assert.is(mirrorsExitCode(run.results), 3);
  assert.ok(run.events.some((e) => e.type === 'warning' && e.message.key === 'offsite.deleteRefused'));
  assert.ok(forgets(rec.calls()).some((a) => a[0] === 'forget'), 'appendOnly:false did try to forget');
  assert.not.ok(rec.calls().some((a) => a[0] === 'prune'), 'after a refused forget no prune is tried (it would only be refused too, after restic\'s 45 s of retries)');
  assert.equal(snapshotIds(server.url), [b1, b2, b3, b4]);
  const st = await p.status.read();
  assert.is(st.destinations[MIRROR]?.lastSuccess?.backupId, b4);
});

test('prune refused by an append-only server the config does not know of: a warning, the copy stands, next try after pruneEveryDays', async () => {
  // Data for prune to remove: a snapshot made and forgotten while the folder was served normally.
  const plain = await startRestServer();
  restic(plain.url, ['init']);
  const junk = await makeTempDir('praxis-restic-junk-');
  await writeFile(join(junk, 'alt.bin'), randomBytes(1 << 20));
  restic(plain.url, ['backup', junk]);
  restic(plain.url, ['forget', 'latest']);
  await plain.stop();
  const server = await startRestServer({ dir: plain.dir, appendOnly: true });

  const nights = new Nights();
  const p = await practice(root, 'prune', { repository: server.url, appendOnly: false }, { files: 10 });
  const b = await backup(p, nights);
  const run = await mirrorRun(p, keyring(), nights);
  const r = run.results[0]!;
  console.log(`  prune refused: result ${r.result} after ${r.durationMs} ms`);
  assert.is(r.result, 'success', JSON.stringify(r.message));
  assert.equal(r.copied, [b]);
  assert.ok(logKeys(run.events).includes('offsite.pruning'));
  assert.ok(run.events.some((e) => e.type === 'warning' && e.message.key === 'offsite.deleteRefused'), logKeys(run.events).join(' '));
  // Said in the result too: the run ends with warnings (3), not as if all were well.
  assert.ok(r.warnings.some((w) => w.key === 'offsite.deleteRefused'), JSON.stringify(r.warnings));
  assert.is(mirrorsExitCode(run.results), 3);
  assert.equal(snapshotIds(server.url), [b]);
  // Tried, refused, recorded: not again every night.
  assert.is(JSON.parse(readFileSync(join(p.backups, `.restic-${MIRROR}.json`), 'utf8')).lastPrune, nights.mirrorTime().toISOString());
});

test('bytes sent ≈ bytes changed: one changed 1 MB file sends about 1 MB, nothing changed sends next to nothing', async () => {
  const server = await startRestServer({ appendOnly: true });
  restic(server.url, ['init']);
  const nights = new Nights();
  const p = await practice(root, 'delta', { repository: server.url }, { files: 20 });
  const big = join(p.src, 'Bilder');
  await mkdir(big, { recursive: true });
  for (let i = 0; i < 8; i++) await writeFile(join(big, `roentgen-${i}.dcm`), randomBytes(1 << 20));
  const secrets = keyring();

  await backup(p, nights);
  const first = (await mirrorRun(p, secrets, nights)).results[0]!;
  assert.is(first.result, 'success', JSON.stringify(first.message));
  assert.ok(first.bytesCopied > 8 << 20, `the first copy sent ${first.bytesCopied} bytes`);

  await writeFile(join(big, 'roentgen-3.dcm'), randomBytes(1 << 20));
  await backup(p, nights);
  const changed = (await mirrorRun(p, secrets, nights)).results[0]!;
  assert.is(changed.result, 'success', JSON.stringify(changed.message));

  await backup(p, nights);
  const unchanged = (await mirrorRun(p, secrets, nights)).results[0]!;
  assert.is(unchanged.result, 'success', JSON.stringify(unchanged.message));
  console.log(`  bytes sent: first ${first.bytesCopied}, one 1 MiB file changed ${changed.bytesCopied}, nothing changed ${unchanged.bytesCopied}`);
  assert.ok(changed.bytesCopied >= 1 << 20 && changed.bytesCopied < 3 << 20, `one changed 1 MiB file sent ${changed.bytesCopied} bytes`);
  assert.ok(unchanged.bytesCopied < 64 << 10, `an unchanged backup sent ${unchanged.bytesCopied} bytes`);
  assert.is(snapshots(server.url).length, 3);
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map((f) => join(dir, String(f))).filter((f) => statSync(f).isFile());
}

test('during a slow upload through a REST login: progress with percent and files; the passwords in no argv, no other child\'s environment, no file of ours', async () => {
  const REST_PASS = 'Rest:Geheim/42@x';
  const server = await startRestServer({ appendOnly: true, user: 'praxis', password: REST_PASS });
  restic(server.url, ['init']);
  const nights = new Nights();
  // 6 MiB of random data at 1 MiB/s: an upload of several seconds, long enough for restic's once-a-second status.
  const p = await practice(root, 'geheim', { repository: server.urlWithoutPassword, limitUploadKiBs: 1024 }, { files: 10 });
  for (let i = 0; i < 6; i++) await writeFile(join(p.src, `scan-${i}.pdf`), randomBytes(1 << 20));
  const secrets = keyring({ [`restic-env://${MIRROR}/RESTIC_REST_PASSWORD`]: REST_PASS });
  await backup(p, nights);

  const needles = [PASS, REST_PASS, encodeURIComponent(REST_PASS)];
  // The test's own server, started with its login, is not the product's child.
  const sampler = sampleChildren(needles, [server.pid()]);
  const run = await mirrorRun(p, secrets, nights);
  const { leaks, seen } = await sampler.stop();
  const r = run.results[0]!;
  assert.is(r.result, 'success', JSON.stringify(r.message));

  const programs = [...new Set(seen.values())];
  console.log(`  sampled ${seen.size} child processes (${programs.join(', ')}); ${r.durationMs} ms`);
  assert.ok(programs.some((x) => /restic$/.test(x)), 'restic was sampled while it ran');
  assert.equal(leaks, []);

  const progress = run.events.filter((e) => e.type === 'progress' && e.name === `mirror:${MIRROR}`);
  const withFiles = progress.filter((e) => e.type === 'progress' && typeof e.percent === 'number' && typeof e.files === 'number' && e.files > 0);
  console.log(`  progress events: ${progress.length}, percents ${progress.map((e) => (e.type === 'progress' ? e.percent : '')).join(' ')}`);
  assert.ok(withFiles.length >= 1, `progress with percent and files: ${JSON.stringify(progress.slice(0, 3))}`);
  // restic 0.14's percent_done counts what it has READ, so with a throttled upload it says 100 while
  // the last packs are still going out (measured: 0 100 100 100): more than one event is all we ask.
  assert.ok(progress.length >= 2, `progress events while uploading: ${progress.length}`);

  const everything = [JSON.stringify(run.events), JSON.stringify(run.results), ...[p.state, p.backups].flatMap(filesUnder).map((f) => readFileSync(f, 'latin1'))];
  for (const n of needles) assert.not.ok(everything.some((t) => t.includes(n)), `a secret in events, results, state or backup files`);
  assert.ok(filesUnder(p.state).length > 0 && filesUnder(p.backups).some((f) => f.endsWith('manifest.json')), 'there were files to search');
});

test.run();
