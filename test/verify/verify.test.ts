// The pure parts of verify: which files the sample reads (deterministic per seed, different per
// backup and day, 20 or 1 %), how row counts are compared, the scratch names, and that a held
// lock refuses the verify with 75 (retention must not remove a backup while it is read).
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import { runBackup } from '../../src/backup/backup-run';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { acquireLock } from '../../src/run/lock';
import { StatusStore } from '../../src/run/status-store';
import { ToolLocator } from '../../src/process/tool-locator';
import { compareRows, isScratchLeftover, scratchName } from '../../src/databases/common/scratch';
import { sampleOf, sampleSize } from '../../src/verify/verify-index';
import { runVerify } from '../../src/verify/verify-run';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('verify (units)');
test.after(runCleanups);

const paths = Array.from({ length: 500 }, (_, i) => `Briefe/${String(i).padStart(4, '0')}.pdf`);

test('sample size: 20 files or 1 %, whichever is more, never more than there are', () => {
  assert.is(sampleSize(5), 5);
  assert.is(sampleSize(500), 20);
  assert.is(sampleSize(2000), 20);
  assert.is(sampleSize(2001), 21);
  assert.is(sampleSize(100_000), 1000);
});

test('sample: the same seed picks the same files; another backup or another day picks others', () => {
  const a = sampleOf(paths, '20261124_031500/2026-11-24');
  assert.is(a.length, 20);
  assert.equal(sampleOf([...paths].reverse(), '20261124_031500/2026-11-24'), a, 'independent of listing order');
  const nextNight = sampleOf(paths, '20261125_031500/2026-11-25');
  const nextWeek = sampleOf(paths, '20261124_031500/2026-12-01');
  const overlap = (x: string[], y: string[]) => x.filter((p) => y.includes(p)).length;
  assert.ok(overlap(a, nextNight) < 10, 'mostly other files');
  assert.ok(overlap(a, nextWeek) < 10);
  // Over a month of nights, most of the folder has been read once.
  const seen = new Set<string>();
  for (let d = 1; d <= 30; d++) for (const p of sampleOf(paths, `202611${String(d).padStart(2, '0')}_031500/x`)) seen.add(p);
  assert.ok(seen.size > 350, `${seen.size} of 500`);
});

test('row counts: differences and tables missing from the dump are problems; none recorded is a warning', () => {
  const actual = new Map([['public.patient', 60], ['public.besuch', 230]]);
  assert.equal(compareRows({ 'public.patient': 60, 'public.besuch': 230 }, actual, 'db'), { problems: [], warnings: [] });
  const r = compareRows({ 'public.patient': 60, 'public.besuch': 240, 'public.rechnung': 5 }, actual, 'db');
  assert.equal(r.problems, [
    { key: 'verify.rowsDiffer', params: { component: 'db', tables: 'public.besuch 230 ≠ 240' } },
    { key: 'verify.tablesAbsent', params: { component: 'db', tables: 'public.rechnung' } },
  ]);
  assert.equal(compareRows(undefined, actual, 'db'), { problems: [], warnings: [{ key: 'verify.rowsNotRecorded', params: { component: 'db' } }] });
});

test('scratch names: praxis_verify_<id>, inside both servers\' limits; only exactly that form counts as a leftover', () => {
  assert.is(scratchName('20261124_031500'), 'praxis_verify_20261124_031500');
  assert.ok(scratchName('20261124_031500').length <= 63);
  assert.throws(() => scratchName('x; DROP DATABASE tomedo'));
  assert.ok(isScratchLeftover('praxis_verify_20200101_000000'));
  assert.not.ok(isScratchLeftover('praxis_verify_20200101_000000_x'));
  assert.not.ok(isScratchLeftover('praxis_verify_mine'));
  assert.not.ok(isScratchLeftover('tomedo'));
});

test('a held lock: verify refuses with 75 and touches nothing', async () => {
  const dir = await makeTempDir('praxis-verify-lock-');
  const backupDir = join(dir, 'backups');
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(backupDir);
  writeFileSync(join(dir, 'src', 'a'), 'a');
  const lock = await acquireLock(backupDir);
  try {
    const config = { backupDir, components: [{ name: 'f', type: 'folder', path: join(dir, 'src') }], mirrors: [] } as any;
    const events: any[] = [];
    const r = await runVerify(
      config,
      { restoreTest: false, deep: false },
      { platform: 'linux', tools: new ToolLocator('linux', process.env), secrets: { get: async () => null } as any, status: new StatusStore(join(dir, 'state')) },
      new Reporter([(e) => events.push(e)]),
      new AbortController().signal,
    );
    assert.is(r.exitCode, 75);
    assert.is(events.at(-1).type, 'finished');
  } finally {
    await lock.release();
  }
});

// ---- privacy of the backup folder -------------------------------------------------------------

const mode = (p: string) => statSync(p).mode & 0o7777;

/** A real folder backup (rsync) of a source whose folders are 0755, as a practice's usually are. */
async function privacyPractice() {
  const dir = await makeTempDir('praxis-verify-modes-');
  await createSampleFiles(join(dir, 'files'), { files: 4, bytesEach: 1000 });
  chmodSync(join(dir, 'files'), 0o755);
  const config = validateConfig({ backupDir: join(dir, 'backups'), components: [{ name: 'files', type: 'folder', path: join(dir, 'files') }], verify: { afterBackup: false } }, 'test');
  const deps = { platform: 'linux' as const, tools: new ToolLocator('linux', process.env), secrets: new EnvSecretStore({}, new Map()), status: new StatusStore(join(dir, 'state')), toolVersion: 'test' };
  const s = await runBackup(config, deps, new Reporter([]), new AbortController().signal);
  assert.is(s.exitCode, 0, JSON.stringify(s.error));
  return { config, deps, path: s.path!, id: s.backupId! };
}

async function verifyIt(p: Awaited<ReturnType<typeof privacyPractice>>, fixPermissions = false) {
  const events: StampedEvent[] = [];
  const s = await runVerify(p.config, { restoreTest: false, deep: false, fixPermissions }, p.deps, new Reporter([(e) => events.push(e)]), new AbortController().signal);
  const said = (key: string) => events.filter((e) => 'message' in e && (e.message as { key: string }).key === key).map((e) => (e as any).message.params);
  return { s, said };
}

test('every file of a backup is private: the folder 0700, each file at its top level 0600 (verification.json too)', async () => {
  const p = await privacyPractice();
  const { s } = await verifyIt(p);
  assert.is(s.exitCode, 0, JSON.stringify(s.warnings));
  assert.is(mode(p.path), 0o700);
  const files = readdirSync(p.path, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  assert.ok(files.includes('verification.json') && files.includes('manifest.json') && files.includes('files.index.jsonl.gz'), files.join(', '));
  for (const f of files) assert.is(mode(join(p.path, f)).toString(8), '600', f);
});

test('verify: a backup folder opened to everyone and a readable file are warnings (exit 3) naming path and mode; --fix-permissions closes them', async () => {
  const p = await privacyPractice();
  chmodSync(p.path, 0o777);
  chmodSync(join(p.path, 'manifest.json'), 0o644);
  const open = await verifyIt(p);
  assert.is(open.s.exitCode, 3, 'ok with warnings: the backup can be put back, but others can read it');
  assert.equal(open.said('verify.modeOpen'), [
    { path: p.path, mode: '0777', wanted: '0700', id: p.id },
    { path: join(p.path, 'manifest.json'), mode: '0644', wanted: '0600', id: p.id },
  ]);
  assert.is(mode(p.path), 0o777, 'without the flag nothing is changed');
  // The copied tree keeps the practice's modes: not a finding (the 0700 folder keeps others out).
  assert.is(mode(join(p.path, 'files')), 0o755);

  const fixed = await verifyIt(p, true);
  assert.is(fixed.s.exitCode, 0, JSON.stringify(fixed.s.warnings));
  assert.is(fixed.said('verify.modeFixed').length, 2);
  assert.is(mode(p.path), 0o700);
  assert.is(mode(join(p.path, 'manifest.json')), 0o600);
  assert.is(mode(join(p.path, 'files')), 0o755, 'the copied tree is left as it was');
  assert.is((await verifyIt(p)).s.exitCode, 0, 'and stays fixed');
});

test.run();
