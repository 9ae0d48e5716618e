// Is the Secret Service's default collection (where keytar stores) locked? keytar cannot say: a
// lookup in a locked gnome-keyring without a display to show the unlock prompt on just finds
// nothing. The Secret Service API has the answer as a property of the collection
// (org.freedesktop.Secret.Collection.Locked), read here with dbus-send, which comes with D-Bus.
import type { CommandPlan, RunResult } from '../process/runner';

export const DBUS_SEND = 'dbus-send';

export function planDefaultCollectionLocked(dbusSend = DBUS_SEND): CommandPlan {
  return {
    label: 'dbus-send (Secret Service: locked?)',
    file: dbusSend,
    args: [
      '--session', '--print-reply', '--reply-timeout=10000', '--dest=org.freedesktop.secrets',
      '/org/freedesktop/secrets/aliases/default',
      'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.Secret.Collection', 'string:Locked',
    ],
    timeoutMs: 15_000,
  };
}

/** `   variant       boolean true` → true; anything else → null (cannot tell). */
export function parseLockedReply(stdout: string[]): boolean | null {
  const m = /\bboolean\s+(true|false)\b/.exec(stdout.join('\n'));
  return m ? m[1] === 'true' : null;
}

/**
 * true/false when the Secret Service answered; null when it could not be asked (no dbus-send,
 * no session bus, no default collection yet — then nothing can be stored in it either).
 */
export async function defaultCollectionLocked(run: (plan: CommandPlan) => Promise<RunResult>, dbusSend?: string): Promise<boolean | null> {
  try {
    return parseLockedReply((await run(planDefaultCollectionLocked(dbusSend))).stdoutTail);
  } catch {
    return null;
  }
}
