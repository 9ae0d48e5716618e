// Encrypted sparse bundles for network-share mirrors on macOS (issue 8). An SMB share cannot hold
// an encrypted APFS volume, so the mirror lives inside an AES-256 encrypted disk image on the
// share: created once, attached (decrypted, mounted) for the copy, detached afterwards. The NAS —
// and anyone who takes it — only ever sees encrypted 8 MB band files.
//
// Plans first, run second (see diskutil-volumes.ts). The passphrase goes to hdiutil on stdin only.
//
// Sources. Nothing here is in ../shared/reference/macos. What it relies on:
// - `-stdinpass`: hdiutil(1), quoted verbatim in Sparkle (sparkle-project/Sparkle, the disk-image
//   unarchiver: "From the hdiutil docs: read a null-terminated passphrase from standard input") and
//   in two independent Swift wrappers that copy the man page: "read a null-terminated passphrase
//   from standard input. If the standard input is a tty, the passphrase will be read with
//   readpassphrase(3). … Beware that the password will contain any newlines before the NULL."
//   So plan.input is the passphrase followed by exactly one NUL and nothing else — a newline
//   would become part of the passphrase. Sparkle sends the same (password + "\0", then "yes\n" for
//   a licence prompt we never get with our own images). [V man-page text via those copies]
// - `create -type SPARSEBUNDLE -fs APFS -encryption AES-256 -volname … -size …`, `attach -nobrowse
//   -mountpoint …`, `detach`: option names as in issue 8 and hdiutil(1) (10.9 man page at
//   developer.apple.com lists create/attach/detach and -encryption "AES-128|AES-256"; -fs APFS
//   needs macOS 10.13+) [V names; the exact combination is not recorded here: U].
// - That `create -stdinpass` reads the passphrase ONCE (no "verify" second read) [U: believed from
//   the man page's "-stdinpass replaces -passphrase"; not captured].
// - Error texts: see classifyHdiutilFailure.
import type { CommandError, CommandPlan, RunResult } from '../process/runner';
import { PraxisError } from '../core/errors';
import { assertStdinPassphrase } from './apfs-encryption';

export const HDIUTIL = '/usr/bin/hdiutil';

/**
 * The size of the sparse bundle's virtual disk. A sparse bundle takes only the space of what is
 * written (in 8 MB bands) and grows up to this limit, so the limit costs nothing on the NAS; it
 * only has to be larger than the backup directory will ever get. 2 TB is several times a large
 * practice's backup (database dumps + years of attachments) and fits any NAS volume we expect; the
 * share's own free space or quota is the real limit. Larger later: `hdiutil resize -size …`.
 */
export const SPARSE_BUNDLE_MAX_SIZE = '2t';

function hdiutilInput(passphrase: string): string {
  assertStdinPassphrase(passphrase);
  return `${passphrase}\0`;
}

function assertPath(p: string, what: string): void {
  // Absolute paths only: a relative one starting with "-" would be read as an option.
  if (!p.startsWith('/')) throw new Error(`${what} must be an absolute path: ${JSON.stringify(p)}`);
}

/** `hdiutil create -type SPARSEBUNDLE -fs APFS -encryption AES-256 -stdinpass -volname <v> -size 2t <path>`. */
export function planCreateSparseBundle(path: string, volname: string, passphrase: string, hdiutil = HDIUTIL): CommandPlan {
  assertPath(path, 'sparse bundle');
  if (!/^[^-/:][^/:]{0,62}$/.test(volname)) throw new PraxisError('apfs.badLabel', { label: volname });
  return {
    label: `hdiutil create ${path}`,
    file: hdiutil,
    args: ['create', '-type', 'SPARSEBUNDLE', '-fs', 'APFS', '-encryption', 'AES-256', '-stdinpass', '-volname', volname, '-size', SPARSE_BUNDLE_MAX_SIZE, path],
    input: hdiutilInput(passphrase),
    secrets: [passphrase],
    // Creating on a share writes the band directory and formats APFS over SMB.
    timeoutMs: 600_000,
  };
}

/**
 * `hdiutil attach <path> -stdinpass -nobrowse -mountpoint <dir>`. -nobrowse: no Finder icon, so
 * nobody ejects it mid-copy; -mountpoint: the engine knows where to copy without parsing output.
 */
export function planAttach(path: string, mountPoint: string, passphrase: string, hdiutil = HDIUTIL): CommandPlan {
  assertPath(path, 'sparse bundle');
  assertPath(mountPoint, 'mount point');
  return {
    label: `hdiutil attach ${path}`,
    file: hdiutil,
    args: ['attach', path, '-stdinpass', '-nobrowse', '-mountpoint', mountPoint],
    input: hdiutilInput(passphrase),
    secrets: [passphrase],
    timeoutMs: 300_000,
  };
}

/** `hdiutil detach <mountPoint>`: unmounts and detaches; the bundle on the share is locked again. */
export function planDetach(mountPoint: string, hdiutil = HDIUTIL): CommandPlan {
  assertPath(mountPoint, 'mount point');
  return { label: `hdiutil detach ${mountPoint}`, file: hdiutil, args: ['detach', mountPoint], timeoutMs: 180_000 };
}

// ---- error mapping -------------------------------------------------------------------------------

export type HdiutilFailureKind = 'wrongPassphrase' | 'missing' | 'busy' | 'other';

/**
 * hdiutil prints `hdiutil: <verb> failed - <reason>` and exits 1. NONE of these is in
 * DISKUTIL-MESSAGES.md; all are [B]: used as stderr in the tests of several public projects
 * (one says "provoked against the real tool", exit 1 for both of the first two):
 * - "hdiutil: attach failed - Authentication error" → wrong passphrase;
 * - "hdiutil: attach failed - No such file or directory" → bundle missing (share not mounted?);
 * - "hdiutil: attach failed - Resource busy" / detach "Resource busy" → in use.
 * One public project notes hdiutil "observed exiting 0 on auth failure", so checkAttachResult()
 * also reads the output of a successful run. Exit codes other than 1 are not documented [U].
 */
export function classifyHdiutilFailure(lines: readonly string[]): HdiutilFailureKind {
  const text = lines.join('\n');
  if (/Authentication error/i.test(text)) return 'wrongPassphrase';
  if (/No such file or directory|image not recognized/i.test(text)) return 'missing';
  if (/Resource busy/i.test(text)) return 'busy';
  return 'other';
}

export interface BundleContext {
  name: string;
  path: string;
  credentialId: string;
}

function detailOf(lines: readonly string[], fallback: string): string {
  return lines.filter((l) => l.trim()).slice(-3).join(' | ') || fallback;
}

export function mapHdiutilFailure(e: CommandError, verb: 'create' | 'attach' | 'detach', ctx: BundleContext): PraxisError {
  const lines = [...e.stderrTail, ...e.stdoutTail];
  const detail = detailOf(lines, e.message);
  const base = { name: ctx.name, path: ctx.path };
  const kind = e.reason === 'exit' ? classifyHdiutilFailure(lines) : 'other';
  if (verb === 'attach' && kind === 'wrongPassphrase') return new PraxisError('hdiutil.wrongPassphrase', { ...base, id: ctx.credentialId });
  if (verb === 'attach' && kind === 'missing') return new PraxisError('hdiutil.missing', { ...base, detail });
  if (verb === 'detach' && kind === 'busy') return new PraxisError('hdiutil.busy', { ...base, detail });
  const key = verb === 'create' ? 'hdiutil.createFailed' : verb === 'attach' ? 'hdiutil.attachFailed' : 'hdiutil.detachFailed';
  return new PraxisError(key, { ...base, detail });
}

/** After an attach that exited 0: still refuse if hdiutil reported an authentication error. */
export function checkAttachResult(result: RunResult, ctx: BundleContext): void {
  if (classifyHdiutilFailure([...result.stderrTail, ...result.stdoutTail]) === 'wrongPassphrase') {
    throw new PraxisError('hdiutil.wrongPassphrase', { name: ctx.name, path: ctx.path, id: ctx.credentialId });
  }
}

