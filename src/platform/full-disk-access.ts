// Full Disk Access (macOS TCC). Without it, rsync started by a launchd job fails on protected
// folders with "Operation not permitted" (exit 23), while the same command works from Terminal,
// which has its own grant. TCC judges the *responsible process*: for a LaunchAgent that is the
// program launchd starts (ProgramArguments[0], our node binary), and rsync / pg_dump inherit it.
// So the answer that matters is the one the scheduled run gets itself; `run --scheduled` records it
// in the status file, and `status` shows that next to the answer for the current process.
//
// node-mac-permissions is an optional dependency (a macOS-only native addon, absent on Linux). It
// is loaded at run time with a plain import() that the bundler leaves alone, so the CLI starts
// without it; its check opens a few TCC-protected files and reads EPERM as "denied".
import type { Platform } from './paths';

export type FullDiskAccessStatus = 'authorized' | 'denied' | 'not determined' | 'not applicable' | 'unavailable';

export interface FullDiskAccess {
  status: FullDiskAccessStatus;
  /** The executable whose grant was checked (this process's node binary). */
  executable: string;
  /** Why the check could not be made ('unavailable'). */
  detail?: string;
}

interface MacPermissions {
  getAuthStatus(type: 'full-disk-access'): string;
}

export type PermissionsLoader = () => Promise<MacPermissions>;

const MODULE = 'node-mac-permissions';

export const loadMacPermissions: PermissionsLoader = async () => {
  const mod = (await import(/* webpackIgnore: true */ MODULE)) as MacPermissions & { default?: MacPermissions };
  return typeof mod.getAuthStatus === 'function' ? mod : mod.default!;
};

export async function checkFullDiskAccess(platform: Platform, executable: string, load: PermissionsLoader = loadMacPermissions): Promise<FullDiskAccess> {
  // Linux has no TCC; the module is not even installed there.
  if (platform !== 'darwin') return { status: 'not applicable', executable };
  let perms: MacPermissions;
  try {
    perms = await load();
  } catch (e) {
    return { status: 'unavailable', executable, detail: `${MODULE}: ${(e as Error).message}` };
  }
  const s = perms.getAuthStatus('full-disk-access');
  if (s === 'authorized' || s === 'denied' || s === 'not determined') return { status: s, executable };
  return { status: 'unavailable', executable, detail: `${MODULE} answered "${s}"` };
}
