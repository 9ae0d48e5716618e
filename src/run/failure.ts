// How a failed run, restore or check is told: one message (a cancel is a cancel, not an error),
// the tool's own last lines, and the summary every command and the tray read. One place, so the
// backup, the restore and the verification say a failure the same way.
import type { Message, MessageKey } from '../i18n';
import { CommandError } from '../process/runner';
import { ExitCode, PraxisError } from '../core/errors';
import type { RunSummary } from './events';

/** What went wrong, as the admin is told it. `cancelled`: the key for a cancel (the restore says more). */
export function failureMessage(e: unknown, cancelled: MessageKey = 'error.cancelled'): Message {
  if (e instanceof PraxisError) return e.message_;
  if (e instanceof CommandError && e.reason === 'cancelled') return { key: cancelled };
  if ((e as Error)?.name === 'AbortError') return { key: cancelled };
  return { key: 'error.unexpected', params: { message: (e as Error)?.message ?? String(e) } };
}

/** The failing tool's last lines (already redacted by the runner), shown under the message. */
export function failureDetails(e: unknown): string[] {
  if (e instanceof PraxisError) return e.toolOutput;
  if (e instanceof CommandError) return e.stderrTail.slice(-10);
  return [];
}

/** The summary of a run that failed with `e` (exit code from a PraxisError, else 1). */
export function failedSummary(e: unknown, error: Message, o: { durationMs: number; warnings: readonly Message[]; backupId?: string }): RunSummary {
  return {
    result: 'failed',
    exitCode: e instanceof PraxisError ? e.exitCode : ExitCode.failed,
    ...(o.backupId ? { backupId: o.backupId } : {}),
    durationMs: o.durationMs,
    warnings: [...o.warnings],
    error,
    details: failureDetails(e),
  };
}
