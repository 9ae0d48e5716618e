// SystemdUserScheduler: the Scheduler port on Linux. Writes the user units into
// ~/.config/systemd/user and enables the timer with `systemctl --user`. That needs a running user
// manager (systemd --user, started by a login session or kept by `loginctl enable-linger`); without
// one the files are still written, and install says exactly what is missing and exits 1, because a
// schedule that is not active must never look installed. Once the timer is enabled, install makes
// sure it also runs with nobody logged in (lingering, linger.ts): switched on when it can be, else
// the sudo command and exit 3. Why not system units for a service account (`--system`): README,
// "Nobody logged in". With `verify.cron` a second timer
// (praxis-backup-verify.timer) is enabled beside the backup's; without it, one left from an
// earlier install is disabled and deleted.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import type { Message } from '../i18n';
import { CommandError, type CommandPlan } from '../process/runner';
import { ExitCode, PraxisError } from '../core/errors';
import { ensureLinger, lingerInstallMessage, lingerState, lingerStatusMessage } from './linger';
import type { InstallResult, JobRole, ProgramPaths, RemoveResult, RenderedFile, Runner, ScheduledJob, ScheduleSpec, Scheduler, ScheduleStatus } from './scheduler';
import { renderSystemdUnits, SERVICE_UNIT, TIMER_UNIT, userUnitDir, VERIFY_SERVICE_UNIT, VERIFY_TIMER_UNIT } from './systemd-units';

export interface SystemdDeps {
  run: Runner;
  home: string;
  env: NodeJS.ProcessEnv;
  /** The login name, for the `loginctl enable-linger <user>` advice. */
  user: string;
  program: ProgramPaths;
  /** logind's linger folder (default /var/lib/systemd/linger); tests use a temp folder. */
  lingerDir?: string;
}

const SYSTEMCTL = 'systemctl';

export function systemctlPlans() {
  const plan = (args: string[], okExitCodes = [0]): CommandPlan => ({ label: `systemctl --user ${args.join(' ')}`, file: SYSTEMCTL, args: ['--user', ...args], okExitCodes, timeoutMs: 60_000 });
  return {
    daemonReload: plan(['daemon-reload']),
    enable: plan(['enable', '--now', TIMER_UNIT]),
    disable: plan(['disable', '--now', TIMER_UNIT]),
    showTimer: plan(['show', TIMER_UNIT, '--property=LoadState,ActiveState,UnitFileState,NextElapseUSecRealtime,LastTriggerUSec']),
    showService: plan(['show', SERVICE_UNIT, '--property=LoadState,ActiveState,Result,ExecMainStatus']),
    enableVerify: plan(['enable', '--now', VERIFY_TIMER_UNIT]),
    disableVerify: plan(['disable', '--now', VERIFY_TIMER_UNIT]),
    showVerifyTimer: plan(['show', VERIFY_TIMER_UNIT, '--property=LoadState,ActiveState,UnitFileState,NextElapseUSecRealtime,LastTriggerUSec']),
    showVerifyService: plan(['show', VERIFY_SERVICE_UNIT, '--property=LoadState,ActiveState,Result,ExecMainStatus']),
  };
}

/** Backup units first: status() lists jobs in this order, and callers read the backup's first. */
const UNITS: { unit: string; role: JobRole; service: boolean }[] = [
  { unit: TIMER_UNIT, role: 'backup', service: false },
  { unit: SERVICE_UNIT, role: 'backup', service: true },
  { unit: VERIFY_TIMER_UNIT, role: 'verify', service: false },
  { unit: VERIFY_SERVICE_UNIT, role: 'verify', service: true },
];

/** systemctl's ways of saying "there is no user manager to talk to". */
const NO_MANAGER = /Failed to connect to bus|DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR|System has not been booted with systemd|Failed to connect to user scope bus/i;

function noManager(e: unknown): e is CommandError {
  return e instanceof CommandError && (e.reason === 'spawn' || [...e.stderrTail, ...e.stdoutTail].some((l) => NO_MANAGER.test(l)));
}

export function parseShow(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf('=');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

export class SystemdUserScheduler implements Scheduler {
  readonly kind = 'systemd' as const;
  constructor(private readonly deps: SystemdDeps) {}

  private get unitDir(): string {
    return userUnitDir(this.deps.home, this.deps.env);
  }

  render(spec: ScheduleSpec): RenderedFile[] {
    return renderSystemdUnits(spec, this.deps.program, this.unitDir);
  }

  private noManagerError(e: CommandError, files: string[]): PraxisError {
    return new PraxisError('schedule.noUserManager', { user: this.deps.user, files: files.join(', ') }, ExitCode.failed, [...e.stderrTail, ...e.stdoutTail].slice(-5));
  }

  private lingerDeps() {
    return { run: this.deps.run, user: this.deps.user, ...(this.deps.lingerDir ? { lingerDir: this.deps.lingerDir } : {}) };
  }

  async install(spec: ScheduleSpec): Promise<InstallResult> {
    const files = this.render(spec);
    await mkdir(this.unitDir, { recursive: true });
    for (const f of files) await writeFile(f.path, f.content, { mode: 0o644 });
    const paths = files.map((f) => f.path);
    const plans = systemctlPlans();
    const notes: Message[] = [];
    // verify.cron taken out since the last install: its timer goes, before the daemon-reload below
    // makes the manager forget the deleted units, and even when there is no manager to ask.
    if (spec.verifyCron === undefined && (await this.removeVerifyUnits()).length) notes.push({ key: 'schedule.verifyRemoved', params: { name: VERIFY_TIMER_UNIT } });
    try {
      await this.deps.run(plans.daemonReload);
      await this.deps.run(plans.enable);
      if (spec.verifyCron !== undefined) await this.deps.run(plans.enableVerify);
    } catch (e) {
      if (noManager(e)) throw this.noManagerError(e, paths);
      const err = e as CommandError;
      throw new PraxisError('schedule.systemctlFailed', { command: err.label ?? 'systemctl', code: err.exitCode ?? err.reason }, ExitCode.failed, err.stderrTail?.slice(-5) ?? []);
    }
    if (spec.onDiskAttach) notes.unshift({ key: 'schedule.onDiskAttachLinux' });
    // After the timer is enabled: a failed install changes nothing else, and its message already
    // names the linger command.
    const linger = await ensureLinger(this.lingerDeps());
    notes.push({ key: 'schedule.systemdPersistent' }, lingerInstallMessage(linger));
    return { files: paths, notes, linger };
  }

  /** Disables the verify timer (if its file is there) and deletes its units; the paths deleted. */
  private async removeVerifyUnits(): Promise<string[]> {
    const files = [VERIFY_TIMER_UNIT, VERIFY_SERVICE_UNIT].map((u) => `${this.unitDir}/${u}`);
    if (existsSync(files[0]!)) {
      // Exit 1 also means "no such unit" (and "no bus"): the files go anyway.
      await this.deps.run({ ...systemctlPlans().disableVerify, okExitCodes: [0, 1, 5] }).catch((e) => {
        if (!noManager(e)) throw e;
      });
    }
    const removed: string[] = [];
    for (const f of files) {
      if (existsSync(f)) {
        await unlink(f);
        removed.push(f);
      }
    }
    return removed;
  }

  async remove(): Promise<RemoveResult> {
    const plans = systemctlPlans();
    const notes: Message[] = [];
    const files = [TIMER_UNIT, SERVICE_UNIT].map((u) => `${this.unitDir}/${u}`);
    let managerReachable = true;
    try {
      // Exit 1 also means "no such unit" (and "no bus"): the files go anyway.
      const r = await this.deps.run({ ...plans.disable, okExitCodes: [0, 1, 5] });
      if ([...r.stderrTail, ...r.stdoutTail].some((l) => NO_MANAGER.test(l))) managerReachable = false;
    } catch (e) {
      if (!noManager(e)) throw e;
      managerReachable = false;
    }
    const removed: string[] = [];
    for (const f of files) {
      if (existsSync(f)) {
        await unlink(f);
        removed.push(f);
      }
    }
    removed.push(...(await this.removeVerifyUnits()));
    if (managerReachable) await this.deps.run(plans.daemonReload).catch(() => {});
    else if (removed.length) notes.push({ key: 'schedule.removedNoManager' });
    if (!removed.length) notes.push({ key: 'schedule.notInstalled' });
    return { removed, notes };
  }

  async status(): Promise<ScheduleStatus> {
    const plans = systemctlPlans();
    const notes: Message[] = [];
    const jobs: ScheduledJob[] = [];
    let reachable = true;
    const show = async (plan: CommandPlan): Promise<Record<string, string> | null> => {
      if (!reachable) return null;
      const lines: string[] = [];
      try {
        await this.deps.run(plan, { onStdoutLine: (l) => lines.push(l) });
        return parseShow(lines);
      } catch (e) {
        if (noManager(e)) {
          reachable = false;
          notes.push({ key: 'schedule.noUserManagerStatus', params: { user: this.deps.user } });
          return null;
        }
        throw e;
      }
    };
    const showPlans: Record<string, CommandPlan> = {
      [TIMER_UNIT]: plans.showTimer,
      [SERVICE_UNIT]: plans.showService,
      [VERIFY_TIMER_UNIT]: plans.showVerifyTimer,
      [VERIFY_SERVICE_UNIT]: plans.showVerifyService,
    };
    for (const { unit, role, service } of UNITS) {
      const file = `${this.unitDir}/${unit}`;
      const installed = existsSync(file);
      // The verify units only when there (verify.cron is optional); the backup's always.
      if (role === 'verify' && !installed) continue;
      const p = await show(showPlans[unit]!);
      const loaded = p ? p.LoadState === 'loaded' : null;
      const job: ScheduledJob = { name: unit, role, file, installed, loaded, missingPrograms: installed && service ? missingExecPrograms(file) : [] };
      if (p) {
        job.state = p.UnitFileState ? `${p.ActiveState} (${p.UnitFileState})` : p.ActiveState;
        if (p.NextElapseUSecRealtime) job.nextElapse = p.NextElapseUSecRealtime;
        if (p.LastTriggerUSec) job.lastTrigger = p.LastTriggerUSec;
        if (p.ExecMainStatus !== undefined && service) job.lastExitCode = p.ExecMainStatus;
      }
      jobs.push(job);
    }
    notes.push({ key: 'schedule.systemdPersistent' });
    // Asked only when there is a timer to keep running.
    if (!jobs.some((j) => j.role === 'backup' && j.installed)) return { kind: 'systemd', jobs, notes };
    const linger = await lingerState(this.lingerDeps());
    notes.push(lingerStatusMessage(linger));
    return { kind: 'systemd', jobs, notes, linger };
  }
}

/** The node binary and cli.js of an installed ExecStart= that are gone (node updated, folder moved). */
function missingExecPrograms(file: string): string[] {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) return [];
  const words = line.slice('ExecStart='.length).match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  return words
    .slice(0, 2)
    .map((w) => (w.startsWith('"') ? w.slice(1, -1).replace(/\\(.)/g, '$1') : w).replace(/%%/g, '%').replace(/\$\$/g, '$'))
    .filter((p) => !existsSync(p));
}
