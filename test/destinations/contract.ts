// The one test suite every destination kind passes (src/destinations/contract.ts), each against a
// real target: a loop disk through the Linux volumes adapter, a size-limited tmpfs, a plain folder
// on another file system, the gocryptfs view. A kind file (<kind>.contract.test.ts) says how to
// make its target, how to make it wrong, and what "given back" looks like; the suite does the rest.
// Like restic's backend suite (internal/backend/test/suite.go): a new kind is done when it passes.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runBackup } from '../../src/backup/backup-run';
import { readCatalog, type BackupEntry } from '../../src/backup-directory/catalog';
import { validateConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { PraxisError } from '../../src/core/errors';
import type { Shares } from '../../src/core/shares';
import { EnvSecretStore } from '../../src/credentials/credentials';
import type { FolderDestination } from '../../src/destinations/folder-destination';
import { locateDestination, openDestination, type AccessOptions, type DestinationDeps } from '../../src/destinations/open-destination';
import type { Volumes } from '../../src/core/volumes';
import type { Message } from '../../src/i18n';
import { ToolLocator } from '../../src/process/tool-locator';
import { Reporter, type StampedEvent } from '../../src/run/events';
import { StatusStore } from '../../src/run/status-store';
import { verifyBackup } from '../../src/verify/verify-check';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { mountTmpfs, type TmpfsMount } from '../helpers/tmpfs';

export const tools = new ToolLocator('linux', process.env);

/** A second "disk" of `sizeMiB` (a tmpfs) with the mirror's folder on it, as the admin made it once. */
export async function folderOnTmpfs(sizeMiB: number): Promise<{ disk: TmpfsMount; folder: string }> {
  const disk = await mountTmpfs(sizeMiB);
  const folder = join(disk.path, 'praxis');
  await mkdir(folder);
  return { disk, folder };
}

/** A target of one kind, there and right; the suite opens it through the registry. */
export interface FixtureTarget {
  /** The mirror's config entry without name and mode: `type` and the kind's own fields (and `encrypt`). */
  mirror: Record<string, unknown>;
  /** The ports the kind uses (volumes, shares, where views are mounted). */
  deps?: Partial<DestinationDeps>;
  /** A passphrase, for an encrypted one. */
  access?: AccessOptions;
  /** Make it wrong or absent (`mirror` may be changed); opening must then refuse with `refusal`, and `untouched` proves nothing was written. */
  spoil(backupDir: string): Promise<{ refusal: Message['key']; untouched(): void }>;
  /** After close: given back the way the kind promises (unmounted, ejected, the view closed, a folder left alone). */
  givenBack(d: FolderDestination, r: { ejected?: boolean }): void | Promise<void>;
}

export interface KindFixture {
  title: string;
  /** A fresh target of about `sizeMiB` (cleaned up by runCleanups). */
  target(root: string, sizeMiB: number): Promise<FixtureTarget>;
  /** The target's size is its limit (a disk, a tmpfs): the disk-full tests run. */
  limited: boolean;
}

const fail = (what: string): Promise<never> => Promise.reject(new Error(`${what} used by a kind that should not`));
/** Ports a kind does not use: any call fails the test. */
export const noVolumes: Volumes = { kind: 'none', list: () => fail('volumes'), find: () => fail('volumes'), mount: () => fail('volumes'), unmount: () => fail('volumes'), eject: () => fail('volumes') };
export const noShares: Shares = { mount: () => fail('shares'), unmount: () => fail('shares') };

function collect(): { reporter: Reporter; events: StampedEvent[] } {
  const events: StampedEvent[] = [];
  return { reporter: new Reporter([(e) => events.push(e)]), events };
}

/** Backups made by the real backup engine, on a tmpfs of their own (so a plain folder elsewhere is "another disk"). */
interface Practice {
  config: Config;
  src: string;
  backups: BackupEntry[];
}

async function practice(root: string, name: string, files: number, bytesEach: number, dates: Date[]): Promise<Practice> {
  const disk = await mountTmpfs(Math.ceil((files * bytesEach * (dates.length + 1)) / 2 ** 20) + 16);
  const src = join(root, name, 'files');
  await createSampleFiles(src, { files, bytesEach });
  const config = validateConfig({ backupDir: join(disk.path, 'backups'), components: [{ name: 'files', type: 'folder', path: src }], mirrors: [] }, 'test');
  await mkdir(config.backupDir, { recursive: true });
  const status = new StatusStore(join(root, name, 'state'));
  for (const [i, at] of dates.entries()) {
    // Its own mtime per night: rsync's quick check (size and whole seconds) would take two same-size
    // versions written within one second for the same file and hard-link the old one.
    await writeFile(join(src, 'changes.txt'), `run ${i}\n`);
    await utimes(join(src, 'changes.txt'), at, at);
    const s = await runBackup(config, { platform: 'linux', tools, secrets: new EnvSecretStore({}, new Map()), status, toolVersion: 'test', now: () => at }, collect().reporter, new AbortController().signal);
    assert.is(s.exitCode, 0, JSON.stringify(s.error));
  }
  const backups = (await readCatalog(config.backupDir, { now: dates.at(-1)! })).complete;
  assert.is(backups.length, dates.length);
  return { config, src, backups };
}

const NIGHT_1 = new Date(2026, 0, 5, 3, 15, 0);
const NIGHT_2 = new Date(2026, 0, 6, 3, 15, 0);
const NOW = new Date(2026, 0, 6, 9, 0, 0);

export function destinationContract(kind: KindFixture): void {
  const test = suite(`destination contract: ${kind.title}`);
  let root: string;
  let small: Practice;
  let seq = 0;

  test.before(async () => {
    root = await makeTempDir('praxis-dest-');
    small = await practice(root, 'small', 6, 40_000, [NIGHT_1, NIGHT_2]);
  });
  test.after(() => runCleanups());

  function depsFor(t: FixtureTarget): DestinationDeps {
    return {
      volumes: noVolumes,
      shares: noShares,
      secrets: new EnvSecretStore({}, new Map()),
      tools,
      smbMountBase: join(root, 'smb'),
      cryptMountBase: join(root, 'crypt'),
      notice: async (reporter, message) => reporter.emit({ type: 'notification', message }),
      ...t.deps,
    };
  }

  async function open(t: FixtureTarget, p: Practice = small): Promise<{ d: FolderDestination; name: string }> {
    const name = `ziel${++seq}`;
    const m = validateConfig({ ...p.config, mirrors: [{ name, mode: 'all', ...t.mirror }] }, 'test').mirrors[0]!;
    const d = (await openDestination(m, p.config.backupDir, depsFor(t), 'verify.targetAbsent', t.access)) as FolderDestination;
    await d.guard();
    return { d, name };
  }

  async function putAll(d: FolderDestination, backups: BackupEntry[], reporter = collect().reporter) {
    const oldestFirst = [...backups].reverse();
    await d.prepare(oldestFirst, 'all', reporter);
    for (const b of oldestFirst) await d.put(b, { mode: 'all', reporter, signal: new AbortController().signal });
  }

  const check = (config: Config, name: string) => (copy: BackupEntry, o: { deep: boolean; referencePath?: string; now: Date; reporter: Reporter; signal: AbortSignal }) =>
    verifyBackup(config, copy, { destination: name, deep: o.deep, restoreTest: false, referencePath: o.referencePath, now: o.now }, { tools, secrets: new EnvSecretStore({}, new Map()), reporter: o.reporter, signal: o.signal });

  test('open: located and guarded, its free space, nothing listed yet; close gives it back', async () => {
    const t = await kind.target(root, 32);
    const { d } = await open(t);
    const space = await d.freeSpace();
    assert.ok(space.free > 0 && space.free <= space.total, JSON.stringify(space));
    if (kind.limited) assert.ok(space.total <= 32 * 2 ** 20, `a ${space.total}-byte file system for a 32 MiB target`);
    assert.equal(await d.list(), []);
    const r: { warnings: Message[]; ejected?: boolean } = { warnings: [] };
    assert.ok(await d.close(collect().reporter, r));
    assert.equal(r.warnings, []);
    await t.givenBack(d, r);
  });

  test('open refuses a wrong or absent target and writes nothing there', async () => {
    const t = await kind.target(root, 32);
    const spoiled = await t.spoil(small.config.backupDir);
    const name = `ziel${++seq}`;
    const m = validateConfig({ ...small.config, mirrors: [{ name, mode: 'all', ...t.mirror }] }, 'test').mirrors[0]!;
    let refusal: string | null = null;
    try {
      const located = await locateDestination(m, small.config.backupDir, depsFor(t), t.access);
      if (located.kind === 'absent') refusal = located.reason.key;
      else {
        await located.destination.unlock(t.access).catch(async (e) => {
          await (located.destination as FolderDestination).release(null, { warnings: [] }, { eject: false });
          throw e;
        });
        refusal = 'opened';
        await located.destination.close(null, { warnings: [] }, { eject: false });
      }
    } catch (e) {
      assert.instance(e, PraxisError, String(e));
      refusal = (e as PraxisError).message_.key;
    }
    assert.is(refusal, spoiled.refusal);
    spoiled.untouched();
  });

  test('put: complete backups with their manifest, unchanged files hard-linked to the previous copy', async () => {
    const t = await kind.target(root, 32);
    const { d } = await open(t);
    try {
      const { reporter, events } = collect();
      await putAll(d, small.backups, reporter);
      assert.ok(events.some((e) => e.type === 'log' && e.message.key === 'run.tool'), 'says which rsync');
      const listed = await d.list();
      assert.equal(listed.map((b) => b.id), small.backups.map((b) => b.id));
      const [newer, older] = small.backups as [BackupEntry, BackupEntry];
      assert.is(readFileSync(join(d.dir, newer.id, 'manifest.json'), 'utf8'), readFileSync(join(newer.path, 'manifest.json'), 'utf8'));
      const file = (readdirSync(join(d.dir, older.id, 'files'), { recursive: true }) as string[]).find((f) => f.endsWith('.pdf'))!;
      const a = statSync(join(d.dir, older.id, 'files', file));
      const b = statSync(join(d.dir, newer.id, 'files', file));
      assert.is(a.ino, b.ino, 'an unchanged file is one inode in both copies');
      assert.is(b.nlink, 2);
      assert.is(readFileSync(join(d.dir, newer.id, 'files', 'changes.txt'), 'utf8'), 'run 1\n');
      assert.is(readFileSync(join(d.dir, older.id, 'files', 'changes.txt'), 'utf8'), 'run 0\n');
    } finally {
      await d.close(null, { warnings: [] }, { eject: false });
    }
  });

  test('list: complete backups only — never a .partial copy or a folder without its manifest; tidy clears the partial one', async () => {
    const t = await kind.target(root, 32);
    const { d } = await open(t);
    try {
      const [newer, older] = small.backups as [BackupEntry, BackupEntry];
      await putAll(d, [older]);
      // What an interrupted copy leaves: the files (even a manifest) under <id>.partial; and a folder that never got its manifest.
      await mkdir(join(d.dir, `${newer.id}.partial`, 'files'), { recursive: true });
      writeFileSync(join(d.dir, `${newer.id}.partial`, 'manifest.json'), readFileSync(join(newer.path, 'manifest.json')));
      await mkdir(join(d.dir, '20260107_031500', 'files'), { recursive: true });
      assert.equal((await d.list()).map((b) => b.id), [older.id]);
      const { reporter, events } = collect();
      await d.tidy(reporter);
      assert.not.ok(existsSync(join(d.dir, `${newer.id}.partial`)));
      assert.ok(events.some((e) => e.type === 'log' && e.message.key === 'mirror.partialRemoved'));
      assert.equal((await d.list()).map((b) => b.id), [older.id]);
    } finally {
      await d.close(null, { warnings: [] }, { eject: false });
    }
  });

  test('verify: an intact copy passes and is recorded there; a damaged file is found; an id not there is null', async () => {
    const t = await kind.target(root, 32);
    const { d, name } = await open(t);
    try {
      const [newer] = small.backups as [BackupEntry];
      await putAll(d, [newer]);
      const o = { deep: true, referencePath: newer.path, now: NOW, reporter: collect().reporter, signal: new AbortController().signal };
      const ok = await d.verify(newer.id, check(small.config, name), o);
      assert.ok(ok?.ok, JSON.stringify(ok?.problems));
      assert.ok(existsSync(join(d.dir, newer.id, 'verification.json')), 'recorded on the destination');
      // One byte changed, size kept: only reading the contents can tell.
      const file = (readdirSync(join(d.dir, newer.id, 'files'), { recursive: true }) as string[]).find((f) => f.endsWith('.pdf'))!;
      const path = join(d.dir, newer.id, 'files', file);
      const bytes = readFileSync(path);
      const mid = bytes.length >> 1;
      bytes[mid] = bytes[mid]! ^ 0xff;
      writeFileSync(path, bytes);
      const bad = await d.verify(newer.id, check(small.config, name), o);
      assert.ok(bad && !bad.ok, 'the damaged file is found');
      assert.ok(bad!.problems.length > 0);
      assert.is(await d.verify('20200101_000000', check(small.config, name), o), null);
    } finally {
      await d.close(null, { warnings: [] }, { eject: false });
    }
  });

  test('remove: gone from the list and the folder, the other copy and its hard-linked files intact', async () => {
    const t = await kind.target(root, 32);
    const { d, name } = await open(t);
    try {
      const [newer, older] = small.backups as [BackupEntry, BackupEntry];
      await putAll(d, small.backups);
      await d.remove(older.id);
      assert.equal((await d.list()).map((b) => b.id), [newer.id]);
      assert.not.ok(existsSync(join(d.dir, older.id)));
      const v = await d.verify(newer.id, check(small.config, name), { deep: true, referencePath: newer.path, now: NOW, reporter: collect().reporter, signal: new AbortController().signal });
      assert.ok(v?.ok, JSON.stringify(v?.problems));
    } finally {
      await d.close(null, { warnings: [] }, { eject: false });
    }
  });

  if (kind.limited) {
    test('full: prepare refuses with mirror.space; a put that runs out of space fails with mirror.full and leaves no copy', async () => {
      const big = await practice(root, `big${++seq}`, 12, 1_000_000, [NIGHT_1]);
      const t = await kind.target(root, 8);
      const { d, name } = await open(t, big);
      try {
        const reporter = collect().reporter;
        const e1 = await d.prepare(big.backups, 'all', reporter).then(() => null, (e) => e);
        assert.instance(e1, PraxisError);
        assert.is(e1.message_.key, 'mirror.space');
        assert.is(e1.message_.params.name, name);
        // Past the estimate (it can be wrong: files grow while they are copied): the copy itself runs out.
        const e2 = await d.put(big.backups[0]!, { mode: 'all', reporter, signal: new AbortController().signal }).then(() => null, (e) => e);
        assert.instance(e2, PraxisError, String(e2));
        assert.is(e2.message_.key, 'mirror.full');
        assert.equal(e2.message_.params, { name, dir: d.dir });
        assert.equal(await d.list(), []);
        assert.equal(readdirSync(d.dir).filter((n) => n.startsWith('2026')), [], 'no half copy, no .partial');
      } finally {
        await d.close(null, { warnings: [] }, { eject: false });
      }
    });
  }

  test.run();
}
