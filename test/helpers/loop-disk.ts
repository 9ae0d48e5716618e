// Real ext4 "USB disks" for the tests: a sparse image file attached as a loop device (needs root).
// Without udev, lsblk cannot see their label or UUID; blkid and the mount table can.
//
// Every disk is detached by detach() or the registered cleanups (after unmounting whatever is
// mounted from it), with a synchronous fallback for process.exit and crashes. A cleanup detaches
// a loop device only while it still points at our image, so it never detaches a device that
// someone else attached after ours was gone.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, registerCleanup } from './temp';

export interface LoopDisk {
  image: string;
  /** /dev/loopN */
  device: string;
  label: string;
  uuid: string;
  sizeMiB: number;
  /** Unmount everything mounted from the device, then detach it (idempotent). */
  detach(): Promise<void>;
}

export interface LoopDiskOptions {
  sizeMiB: number;
  label: string;
  /** File-system UUID; default a random one (so the test knows it without asking blkid). */
  uuid?: string;
  fs?: 'ext4';
  /**
   * More mkfs.ext4 options. mke2fs picks 1 KiB blocks for a small image, and ext4 holds an xattr
   * only up to about one block: ['-b', '4096', '-O', 'ea_inode'] holds 64 KiB values.
   */
  mkfsOptions?: string[];
}

export interface MountInfo {
  majMin: string;
  root: string;
  target: string;
  fstype: string;
  source: string;
}

/** /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The kernel's mount table, read directly (the tests' independent witness, not the adapter's). */
export function mountInfo(): MountInfo[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // "36 35 98:0 /root /target opts [optional…] - fstype source superopts"
      const [left, right] = line.split(' - ');
      const f = (left ?? '').split(' ');
      const r = (right ?? '').split(' ');
      return { majMin: f[2] ?? '', root: unescape(f[3] ?? ''), target: unescape(f[4] ?? ''), fstype: r[0] ?? '', source: unescape(r[1] ?? '') };
    });
}

/** Where `device` is mounted right now, per the kernel. */
export function mountsOf(device: string): string[] {
  return mountInfo().filter((m) => m.source === device).map((m) => m.target);
}

export function isMountPoint(dir: string): boolean {
  return mountInfo().some((m) => m.target === dir);
}

/** Mount a device on an existing directory (the caller or the disk's cleanup unmounts it). */
export async function mountAt(device: string, dir: string): Promise<void> {
  await execa('mount', [device, dir]);
}

/** The image a loop device is attached to right now, or null. */
function backingFile(device: string): string | null {
  try {
    return readFileSync(`/sys/block/${device.replace('/dev/', '')}/loop/backing_file`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Loop devices attached to images under `dir` (for "nothing left behind" checks). */
export function loopDevicesUnder(dir: string): string[] {
  const out = execFileSync('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.startsWith(dir))
    .map((f) => f[0]!);
}

export async function makeLoopDisk(opts: LoopDiskOptions): Promise<LoopDisk> {
  const dir = await makeTempDir('praxis-loopdisk');
  const image = join(dir, 'disk.img');
  const uuid = opts.uuid ?? randomUUID();
  await execa('truncate', ['-s', `${opts.sizeMiB}M`, image]);
  await execa('mkfs.ext4', ['-q', '-F', ...(opts.mkfsOptions ?? []), '-L', opts.label, '-U', uuid, image]);
  const device = (await execa('losetup', ['--find', '--show', image])).stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup gave "${device}"`);

  let detached = false;
  const ours = () => backingFile(device) === image;
  const detachSync = () => {
    if (detached) return;
    detached = true;
    for (const target of mountsOf(device).reverse()) {
      try { execFileSync('umount', [target], { stdio: 'ignore' }); } catch {
        try { execFileSync('umount', ['-l', target], { stdio: 'ignore' }); } catch { /* gone */ }
      }
    }
    if (ours()) execFileSync('losetup', ['-d', device], { stdio: 'ignore' });
  };
  // Registered after makeTempDir, so it runs before the image's folder is removed.
  const unregister = registerCleanup(() => disk.detach(), { sync: detachSync, label: `detach ${device}` });

  const disk: LoopDisk = {
    image,
    device,
    label: opts.label,
    uuid,
    sizeMiB: opts.sizeMiB,
    async detach() {
      if (detached) return;
      detached = true;
      unregister();
      for (const target of mountsOf(device).reverse()) {
        // A test's child process may still sit in the mount for a moment after being killed.
        let ok = false;
        for (let i = 0; i < 20 && !ok; i++) {
          ok = (await execa('umount', [target], { reject: false })).exitCode === 0;
          if (!ok) await new Promise((r) => setTimeout(r, 100));
        }
        if (!ok) await execa('umount', ['-l', target], { reject: false });
      }
      if (ours()) await execa('losetup', ['-d', device]);
    },
  };
  return disk;
}
