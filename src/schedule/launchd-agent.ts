// The LaunchAgent plists, built in code with the `plist` package rather than kept as template files
// under launchd/: the CLI ships as one bundled dist/cli.js, so code needs nothing found at run
// time, and every value (absolute paths, the calendar array) is typed and escaped by the library.
//
// Two agents when `schedule.onDiskAttach` is on, not one: a launchd job has one ProgramArguments
// and is not told which of its triggers (StartCalendarInterval or StartOnMount) started it, so a
// single job could not know whether to back up or only to mirror. Two jobs, two honest commands.
// For the same reason `verify.cron` gets a third agent of its own, with its own calendar.
import { isAbsolute, join } from 'node:path';
import plist from 'plist';
import { ExitCode, PraxisError } from '../core/errors';
import { cronToCalendarIntervals, type CalendarInterval } from './cron-to-launchd';
import type { ProgramPaths, RenderedFile, ScheduleSpec } from './scheduler';

export const AGENT_LABEL = 'de.praxis-backup.agent';
export const ON_MOUNT_LABEL = 'de.praxis-backup.on-mount';
export const VERIFY_LABEL = 'de.praxis-backup.verify';

/**
 * launchd gives agents only /usr/bin:/bin:/usr/sbin:/sbin. The tool locator searches the usual
 * places itself; this PATH is for what it does not know (hooks, a custom pg_dump), in the order
 * an admin's Terminal would find them: Homebrew (Apple silicon, Intel), Postgres.app, the system.
 */
export const AGENT_PATH = [
  '/opt/homebrew/bin',
  '/usr/local/bin',
  '/Applications/Postgres.app/Contents/Versions/latest/bin',
  '/usr/bin',
  '/bin',
  '/usr/sbin',
  '/sbin',
].join(':');

export const launchAgentsDir = (home: string) => join(home, 'Library', 'LaunchAgents');
export const agentLogDir = (home: string) => join(home, 'Library', 'Logs', 'Praxis-Backup');
export const agentPlistPath = (home: string, label: string) => join(launchAgentsDir(home), `${label}.plist`);

export interface AgentDict {
  Label: string;
  ProgramArguments: string[];
  StartCalendarInterval?: CalendarInterval[];
  StartOnMount?: boolean;
  RunAtLoad: boolean;
  StandardOutPath: string;
  StandardErrorPath: string;
  EnvironmentVariables: Record<string, string>;
}

export function assertAbsolute(program: ProgramPaths, configFile: string): void {
  for (const [what, p] of [['node', program.node], ['cli', program.cli], ['config', configFile]] as const) {
    if (!isAbsolute(p)) throw new PraxisError('schedule.notAbsolute', { what, path: p }, ExitCode.invalidInput);
  }
}

export function launchAgentDicts(spec: ScheduleSpec, program: ProgramPaths, home: string): AgentDict[] {
  assertAbsolute(program, spec.configFile);
  const logs = agentLogDir(home);
  const env = { PATH: AGENT_PATH, PRAXIS_BACKUP_LANG: spec.lang };
  const common = (label: string, logName: string, args: string[]) => ({
    Label: label,
    ProgramArguments: [program.node, program.cli, ...args, '--config', spec.configFile],
    // Installing (or logging in) must not start a backup in the middle of the practice day.
    RunAtLoad: false,
    StandardOutPath: join(logs, `${logName}.stdout.log`),
    StandardErrorPath: join(logs, `${logName}.stderr.log`),
    EnvironmentVariables: env,
  });
  // No ProcessType: "Background" throttles disk I/O, and a throttled backup may still be copying
  // when the practice opens. launchd's default (light throttling) is what a 3 a.m. job wants.
  const agents: AgentDict[] = [{ ...common(AGENT_LABEL, 'agent', ['run', '--scheduled']), StartCalendarInterval: cronToCalendarIntervals(spec.cron) }];
  if (spec.onDiskAttach) {
    // Fires on every mount (also disk images, shares); `mirror --on-mount` returns at once unless
    // a configured mirror disk is attached and due.
    agents.push({ ...common(ON_MOUNT_LABEL, 'on-mount', ['mirror', '--on-mount']), StartOnMount: true });
  }
  if (spec.verifyCron !== undefined) {
    // Same PATH and language as the backup (the restore test runs pg_restore / mariadb), own logs so
    // a failed restore test is not buried in the nightly backup's output.
    agents.push({ ...common(VERIFY_LABEL, 'verify', ['verify', '--restore-test', '--scheduled']), StartCalendarInterval: cronToCalendarIntervals(spec.verifyCron) });
  }
  return agents;
}

export function renderLaunchAgents(spec: ScheduleSpec, program: ProgramPaths, home: string): RenderedFile[] {
  return launchAgentDicts(spec, program, home).map((d) => ({
    name: d.Label,
    path: agentPlistPath(home, d.Label),
    content: plist.build(d as unknown as plist.PlistObject) + '\n',
  }));
}
