// A rotating set of three USB disks („Montag“, „Mittwoch“, „Freitag“) — labelled ext4 images
// attached as loop devices, found by UUID through the real blkid adapter — plugged in one at a
// time over simulated weeks (the CLI's clock: PRAXIS_BACKUP_TEST_NOW): each disk gets the backups
// it missed when it comes back, a night with none attached is no warning, the swap alert names the
// disk left out too long and not the one simply at home this week, `mirror --on-mount` copies,
// verifies and ejects with the notification, and two disks attached at once are both updated.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { makeLoopDisk, mountsOf, type LoopDisk } from '../helpers/loop-disk';
import { createSampleFiles } from '../helpers/sample-practice';
import { makeTempDir, registerCleanup, runCleanups } from '../helpers/temp';

const test = suite('rotating USB disks');
let root: string;
let env: CliEnv;

const ids = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{8}_\d{6}$/.test(n)).sort() : []);

/** A disk of the set, pluggable: `device` is where it is attached now (null: unplugged, „zu Hause“). */
interface SetDisk {
  disk: LoopDisk;
  label: string;
  device: string | null;
}

/** Unplugged: unmounted (the tool ejected it already) and its loop device detached, so blkid no longer sees it. */
async function unplug(d: SetDisk): Promise<void> {
  if (!d.device) return;
  for (const target of mountsOf(d.device).reverse()) await execa('umount', [target]);
  await execa('losetup', ['-d', d.device]);
  d.device = null;
}

/** Plugged in again: the same image on a (maybe different) loop device; detached by the cleanups. */
async function plug(d: SetDisk): Promise<void> {
  if (d.device) return;
  const device = (await execa('losetup', ['--find', '--show', d.disk.image])).stdout.trim();
  d.device = device;
  registerCleanup(async () => {
    if (d.device !== device) return;
    for (const target of mountsOf(device).reverse()) await execa('umount', ['-l', target], { reject: false });
    await execa('losetup', ['-d', device], { reject: false });
    d.device = null;
  });
}

/** What the disk holds: mounted read-only by the test itself, then unmounted again. */
async function onDisk(d: SetDisk): Promise<string[]> {
  const mp = join(root, `look-${d.label}-${Date.now()}`);
  mkdirSync(mp);
  await execa('mount', ['-o', 'ro', d.device!, mp]);
  try {
    return ids(join(mp, 'Praxis-Backup'));
  } finally {
    await execa('umount', [mp]);
  }
}

let disks: SetDisk[];
let configFile: string;
let backupDir: string;
let src: string;

const at = (iso: string) => ({ ...env.env, PRAXIS_BACKUP_TEST_NOW: iso });
const statusFile = () => JSON.parse(readFileSync(join(env.stateDir, 'status.json'), 'utf8'));
const byLabel = (label: string) => disks.find((d) => d.label === label)!;

async function nightlyRun(iso: string, tag: string) {
  await writeFile(join(src, `tag-${tag}.txt`), tag);
  const r = await runCli(['run', '--config', configFile, '--json'], at(iso));
  const summary = r.events.at(-1)!.summary;
  return { ...r, summary, id: summary.backupId as string };
}

test.before(async () => {
  root = await makeTempDir('praxis-rotation-');
  env = await cliEnv(root, { PRAXIS_BACKUP_MOUNT_BASE: join(root, 'mnt'), PRAXIS_BACKUP_NOTIFY: 'none', TZ: 'UTC' });
  disks = [];
  for (const label of ['Montag', 'Mittwoch', 'Freitag']) {
    const disk = await makeLoopDisk({ sizeMiB: 32, label: label.toUpperCase() });
    disks.push({ disk, label, device: disk.device });
  }
  src = join(root, 'files');
  await createSampleFiles(src, { files: 4, bytesEach: 8_000 });
  backupDir = join(root, 'backups');
  configFile = join(root, 'config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      backupDir,
      components: [{ name: 'files', type: 'folder', path: src }],
      mirrors: [{ name: 'usb', type: 'volume', volumes: disks.map((d) => ({ uuid: d.disk.uuid, label: d.label })), mode: 'all', eject: true }],
      schedule: { cron: '15 3 * * *', onDiskAttach: true },
    }),
  );
  // All three start at home: only the one of the first week is plugged in.
  for (const d of disks) await unplug(d);
});
test.after(() => runCleanups());

test('weeks of rotation: each disk catches up on what it missed; none attached is no warning; the swap alert names only the disk left out too long', async () => {
  // Week 1, Friday 6 Nov: „Montag“ is in.
  await plug(byLabel('Montag'));
  const w1 = await nightlyRun('2026-11-06T03:15:00Z', 'w1');
  assert.is(w1.code, 0, w1.stderr);
  assert.equal(w1.summary.mirrors.map((m: any) => [m.name, m.disk?.label, m.result, m.copied.length, m.ejected]), [['usb', 'Montag', 'success', 1, true]]);
  assert.ok(w1.events.some((e) => e.type === 'notification' && e.message.key === 'mirror.ejected' && e.message.params.label === 'MONTAG'), 'ejected with the notification, as a single disk');
  assert.equal(mountsOf(byLabel('Montag').device!), [], 'unmounted');
  assert.match(w1.stderr, /USB-Festplatte „Montag“ \(usb\) ist angeschlossen/);

  // Week 2: swapped for „Mittwoch“ (it gets week 1's backup it never had, and week 2's).
  await unplug(byLabel('Montag'));
  await plug(byLabel('Mittwoch'));
  const w2 = await nightlyRun('2026-11-13T03:15:00Z', 'w2');
  assert.is(w2.code, 0, w2.stderr);
  assert.equal(w2.summary.mirrors.map((m: any) => [m.disk?.label, m.copied]), [['Mittwoch', [w1.id, w2.id]]]);
  assert.equal(await onDisk(byLabel('Mittwoch')), [w1.id, w2.id]);

  // A night with none of the set attached: exit 0, an info, no failure recorded.
  await unplug(byLabel('Mittwoch'));
  const away = await nightlyRun('2026-11-14T03:15:00Z', 'away');
  assert.is(away.code, 0, away.stderr);
  assert.equal(away.summary.mirrors.map((m: any) => [m.result, m.message?.key]), [['skipped', 'mirror.rotation.noneAttached']]);
  assert.not.ok(away.events.some((e) => e.type === 'log' && e.level === 'warn'), 'no warning');
  assert.ok(away.events.some((e) => e.type === 'log' && e.message.key === 'mirror.rotation.noneAttached'), 'said as an info');
  assert.is(statusFile().destinations.usb.lastFailure, undefined);

  // Week 3: „Montag“ comes back and gets the two it missed.
  await plug(byLabel('Montag'));
  const w3 = await nightlyRun('2026-11-20T03:15:00Z', 'w3');
  assert.is(w3.code, 0, w3.stderr);
  assert.equal(w3.summary.mirrors[0].copied, [w2.id, away.id, w3.id]);
  assert.equal(await onDisk(byLabel('Montag')), [w1.id, w2.id, away.id, w3.id]);
  await unplug(byLabel('Montag'));

  const st = statusFile().destinations.usb;
  const mo = st.disks[byLabel('Montag').disk.uuid];
  const mi = st.disks[byLabel('Mittwoch').disk.uuid];
  const fr = st.disks[byLabel('Freitag').disk.uuid];
  assert.equal([mo.label, mo.lastSuccess.backupId, mo.lastVerified.ok], ['Montag', w3.id, true]);
  assert.equal([mi.lastSuccess.backupId, mi.lastSeen.slice(0, 10)], [w2.id, '2026-11-13']);
  assert.equal([fr.lastSeen, fr.lastSuccess, fr.since.slice(0, 10)], [undefined, undefined, '2026-11-06'], 'Freitag never seen, counted from the set’s first use');
  assert.is(st.lastSuccess.backupId, w3.id, 'the mirror’s own fields: the newest of its disks');

  // 27 Nov: Freitag has been missing for 21 days (> 15, the default for three disks) → „bitte
  // tauschen“; Mittwoch, at home for 14 days, is not nagged about; Montag was in a week ago.
  const s = await runCli(['status', '--config', configFile, '--json'], at('2026-11-27T12:00:00Z'));
  const usbAlerts = s.events[0]!.alerts.filter((a: any) => a.destination === 'usb');
  assert.equal(usbAlerts.map((a: any) => [a.kind, a.key, a.text]), [['diskSwap', `diskSwap:usb:${byLabel('Freitag').disk.uuid.toLowerCase()}`, 'USB-Festplatte „Freitag“ war seit 21 Tagen nicht angeschlossen – bitte tauschen.']]);
  const perDisk = s.events[0]!.destinations.usb.disks;
  assert.equal(perDisk.map((d: any) => [d.label, d.newest, d.attached]), [['Montag', w3.id, false], ['Mittwoch', w2.id, false], ['Freitag', null, false]]);
  const text = await runCli(['status', '--config', configFile], at('2026-11-27T12:00:00Z'));
  assert.match(text.stdout, /USB „Mittwoch“: letzte Kopie vor 14 Tagen, neuestes Backup 20261113_031500, zuletzt angeschlossen vor 14 Tagen, zu Hause/);
  assert.match(text.stdout, /USB „Freitag“: letzte Kopie noch keine, neuestes Backup noch keine, zuletzt angeschlossen noch nie, zu Hause/);

  // Freitag plugged in: `mirror --on-mount` (schedule.onDiskAttach) copies all four, verifies, ejects, says so.
  await plug(byLabel('Freitag'));
  const mount = await runCli(['mirror', '--on-mount', '--config', configFile, '--json'], at('2026-11-27T12:05:00Z'));
  assert.is(mount.code, 0, mount.stderr);
  assert.equal(mount.events.at(-1)!.summary.mirrors.map((m: any) => [m.disk?.label, m.result, m.copied.length, m.ejected]), [['Freitag', 'success', 4, true]]);
  assert.ok(mount.events.some((e) => e.type === 'notification' && e.message.key === 'mirror.ejected' && e.message.params.label === 'FREITAG'));
  assert.ok(mount.events.some((e) => e.type === 'log' && e.message.key === 'mirror.verified'), 'read back before the eject');
  assert.equal(mountsOf(byLabel('Freitag').device!), []);
  assert.equal(await onDisk(byLabel('Freitag')), [w1.id, w2.id, away.id, w3.id]);
  const after = await runCli(['status', '--config', configFile, '--json'], at('2026-11-27T12:10:00Z'));
  assert.equal(after.events[0]!.alerts.filter((a: any) => a.destination === 'usb'), [], 'the swap alert went with the swap');
  const attachedNow = after.events[0]!.destinations.usb.disks.find((d: any) => d.label === 'Freitag');
  assert.is(attachedNow.attached, true);
  await unplug(byLabel('Freitag'));

  // `mirror --on-mount` for a mount that is none of the set (all at home): quiet, exit 0.
  const quiet = await runCli(['mirror', '--on-mount', '--config', configFile, '--json'], at('2026-11-27T13:00:00Z'));
  assert.is(quiet.code, 0, quiet.stderr);
  assert.is(quiet.events.at(-1)!.summary.mirrors[0].result, 'skipped');

  // Two of the set attached at once: both are updated, in the config's order.
  await plug(byLabel('Mittwoch'));
  await plug(byLabel('Montag'));
  const both = await nightlyRun('2026-11-28T03:15:00Z', 'both');
  assert.is(both.code, 0, both.stderr);
  assert.equal(both.summary.mirrors.map((m: any) => [m.disk?.label, m.copied]), [['Montag', [both.id]], ['Mittwoch', [away.id, w3.id, both.id]]]);
  assert.equal(await onDisk(byLabel('Montag')), [w1.id, w2.id, away.id, w3.id, both.id]);
  assert.equal(await onDisk(byLabel('Mittwoch')), [w1.id, w2.id, away.id, w3.id, both.id]);
});

test('a required set with none attached fails the night, naming the set’s disks', async () => {
  for (const d of disks) await unplug(d);
  const cfg = JSON.parse(readFileSync(configFile, 'utf8'));
  cfg.mirrors[0].required = true;
  const required = join(root, 'required.json');
  await writeFile(required, JSON.stringify(cfg));
  const r = await runCli(['mirror', '--config', required, '--json'], at('2026-11-29T03:15:00Z'));
  assert.is(r.code, 1, r.stderr);
  const m = r.events.at(-1)!.summary.mirrors[0];
  assert.equal([m.result, m.message.key], ['absent', 'mirror.volumeAbsent']);
  assert.match(m.message.params.volume, /Montag .*Mittwoch .*Freitag/);
});

test.run();
