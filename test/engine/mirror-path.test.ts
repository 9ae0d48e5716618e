// The mirror engine with `type: path` targets on real file systems (tmpfs mounts stand in for a
// second disk): modes all and latest, hard links on the target, the guard against a missing
// target, a target too small, corruption caught by read-back verification, two targets.
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import type { Volumes } from '../../src/core/volumes';
import { SilentNotifier } from '../../src/notify/notifier';
import { idToDate } from '../../src/backup-directory/catalog';
import { runBackup } from '../../src/backup/backup-run';
import { EnvSecretStore } from '../../src/credentials/credentials';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { mirrorsExitCode, runMirrors, type MirrorDeps } from '../../src/mirror/mirror-run';
import type { Shares } from '../../src/core/shares';
import { StatusStore } from '../../src/run/status-store';
import { ToolLocator } from '../../src/process/tool-locator';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { mountTmpfs } from '../helpers/tmpfs';

const test = suite('mirrors onto path targets');

// Path mirrors never touch disks or shares; these fail loudly if the engine ever asks.
const noVolumes: Volumes = {
  kind: 'none',
  list: () => Promise.reject(new Error('volumes used by a path mirror')),
  find: () => Promise.reject(new Error('volumes used by a path mirror')),
  mount: () => Promise.reject(new Error('volumes used by a path mirror')),
  unmount: () => Promise.reject(new Error('volumes used by a path mirror')),
  eject: () => Promise.reject(new Error('volumes used by a path mirror')),
};
const noShares: Shares = {
  mount: () => Promise.reject(new Error('shares used by a path mirror')),
  unmount: () => Promise.reject(new Error('shares used by a path mirror')),
};

let root: string;
const tools = new ToolLocator('linux', process.env);

async function practice(name: string, mirrors: unknown[], files = 6) {
  const dir = join(root, name);
  const src = join(dir, 'files');
  await createSampleFiles(src, { files, bytesEach: 20_000 });
  const config = validateConfig({ backupDir: join(dir, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], retention: { keep: 5 }, mirrors }, 'test');
  const status = new StatusStore(join(dir, 'state'));
  return { dir, src, config, status };
}

function deps(status: StatusStore): MirrorDeps {
  return { volumes: noVolumes, shares: noShares, secrets: new EnvSecretStore({}, new Map()), tools, status, notifier: new SilentNotifier(), smbMountBase: join(root, 'smb'), lang: 'de' };
}

function collect(): { reporter: Reporter; events: StampedEvent[] } {
  const events: StampedEvent[] = [];
  return { reporter: new Reporter([(e) => events.push(e)]), events };
}

/** A local backup without mirrors (config copy without them), as a nightly run would make it. */
async function backup(config: Config, status: StatusStore): Promise<string> {
  const s = await runBackup({ ...config, mirrors: [] }, { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), status, toolVersion: 'test' }, collect().reporter, new AbortController().signal);
  assert.is(s.exitCode, 0, JSON.stringify(s.error));
  return s.backupId!;
}

const ids = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort() : []);
const partials = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.partial')) : []);

test.before(async () => {
  root = await makeTempDir('praxis-mirror-');
});
test.after(() => runCleanups());

test('mode all: every complete backup on the target, hard links kept, verified, status recorded', async () => {
  const disk = await mountTmpfs(64);
  const target = join(disk.path, 'praxis');
  await mkdir(target);
  const p = await practice('all', [{ name: 'usb', type: 'path', path: target, mode: 'all' }]);
  const made = [await backup(p.config, p.status)];
  await writeFile(join(p.src, 'neu.txt'), 'neuer Brief');
  made.push(await backup(p.config, p.status));
  made.push(await backup(p.config, p.status));

  const { reporter, events } = collect();
  const results = await runMirrors(p.config, deps(p.status), reporter, new AbortController().signal);
  assert.is(mirrorsExitCode(results), 0, JSON.stringify(results));
  assert.equal(ids(target), made);
  assert.equal(partials(target), []);
  // Unchanged files share one inode across the generations on the target, as they do locally.
  const someFile = (readdirSync(p.src, { recursive: true }) as string[]).find((f) => f.endsWith('.pdf'))!;
  const inodes = made.map((id) => statSync(join(target, id, 'files', someFile)).ino);
  assert.is(new Set(inodes).size, 1, 'one inode for an unchanged file');
  assert.ok(statSync(join(target, made[2]!, 'files', someFile)).nlink >= 3);
  for (const id of made) assert.is(readFileSync(join(target, id, 'manifest.json'), 'utf8'), readFileSync(join(p.config.backupDir, id, 'manifest.json'), 'utf8'));
  assert.ok(events.some((e) => e.type === 'log' && e.message.key === 'mirror.verified'));
  const st = await p.status.read();
  assert.is(st.destinations.usb?.lastSuccess?.backupId, made[2]);

  // A second mirror run copies nothing new.
  const again = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
  assert.equal(again[0]!.copied, []);
});

test('mode latest: exactly the newest backup on the target after three runs', async () => {
  const disk = await mountTmpfs(64);
  const target = join(disk.path, 'nur-neuestes');
  await mkdir(target);
  const p = await practice('latest', [{ name: 'stick', type: 'path', path: target, mode: 'latest' }]);
  let last = '';
  for (let i = 0; i < 3; i++) {
    await writeFile(join(p.src, `tag-${i}.txt`), String(i));
    last = await backup(p.config, p.status);
    const r = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
    assert.is(r[0]!.result, 'success');
    assert.equal(ids(target), [last]);
  }
  assert.ok(existsSync(join(target, last, 'files', 'tag-2.txt')));
  assert.equal(partials(target), []);
});

test('mode latest with a backup dated in the future beside the real ones: the real newest goes onto the target, the future one not', async () => {
  const disk = await mountTmpfs(64);
  const target = join(disk.path, 'praxis');
  await mkdir(target);
  const p = await practice('future', [{ name: 'stick', type: 'path', path: target, mode: 'latest' }]);
  const real = await backup(p.config, p.status);
  const future = '29991231_235959';
  cpSync(join(p.config.backupDir, real), join(p.config.backupDir, future), { recursive: true });
  const m = JSON.parse(readFileSync(join(p.config.backupDir, future, 'manifest.json'), 'utf8'));
  writeFileSync(join(p.config.backupDir, future, 'manifest.json'), JSON.stringify({ ...m, id: future }));
  // The run's clock, injected (as backup-run hands it on): a minute after the real backup was made.
  const now = new Date(idToDate(real).getTime() + 60_000);
  const r = await runMirrors(p.config, { ...deps(p.status), now: () => now }, collect().reporter, new AbortController().signal);
  assert.is(r[0]!.result, 'success', JSON.stringify(r[0]!.message));
  assert.equal(ids(target), [real]);
});

test('target folder missing (disk not mounted): nothing written; optional → warning, required → failure', async () => {
  const gone = join(root, 'nicht-eingehaengt', 'praxis');
  const p = await practice('absent', [{ name: 'usb', type: 'path', path: gone }]);
  await backup(p.config, p.status);
  const r1 = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
  assert.is(r1[0]!.result, 'absent');
  assert.is(mirrorsExitCode(r1), 3);
  assert.not.ok(existsSync(gone), 'the missing target was not created');
  const required = { ...p.config, mirrors: [{ ...p.config.mirrors[0]!, required: true }] } as Config;
  const r2 = await runMirrors(required, deps(p.status), collect().reporter, new AbortController().signal);
  assert.is(mirrorsExitCode(r2), 1);
  assert.is((await p.status.read()).destinations.usb?.lastFailure?.message.key, 'mirror.pathMissing');
});

test('target too small: clear error, local backups untouched, nothing half-complete on the target', async () => {
  const disk = await mountTmpfs(1);
  const p = await practice('small', [{ name: 'klein', type: 'path', path: disk.path }], 60);
  const id = await backup(p.config, p.status);
  const localManifest = readFileSync(join(p.config.backupDir, id, 'manifest.json'), 'utf8');
  const r = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
  assert.is(r[0]!.result, 'failed');
  assert.is(r[0]!.message!.key, 'mirror.space');
  assert.equal(ids(disk.path), []);
  assert.equal(partials(disk.path), []);
  assert.is(readFileSync(join(p.config.backupDir, id, 'manifest.json'), 'utf8'), localManifest);
});

test('a local file damaged after the backup is caught by the read-back check on the target', async () => {
  const disk = await mountTmpfs(64);
  const p = await practice('damaged', [{ name: 'usb', type: 'path', path: disk.path }]);
  const id = await backup(p.config, p.status);
  const victim = (readdirSync(join(p.config.backupDir, id, 'files'), { recursive: true }) as string[]).find((f) => f.endsWith('.pdf'))!;
  writeFileSync(join(p.config.backupDir, id, 'files', victim), 'kaputt'); // bit rot: size changes
  const r = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
  assert.is(r[0]!.result, 'failed');
  assert.is(r[0]!.message!.key, 'mirror.verifyFailed');
  assert.match(JSON.stringify(r[0]!.message!.params), /files/);
});

test('a generation there goes only after the new copy was read back: a failed check removes nothing', async () => {
  const disk = await mountTmpfs(64);
  const p = await practice('verified-first', [{ name: 'usb', type: 'path', path: disk.path, retention: { last: 1 } }]);
  const first = await backup(p.config, p.status);
  const ok = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
  assert.is(ok[0]!.result, 'success');
  assert.equal(ids(disk.path), [first]);
  await writeFile(join(p.src, 'neu.txt'), 'neu');
  const second = await backup(p.config, p.status);
  const victim = (readdirSync(join(p.config.backupDir, second, 'files'), { recursive: true }) as string[]).find((f) => f.endsWith('.pdf'))!;
  writeFileSync(join(p.config.backupDir, second, 'files', victim), 'kaputt');
  const r = await runMirrors(p.config, deps(p.status), collect().reporter, new AbortController().signal);
  assert.is(r[0]!.result, 'failed');
  assert.is(r[0]!.message!.key, 'mirror.verifyFailed');
  assert.equal(r[0]!.removed, []);
  // The policy (last 1) would drop the first generation, but the new copy is not proven: it stays.
  assert.ok(ids(disk.path).includes(first), 'the last good generation is still on the disk');
});

test('two targets, one absent: the other still gets its copy; local retention is mirrored in mode all', async () => {
  const disk = await mountTmpfs(64);
  const present = join(disk.path, 'nas');
  await mkdir(present);
  const p = await practice('two', [
    { name: 'usb', type: 'path', path: join(root, 'fehlt') },
    { name: 'nas', type: 'path', path: present },
  ]);
  const keep2 = { ...p.config, retention: { keep: 2 } } as Config;
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    await writeFile(join(p.src, `x${i}`), String(i));
    made.push(await backup(keep2, p.status));
    const r = await runMirrors(keep2, deps(p.status), collect().reporter, new AbortController().signal);
    assert.is(r.find((x) => x.name === 'usb')!.result, 'absent');
    assert.is(r.find((x) => x.name === 'nas')!.result, 'success');
  }
  assert.equal(ids(present), made.slice(1), 'the target follows local retention');
});

test.run();
