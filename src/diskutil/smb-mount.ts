// Mounting and unmounting the network share (SMB) of an `smb` mirror, on both platforms.
//
// macOS: `mount_smbfs -N -o nobrowse //user:<pw>@host/share <dir>`. mount_smbfs reads no Keychain
// (FACTS §2), so the password has to be in the URL, percent-encoded. It is therefore visible in
// argv; every plan lists it (raw and encoded) in `secrets`, so the runner replaces it in every line,
// log and error it hands out — mount_smbfs echoes the URL in its own error messages.
// Linux: `mount -t cifs` with a 0600 credentials file in a private temp dir that exists only while
// mount runs; the password is never in argv.
import { chmod, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '../i18n';
import type { Platform } from '../platform/paths';
import { CommandError, type CommandPlan } from '../process/runner';
import { PraxisError } from '../core/errors';
import type { DiskutilRefusal } from './diskutil-plist';
import { blockerMessage, DISKUTIL, diskutilPlans, runRetryingOnDissent, type RetryOptions, type Runner } from './diskutil-volumes';

// ---- URLs and ids ------------------------------------------------------------------------------

export interface SmbUrl {
  /** User named in the URL itself (smb://user@host/…), if any; the config's `user` wins. */
  user: string | null;
  /** As written in the URL, with the port if one is given ("nas.local", "127.0.0.1:4455"). */
  host: string;
  /** The host without the port ("[::1]" → "::1"). */
  hostname: string;
  /** smb://host:port/… (a test server on an unprivileged port, an NAS behind a port forward); null = 445. */
  port: number | null;
  /** The share, percent-decoded. */
  share: string;
  /** Folder inside the share ("praxis/backup"), percent-decoded, no leading/trailing "/"; "" for none. */
  subPath: string;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `smb://[user@]host/share[/sub/path]`. */
export function parseSmbUrl(url: string): SmbUrl {
  const m = /^smb:\/\/(?:([^@/]+)@)?([^@/\s]+)\/([^/\s]+)((?:\/[^\s]*)?)$/i.exec(url);
  if (!m) throw new PraxisError('mirror.smbUrl', { url });
  const subPath = m[4]!
    .split('/')
    .filter(Boolean)
    .map(decode)
    .join('/');
  const hp = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(m[2]!);
  const port = hp?.[3] ? Number(hp[3]) : null;
  if (!hp || (port !== null && (port < 1 || port > 65535))) throw new PraxisError('mirror.smbUrl', { url });
  return { user: m[1] ? decode(m[1]) : null, host: m[2]!, hostname: hp[1] ?? hp[2]!, port, share: decode(m[3]!), subPath };
}

/** The credential id of a share: smb://<user>@<host>/<share> (what `credentials set` takes). */
export function smbCredentialId(url: string, user: string): string {
  const u = parseSmbUrl(url);
  return `smb://${user}@${u.host}/${encodeURIComponent(u.share)}`;
}

// ---- plans -------------------------------------------------------------------------------------

export interface SmbLogin {
  host: string;
  share: string;
  user: string;
  password: string | null;
}

/** Both forms of the password, longest first (so the encoded form is replaced as a whole). */
function passwordSecrets(password: string | null): string[] {
  if (!password) return [];
  return [...new Set([encodeURIComponent(password), password])].sort((a, b) => b.length - a.length);
}

export const MOUNT_SMBFS = '/sbin/mount_smbfs';

/** macOS: mount_smbfs with the percent-encoded password in the URL (redacted via `secrets`). */
export function planMacSmbMount(login: SmbLogin, mountPoint: string, mountSmbfs = MOUNT_SMBFS): CommandPlan {
  const auth = login.password === null ? encodeURIComponent(login.user) : `${encodeURIComponent(login.user)}:${encodeURIComponent(login.password)}`;
  return {
    label: `mount_smbfs //${login.host}/${login.share}`,
    file: mountSmbfs,
    // -N: never prompt (nobody could answer in a scheduled run); nobrowse: no Finder/desktop icon,
    // so the admin is not invited to eject it in the middle of a copy.
    args: ['-N', '-o', 'nobrowse', `//${auth}@${login.host}/${encodeURIComponent(login.share)}`, mountPoint],
    secrets: passwordSecrets(login.password),
    timeoutMs: 120_000,
  };
}

export const MOUNT = '/bin/mount';
export const UMOUNT = '/bin/umount';

/** Linux: mount.cifs via mount(8); the credentials come from a file, never argv. */
export function planLinuxCifsMount(
  login: Pick<SmbLogin, 'host' | 'share' | 'password'>,
  mountPoint: string,
  credentialsFile: string,
  uid: number,
  gid: number,
  mount = MOUNT,
): CommandPlan {
  return {
    label: `mount -t cifs //${login.host}/${login.share}`,
    file: mount,
    args: ['-t', 'cifs', `//${login.host}/${login.share}`, mountPoint, '-o', `credentials=${credentialsFile},uid=${uid},gid=${gid},iocharset=utf8,vers=3.0`],
    // Not in argv, but redacted anyway should any tool ever echo it.
    secrets: passwordSecrets(login.password),
    timeoutMs: 120_000,
  };
}

/** The content of a mount.cifs credentials file (one key=value per line, value up to the line end). */
export function cifsCredentials(user: string, password: string | null): string {
  if (/[\r\n]/.test(user) || (password && /[\r\n]/.test(password))) {
    // A line break cannot be written into the file format; never silently cut a password.
    throw new Error('SMB user name or password contains a line break; it cannot be passed to mount.cifs');
  }
  return `username=${user}\npassword=${password ?? ''}\n`;
}

export function planLinuxUnmount(mountPoint: string, umount = UMOUNT): CommandPlan {
  return { label: `umount ${mountPoint}`, file: umount, args: [mountPoint], timeoutMs: 60_000 };
}

// ---- the mount table ---------------------------------------------------------------------------

export interface MountEntry {
  source: string;
  mountPoint: string;
  fsType: string;
}

/**
 * macOS `/sbin/mount` without arguments: one line per mount, in the form FACTS §2 gives:
 * `//user@host/share on /Volumes/x (smbfs, …)`.
 */
export function parseMacMountOutput(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.+?) on (.+) \(([^,()]+)[^()]*\)\s*$/.exec(line);
    if (m) out.push({ source: m[1]!, mountPoint: m[2]!, fsType: m[3]!.trim() });
  }
  return out;
}

/** Linux /proc/self/mountinfo (proc(5)): field 5 is the mount point; after " - ": type, source. */
export function parseMountinfo(text: string): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4];
    const [fsType, source] = right.split(' ');
    if (mountPoint && fsType && source !== undefined) out.push({ source: unescape(source), mountPoint: unescape(mountPoint), fsType });
  }
  return out;
}

/** Is this mount's source the share //host/share (any user, case-insensitive, percent-decoded)? */
export function isSameShare(source: string, host: string, share: string): boolean {
  const m = /^\/\/(?:[^/]*@)?([^/]+)\/([^/]+)\/?$/.exec(source);
  if (!m) return false;
  return decode(m[1]!).toLowerCase() === host.toLowerCase() && decode(m[2]!).toLowerCase() === share.toLowerCase();
}

const stripSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

// ---- error mapping -----------------------------------------------------------------------------

interface ShareContext {
  login: SmbLogin;
  mountPoint: string;
  credentialId: string;
}

function detailOf(e: CommandError): string {
  const lines = [...e.stderrTail, ...e.stdoutTail].filter((l) => l.trim());
  return lines.slice(-3).join(' | ') || e.message;
}

const shareName = (l: SmbLogin) => `//${l.host}/${l.share}`;

function unreachable(ctx: ShareContext, detail: string): PraxisError {
  return new PraxisError('error.smbUnreachable', { share: shareName(ctx.login), host: ctx.login.host, shareName: ctx.login.share, detail });
}

function mountFailed(ctx: ShareContext, detail: string | Message): PraxisError {
  return new PraxisError('error.smbMountFailed', { share: shareName(ctx.login), mountPoint: ctx.mountPoint, detail });
}

/**
 * mount_smbfs exits with sysexits codes (SMBClient mount_smbfs.c, see DISKUTIL-MESSAGES.md):
 * 77 EX_NOPERM "server rejected the connection" = wrong user or password; 68 EX_NOHOST "server
 * connection failed" / "share connection failed" = server or share not reachable; 64 EX_USAGE
 * "mount error: …: File exists" = already mounted (there or elsewhere).
 */
export function mapMacMountFailure(e: CommandError, ctx: ShareContext): PraxisError | 'fileExists' {
  const detail = detailOf(e);
  if (e.reason === 'timeout') return unreachable(ctx, detail);
  if (e.reason !== 'exit') return mountFailed(ctx, detail);
  if (e.exitCode === 77) return new PraxisError('error.smbAuth', { share: shareName(ctx.login), user: ctx.login.user, id: ctx.credentialId });
  if (e.exitCode === 68) return unreachable(ctx, detail);
  if (e.exitCode === 64 && /File exists/.test(detail)) return 'fileExists';
  return mountFailed(ctx, detail);
}

/**
 * mount.cifs prints `mount error(<errno>): <strerror>` and exits 32 (EX_FAIL) when the kernel
 * refuses the mount (cifs-utils mount.cifs.c @ 25ba696a, piastry/cifs-utils). Which errno means what:
 * - 13 EACCES "Permission denied": the server refused the login (cifs-utils issues, e.g.
 *   simatec/ioBroker.backitup#61, democratic-csi/democratic-csi#67; dmesg there shows
 *   NT_STATUS_WRONG_PASSWORD / NT_LOGON_STATUS_FAILURE).
 * - 2 ENOENT "No such file or directory": no such share (dperson/samba#449: dmesg
 *   "BAD_NETWORK_NAME … cifs_mount failed w/return code = -2").
 * - 111 ECONNREFUSED, 113 EHOSTUNREACH "No route to host", 115 EINPROGRESS: cannot connect
 *   (mount.cifs.c retries each address on these; home-assistant/core#102663 for 115).
 * - 110 ETIMEDOUT (risuorg/risu#626, kernel "cifs_mount failed w/return code = -110").
 * - 112 EHOSTDOWN "Host is down": server unreachable, or it closed the connection because it does
 *   not speak the SMB version asked for (mount.cifs.c prints "Server abruptly closed the
 *   connection"; raspberrypi/documentation#1098).
 * - "mount error: could not resolve address for <host>: …": unknown host name (mount.cifs.c;
 *   RuneAudio/RuneUI#68: "mount error: could not resolve address for MY-SERVER: Unknown error").
 * - Without the mount.cifs helper, util-linux reports the kernel's errno itself:
 *   "mount: <dir>: mount(2) system call failed: No route to host." (nix-community/home-manager#7139).
 * - 19 ENODEV "cifs filesystem not supported by the system" (mount.cifs.c), and util-linux
 *   2.38.1 without cifs support: "mount: <dir>: unknown filesystem type 'cifs'." (exit 32,
 *   recorded on this project's Linux test machine).
 */
export function mapLinuxMountFailure(e: CommandError, ctx: ShareContext): PraxisError {
  const detail = detailOf(e);
  if (e.reason === 'timeout') return unreachable(ctx, detail);
  if (e.reason !== 'exit') return mountFailed(ctx, detail);
  if (/unknown filesystem type 'cifs'|filesystem not supported by the system/.test(detail)) {
    return new PraxisError('error.smbCifsMissing', { detail });
  }
  const errno = Number(/mount error\((\d+)\)/.exec(detail)?.[1] ?? NaN);
  if (errno === 13) return new PraxisError('error.smbAuth', { share: shareName(ctx.login), user: ctx.login.user, id: ctx.credentialId });
  if (errno === 19) return new PraxisError('error.smbCifsMissing', { detail });
  if ([2, 110, 111, 112, 113, 115].includes(errno)) return unreachable(ctx, detail);
  if (/could not resolve address|system call failed: (No route to host|Host is down|Connection refused|Connection timed out)/.test(detail)) {
    return unreachable(ctx, detail);
  }
  return mountFailed(ctx, detail);
}

/** util-linux umount: "umount: <dir>: target is busy." / "…: not mounted." (both exit 32, recorded here). */
function classifyLinuxUmount(output: string[]): DiskutilRefusal {
  const text = output.join('\n');
  if (/target is busy/.test(text)) return { kind: 'busy' };
  if (/not mounted/.test(text)) return { kind: 'alreadyUnmounted' };
  return { kind: 'other' };
}

// ---- the adapter -------------------------------------------------------------------------------

export interface SmbSharesOptions extends RetryOptions {
  /** Handed in by the composition root, the only place that knows the platform. */
  platform: Platform;
  run: Runner;
  /** What is mounted where. Default: `/sbin/mount` (macOS) or /proc/self/mountinfo (Linux). */
  mountTable?: () => Promise<MountEntry[]>;
  /** Program paths (tests point them at stand-ins). */
  tools?: { mountSmbfs?: string; mount?: string; umount?: string; diskutil?: string; macMount?: string };
  /** Linux: owner of the mounted files (default: this process's uid/gid). */
  uid?: number;
  gid?: number;
  /** Linux: where the private credentials directory is made (default os.tmpdir()). */
  tempDir?: string;
}

/** Mounts and unmounts SMB shares; matches the `Shares` port of src/core/shares.ts. */
export class SmbShares {
  constructor(private readonly opts: SmbSharesOptions) {}

  private async mounts(): Promise<MountEntry[]> {
    if (this.opts.mountTable) return this.opts.mountTable();
    if (this.opts.platform === 'linux') return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
    const lines: string[] = [];
    await this.opts.run(
      { label: 'mount (list)', file: this.opts.tools?.macMount ?? '/sbin/mount', args: [], timeoutMs: 30_000 },
      { onStdoutLine: (l) => lines.push(l) },
    );
    return parseMacMountOutput(lines.join('\n'));
  }

  private async at(mountPoint: string, table?: MountEntry[]): Promise<MountEntry | undefined> {
    // The mount table holds resolved paths (macOS: /private/tmp for /tmp).
    const mp = stripSlash(await realpath(mountPoint).catch(() => mountPoint));
    const wanted = new Set([mp, stripSlash(mountPoint)]);
    // The last entry wins: a later mount hides an earlier one on the same directory.
    return (table ?? (await this.mounts())).filter((m) => wanted.has(stripSlash(m.mountPoint))).pop();
  }

  /**
   * Mounts //host/share of `url` at `mountPoint` (an existing, empty directory). A sub-path in the
   * URL is not mounted; the caller uses parseSmbUrl(url).subPath inside the mount point. Already
   * mounted there: returns quietly. Errors: PraxisError smbAuth / smbUnreachable / smbMountFailed /
   * smbCifsMissing, with the password redacted from every detail.
   */
  async mount(url: string, user: string, password: string | null, mountPoint: string): Promise<void> {
    const u = parseSmbUrl(url);
    const login: SmbLogin = { host: u.host, share: u.share, user, password };
    const ctx: ShareContext = { login, mountPoint, credentialId: smbCredentialId(url, user) };

    const present = await this.at(mountPoint);
    if (present) {
      if (isSameShare(present.source, u.host, u.share)) return;
      throw mountFailed(ctx, { key: 'smb.detail.otherMount', params: { other: `${present.source} (${present.fsType})` } });
    }
    if (this.opts.platform === 'darwin') await this.mountMac(login, ctx);
    else await this.mountLinux(login, ctx);
  }

  private async mountMac(login: SmbLogin, ctx: ShareContext): Promise<void> {
    try {
      await this.opts.run(planMacSmbMount(login, ctx.mountPoint, this.opts.tools?.mountSmbfs));
      return;
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      const mapped = mapMacMountFailure(e, ctx);
      if (mapped !== 'fileExists') throw mapped;
      // "File exists": this share is mounted already — fine if it is mounted right here.
      const all = await this.mounts();
      const here = await this.at(ctx.mountPoint, all);
      if (here && isSameShare(here.source, login.host, login.share)) return;
      const elsewhere = all.find((m) => isSameShare(m.source, login.host, login.share));
      if (elsewhere) throw mountFailed(ctx, { key: 'smb.detail.mountedElsewhere', params: { where: elsewhere.mountPoint } });
      throw mountFailed(ctx, detailOf(e));
    }
  }

  private async mountLinux(login: SmbLogin, ctx: ShareContext): Promise<void> {
    const content = cifsCredentials(login.user, login.password);
    // mkdtemp makes the directory 0700: nobody else can even see the file's name.
    const dir = await mkdtemp(join(this.opts.tempDir ?? tmpdir(), 'praxis-smb-'));
    try {
      const file = join(dir, 'credentials');
      await writeFile(file, content, { mode: 0o600, flag: 'wx' });
      await chmod(file, 0o600); // exact, whatever the umask
      const uid = this.opts.uid ?? process.getuid?.() ?? 0;
      const gid = this.opts.gid ?? process.getgid?.() ?? 0;
      await this.opts.run(planLinuxCifsMount(login, ctx.mountPoint, file, uid, gid, this.opts.tools?.mount));
    } catch (e) {
      if (e instanceof CommandError) throw mapLinuxMountFailure(e, ctx);
      throw e;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Unmounts the share at `mountPoint`; nothing mounted there: nothing to do. Blocked: one retry. */
  async unmount(mountPoint: string): Promise<void> {
    if (!(await this.at(mountPoint))) return;
    const mac = this.opts.platform === 'darwin';
    const plan = mac ? diskutilPlans(this.opts.tools?.diskutil ?? DISKUTIL).unmount(mountPoint) : planLinuxUnmount(mountPoint, this.opts.tools?.umount);
    let outcome;
    try {
      outcome = await runRetryingOnDissent(this.opts.run, plan, this.opts, mac ? undefined : classifyLinuxUmount);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      throw new PraxisError('error.smbUnmountFailed', { mountPoint, reason: e.message });
    }
    if (outcome.ok) return;
    const { refusal, output } = outcome;
    const reason: Message | string =
      refusal.kind === 'dissented' || refusal.kind === 'busy'
        ? { key: 'smb.detail.blocked', params: { process: blockerMessage(refusal) } }
        : output.filter((l) => l.trim()).slice(-3).join(' | ');
    throw new PraxisError('error.smbUnmountFailed', { mountPoint, reason }, undefined, output);
  }
}
