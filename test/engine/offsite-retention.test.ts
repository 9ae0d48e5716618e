// appendOnly:false against a plain local restic repository: the repository follows the local
// retention (keep 2 here: the snapshot of a backup no longer kept locally is forgotten), and
// `restic prune` gives the space back only when pruneEveryDays have passed since the last prune
// (on the injected clock), not before.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { backup, dataBytes, keyring, logKeys, mirrorRun, Nights, practice, recordingRestic, restic, snapshotIds } from './offsite-support';

const test = suite('off-site copy without append-only: forget and prune');

let root: string;
test.before(async () => {
  root = await makeTempDir('praxis-offsite-retention-');
});
test.after(() => runCleanups());

test('keep 2 locally: forget removes the snapshots of backups no longer kept; prune only once pruneEveryDays have passed', async () => {
  const repo = join(root, 'repo');
  restic(repo, ['init']);
  const rec = recordingRestic(await makeTempDir('praxis-restic-bin-'));
  const nights = new Nights();
  const p = await practice(root, 'praxis', { repository: repo, appendOnly: false, pruneEveryDays: 3, resticPath: rec.path }, { keep: 2, files: 10 });
  const secrets = keyring();
  const prunes = () => rec.calls().filter((a) => a[0] === 'prune').length;
  // Each night's backup holds one new 1 MiB file: a forgotten snapshot leaves 1 MiB for prune to give back.
  const night = async () => {
    await writeFile(join(p.src, 'tagesdatei.bin'), randomBytes(1 << 20));
    const id = await backup(p, nights);
    const run = await mirrorRun(p, secrets, nights);
    const r = run.results[0]!;
    assert.is(r.result, 'success', JSON.stringify(r.message));
    assert.equal(r.copied, [id]);
    return { id, r, keys: logKeys(run.events), bytes: dataBytes(repo) };
  };

  // Night 1: nothing pruned before, so the first run prunes (an empty repository: quick).
  const n1 = await night();
  assert.ok(n1.keys.includes('offsite.pruning'));
  assert.is(prunes(), 1);
  const state = join(p.backups, '.restic-aussenstelle.json');
  assert.is(JSON.parse(readFileSync(state, 'utf8')).lastPrune, nights.mirrorTime().toISOString());

  // Night 2: both backups kept locally and there; one day since the prune: none.
  const n2 = await night();
  assert.equal(n2.r.removed, []);
  assert.equal(snapshotIds(repo), [n1.id, n2.id]);
  assert.not.ok(n2.keys.includes('offsite.pruning'));

  // Night 3: n1 no longer kept locally → its snapshot is forgotten; two days since the prune: none, so its data stays.
  const n3 = await night();
  assert.equal(n3.r.removed, [n1.id]);
  assert.equal(snapshotIds(repo), [n2.id, n3.id]);
  assert.not.ok(n3.keys.includes('offsite.pruning'));
  assert.is(prunes(), 1);
  assert.ok(n3.bytes > n2.bytes, `without prune the repository only grows (${n2.bytes} → ${n3.bytes})`);

  // Night 4: n2 forgotten; three days since the prune: prune gives back n1's and n2's own MiB (more than n4 adds).
  const n4 = await night();
  assert.equal(n4.r.removed, [n2.id]);
  assert.equal(snapshotIds(repo), [n3.id, n4.id]);
  assert.ok(n4.keys.includes('offsite.pruning'));
  assert.is(prunes(), 2);
  console.log(`  repository data: night 2 ${n2.bytes}, night 3 ${n3.bytes} (forgotten, not pruned), night 4 ${n4.bytes} (pruned)`);
  assert.ok(n4.bytes < n3.bytes, `prune gave space back (${n3.bytes} → ${n4.bytes})`);
  assert.is(JSON.parse(readFileSync(state, 'utf8')).lastPrune, nights.mirrorTime().toISOString());
  assert.equal(rec.calls().filter((a) => a[0] === 'forget').length, 2);
});

test.run();
