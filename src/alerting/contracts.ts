// What leaves the server (issue 14): the shapes shared by the channels (e-mail, ntfy, webhook),
// the outbox that keeps what could not be delivered, the heartbeat, the places that decide what to
// send (run, mirror, restore, verify, status, the tray) and `notify test`. Engine code: no Qt.
//
// Rules every implementation keeps:
// - delivery never blocks or fails a backup: every send has a short timeout, never throws, and
//   what fails is queued (bounded) in the state folder and retried at the next run or `status`;
// - no secret (SMTP/DB/share passwords, tokens, passphrases) in a notice, a log line or a queued
//   file; no patient data (component names and counts only);
// - the text is already rendered in `notify.language` when a Notice is made.
import type { Message } from '../i18n';

export type ChannelName = 'email' | 'ntfy' | 'webhook';
export const CHANNEL_NAMES: readonly ChannelName[] = ['email', 'ntfy', 'webhook'];

export type NoticeKind = 'failure' | 'alert' | 'success' | 'weeklySummary' | 'monthlyReport' | 'undelivered' | 'test';

/** One message to people, ready to send through any channel. */
export interface Notice {
  /** Stable per occasion (`failure:run:20261124_031500`, `alert:tooOld:usb:2026-11-24`): the outbox never holds one twice. */
  id: string;
  kind: NoticeKind;
  severity: 'info' | 'warning' | 'error';
  /** „Praxis-Backup Praxis Dr. Muster: Sicherung fehlgeschlagen“ */
  subject: string;
  /** Plain text, short lines, readable on a phone. */
  text: string;
  /** ISO time the notice was made (from the injected clock). */
  createdAt: string;
  /** Machine-readable for the webhook's JSON body: what, result, exitCode, host, backupId, … (no secrets, no patient data). */
  event: Record<string, unknown>;
  /** E-mail only (ntfy/webhook name them in the text): the monthly PDF. Kept by path, so the file must outlive the queue entry. */
  attachments?: { filename: string; path: string; contentType: string }[];
}

/** How one channel did with one notice. */
export interface DeliveryOutcome {
  /** 'heartbeat' only from Heartbeat.ping and `notify test heartbeat`. */
  channel: ChannelName | 'heartbeat';
  ok: boolean;
  /** Where it failed: no secret in the keyring, connecting, TLS, login, the server refusing the message, an HTTP status. */
  stage?: 'secret' | 'connect' | 'tls' | 'auth' | 'send' | 'http' | 'timeout';
  /** What happened in the admin's words, with the server's own error where there is one and what to check. */
  message: Message;
}

/** Sends notices through every configured channel; what cannot be delivered goes to the outbox. */
export interface Deliverer {
  /** Never throws. Channels that fail get the notice queued (one entry per notice and channel). */
  send(notice: Notice, signal?: AbortSignal): Promise<DeliveryOutcome[]>;
  /** Retries what is queued (oldest first); returns what happened per entry. Never throws. */
  flush(signal?: AbortSignal): Promise<DeliveryOutcome[]>;
  /** `notify test [CHANNEL]`: sends a test notice now, nothing queued, each channel's outcome. */
  test(channel: ChannelName | undefined, notice: Notice, signal?: AbortSignal): Promise<DeliveryOutcome[]>;
}

export type HeartbeatPhase = 'start' | 'success' | 'fail';

/** Healthchecks.io (`<url>/start`, `<url>`, `<url>/fail`) or Uptime Kuma push (`?status=up|down&msg=`). */
export interface Heartbeat {
  /** Short timeout, never throws, never queued (a late ping is a wrong ping). */
  ping(phase: HeartbeatPhase, oneLine: string, signal?: AbortSignal): Promise<DeliveryOutcome | null>;
}

/** The JSON lines of `notify test --json`, which the settings window reads. */
export interface NotifyTestLine {
  type: 'channel';
  channel: ChannelName | 'heartbeat';
  ok: boolean;
  stage?: DeliveryOutcome['stage'];
  /** Rendered in the CLI's language. */
  message: string;
}
