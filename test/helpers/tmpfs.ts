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
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === esc);
}

export async function mountTmpfs(sizeMiB: number, opts: { mode?: number } = {}): Promise<TmpfsMount> {
  if (!(sizeMiB > 0)) throw new Error(`mountTmpfs: size must be positive, got ${sizeMiB}`);
  const path = await makeTempDir('praxis-tmpfs');
  const mode = (opts.mode ?? 0o755).toString(8);
  const r = await execa('mount', ['-t', 'tmpfs', '-o', `size=${Math.round(sizeMiB * 1024)}k,mode=${mode}`, 'praxis-test', path], { reject: false });
  if (r.exitCode !== 0) {
    await rm(path, { recursive: true, force: true });
    throw new Error(`mount -t tmpfs failed (needs root): ${r.stderr || r.message}`);
  }

  let done = false;
  const unmountSync = () => {
    if (done) return;
    done = true;
    try { execFileSync('umount', [path], { stdio: 'ignore' }); } catch {
      try { execFileSync('umount', ['-l', path], { stdio: 'ignore' }); } catch { /* not mounted */ }
    }
    if (!isMounted(path)) rmSync(path, { recursive: true, force: true });
  };
  const unregister = registerCleanup(() => mount.unmount(), { sync: unmountSync, label: `umount ${path}` });

  const mount: TmpfsMount = {
    path,
    async unmount(): Promise<void> {
      if (done) return;
      done = true;
      unregister();
      // A process may still hold a file open (EBUSY): retry briefly, then detach lazily.
      for (let i = 0; i < 10 && isMounted(path); i++) {
        const u = await execa('umount', [path], { reject: false });
        if (u.exitCode === 0) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      if (isMounted(path)) await execa('umount', ['-l', path], { reject: false });
      // Never rm -r a directory that is still a mount point (it would empty the mounted fs, not the dir).
      if (!isMounted(path)) await rm(path, { recursive: true, force: true });
    },
  };
  return mount;
}
