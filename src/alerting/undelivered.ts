// „Benachrichtigung konnte nicht zugestellt werden“: said by the tray and `status` once the oldest
// message in the outbox has waited a day. A day, not at once: a mail server down for an hour is
// retried by the next run or status and nobody need act; a day of failures means the channel is
// broken (password changed, server moved) and someone must look.
import { outboxState } from './outbox';

export const UNDELIVERED_AFTER_MS = 24 * 3600_000;

export function undeliveredSince(app: { paths: { stateDir: string }; now(): Date }): { count: number; since: Date } | null {
  const s = outboxState(app.paths.stateDir);
  if (!s.oldestQueuedAt || app.now().getTime() - s.oldestQueuedAt.getTime() < UNDELIVERED_AFTER_MS) return null;
  return { count: s.count, since: s.oldestQueuedAt };
}
