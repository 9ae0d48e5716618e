// The Autostart port: the menu-bar app starts at every login. Linux: an XDG autostart entry plus a
// menu entry with the icon (XdgAutostart); macOS: a LaunchAgent with RunAtLoad (LaunchdTrayAgent).
// The CLI's `tray install|remove|status` picks one by the platform the composition root reports.
import type { Message } from '../i18n';

/** What the login starts: absolute paths, like the scheduler's jobs (no login-shell PATH at login). */
export interface TrayProgram {
  /** The Node binary (Linux: the one running the CLI) or qode (macOS). */
  runtime: string;
  /** Options for the runtime before the script (the young-generation size `npm start` uses). */
  runtimeArgs: string[];
  /** dist/tray.js of this installation. */
  tray: string;
}

export interface AutostartSpec {
  program: TrayProgram;
  /** `--config` for the app, when install was given one; otherwise the app's default config. */
  configFile?: string;
}

/** The app's command line as the login starts it. */
export function trayArgv(spec: AutostartSpec): string[] {
  const { runtime, runtimeArgs, tray } = spec.program;
  return [runtime, ...runtimeArgs, tray, ...(spec.configFile ? ['--config', spec.configFile] : [])];
}

export type AutostartKind = 'xdg' | 'launchd';
export type AutostartRole = 'autostart' | 'menu' | 'icon' | 'agent';

export interface AutostartFile {
  role: AutostartRole;
  path: string;
  installed: boolean;
  /** Same content as install would write now (false: an older install, or another installation's). */
  current: boolean;
  /** Switched off in the desktop's settings (Hidden / X-GNOME-Autostart-enabled=false). */
  disabled?: boolean;
  /** Paths in its command line that are gone (Node updated, installation moved). */
  missing: string[];
}

export interface AutostartStatus {
  kind: AutostartKind;
  /** Everything install writes is there. */
  installed: boolean;
  files: AutostartFile[];
  /** macOS: known to launchd now; null where there is no such thing (Linux). */
  loaded: boolean | null;
  state?: string;
  argv: string[] | null;
}

export interface AutostartResult {
  files: string[];
  notes: Message[];
  /** Done, but something the admin should know (exit 3), e.g. written but not started now. */
  warning: boolean;
}

export interface RemoveResult {
  removed: string[];
  /** Files at our paths that we did not write: left alone. */
  kept: string[];
  notes: Message[];
}

export interface Autostart {
  readonly kind: AutostartKind;
  install(spec: AutostartSpec): Promise<AutostartResult>;
  /** keepRunning: macOS leaves the loaded agent (and the app it started) until logout; the tray's own switch uses it. */
  remove(opts?: { keepRunning?: boolean }): Promise<RemoveResult>;
  /** Whether the login will start the app: the entry or agent file is there (cheap, for the menu's check mark). */
  isInstalled(): boolean;
  /** `spec`: what install would write now, to tell whether the installed files are current. */
  status(spec: AutostartSpec | null): Promise<AutostartStatus>;
}

/** Marks the files we write, so remove never deletes an entry someone else put at that path. */
export const WRITTEN_BY = 'X-Praxis-Backup-Written-By';
