// The Scheduler port: how the operating system starts `praxis-backup run --scheduled` on
// `schedule.cron` (and `verify --restore-test --scheduled` on `verify.cron`) while no app is open. macOS: a LaunchAgent (LaunchdScheduler); Linux: systemd
// user units (SystemdUserScheduler). The composition root picks one; `schedule render --for`
// can ask either for its files.
import type { Lang, Message } from '../i18n';
import type { run } from '../process/runner';
import type { LingerInfo, LingerOutcome } from './linger';

export type SchedulerKind = 'launchd' | 'systemd';

/** The one process seam, injectable so tests can assert argv and feed recorded output. */
export type Runner = typeof run;

/**
 * What the scheduled job executes: absolute paths of the node binary and of dist/cli.js. The
 * composition root takes them from the running CLI (process.execPath, the script's real path), so
 * the job runs the same installation `schedule install` was run from.
 */
export interface ProgramPaths {
  node: string;
  cli: string;
}

export interface ScheduleSpec {
  cron: string;
  /** macOS: a second agent runs `mirror --on-mount` whenever a volume is mounted. */
  onDiskAttach: boolean;
  /** Absolute path of the config the job reads (`--config`). */
  configFile: string;
  /** The language the job's messages and notifications use. */
  lang: Lang;
  /**
   * `verify.cron`: a job of its own runs `verify --restore-test --scheduled` on it. Optional so that
   * callers that predate it still compile; absent means no verify job, and install() removes one
   * a previous install left behind (as it does with the on-mount agent).
   */
  verifyCron?: string;
}

export interface RenderedFile {
  /** Label (launchd) or unit name (systemd). */
  name: string;
  path: string;
  content: string;
}

export interface InstallResult {
  files: string[];
  notes: Message[];
  /** systemd: whether the timer runs with nobody logged in; not 'on' makes install exit 3. */
  linger?: LingerOutcome;
}

export interface RemoveResult {
  removed: string[];
  notes: Message[];
}

/** What a job is for: callers that judge the backup schedule (missed-run alerts) look at 'backup' only. */
export type JobRole = 'backup' | 'verify' | 'on-mount';

export interface ScheduledJob {
  /** Label or unit name. */
  name: string;
  /** Optional for compatibility: undefined means 'backup'. The backup's jobs come first in `jobs`. */
  role?: JobRole;
  file: string;
  /** The file is in place. */
  installed: boolean;
  /** Known to launchd / the user manager; null when that could not be asked. */
  loaded: boolean | null;
  state?: string;
  runs?: number;
  lastExitCode?: string;
  /** systemd's next elapse, as systemd prints it. */
  nextElapse?: string;
  lastTrigger?: string;
  /** Program paths in the installed file that no longer exist (node updated or moved). */
  missingPrograms: string[];
}

export interface ScheduleStatus {
  kind: SchedulerKind;
  jobs: ScheduledJob[];
  notes: Message[];
  /** systemd: lingering of the user (see linger.ts); absent on macOS. */
  linger?: LingerInfo;
}

export interface Scheduler {
  readonly kind: SchedulerKind;
  /** The files install() would write, without writing anything. */
  render(spec: ScheduleSpec): RenderedFile[];
  install(spec: ScheduleSpec): Promise<InstallResult>;
  remove(): Promise<RemoveResult>;
  status(): Promise<ScheduleStatus>;
}
