// DiskutilVolumes against the real diskutil, on disk images made and attached with hdiutil: what
// the recorded plists in ../shared/reference/macos cannot prove (that our argv is accepted, that
// list → info → mount/unmount/eject work together on this macOS). macOS only: on any other system
// every test here is skipped and counted as "skipped (needs macOS)" (needs-macos.ts).
//
// The images are small GPT disks with one Journaled HFS+ volume, attached with -nobrowse (no Finder
// window). Label and UUID are checked against what hdiutil and `diskutil info -plist` say directly,
// parsed here with the plist package, not through the code under test.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import plist from 'plist';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DiskutilVolumes } from '../../src/diskutil/diskutil-volumes';
import type { Volume } from '../../src/core/volumes';
import { run } from '../../src/process/runner';
import { PraxisError } from '../../src/core/errors';
import { makeTempDir, registerCleanup, runCleanups } from '../helpers/temp';
import { macHooks, macTest } from './needs-macos';

const HDIUTIL = '/usr/bin/hdiutil';
const DISKUTIL = '/usr/sbin/diskutil';

interface Attached {
  image: string;
  wholeDisk: string; // "disk5"
  mountPoint: string;
}

/** Whole stdout of a command (the runner keeps only a tail; plists are longer). */
async function output(file: string, args: string[]): Promise<string> {
  const lines: string[] = [];
  await run({ label: `${file} ${args[0]}`, file, args, timeoutMs: 120_000 }, { onStdoutLine: (l) => lines.push(l) });
  return lines.join('\n');
}

/** hdiutil create fails now and then on CI runners (actions/runner-images#7522): up to 5 tries. */
async function createImage(path: string, label: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run({ label: 'hdiutil create', file: HDIUTIL, args: ['create', '-size', '48m', '-layout', 'GPTSPUD', '-fs', 'Journaled HFS+', '-volname', label, path], timeoutMs: 120_000 });
      return;
    } catch (e) {
      if (attempt === 5) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function attach(image: string): Promise<Attached> {
  const xml = await output(HDIUTIL, ['attach', '-plist', '-nobrowse', image]);
  const entities = (plist.parse(xml) as { 'system-entities': Array<{ 'dev-entry': string; 'mount-point'?: string }> })['system-entities'];
  const mounted = entities.find((e) => e['mount-point']);
  assert.ok(mounted, `hdiutil attach mounted nothing:\n${xml}`);
  // The whole disk is the entry without a slice suffix (/dev/disk5, not /dev/disk5s1).
  const whole = entities.map((e) => e['dev-entry'].replace('/dev/', '')).find((d) => /^disk\d+$/.test(d));
  assert.ok(whole, `no whole disk in hdiutil's answer:\n${xml}`);
  const attached = { image, wholeDisk: whole, mountPoint: mounted['mount-point']! };
  registerCleanup(async () => {
    await run({ label: 'hdiutil detach', file: HDIUTIL, args: ['detach', '-force', `/dev/${attached.wholeDisk}`], timeoutMs: 60_000 }).catch(() => {});
  }, { label: `detach ${whole}` });
  return attached;
}

/** VolumeUUID of a mounted path as diskutil itself reports it. */
async function volumeUuid(path: string): Promise<string> {
  const info = plist.parse(await output(DISKUTIL, ['info', '-plist', path])) as { VolumeUUID?: string };
  assert.ok(info.VolumeUUID, `diskutil info ${path} has no VolumeUUID`);
  return info.VolumeUUID;
}

const s = suite('darwin: diskutil on a disk image');
const test = macTest(s);
// A label no other volume on the runner has: the test finds "its" volume by it.
const LABEL = `PBT${process.pid}`;
let dir = '';
let first: Attached;
let uuid = '';
let volumes: DiskutilVolumes;

macHooks(
  s,
  async () => {
    dir = await makeTempDir('pb-darwin-diskutil-');
    await createImage(join(dir, 'one.dmg'), LABEL);
    first = await attach(join(dir, 'one.dmg'));
    uuid = await volumeUuid(first.mountPoint);
    await writeFile(join(first.mountPoint, 'marker.txt'), 'written before unmount\n');
    volumes = new DiskutilVolumes(run);
  },
  runCleanups,
);

const ours = (list: Volume[]) => list.filter((v) => v.label === LABEL);

test('list: the image volume with its label, UUID, mount point, file system and whole disk', async () => {
  const found = ours(await volumes.list());
  assert.is(found.length, 1, `volumes labelled ${LABEL}: ${JSON.stringify(found)}`);
  const v = found[0]!;
  assert.is(v.uuid?.toUpperCase(), uuid.toUpperCase());
  assert.is(v.mountPoint, first.mountPoint);
  assert.is(v.wholeDisk, first.wholeDisk);
  assert.ok(v.device.startsWith(`/dev/${first.wholeDisk}s`), v.device);
  assert.is(v.fileSystem, 'hfs');
  assert.ok(v.sizeBytes > 40 * 1024 * 1024 && v.sizeBytes <= 48 * 1024 * 1024, String(v.sizeBytes));
  assert.ok(v.freeBytes !== null && v.freeBytes > 0 && v.freeBytes < v.sizeBytes, String(v.freeBytes));
});

test('info of the mount point names the same volume', async () => {
  const info = await volumes.info(first.mountPoint);
  assert.is(info.label, LABEL);
  assert.is(info.uuid?.toUpperCase(), uuid.toUpperCase());
  assert.is(info.parentWholeDisk, first.wholeDisk);
  assert.is(info.isWholeDisk, false);
});

test('find: by label, by UUID in lower case; an unknown label finds nothing', async () => {
  assert.is((await volumes.find({ label: LABEL }))?.uuid?.toUpperCase(), uuid.toUpperCase());
  assert.is((await volumes.find({ uuid: uuid.toLowerCase() }))?.mountPoint, first.mountPoint);
  assert.is(await volumes.find({ label: `${LABEL}-nothing` }), null);
});

test('two volumes with the same label: find by label is refused naming both, by UUID still works', async () => {
  await createImage(join(dir, 'two.dmg'), LABEL);
  const second = await attach(join(dir, 'two.dmg'));
  try {
    const err = await volumes.find({ label: LABEL }).then(() => null, (e: unknown) => e);
    assert.instance(err, PraxisError);
    assert.is((err as PraxisError).message_.key, 'error.volumeAmbiguous');
    assert.is((await volumes.find({ uuid }))?.mountPoint, first.mountPoint);
  } finally {
    await run({ label: 'hdiutil detach', file: HDIUTIL, args: ['detach', '-force', `/dev/${second.wholeDisk}`], timeoutMs: 60_000 });
  }
  assert.is(ours(await volumes.list()).length, 1);
});

test('unmount, then mount: gone from its mount point, back with the file written before', async () => {
  const v = (await volumes.find({ uuid }))!;
  await volumes.unmount(v);
  assert.not.ok(existsSync(join(first.mountPoint, 'marker.txt')), 'the file is still reachable after unmount');
  const down = (await volumes.find({ uuid }))!;
  assert.is(down.mountPoint, null, 'diskutil still reports a mount point');
  const up = await volumes.mount(down);
  assert.ok(up.mountPoint, 'no mount point after mount');
  assert.is(await readFile(join(up.mountPoint!, 'marker.txt'), 'utf8'), 'written before unmount\n');
});

test('eject: the whole image goes away, the volume is no longer listed', async () => {
  const v = (await volumes.find({ uuid }))!;
  const r = await volumes.eject(v);
  assert.is(r.poweredOff, true);
  assert.is(ours(await volumes.list()).length, 0);
  assert.is(await volumes.find({ uuid }), null);
});

s.run();
