// The Notifier port: how the admin hears about a finished, failed or ejected backup. The tray
// shows notifications itself when it runs (it reads the run's events); a run without the tray
// (launchd, systemd timer, a terminal) uses the platform's own; the log always has them.
import type { Platform } from '../platform/paths';
import { run, type CommandPlan } from '../process/runner';

export interface Notifier {
  notify(title: string, body: string): Promise<void>;
}

/** AppleScript string literal: backslash and double quote escaped. */
export function appleScriptString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function planOsascript(title: string, body: string): CommandPlan {
  return {
    label: 'osascript (notification)',
    file: '/usr/bin/osascript',
    args: ['-e', `display notification ${appleScriptString(body)} with title ${appleScriptString(title)}`],
    timeoutMs: 15_000,
  };
}

export function planNotifySend(title: string, body: string): CommandPlan {
  // "--" so a body starting with "-" is not taken for an option.
  return { label: 'notify-send', file: 'notify-send', args: ['--app-name=Praxis-Backup', '--', title, body], timeoutMs: 15_000 };
}

/** Platform notifications; a failure to notify (no notification daemon, headless server) never fails a backup. */
export class SystemNotifier implements Notifier {
  constructor(
    private readonly platform: Platform,
    private readonly runFn: typeof run = run,
  ) {}
  async notify(title: string, body: string): Promise<void> {
    const plan = this.platform === 'darwin' ? planOsascript(title, body) : planNotifySend(title, body);
    await this.runFn(plan).catch(() => {});
  }
}

export class SilentNotifier implements Notifier {
  async notify(): Promise<void> {}
}
