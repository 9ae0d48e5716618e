// Encrypted mirrors on Linux: a gocryptfs folder on the target (file contents AND names encrypted,
// one cipher file per plain file, so rsync's incremental copies and hard links keep working on the
// decrypted view). The engine mounts the decrypted view for the copy and unmounts it afterwards.
//
// The passphrase reaches gocryptfs ONLY on stdin (plan.input): gocryptfs 2.3 reads it from stdin
// when stdin is not a terminal — once, also for -init (the "type it twice" check is only done on a
// terminal). Verified on this machine: `echo -n pw | gocryptfs -init -q -- DIR` → 0. So no argv,
// no -passfile, no temporary file at all. Exit codes (verified with gocryptfs 2.3): 12 wrong
// password, 23 (and 11 on some paths) config file missing/unreadable, 6 -init on a non-empty dir.
//
// Layout: <target root>/Praxis-Backup.gocryptfs holds the cipher files (the name a person finds on
// the disk and on the emergency sheet); the decrypted view looks exactly like a plain mirror's
// "Praxis-Backup" folder, so copy, verify, list and restore need no change. The view is mounted
// under our own state folder (<stateDir>/crypt/<mirror>), never on the disk, so an unmounted view
// is an empty local folder that the guard below refuses, not a place on the disk.
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, realpath, rmdir, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import { PraxisError } from '../../core/errors';
import type { CryptView, MirrorCrypt } from '../../core/mirror-crypt';

export const CIPHER_FOLDER = 'Praxis-Backup.gocryptfs';
/** gocryptfs's config file: present iff the cipher dir was initialised. */
export const GOCRYPTFS_CONF = 'gocryptfs.conf';

export const GOCRYPTFS_EXIT = { passwordIncorrect: 12, loadConf: 23, loadConfAlt: 11, cipherDirNotEmpty: 6 } as const;

export type Run = typeof run;

export interface CryptTools {
  gocryptfs: string;
  /** `umount` as root, else fusermount3 / fusermount (an unprivileged user may only unmount FUSE that way). */
  unmount: { file: string; args: string[] };
}

async function which(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const d of new Set(dirs)) {
    const p = join(d, name);
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return null;
}

export async function locateCryptTools(env: NodeJS.ProcessEnv = process.env, isRoot = process.getuid?.() === 0): Promise<CryptTools> {
  const gocryptfs = await which('gocryptfs', env);
  if (!gocryptfs) throw new PraxisError('mirror.crypt.toolMissing', { tool: 'gocryptfs' });
  if (isRoot) {
    const umount = await which('umount', env);
    if (umount) return { gocryptfs, unmount: { file: umount, args: [] } };
  }
  for (const f of ['fusermount3', 'fusermount']) {
    const p = await which(f, env);
    if (p) return { gocryptfs, unmount: { file: p, args: ['-u'] } };
  }
  throw new PraxisError('mirror.crypt.toolMissing', { tool: 'fusermount3' });
}

/** `gocryptfs -init`: a new cipher dir (must exist and be empty), passphrase on stdin only. */
export function initPlan(gocryptfs: string, cipherDir: string, passphrase: string): CommandPlan {
  return { label: `gocryptfs -init ${cipherDir}`, file: gocryptfs, args: ['-init', '-q', '--', cipherDir], input: passphrase, secrets: [passphrase], timeoutMs: 60_000 };
}

/** Mount the decrypted view; gocryptfs returns once the mount is up (the daemon runs in its own session). */
export function mountPlan(gocryptfs: string, cipherDir: string, mountPoint: string, passphrase: string): CommandPlan {
  return { label: `gocryptfs ${cipherDir}`, file: gocryptfs, args: ['-q', '--', cipherDir, mountPoint], input: passphrase, secrets: [passphrase], timeoutMs: 60_000 };
}

export function unmountPlan(tools: CryptTools, mountPoint: string): CommandPlan {
  return { label: `unmount ${mountPoint}`, file: tools.unmount.file, args: [...tools.unmount.args, mountPoint], timeoutMs: 60_000 };
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The kernel's mount table entry for `dir` (the last one wins: the one on top), or null. */
export async function mountEntry(dir: string): Promise<{ fstype: string; source: string } | null> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  let found: { fstype: string; source: string } | null = null;
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    if (unescape(f[4] ?? '') === dir) found = { fstype: r[0] ?? '', source: unescape(r[1] ?? '') };
  }
  return found;
}

/** True only when `mountPoint` is, per the kernel, the gocryptfs view of exactly `cipherDir`. */
export async function isCryptView(mountPoint: string, cipherDir: string): Promise<boolean> {
  const [mp, cd] = await Promise.all([realpath(mountPoint).catch(() => mountPoint), realpath(cipherDir).catch(() => cipherDir)]);
  const e = await mountEntry(mp);
  if (!e || e.fstype !== 'fuse.gocryptfs' || e.source !== cd) return false;
  // And the file system agrees: another device than its parent.
  const [a, b] = await Promise.all([stat(mp).catch(() => null), stat(dirname(mp)).catch(() => null)]);
  return !!a && !!b && a.dev !== b.dev;
}

/** Pids of gocryptfs daemons serving `mountPoint` (their argv ends with it). */
export async function daemonPids(mountPoint: string): Promise<number[]> {
  const out: number[] = [];
  for (const p of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(p)) continue;
    const argv = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
    if (argv.length && /(^|\/)gocryptfs$/.test(argv[0]!) && argv.at(-1) === mountPoint) out.push(Number(p));
  }
  return out;
}

/**
 * After the unmount the daemon still closes its files on the disk for a moment; ejecting the disk
 * in that moment fails with "target is busy" (seen in the tests). So wait for it to be gone.
 */
export async function waitForDaemonExit(mountPoint: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await daemonPids(mountPoint)).length && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
}

export async function isInitialised(cipherDir: string): Promise<boolean> {
  return stat(join(cipherDir, GOCRYPTFS_CONF)).then((s) => s.isFile(), () => false);
}

function mapError(e: unknown, name: string, id: string, cipherDir: string): never {
  if (e instanceof CommandError && e.reason === 'exit') {
    if (e.exitCode === GOCRYPTFS_EXIT.passwordIncorrect) throw new PraxisError('mirror.crypt.wrongPassphrase', { name, id });
    if (e.exitCode === GOCRYPTFS_EXIT.loadConf || e.exitCode === GOCRYPTFS_EXIT.loadConfAlt) throw new PraxisError('mirror.crypt.notInitialised', { name, dir: cipherDir });
    throw new PraxisError('mirror.crypt.mountFailed', { name, message: e.stderrTail.filter((l) => !/syslog/i.test(l)).slice(-3).join(' | ') || `exit ${e.exitCode}` }, 1, e.stderrTail);
  }
  if (e instanceof CommandError && e.reason === 'spawn') throw new PraxisError('mirror.crypt.toolMissing', { tool: 'gocryptfs' });
  throw e;
}

export interface CryptOptions {
  /** The mirror's name (messages) and the passphrase's credential id (messages). */
  name: string;
  credentialId: string;
  cipherDir: string;
  passphrase: string;
  run?: Run;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** Creates the cipher dir on the target. Refuses an existing one: it would orphan the old passphrase's backups. */
export async function initCipherDir(o: CryptOptions): Promise<void> {
  const tools = await locateCryptTools(o.env);
  if (await isInitialised(o.cipherDir)) throw new PraxisError('mirror.crypt.alreadyInitialised', { name: o.name, dir: o.cipherDir });
  await mkdir(o.cipherDir, { recursive: true, mode: 0o700 });
  if ((await readdir(o.cipherDir)).length) throw new PraxisError('mirror.crypt.alreadyInitialised', { name: o.name, dir: o.cipherDir });
  await (o.run ?? run)(initPlan(tools.gocryptfs, o.cipherDir, o.passphrase), { signal: o.signal }).catch((e) => mapError(e, o.name, o.credentialId, o.cipherDir));
}

/**
 * Mounts the decrypted view at `mountPoint` and proves it is one before returning: the caller may
 * write into `dir` only after this resolved. Any failure leaves nothing mounted.
 */
export async function openCryptView(o: CryptOptions & { mountPoint: string }): Promise<CryptView> {
  const r = o.run ?? run;
  const tools = await locateCryptTools(o.env);
  if (!(await isInitialised(o.cipherDir))) throw new PraxisError('mirror.crypt.notInitialised', { name: o.name, dir: dirname(o.cipherDir) });
  await mkdir(o.mountPoint, { recursive: true, mode: 0o700 });
  // A view left mounted by a run that was killed: close it, then start clean.
  if (await mountEntry(await realpath(o.mountPoint))) await r(unmountPlan(tools, o.mountPoint)).catch(() => undefined);
  if (await mountEntry(await realpath(o.mountPoint))) throw new PraxisError('mirror.crypt.guard', { name: o.name, path: o.mountPoint });
  // A plain folder with something in it is not our empty mount point: never mount over (or write into) it.
  if ((await readdir(o.mountPoint)).length) throw new PraxisError('mirror.crypt.guard', { name: o.name, path: o.mountPoint });
  await r(mountPlan(tools.gocryptfs, o.cipherDir, o.mountPoint, o.passphrase), { signal: o.signal }).catch((e) => mapError(e, o.name, o.credentialId, o.cipherDir));
  const close = async () => {
    let last: unknown;
    // A file just closed by rsync can keep the FUSE mount busy for a moment.
    for (let i = 0; i < 10; i++) {
      try {
        await r(unmountPlan(tools, o.mountPoint));
        await waitForDaemonExit(o.mountPoint);
        await rmdir(o.mountPoint).catch(() => undefined);
        return;
      } catch (e) {
        last = e;
        if (!(await mountEntry(await realpath(o.mountPoint).catch(() => o.mountPoint)))) return;
        await new Promise((res) => setTimeout(res, 300));
      }
    }
    throw new PraxisError('mirror.crypt.unmountFailed', { name: o.name, path: o.mountPoint, message: (last as Error)?.message ?? String(last) });
  };
  if (!(await isCryptView(o.mountPoint, o.cipherDir))) {
    await close().catch(() => undefined);
    throw new PraxisError('mirror.crypt.guard', { name: o.name, path: o.mountPoint });
  }
  return { dir: o.mountPoint, close, stillOpen: () => isCryptView(o.mountPoint, o.cipherDir) };
}

/** The Linux adapter of the MirrorCrypt port: a gocryptfs folder on any kind of target. */
export const gocryptfsCrypt: MirrorCrypt = {
  scheme: () => 'gocryptfs',
  isInitialised: (_m, root) => isInitialised(join(root, CIPHER_FOLDER)),
  init: async (_m, root, ctx) => {
    const cipherDir = join(root, CIPHER_FOLDER);
    await initCipherDir({ name: ctx.name, credentialId: ctx.credentialId, cipherDir, passphrase: ctx.passphrase, signal: ctx.signal });
    return cipherDir;
  },
  openView: (_m, root, mountPoint, ctx) =>
    openCryptView({ name: ctx.name, credentialId: ctx.credentialId, cipherDir: join(root, CIPHER_FOLDER), passphrase: ctx.passphrase, mountPoint, signal: ctx.signal }),
};
