// A real, size-limited tmpfs (needs root / CAP_SYS_ADMIN): the honest way to test "disk full".
// Writing past the limit fails with ENOSPC exactly like a full backup disk.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { makeTempDir, registerCleanup } from './temp';

export interface TmpfsMount {
  path: string;
  unmount(): Promise<void>;
}

/** Is `path` a mount point right now (per /proc/self/mounts)? */
export function isMounted(path: string): boolean {
  // /proc/self/mounts escapes space, tab, newline and backslash as octal.
  const esc = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return false; // no /proc (macOS): nothing here mounts there
  }
  return mounts.split('\n').some((l) => l.split(' ')[1] === esc);
}

export interface TmpfsOptions {
  /** Size limit in MiB (default: the kernel's default, half the RAM — memory is used only as filled). */
  sizeMiB?: number;
  /** Mode of the root directory (default 0755). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** 'ramfs': a RAM file system that holds no xattrs and no ACLs (and ignores the size): a FAT stick's stand-in, since vfat is not in this kernel. */
  fs?: 'tmpfs' | 'ramfs';
}

/** Mount a tmpfs on an existing directory. Low level: the caller unmounts (unmountPath / unmountPathSync). */
export async function mountTmpfsAt(path: string, opts: TmpfsOptions = {}): Promise<void> {
  const o = [`mode=${(opts.mode ?? 0o755).toString(8)}`];
  if (opts.sizeMiB !== undefined && opts.fs !== 'ramfs') o.push(`size=${Math.round(opts.sizeMiB * 1024)}k`);
  if (opts.uid !== undefined) o.push(`uid=${opts.uid}`);
  if (opts.gid !== undefined) o.push(`gid=${opts.gid}`);
  const r = await execa('mount', ['-t', opts.fs ?? 'tmpfs', '-o', o.join(','), 'praxis-test', path], { reject: false });
  if (r.exitCode !== 0) throw new Error(`mount -t ${opts.fs ?? 'tmpfs'} on ${path} failed (needs root): ${r.stderr || r.message}`);
}

/** Unmount; a process may still hold a file open (EBUSY): retry briefly, then detach lazily. */
export async function unmountPath(path: string): Promise<void> {
  for (let i = 0; i < 10 && isMounted(path); i++) {
    const u = await execa('umount', [path], { reject: false });
    if (u.exitCode === 0) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  if (isMounted(path)) await execa('umount', ['-l', path], { reject: false });
}

export function unmountPathSync(path: string): void {
  if (!isMounted(path)) return;
  try { execFileSync('umount', [path], { stdio: 'ignore' }); } catch {
    try { execFileSync('umount', ['-l', path], { stdio: 'ignore' }); } catch { /* not mounted */ }
  }
}

/** A size-limited tmpfs on a fresh temp dir; unmounted and removed by unmount() or the cleanups. */
export async function mountTmpfs(sizeMiB: number, opts: { mode?: number; fs?: 'tmpfs' | 'ramfs' } = {}): Promise<TmpfsMount> {
  if (!(sizeMiB > 0)) throw new Error(`mountTmpfs: size must be positive, got ${sizeMiB}`);
  const path = await makeTempDir('praxis-tmpfs');
  try {
    await mountTmpfsAt(path, { sizeMiB, mode: opts.mode, fs: opts.fs });
  } catch (err) {
    await rm(path, { recursive: true, force: true });
    throw err;
  }

  let done = false;
  const unmountSync = () => {
    if (done) return;
    done = true;
    unmountPathSync(path);
    if (!isMounted(path)) rmSync(path, { recursive: true, force: true });
  };
  const unregister = registerCleanup(() => mount.unmount(), { sync: unmountSync, label: `umount ${path}` });

  const mount: TmpfsMount = {
    path,
    async unmount(): Promise<void> {
      if (done) return;
      done = true;
      unregister();
      await unmountPath(path);
      // Never rm -r a directory that is still a mount point (it would empty the mounted fs, not the dir).
      if (!isMounted(path)) await rm(path, { recursive: true, force: true });
    },
  };
  return mount;
}
