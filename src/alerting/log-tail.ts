// The last lines of this run's log, as a failure notice quotes them: the same events the log file
// holds (its text is already free of secrets: the runner redacts child output before an event is
// made), rendered in the notice's language, file names left out (redact.ts), with the local time.
import type { Lang, Message } from '../i18n';
import { eventText, type EventSink, type StampedEvent } from '../run/events';
import { localTime } from '../report/local-time';
import { withoutFileNames } from './redact';

/** About a phone screen: what led to the failure, not the whole night. */
export const LOG_TAIL_LINES = 15;

export class LogTail {
  private readonly lines: string[] = [];
  /** The last error the run logged: the reason, when a summary carries none (a mirror session's may not). */
  lastError: Message | null = null;

  constructor(
    private readonly lang: Lang,
    private readonly max = LOG_TAIL_LINES,
  ) {}

  /** Add to the run's Reporter beside the log file's sink. */
  readonly sink: EventSink = (e) => {
    if (e.type === 'log' && e.level === 'error') this.lastError = e.message;
    const line = eventText(this.lang, forNotice(e));
    if (!line) return;
    this.lines.push(`${localTime(new Date(e.ts), true)} ${line}`);
    if (this.lines.length > this.max) this.lines.shift();
  };

  get text(): string[] {
    return [...this.lines];
  }
}

function forNotice(e: StampedEvent): StampedEvent {
  if (e.type === 'log' || e.type === 'warning' || e.type === 'notification') return { ...e, message: withoutFileNames(e.message) };
  return e;
}
