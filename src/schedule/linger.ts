// Lingering: whether systemd keeps a user's manager — and with it the backup timer — running while
// nobody is logged in. Without it `systemd --user` starts with the first login session and stops
// with the last one, so on a headless server the nightly timer simply never fires. logind records
// the setting as a file, /var/lib/systemd/linger/<user> (read first: no process, works without a
// bus); `loginctl show-user` is asked only when the file is not there.
//
// `loginctl enable-linger <user>` works for root, and for the user himself where polkit allows it:
// systemd's policy (Debian 12: /usr/share/polkit-1/actions/org.freedesktop.login1.policy) says yes
// to org.freedesktop.login1.set-self-linger in any session, but a server without polkitd refuses
// ("The name org.freedesktop.PolicyKit1 was not provided by any .service files"), and a local rule
// may ask for an admin's password. `--no-ask-password`: polkit would then start a password prompt
// on our terminal (pkttyagent) that a script cannot answer; refused at once instead, the admin is
// told the sudo command.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from '../i18n';
// The runner's type straight from the runner, not scheduler.ts's alias: scheduler.ts imports this
// file's LingerInfo/LingerOutcome, and the two must not import each other.
import { CommandError, type CommandPlan, type run } from '../process/runner';

export const LINGER_DIR = '/var/lib/systemd/linger';

export type LingerState = 'on' | 'off' | 'unknown';

/** What `schedule status` and the missed-run alert know about lingering. */
export interface LingerInfo {
  user: string;
  state: LingerState;
  /** loginctl's own words when it could not be asked or refused (the last lines). */
  detail?: string[];
}

/** What `schedule install` did about it. */
export interface LingerOutcome extends LingerInfo {
  /** install switched it on just now. */
  enabled: boolean;
}

export interface LingerDeps {
  run: typeof run;
  user: string;
  /** Where logind keeps its linger files; tests point it at a temp folder. */
  lingerDir?: string;
}

export function loginctlPlans(user: string) {
  return {
    show: { label: `loginctl show-user ${user} --property=Linger`, file: 'loginctl', args: ['show-user', user, '--property=Linger'], timeoutMs: 30_000 } satisfies CommandPlan,
    enable: { label: `loginctl enable-linger ${user}`, file: 'loginctl', args: ['--no-ask-password', 'enable-linger', user], timeoutMs: 60_000 } satisfies CommandPlan,
  };
}

/** logind's answer for a user who has neither a session nor lingering: lingering is off. */
const NOT_LINGERING = /is not logged in or lingering/i;

/** loginctl's last words; when it said nothing (not installed: spawn ENOENT) the runner's summary. */
function tail(e: unknown): string[] {
  const lines = e instanceof CommandError ? [...e.stderrTail, ...e.stdoutTail].filter((l) => l.trim()).slice(-3) : [];
  return lines.length ? lines : [String((e as Error)?.message ?? e)];
}

export async function lingerState(deps: LingerDeps): Promise<LingerInfo> {
  const { user } = deps;
  if (existsSync(join(deps.lingerDir ?? LINGER_DIR, user))) return { user, state: 'on' };
  const lines: string[] = [];
  try {
    await deps.run(loginctlPlans(user).show, { onStdoutLine: (l) => lines.push(l) });
  } catch (e) {
    const detail = tail(e);
    if (detail.some((l) => NOT_LINGERING.test(l))) return { user, state: 'off' };
    // No logind to ask (a container, PID 1 not systemd) or no loginctl at all.
    return { user, state: 'unknown', detail };
  }
  const value = lines.map((l) => /^Linger=(.*)$/.exec(l.trim())?.[1]).find((v) => v !== undefined);
  if (value === 'yes') return { user, state: 'on' };
  if (value === 'no') return { user, state: 'off' };
  return { user, state: 'unknown', detail: lines.slice(-3) };
}

/** On already: nothing run. Off (or unknown): `loginctl enable-linger`; a refusal is reported, not thrown. */
export async function ensureLinger(deps: LingerDeps): Promise<LingerOutcome> {
  const before = await lingerState(deps);
  if (before.state === 'on') return { ...before, enabled: false };
  try {
    await deps.run(loginctlPlans(deps.user).enable);
    return { user: deps.user, state: 'on', enabled: true };
  } catch (e) {
    return { user: deps.user, state: 'off', enabled: false, detail: tail(e) };
  }
}

/** The install note: said in every case, a warning (exit 3) unless it is on. */
export function lingerInstallMessage(o: LingerOutcome): Message {
  if (o.state === 'on') return { key: o.enabled ? 'schedule.linger.enabled' : 'schedule.linger.already', params: { user: o.user } };
  return { key: 'schedule.linger.failed', params: { user: o.user, reason: o.detail?.at(-1) ?? '-' } };
}

/** The `schedule status` line. */
export function lingerStatusMessage(i: LingerInfo): Message {
  if (i.state === 'on') return { key: 'schedule.linger.on', params: { user: i.user } };
  if (i.state === 'off') return { key: 'schedule.linger.off', params: { user: i.user } };
  return { key: 'schedule.linger.unknown', params: { user: i.user, reason: i.detail?.at(-1) ?? '-' } };
}
