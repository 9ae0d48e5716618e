// The check right after each backup, which no longer walks the snapshot: every file is read back
// within verify.readAllWithinNights nights (a slice per night by the path's hash), plus a sample of
// what the backup wrote. The tamper cases of the verification still show: a missing, truncated or
// changed file, and bit rot in a file that rsync then linked unchanged into the next night's
// snapshot is found on the night its slice comes round.
import { closeSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import type { Config } from '../../src/config/schema';
import { runBackup } from '../../src/backup/backup-run';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { readCatalog } from '../../src/backup-directory/catalog';
import { nightSlice, sliceOf } from '../../src/verify/verify-index';
import { verifyBackup } from '../../src/verify/verify-check';
import { render } from '../../src/i18n';
import { rawOfText } from '../../src/backup-directory/file-names';
import { cliEnv } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('night check');
let root: string;
const DAY = 86_400_000;
/** A day number's midnight UTC + 23:15: the run's clock, injected (nothing reads the wall clock). */
const nightOf = (day: number) => new Date(day * DAY + 23.25 * 3600_000);
const BASE_DAY = 20_500; // 2026-02-14

test.before(async () => {
  root = await makeTempDir('praxis-night-');
});
test.after(async () => {
  await runCleanups();
});

test('slices: nights k … k+n-1 read every file exactly once; a file keeps its slice; the day comes from the clock in UTC', () => {
  const paths = Array.from({ length: 3000 }, (_, i) => `Briefe/${2019 + (i % 7)}/Arztbrief_P${String(i).padStart(6, '0')}.pdf`);
  for (const n of [1, 7, 30]) {
    const seen = new Map<string, number>();
    for (let d = 0; d < n; d++) {
      const slice = nightSlice(nightOf(BASE_DAY + 11 + d), n);
      for (const p of paths) if (sliceOf(p, n) === slice) seen.set(p, (seen.get(p) ?? 0) + 1);
    }
    assert.is(seen.size, paths.length, `n=${n}: every file read`);
    assert.ok([...seen.values()].every((c) => c === 1), `n=${n}: each once`);
  }
  const per = new Map<number, number>();
  for (const p of paths) per.set(sliceOf(p, 30), (per.get(sliceOf(p, 30)) ?? 0) + 1);
  assert.is(per.size, 30, 'no empty slice');
  assert.ok(Math.max(...per.values()) < 3 * (3000 / 30), 'slices of similar size');
  assert.is(nightSlice(new Date('2026-12-02T23:59:00Z'), 30), nightSlice(new Date('2026-12-02T00:01:00Z'), 30));
  assert.is((nightSlice(new Date('2026-12-03T00:01:00Z'), 30) + 29) % 30, nightSlice(new Date('2026-12-02T23:59:00Z'), 30));
});

interface Setup {
  config: Config;
  src: string;
  once: (day: number) => Promise<{ result: string; path?: string; events: StampedEvent[]; error?: unknown }>;
}

async function setup(name: string, nights: number): Promise<Setup> {
  const dir = join(root, name);
  const src = join(dir, 'anhaenge');
  await createSampleFiles(src, { files: 40, bytesEach: 3000 });
  const env = await cliEnv(dir);
  const app = compose(env.env);
  const config = {
    backupDir: join(dir, 'backups'),
    components: [{ name: 'anhaenge', type: 'folder', path: src }],
    retention: { keep: 10 },
    mirrors: [],
    verify: { afterBackup: 'auto', deepIndex: true, readAllWithinNights: nights },
  } as unknown as Config;
  const once = async (day: number) => {
    const events: StampedEvent[] = [];
    const s = await runBackup(
      config,
      { platform: app.platform, tools: app.tools, secrets: app.secretsFor(config), status: app.status, toolVersion: 'test', deepIndex: true, now: () => nightOf(day), verifyAfter: { restoreTest: () => false } },
      new Reporter([(e) => events.push(e)]),
      new AbortController().signal,
    );
    return { result: s.result, path: s.path, events, error: s.error };
  };
  return { config, src, once };
}

const files = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
const logKeys = (events: StampedEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.message.key] : []));
const verification = (path: string) => JSON.parse(readFileSync(join(path, 'verification.json'), 'utf8'));

function flipInPlace(file: string): void {
  // Bit rot: other bytes in the same inode, size and mtime as they were.
  const st = statSync(file);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('VERROTTET'), 0, 9, 100);
  closeSync(fd);
  utimesSync(file, st.atime, st.mtime);
}

test('a quiet night reads its slice (1/n of the files) and no file rsync linked beyond it; the record says which slice', async () => {
  const s = await setup('quiet', 4);
  const first = await s.once(BASE_DAY);
  assert.is(first.result, 'success', JSON.stringify(first.error));
  const second = await s.once(BASE_DAY + 1);
  assert.is(second.result, 'success');
  const v = verification(second.path!);
  assert.equal(v.slice, { night: nightSlice(nightOf(BASE_DAY + 1), 4), nights: 4 });
  const expected = files(join(second.path!, 'anhaenge')).filter((p) => sliceOf(rawOfText(p), 4) === v.slice.night).length;
  assert.is(v.components[0].contentChecked, expected, 'exactly the slice: nothing was written tonight');
  assert.ok(expected > 0 && expected < 40);
  assert.ok(logKeys(second.events).includes('verify.index.doneNight'));
});

test('bit rot in a file the next night links unchanged: found on the night its slice comes round (exit 1 naming it), not before', async () => {
  const s = await setup('rot', 5);
  const first = await s.once(BASE_DAY);
  assert.is(first.result, 'success');
  const all = files(join(first.path!, 'anhaenge'));
  const victim = all[7]!;
  flipInPlace(join(first.path!, 'anhaenge', victim));
  const found = (BASE_DAY + 1 + ((sliceOf(rawOfText(victim), 5) - nightSlice(nightOf(BASE_DAY + 1), 5) + 5) % 5));
  for (let day = BASE_DAY + 1; day <= found; day++) {
    const r = await s.once(day);
    const v = verification(r.path!);
    if (day < found) {
      assert.is(r.result, 'success', `day ${day - BASE_DAY}: not in tonight's slice`);
      assert.ok(v.ok);
      continue;
    }
    assert.is(r.result, 'failed', 'the slice holding the rotten file');
    assert.not.ok(v.ok);
    const text = v.problems.map((p: { key: string; params: Record<string, unknown> }) => render('de', p as never)).join('\n');
    assert.ok(text.includes(victim), text);
    assert.is(v.problems[0].key, 'verify.index.contentDiffers');
    // The rotten inode is shared: rsync linked it into every snapshot since (same size and mtime).
    assert.is(statSync(join(r.path!, 'anhaenge', victim)).ino, statSync(join(first.path!, 'anhaenge', victim)).ino);
  }
});

test('tampered after the copy: a missing, a truncated and a same-size changed file are found (all read: nights = 1)', async () => {
  const s = await setup('tamper', 1);
  const first = await s.once(BASE_DAY);
  assert.is(first.result, 'success');
  const snap = join(first.path!, 'anhaenge');
  const all = files(snap);
  rmSync(join(snap, all[1]!));
  truncateSync(join(snap, all[2]!), 100);
  flipInPlace(join(snap, all[3]!));
  const app = compose((await cliEnv(join(root, 'tamper'))).env);
  const entry = (await readCatalog(s.config.backupDir)).complete[0]!;
  const record = await verifyBackup(s.config, entry, { destination: 'local', deep: false, restoreTest: false, now: nightOf(BASE_DAY), night: { nights: 1 } }, { tools: app.tools, secrets: app.secretsFor(s.config), reporter: new Reporter([]), signal: new AbortController().signal });
  const keys = record.problems.map((p) => p.key).sort();
  assert.equal(keys, ['verify.index.contentDiffers', 'verify.index.missingFiles', 'verify.index.sizeDiffers']);
  const text = record.problems.map((p) => render('en', p)).join('\n');
  for (const f of all.slice(1, 4)) assert.ok(text.includes(f), `${f} named: ${text}`);
});

test.run();
