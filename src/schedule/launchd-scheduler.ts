// LaunchdScheduler: the Scheduler port on macOS. Writes ~/Library/LaunchAgents/<label>.plist and
// (re)loads it with the modern launchctl verbs in the GUI domain of the user (gui/<uid>): bootout if
// loaded, then bootstrap. Every launchctl call is a CommandPlan first (launchctlPlans), so the tests
// assert the exact argv without a Mac; `launchctl print` is parsed by launchctl-print.ts.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import plist from 'plist';
import type { Message } from '../i18n';
import { CommandError, type CommandPlan } from '../process/runner';
import { ExitCode, PraxisError } from '../core/errors';
import { AGENT_LABEL, agentLogDir, agentPlistPath, launchAgentsDir, ON_MOUNT_LABEL, renderLaunchAgents, VERIFY_LABEL } from './launchd-agent';
import { parseLaunchctlPrint } from './launchctl-print';
import type { InstallResult, JobRole, ProgramPaths, RemoveResult, RenderedFile, Runner, ScheduledJob, ScheduleSpec, Scheduler, ScheduleStatus } from './scheduler';

export const LAUNCHCTL = '/bin/launchctl';
export const PLUTIL = '/usr/bin/plutil';
/** `launchctl print` of a service launchd does not know (resticprofile relies on it too). */
export const NOT_LOADED = 113;
/** "Boot-out failed: 3: No such process": it was not loaded (a race with our own print). */
const BOOTOUT_NOT_LOADED = 3;
/** "Bootstrap failed: 5: Input/output error". */
const BOOTSTRAP_IO = 5;
/** "Bootstrap failed: 125: Domain does not support specified action": no GUI login (SSH). */
const BOOTSTRAP_NO_DOMAIN = 125;

/**
 * An agent in gui/<uid> exists only while the user is logged in at the screen ("Aqua agents are
 * loaded only when a user has logged in at the GUI", launchctl(1)), and keytar reads that user's
 * login keychain. After a restart nothing runs until somebody logs in; with FileVault on, macOS
 * offers no automatic login (Apple, support.apple.com/102316). Said at install and in every status.
 */
const LOGIN_NOTE: Message = { key: 'schedule.launchdLogin' };

export interface LaunchdDeps {
  run: Runner;
  home: string;
  uid: number;
  program: ProgramPaths;
  /** Waits between a failed bootstrap and its retry (a bootout may still be finishing). */
  sleep?: (ms: number) => Promise<void>;
}

export function launchctlPlans(uid: number, label: string, plistPath: string) {
  const target = `gui/${uid}/${label}`;
  return {
    print: { label: `launchctl print ${target}`, file: LAUNCHCTL, args: ['print', target], okExitCodes: [0, NOT_LOADED], timeoutMs: 30_000 },
    bootout: { label: `launchctl bootout ${target}`, file: LAUNCHCTL, args: ['bootout', target], okExitCodes: [0, BOOTOUT_NOT_LOADED, NOT_LOADED], timeoutMs: 60_000 },
    bootstrap: { label: `launchctl bootstrap gui/${uid}`, file: LAUNCHCTL, args: ['bootstrap', `gui/${uid}`, plistPath], timeoutMs: 60_000 },
    lint: { label: 'plutil -lint', file: PLUTIL, args: ['-lint', plistPath], okExitCodes: [0, 1], timeoutMs: 30_000 },
  } satisfies Record<string, CommandPlan>;
}

/** The backup agent first: status() lists jobs in this order, and callers read the backup's first. */
const LABELS = [AGENT_LABEL, ON_MOUNT_LABEL, VERIFY_LABEL];
const ROLE: Record<string, JobRole> = { [AGENT_LABEL]: 'backup', [ON_MOUNT_LABEL]: 'on-mount', [VERIFY_LABEL]: 'verify' };

export class LaunchdScheduler implements Scheduler {
  readonly kind = 'launchd' as const;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: LaunchdDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  render(spec: ScheduleSpec): RenderedFile[] {
    return renderLaunchAgents(spec, this.deps.program, this.deps.home);
  }

  private plans(label: string) {
    return launchctlPlans(this.deps.uid, label, agentPlistPath(this.deps.home, label));
  }

  /** `launchctl print`'s whole output (often more than the runner's tail keeps), or null if not loaded. */
  private async print(label: string): Promise<string | null> {
    const lines: string[] = [];
    const r = await this.deps.run(this.plans(label).print, { onStdoutLine: (l) => lines.push(l) });
    return r.exitCode === NOT_LOADED ? null : lines.join('\n');
  }

  private async bootoutIfLoaded(label: string): Promise<boolean> {
    if ((await this.print(label)) === null) return false;
    await this.deps.run(this.plans(label).bootout);
    return true;
  }

  async install(spec: ScheduleSpec): Promise<InstallResult> {
    const files = this.render(spec);
    await mkdir(launchAgentsDir(this.deps.home), { recursive: true });
    await mkdir(agentLogDir(this.deps.home), { recursive: true, mode: 0o700 });
    const notes: Message[] = [];
    for (const f of files) {
      // launchd refuses agents writable by others; 0644 is what it expects.
      await writeFile(f.path, f.content, { mode: 0o644 });
      await this.bootoutIfLoaded(f.name);
      await this.bootstrap(f.name, f.path);
    }
    if (!spec.onDiskAttach) {
      // Switched off since the last install: the on-mount agent goes.
      const gone = await this.removeAgent(ON_MOUNT_LABEL);
      if (gone) notes.push({ key: 'schedule.onMountRemoved', params: { label: ON_MOUNT_LABEL } });
    }
    if (spec.verifyCron === undefined) {
      // verify.cron taken out since the last install: its agent must not go on testing.
      const gone = await this.removeAgent(VERIFY_LABEL);
      if (gone) notes.push({ key: 'schedule.verifyRemoved', params: { name: VERIFY_LABEL } });
    }
    notes.push({ key: 'schedule.launchdWake' }, LOGIN_NOTE);
    notes.push({ key: 'schedule.fdaHint', params: { node: this.deps.program.node } });
    return { files: files.map((f) => f.path), notes };
  }

  private async bootstrap(label: string, path: string): Promise<void> {
    const plans = this.plans(label);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.run(plans.bootstrap);
        return;
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        const io = e.exitCode === BOOTSTRAP_IO || e.stderrTail.some((l) => /Bootstrap failed: 5\b/.test(l));
        // A bootout returns before launchd has let go of the job; one more try after a second.
        if (io && attempt === 1) {
          await this.sleep(1000);
          continue;
        }
        if (io) {
          const lint: string[] = [];
          await this.deps.run(plans.lint, { onStdoutLine: (l) => lint.push(l), onStderrLine: (l) => lint.push(l) }).catch(() => {});
          throw new PraxisError('schedule.bootstrap5', { label, path, lint: lint.join(' ') || '-' }, ExitCode.failed, e.stderrTail.slice(-5));
        }
        if (e.exitCode === BOOTSTRAP_NO_DOMAIN) {
          throw new PraxisError('schedule.noGuiSession', { uid: this.deps.uid }, ExitCode.failed, e.stderrTail.slice(-5));
        }
        throw new PraxisError('schedule.launchctlFailed', { command: plans.bootstrap.label, code: e.exitCode ?? e.reason }, ExitCode.failed, e.stderrTail.slice(-5));
      }
    }
  }

  /** bootout if loaded, delete the file if there; true if anything was there. */
  private async removeAgent(label: string): Promise<boolean> {
    const path = agentPlistPath(this.deps.home, label);
    const wasLoaded = await this.bootoutIfLoaded(label);
    if (!existsSync(path)) return wasLoaded;
    await unlink(path);
    return true;
  }

  async remove(): Promise<RemoveResult> {
    const removed: string[] = [];
    for (const label of LABELS) {
      const path = agentPlistPath(this.deps.home, label);
      if (await this.removeAgent(label)) removed.push(path);
    }
    return { removed, notes: removed.length ? [] : [{ key: 'schedule.notInstalled' }] };
  }

  async status(): Promise<ScheduleStatus> {
    const jobs: ScheduledJob[] = [];
    for (const label of LABELS) {
      const file = agentPlistPath(this.deps.home, label);
      const installed = existsSync(file);
      const printed = await this.print(label);
      // The optional agents are listed only when there; a missing backup agent is always listed.
      if (label !== AGENT_LABEL && !installed && printed === null) continue;
      const job: ScheduledJob = { name: label, role: ROLE[label], file, installed, loaded: printed !== null, missingPrograms: installed ? missingPrograms(file) : [] };
      if (printed !== null) {
        const p = parseLaunchctlPrint(printed);
        Object.assign(job, { state: p.state, runs: p.runs, lastExitCode: p.lastExitCode });
      }
      jobs.push(job);
    }
    return { kind: 'launchd', jobs, notes: [{ key: 'schedule.launchdWake' }, LOGIN_NOTE] };
  }
}

/** The node binary and cli.js an installed agent points to, if they are gone (node updated, repo moved). */
function missingPrograms(file: string): string[] {
  try {
    const d = plist.parse(readFileSync(file, 'utf8')) as { ProgramArguments?: string[] };
    return (d.ProgramArguments ?? []).slice(0, 2).filter((p) => !existsSync(p));
  } catch {
    return []; // unreadable: launchd will say so when it loads it
  }
}
