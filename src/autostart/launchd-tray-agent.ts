// LaunchdTrayAgent: the Autostart port on macOS. A LaunchAgent ~/Library/LaunchAgents/
// de.praxis-backup.tray.plist (the scheduler's label scheme: de.praxis-backup.<role>) that starts
// qode + dist/tray.js at login, written with `plist` and loaded with the scheduler's launchctl plans
// (bootout if loaded, then bootstrap gui/<uid>), so the tests assert the exact argv without a Mac.
//
// Keys, and why:
// - RunAtLoad: the point of it: launchd loads the user's agents at login and starts this one then.
// - LimitLoadToSessionType Aqua: only in a graphical login (a menu-bar app has no place in an SSH
//   or background session).
// - ProcessType Interactive: the app answers clicks; launchd must not throttle it like a daemon.
// - KeepAlive { SuccessfulExit: false }: a crashed app (exit ≠ 0) comes back, because a vanished
//   icon is a silent alarm; „Beenden“, logout (SIGTERM) and "already running" exit 0 and stay
//   ended. A plain KeepAlive true would undo „Beenden“ at once. ThrottleInterval 60: if the app
//   cannot start at all (qode gone after an update), launchd tries once a minute, not every 10 s.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import plist from 'plist';
import type { Message } from '../i18n';
import { CommandError } from '../process/runner';
import { AGENT_PATH, agentLogDir, agentPlistPath } from '../schedule/launchd-agent';
import { launchctlPlans, NOT_LOADED } from '../schedule/launchd-scheduler';
import { parseLaunchctlPrint } from '../schedule/launchctl-print';
import type { Runner } from '../schedule/scheduler';
import { ExitCode, PraxisError } from '../core/errors';
import { trayArgv, type Autostart, type AutostartFile, type AutostartResult, type AutostartSpec, type AutostartStatus, type RemoveResult } from './autostart';
import { installFile } from './install-file';

export const TRAY_LABEL = 'de.praxis-backup.tray';
/** "Bootstrap failed: 5: Input/output error" (still loaded, bootout not finished, or a bad plist). */
const BOOTSTRAP_IO = 5;
/** "Bootstrap failed: 125: Domain does not support specified action": no graphical login (SSH). */
const BOOTSTRAP_NO_DOMAIN = 125;

export interface LaunchdTrayDeps {
  run: Runner;
  home: string;
  uid: number;
  sleep?: (ms: number) => Promise<void>;
}

export function trayAgentDict(spec: AutostartSpec, home: string): Record<string, unknown> {
  const logs = agentLogDir(home);
  return {
    Label: TRAY_LABEL,
    ProgramArguments: trayArgv(spec),
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 60,
    ProcessType: 'Interactive',
    LimitLoadToSessionType: 'Aqua',
    StandardOutPath: join(logs, 'tray.stdout.log'),
    StandardErrorPath: join(logs, 'tray.stderr.log'),
    // The app spawns the CLI with its own runtime; `open` and the tools the CLI looks up need a PATH.
    EnvironmentVariables: { PATH: AGENT_PATH },
  };
}

export function renderTrayAgent(spec: AutostartSpec, home: string): { path: string; content: string } {
  return { path: agentPlistPath(home, TRAY_LABEL), content: plist.build(trayAgentDict(spec, home) as plist.PlistObject) + '\n' };
}

export class LaunchdTrayAgent implements Autostart {
  readonly kind = 'launchd' as const;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: LaunchdTrayDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private get plans() {
    return launchctlPlans(this.deps.uid, TRAY_LABEL, agentPlistPath(this.deps.home, TRAY_LABEL));
  }

  /** `launchctl print`'s output, or null when launchd does not know the agent (exit 113). */
  private async print(): Promise<string | null> {
    const lines: string[] = [];
    const r = await this.deps.run(this.plans.print, { onStdoutLine: (l) => lines.push(l) });
    return r.exitCode === NOT_LOADED ? null : lines.join('\n');
  }

  async install(spec: AutostartSpec): Promise<AutostartResult> {
    for (const p of [spec.program.runtime, spec.program.tray, ...(spec.configFile ? [spec.configFile] : [])]) {
      if (!isAbsolute(p)) throw new PraxisError('autostart.notAbsolute', { path: p }, ExitCode.invalidInput);
    }
    const file = renderTrayAgent(spec, this.deps.home);
    await mkdir(agentLogDir(this.deps.home), { recursive: true, mode: 0o700 });
    await installFile(file.path, file.content);
    // A loaded agent keeps its old definition: out first (this also ends the app it started; RunAtLoad brings it back).
    if ((await this.print()) !== null) await this.deps.run(this.plans.bootout);
    const notes: Message[] = [];
    const started = await this.bootstrap(file.path);
    notes.push(started ? { key: 'autostart.launchd.started' } : { key: 'autostart.launchd.noGuiSession', params: { uid: this.deps.uid } });
    return { files: [file.path], notes, warning: !started };
  }

  /** true when loaded (and so started now); false when there is no graphical login to load it into. */
  private async bootstrap(path: string): Promise<boolean> {
    const plans = this.plans;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.run(plans.bootstrap);
        return true;
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        // The file is in place either way: the next graphical login loads it.
        if (e.exitCode === BOOTSTRAP_NO_DOMAIN) return false;
        const io = e.exitCode === BOOTSTRAP_IO || e.stderrTail.some((l) => /Bootstrap failed: 5\b/.test(l));
        if (io && attempt === 1) {
          await this.sleep(1000); // a bootout returns before launchd has let go of the job
          continue;
        }
        const key = io ? 'autostart.launchd.bootstrap5' : 'autostart.launchd.failed';
        throw new PraxisError(key, { label: TRAY_LABEL, path, command: plans.bootstrap.label, code: e.exitCode ?? e.reason }, ExitCode.failed, e.stderrTail.slice(-5));
      }
    }
  }

  isInstalled(): boolean {
    return existsSync(agentPlistPath(this.deps.home, TRAY_LABEL));
  }

  async remove(opts: { keepRunning?: boolean } = {}): Promise<RemoveResult> {
    const path = agentPlistPath(this.deps.home, TRAY_LABEL);
    const notes: Message[] = [];
    // From the app's own menu: a bootout would end the very app the admin is clicking in. Without the
    // file, the agent launchd still holds is gone at logout, and the next login starts nothing.
    if (opts.keepRunning && existsSync(path)) {
      await unlink(path);
      return { removed: [path], kept: [], notes: [{ key: 'autostart.launchd.keptRunning' }] };
    }
    const loaded = (await this.print()) !== null;
    // bootout also ends the app launchd started from it (SIGTERM: it exits 0, KeepAlive leaves it ended).
    if (loaded) {
      await this.deps.run(this.plans.bootout);
      notes.push({ key: 'autostart.launchd.stopped' });
    }
    const removed: string[] = [];
    if (existsSync(path)) {
      await unlink(path);
      removed.push(path);
    }
    if (!removed.length && !loaded) notes.push({ key: 'autostart.notInstalled' });
    return { removed, kept: [], notes };
  }

  async status(spec: AutostartSpec | null): Promise<AutostartStatus> {
    const path = agentPlistPath(this.deps.home, TRAY_LABEL);
    const printed = await this.print();
    const state = printed === null ? undefined : parseLaunchctlPrint(printed).state;
    if (!existsSync(path)) {
      return { kind: 'launchd', installed: false, files: [{ role: 'agent', path, installed: false, current: false, missing: [] }], loaded: printed !== null, state, argv: null };
    }
    const content = readFileSync(path, 'utf8');
    let argv: string[] = [];
    try {
      argv = ((plist.parse(content) as { ProgramArguments?: string[] }).ProgramArguments ?? []).map(String);
    } catch {
      /* unreadable: launchd says so when it loads it; status shows it as not current */
    }
    const script = argv.slice(1).find((a) => !a.startsWith('-'));
    const missing = [argv[0], script].filter((p): p is string => !!p && !existsSync(p));
    const current = spec !== null && content === renderTrayAgent(spec, this.deps.home).content;
    const file: AutostartFile = { role: 'agent', path, installed: true, current, missing };
    return { kind: 'launchd', installed: true, files: [file], loaded: printed !== null, state, argv };
  }
}
