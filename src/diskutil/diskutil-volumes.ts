// The macOS adapter of the Volumes port: `diskutil` with -plist where it has it. Every call is a
// CommandPlan first (diskutilPlans, asserted argv for argv in the tests) and is run second through
// the injected runner, so tests feed it the recorded outputs of real Macs.
import type { Message } from '../i18n';
import { CommandError, type CommandPlan, type run as runnerRun } from '../process/runner';
import { PraxisError } from '../core/errors';
import {
  diskutilError,
  isSpotlight,
  parseDiskutilInfo,
  parseDiskutilList,
  parseDiskutilRefusal,
  toVolume,
  withInfo,
  type DiskInfo,
  type DiskutilRefusal,
} from './diskutil-plist';
import { describeRef, matchesRef, type EjectResult, type Volume, type VolumeRef, type Volumes } from '../core/volumes';

export type Runner = typeof runnerRun;

export const DISKUTIL = '/usr/sbin/diskutil';

/** The argv of every diskutil call this adapter makes. */
export function diskutilPlans(diskutil = DISKUTIL) {
  const plan = (label: string, args: string[], extra: Partial<CommandPlan> = {}): CommandPlan => ({
    label,
    file: diskutil,
    args,
    timeoutMs: 60_000,
    ...extra,
  });
  return {
    // With -plist, diskutil reports its own errors as a plist on stdout and exits 1.
    list: () => plan('diskutil list', ['list', '-plist'], { okExitCodes: [0, 1] }),
    info: (idOrPath: string) => plan(`diskutil info ${idOrPath}`, ['info', '-plist', idOrPath], { okExitCodes: [0, 1] }),
    mount: (id: string) => plan(`diskutil mount ${id}`, ['mount', id]),
    unmount: (idOrPath: string) => plan(`diskutil unmount ${idOrPath}`, ['unmount', idOrPath]),
    // Ejecting can wait for the disk to flush its cache: give it longer.
    eject: (wholeDisk: string) => plan(`diskutil eject ${wholeDisk}`, ['eject', wholeDisk], { timeoutMs: 180_000 }),
  };
}

export interface RetryOptions {
  /** Injected so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Pause before the one retry of a refused unmount / eject. Default 5 s. */
  retryDelayMs?: number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type BlockableOutcome =
  | { ok: true; alreadyUnmounted: boolean }
  | { ok: false; refusal: DiskutilRefusal; output: string[] };

/**
 * Runs an unmount / eject plan; when another process holds the volume (dissent, "failed to eject"),
 * pauses and tries exactly once more. Spawn failures and timeouts are thrown as they are.
 * `classify` reads the output of a failed attempt (default: diskutil's messages).
 */
export async function runRetryingOnDissent(
  run: Runner,
  plan: CommandPlan,
  opts: RetryOptions = {},
  classify: (output: string[]) => DiskutilRefusal = parseDiskutilRefusal,
): Promise<BlockableOutcome> {
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    const output: string[] = [];
    try {
      await run(plan, { onStdoutLine: (l) => output.push(l), onStderrLine: (l) => output.push(l) });
      return { ok: true, alreadyUnmounted: false };
    } catch (e) {
      if (!(e instanceof CommandError) || e.reason !== 'exit') throw e;
      const refusal = classify(output);
      if (refusal.kind === 'alreadyUnmounted') return { ok: true, alreadyUnmounted: true };
      const blocked = refusal.kind === 'dissented' || refusal.kind === 'busy';
      if (blocked && attempt === 1) {
        await sleep(opts.retryDelayMs ?? 5000);
        continue;
      }
      return { ok: false, refusal, output };
    }
  }
}

/** Who blocks the volume, as a message: „mds_stores (PID 556)“ (with a word on Spotlight) or „ein anderes Programm“. */
export function blockerMessage(refusal: DiskutilRefusal): Message {
  if (refusal.kind !== 'dissented') return { key: 'volume.blockerUnknown' };
  const params = { process: refusal.process, pid: refusal.pid };
  return { key: isSpotlight(refusal.process) ? 'volume.blocker.spotlight' : 'volume.blocker.process', params };
}

function lastLines(lines: readonly string[], n = 3): string {
  return lines.filter((l) => l.trim()).slice(-n).join(' | ');
}

export interface DiskutilVolumesOptions extends RetryOptions {
  /** Path of diskutil (default /usr/sbin/diskutil: launchd agents do not get a login PATH). */
  diskutil?: string;
}

export class DiskutilVolumes implements Volumes {
  readonly kind = 'diskutil';
  private readonly plans: ReturnType<typeof diskutilPlans>;

  constructor(
    private readonly run: Runner,
    private readonly opts: DiskutilVolumesOptions = {},
  ) {
    this.plans = diskutilPlans(opts.diskutil);
  }

  /** Runs a -plist call; the whole stdout is collected (the runner's tail keeps only 60 lines). */
  private async plistOutput(plan: CommandPlan): Promise<string> {
    const lines: string[] = [];
    const command = plan.args.join(' ');
    try {
      const r = await this.run(plan, { onStdoutLine: (l) => lines.push(l) });
      // Exit 1 is accepted for the error plist; an exit 1 with plain text means something else.
      if (r.exitCode !== 0 && !lines.some((l) => l.includes('<plist'))) {
        throw new PraxisError('error.diskutil', { command, message: lastLines(r.stderrTail) || `exit ${r.exitCode}` });
      }
    } catch (e) {
      if (e instanceof CommandError) throw new PraxisError('error.diskutil', { command, message: lastLines(e.stderrTail) || e.message });
      throw e;
    }
    return lines.join('\n');
  }

  /**
   * `diskutil info -plist` of a device id or a path (a mount point: which volume is really there).
   * A path on a network share has no disk: diskutil answers with its error plist → error.diskutil.
   */
  async info(idOrPath: string): Promise<DiskInfo> {
    const plan = this.plans.info(idOrPath);
    const r = parseDiskutilInfo(await this.plistOutput(plan), plan.args.join(' '));
    if (!r.ok) throw diskutilError(plan.args.join(' '), r.error);
    return r.value;
  }

  async list(): Promise<Volume[]> {
    const plan = this.plans.list();
    const r = parseDiskutilList(await this.plistOutput(plan), plan.args.join(' '));
    if (!r.ok) throw diskutilError(plan.args.join(' '), r.error);
    const volumes: Volume[] = [];
    // One at a time: a dozen short calls, and a predictable order in logs and tests.
    for (const listed of r.value.volumes) {
      let info: DiskInfo | null = null;
      try {
        info = await this.info(listed.id);
      } catch (e) {
        // The list says the volume is there; without its details it is still listed (and found
        // by label), just with free space and file system unknown.
        if (!(e instanceof PraxisError) && !(e instanceof CommandError)) throw e;
      }
      volumes.push(toVolume(listed, info));
    }
    return volumes;
  }

  async find(ref: VolumeRef): Promise<Volume | null> {
    const matches = (await this.list()).filter((v) => matchesRef(v, ref));
    if (matches.length <= 1) return matches[0] ?? null;
    const devices = matches
      .map((v) => `${v.device} (UUID ${v.uuid ?? '–'}${v.mountPoint ? `, ${v.mountPoint}` : ''})`)
      .join(', ');
    if ('uuid' in ref) throw new PraxisError('error.volumeUuidDuplicate', { uuid: ref.uuid, devices });
    throw new PraxisError('error.volumeAmbiguous', { ref: describeRef(ref), devices });
  }

  async mount(v: Volume): Promise<Volume> {
    if (v.mountPoint) return v;
    const plan = this.plans.mount(v.id);
    try {
      await this.run(plan);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      throw new PraxisError('error.volumeMount', { label: v.label ?? v.id, device: v.device, reason: lastLines(e.stderrTail) || lastLines(e.stdoutTail) || e.message });
    }
    const now = withInfo(v, await this.info(v.id));
    if (!now.mountPoint) {
      throw new PraxisError('error.volumeMount', { label: v.label ?? v.id, device: v.device, reason: 'diskutil info shows no mount point' });
    }
    return now;
  }

  async unmount(v: Volume): Promise<void> {
    await this.blockable(v, this.plans.unmount(v.id));
  }

  async eject(v: Volume): Promise<EjectResult> {
    await this.blockable(v, this.plans.eject(v.wholeDisk));
    return { poweredOff: true };
  }

  private async blockable(v: Volume, plan: CommandPlan): Promise<void> {
    const label = v.label ?? v.id;
    let outcome: BlockableOutcome;
    try {
      outcome = await runRetryingOnDissent(this.run, plan, this.opts);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      throw new PraxisError('error.volumeUnmount', { label, device: v.device, reason: e.message });
    }
    if (outcome.ok) return;
    const { refusal } = outcome;
    if (refusal.kind === 'dissented' || refusal.kind === 'busy') {
      throw new PraxisError('error.ejectRefused', { label, process: blockerMessage(refusal) }, undefined, outcome.output);
    }
    throw new PraxisError('error.volumeUnmount', { label, device: v.device, reason: lastLines(outcome.output) || plan.args.join(' ') });
  }
}
