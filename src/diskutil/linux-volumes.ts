// The Volumes port on Linux: `lsblk` for the block devices, `blkid` for what lsblk cannot see
// without udev, `findmnt` for what is mounted where, and `mount`/`umount` (root) or `udisksctl`
// (a desktop user) to change it. What the tools print is parsed in linux-block-devices.ts.
//
// Measured here (util-linux 2.38, no udev): lsblk prints null LABEL/UUID/FSTYPE for every device,
// because it reads them from udev's database; blkid reads the device itself. `blkid -o export`
// mangles non-ASCII labels ("Müller" → "MM-CM-<ller"), and `-o udev` (which keeps UTF-8 in
// ID_FS_LABEL_ENC) does not say which device a record belongs to, so blkid runs once per device,
// in parallel (about 4 ms each). Always with -p: blkid's cache (/run/blkid/blkid.tab) answered
// with the previous image's UUID when a loop device was re-attached within seconds.
import { access, constants, mkdir, readFile, realpath, rmdir, statfs } from 'node:fs/promises';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { CommandError, run, type CommandPlan, type RunOptions, type RunResult } from '../process/runner';
import { PraxisError } from '../core/errors';
import { msg, type Message } from '../i18n';
import {
  parseBlkidUdev,
  parseFindmnt,
  parseFuserPids,
  parseLsblk,
  parseUdisksMounted,
  toVolumes,
  type BlockDevice,
  type MountEntry,
} from './linux-block-devices';
import { describeRef, matchesRef, type EjectResult, type Volume, type VolumeRef, type Volumes } from '../core/volumes';

export type Runner = (plan: CommandPlan, opts?: RunOptions) => Promise<RunResult>;

export interface LinuxVolumesOptions {
  /** Where volumes we mount ourselves (as root) go: <mountBase>/<UUID>. */
  mountBase: string;
  /** The process seam; tests hand in a recorder or a fake. Default: the real runner. */
  runner?: Runner;
  /** Root mounts with mount(8); anyone else needs udisksctl. Default: the effective uid is 0. */
  isRoot?: boolean;
  /** Path of udisksctl, or null when there is none. Default: searched in PATH and /usr/bin. */
  udisksctl?: string | null;
  /** Pause before the one retry of a refused unmount. Default 2 s (time for an indexer to let go). */
  retryPauseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const BUSY = /target is busy|device is busy|DeviceBusy|EBUSY/i;
const LSBLK_COLUMNS = 'NAME,KNAME,PATH,PKNAME,TYPE,SIZE,LABEL,UUID,FSTYPE,MAJ:MIN,RM,HOTPLUG,RO,TRAN';

export class LinuxVolumes implements Volumes {
  readonly kind = 'linux';
  private readonly run: Runner;
  private readonly isRoot: boolean;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly retryPauseMs: number;
  private udisksctl: string | null | undefined;
  private readonly tools = new Map<string, string>();

  constructor(private readonly opts: LinuxVolumesOptions) {
    this.run = opts.runner ?? run;
    this.isRoot = opts.isRoot ?? process.getuid?.() === 0;
    this.udisksctl = opts.udisksctl;
    this.retryPauseMs = opts.retryPauseMs ?? 2000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The plans this adapter runs, built before running (tests assert them). */
  plans = {
    lsblk: (file: string): CommandPlan => ({ label: 'lsblk', file, args: ['--json', '--bytes', '--list', '--output', LSBLK_COLUMNS], timeoutMs: 30_000 }),
    blkid: (file: string, device: string): CommandPlan => ({ label: `blkid ${device}`, file, args: ['-p', '-o', 'udev', device], okExitCodes: [0, 2], timeoutMs: 30_000 }),
    findmnt: (file: string): CommandPlan => ({ label: 'findmnt', file, args: ['--json', '--list', '--nofsroot', '--output', 'SOURCE,TARGET,FSTYPE,MAJ:MIN,FSROOT'], timeoutMs: 30_000 }),
    // nosuid,nodev: a disk that went home with someone must not bring setuid programs or device nodes.
    mount: (file: string, device: string, dir: string): CommandPlan => ({ label: `mount ${device}`, file, args: ['-o', 'nosuid,nodev', device, dir], timeoutMs: 120_000 }),
    umount: (file: string, dir: string): CommandPlan => ({ label: `umount ${dir}`, file, args: [dir], timeoutMs: 120_000 }),
    udisks: (file: string, verb: 'mount' | 'unmount' | 'power-off', device: string): CommandPlan => ({
      label: `udisksctl ${verb} ${device}`,
      file,
      args: [verb, '-b', device, '--no-user-interaction'],
      timeoutMs: 120_000,
    }),
    fuser: (file: string, dir: string): CommandPlan => ({ label: `fuser ${dir}`, file, args: ['-m', dir], okExitCodes: [0, 1], timeoutMs: 15_000 }),
  };

  async list(): Promise<Volume[]> {
    const [devices, mounts] = await Promise.all([this.blockDevices(), this.mountTable()]);
    const volumes = toVolumes(devices, mounts);
    await Promise.all(volumes.map(async (v) => (v.freeBytes = v.mountPoint ? await freeBytes(v.mountPoint) : null)));
    return volumes;
  }

  async find(ref: VolumeRef): Promise<Volume | null> {
    const hits = (await this.list()).filter((v) => matchesRef(v, ref));
    if (hits.length > 1) {
      const devices = hits.map((v) => `${v.device}${v.uuid ? ` (UUID ${v.uuid})` : ''}`).join(', ');
      if ('uuid' in ref) throw new PraxisError('error.volumeUuidDuplicate', { uuid: ref.uuid, devices });
      throw new PraxisError('error.volumeAmbiguous', { ref: describeRef(ref), devices });
    }
    return hits[0] ?? null;
  }

  async mount(v: Volume): Promise<Volume> {
    const { now, majMin } = await this.current(v);
    if (now.mountPoint) return now;
    if (!this.isRoot) {
      const udisksctl = await this.udisks();
      if (!udisksctl) throw new PraxisError('error.volumeMountDenied', { label: nameOf(v), device: v.device });
      const r = await this.attempt(this.plans.udisks(udisksctl, 'mount', v.device));
      if (!r.ok) throw new PraxisError('error.volumeMount', { label: nameOf(v), device: v.device, reason: r.reason });
      const said = r.stdout.flatMap(parseUdisksMounted);
      const mounts = await this.mountTable();
      const listed = mounts.filter((m) => m.source === v.device || m.majMin === majMin).map((m) => m.target);
      const mp = said.find((p) => listed.includes(p)) ?? listed[0];
      if (!mp) throw new PraxisError('error.volumeMount', { label: nameOf(v), device: v.device, reason: r.stdout.join(' ') || 'udisksctl' });
      return { ...now, mountPoint: mp, freeBytes: await freeBytes(mp) };
    }
    const dir = join(await this.base(true), folderName(v));
    const taken = (await this.mountTable()).find((m) => m.target === dir);
    if (taken) throw new PraxisError('error.volumeMountPointTaken', { dir, other: taken.source, label: nameOf(v) });
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const r = await this.attempt(this.plans.mount(await this.tool('mount'), v.device, dir));
    if (!r.ok) {
      await rmdir(dir).catch(() => undefined); // only ever an empty folder we just made
      throw new PraxisError('error.volumeMount', { label: nameOf(v), device: v.device, reason: r.reason });
    }
    const { now: after } = await this.current(v);
    if (!after.mountPoint) throw new PraxisError('error.volumeMount', { label: nameOf(v), device: v.device, reason: `not in the mount table after mount ${dir}` });
    return after;
  }

  async unmount(v: Volume): Promise<void> {
    // Deepest first, so a mount nested inside another one does not hold the outer one busy. By
    // device, never by v.mountPoint alone: another disk may sit there by now.
    for (const target of (await this.mountsOf(v)).sort((a, b) => b.length - a.length)) {
      await this.unmountOne(v, target);
    }
  }

  async eject(v: Volume): Promise<EjectResult> {
    const all = await this.list();
    if (!all.some((x) => x.device === v.device || x.wholeDisk === v.wholeDisk)) return { poweredOff: false }; // already gone
    for (const part of all.filter((x) => x.wholeDisk === v.wholeDisk && x.mountPoint)) await this.unmount(part);
    // A loop device is not ours to detach (`losetup -d` belongs to whoever attached it), and
    // udisks cannot power it off; a real disk is powered off where udisks runs.
    const udisksctl = await this.udisks();
    if (!udisksctl || /\/loop\d+$/.test(v.wholeDisk)) return { poweredOff: false };
    const r = await this.attempt(this.plans.udisks(udisksctl, 'power-off', v.wholeDisk));
    return { poweredOff: r.ok };
  }

  // ------------------------------------------------------------ internals

  private async unmountOne(v: Volume, target: string): Promise<void> {
    const udisksctl = this.isRoot ? null : await this.udisks();
    const plan = udisksctl ? this.plans.udisks(udisksctl, 'unmount', v.device) : this.plans.umount(await this.tool('umount'), target);
    let r = await this.attempt(plan);
    if (!r.ok && BUSY.test(r.reason)) {
      await this.sleep(this.retryPauseMs);
      r = await this.attempt(plan);
      if (!r.ok && BUSY.test(r.reason)) {
        throw new PraxisError('error.ejectRefused', { label: nameOf(v), process: await this.blockers(target) });
      }
    }
    if (!r.ok) throw new PraxisError('error.volumeUnmount', { label: nameOf(v), device: v.device, reason: r.reason });
    // An empty folder must never masquerade as the disk: remove the one we mounted on. rmdir
    // removes only an empty directory, so a folder with files in it stays and shows the problem.
    if (dirname(target) === (await this.base(false))) await rmdir(target).catch(() => undefined);
  }

  /** Who keeps `dir` busy, for the message: "sleep (PID 4711)", or a catalogue "another program". */
  private async blockers(dir: string): Promise<string | Message> {
    const r = await this.attempt(this.plans.fuser(await this.tool('fuser'), dir));
    const pids = r.ok ? parseFuserPids(r.stdout).filter((p) => p !== process.pid) : [];
    const names = await Promise.all(
      pids.slice(0, 4).map(async (pid) => `${(await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim()} (PID ${pid})`),
    );
    if (names.length === 0) return msg('volume.blockerUnknown');
    return names.join(', ') + (pids.length > 4 ? ', …' : '');
  }

  /** The volume as it is now (devices and mount table re-read), and its device's maj:min. */
  private async current(v: Volume): Promise<{ now: Volume; majMin: string }> {
    const [devices, mounts] = await Promise.all([this.blockDevices(), this.mountTable()]);
    const d = devices.find((x) => x.path === v.device);
    const now = d && toVolumes(devices, mounts).find((x) => x.device === v.device);
    if (!d || !now) throw new PraxisError('error.volumeGone', { label: nameOf(v), device: v.device });
    now.freeBytes = now.mountPoint ? await freeBytes(now.mountPoint) : null;
    return { now, majMin: d.majMin };
  }

  /** Mount points of the volume's device, by device node or maj:min (btrfs shows an anonymous one). */
  private async mountsOf(v: Volume): Promise<string[]> {
    const [devices, mounts] = await Promise.all([this.blockDevices(false), this.mountTable()]);
    const majMin = devices.find((d) => d.path === v.device)?.majMin;
    return mounts.filter((m) => m.source === v.device || (!!majMin && m.majMin === majMin)).map((m) => m.target);
  }

  private async blockDevices(fill = true): Promise<BlockDevice[]> {
    const devices = parseLsblk((await this.lines(this.plans.lsblk(await this.tool('lsblk')))).join('\n'));
    // A disk with partitions holds no file system of its own: only ask about the leaves.
    const parents = new Set(devices.map((d) => d.pkname));
    const missing = fill ? devices.filter((d) => !parents.has(d.kname) && (!d.label || !d.uuid || !d.fstype)) : [];
    if (missing.length) {
      const blkid = await this.tool('blkid');
      await Promise.all(
        missing.map(async (d) => {
          const r = await this.attempt(this.plans.blkid(blkid, d.path));
          if (!r.ok) return; // no permission (not root, no udev): lsblk's answer stands
          const found = parseBlkidUdev(r.stdout);
          d.label ??= found.label;
          d.uuid ??= found.uuid;
          d.fstype ??= found.fstype;
        }),
      );
    }
    return devices;
  }

  private async mountTable(): Promise<MountEntry[]> {
    return parseFindmnt((await this.lines(this.plans.findmnt(await this.tool('findmnt')))).join('\n'));
  }

  /** All stdout lines: the runner keeps only a tail, and lsblk/findmnt JSON is longer than that. */
  private async lines(plan: CommandPlan): Promise<string[]> {
    const out: string[] = [];
    await this.run(plan, { onStdoutLine: (l) => out.push(l) });
    return out;
  }

  /** Run a plan whose failure is an answer (busy, not found), not an exception. */
  private async attempt(plan: CommandPlan): Promise<{ ok: boolean; stdout: string[]; reason: string }> {
    const out: string[] = [];
    const err: string[] = [];
    try {
      await this.run(plan, { onStdoutLine: (l) => out.push(l), onStderrLine: (l) => err.push(l) });
      return { ok: true, stdout: out, reason: '' };
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      const reason = (err.length ? err : e.stderrTail).join(' ').trim() || e.message;
      return { ok: false, stdout: out, reason };
    }
  }

  /** The mount base as the mount table spells it (symlinks resolved), created on first use. */
  private async base(create: boolean): Promise<string> {
    const base = resolve(this.opts.mountBase);
    if (create) await mkdir(base, { recursive: true, mode: 0o755 });
    return realpath(base).catch(() => base);
  }

  private async udisks(): Promise<string | null> {
    if (this.udisksctl === undefined) this.udisksctl = await findProgram('udisksctl');
    return this.udisksctl;
  }

  /** blkid, losetup and friends live in /usr/sbin, which a desktop user's PATH often lacks. */
  private async tool(name: string): Promise<string> {
    let path = this.tools.get(name);
    if (!path) {
      path = (await findProgram(name)) ?? name;
      this.tools.set(name, path);
    }
    return path;
  }
}

async function findProgram(name: string): Promise<string | null> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const p = join(dir, name);
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return null;
}

async function freeBytes(mountPoint: string): Promise<number | null> {
  try {
    const s = await statfs(mountPoint);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

const nameOf = (v: Volume) => v.label ?? v.device;

/** One folder per volume, named by UUID (labels repeat; UUIDs do not). */
function folderName(v: Volume): string {
  const raw = v.uuid ?? basename(v.device);
  const safe = raw.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^\.+$/.test(safe) ? `_${safe}` : safe;
}
