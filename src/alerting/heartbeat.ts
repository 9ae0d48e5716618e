// The heartbeat: a monitor elsewhere expects a ping after every run and raises the alarm when none
// arrives (server off, schedule broken, Mac asleep) or a run says it failed.
//
// Two conventions, both checked against their documentation:
// - Healthchecks (healthchecks.io/docs/http_api, self-hosted Healthchecks and compatible
//   services): `<url>/start` when a run starts (the monitor measures the run time and notices a
//   run that never ends), `<url>` on success, `<url>/fail` on failure; a POST body is kept as the
//   ping's log (we send the one-line result). `<url>/log` records an event without changing the
//   check's state: that is what `notify test` uses, so a test is neither a good run nor an alarm.
// - Uptime Kuma's push monitor (`<push-url>?status=up|down&msg=…&ping=`): only up or down exist
//   (its push route treats every status other than "up" as down), so there is no start signal —
//   nothing is sent for 'start' — and no neutral one (see test()).
//
// The URL is the secret (whoever knows it can report "all good"): messages show its origin only.
// Short timeout, never throws, never queued: a late ping would report a run at the wrong time.
import type { NotifyConfig } from '../config/schema';
import type { DeliveryOutcome, Heartbeat, HeartbeatPhase } from './contracts';
import { channelLabel } from './channel';
import { truncateUtf8 } from './ntfy';
import { httpFailure, httpRequest, origin } from './http-request';

type HeartbeatConfig = NonNullable<NotifyConfig['heartbeat']>;

/** Healthchecks keeps the first 100 kB of a body; one line is plenty, and a monitor's UI shows it whole. */
const MAX_BODY_BYTES = 10_000;
/** Uptime Kuma's msg travels in the query string and is shown in one table cell. */
const MAX_KUMA_MSG = 250;

export interface HeartbeatDeps {
  timeoutMs: number;
  version: string;
}

export interface PingPlan {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
}

function withSuffix(url: string, suffix: string): string {
  const u = new URL(url);
  u.pathname = u.pathname.replace(/\/+$/, '') + suffix;
  return u.toString();
}

/** The request for one phase, or null when the style has no such signal (Uptime Kuma has no start). */
export function planPing(cfg: HeartbeatConfig, phase: HeartbeatPhase | 'test', oneLine: string): PingPlan | null {
  if (cfg.style === 'uptime-kuma') {
    if (phase === 'start') return null;
    const u = new URL(cfg.url);
    // The push URL Uptime Kuma shows already carries ?status=up&msg=OK&ping=: ours replace them.
    u.searchParams.set('status', phase === 'success' ? 'up' : 'down');
    u.searchParams.set('msg', oneLine.replace(/\s+/g, ' ').trim().slice(0, MAX_KUMA_MSG));
    u.searchParams.delete('ping');
    return { method: 'GET', url: u.toString() };
  }
  const suffix = { start: '/start', success: '', fail: '/fail', test: '/log' }[phase];
  return { method: 'POST', url: withSuffix(cfg.url, suffix), body: truncateUtf8(oneLine, MAX_BODY_BYTES) };
}

export class HeartbeatClient implements Heartbeat {
  constructor(
    private readonly cfg: HeartbeatConfig,
    private readonly deps: HeartbeatDeps,
  ) {}

  /** Where the pings go, safe to show: the origin and the style. */
  get target(): string {
    return origin(this.cfg.url);
  }

  ping(phase: HeartbeatPhase, oneLine: string, signal?: AbortSignal): Promise<DeliveryOutcome | null> {
    const plan = planPing(this.cfg, phase, oneLine);
    return plan ? this.request(plan, signal, { key: 'notify.ok.heartbeat', params: { phase: { key: `notify.phase.${phase}` }, target: this.target } }) : Promise.resolve(null);
  }

  /**
   * `notify test heartbeat`. Healthchecks: a `/log` event (state unchanged). Uptime Kuma has no
   * neutral signal, and "up" would be the dangerous choice: after a failed night it would turn the
   * monitor green until the next run. So the test reports "down" with a message saying it is a
   * test: a false alarm that says so, never a false all-clear; the next real run sets it right.
   */
  test(text: string, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const plan = planPing(this.cfg, 'test', text)!;
    const key = this.cfg.style === 'uptime-kuma' ? 'notify.ok.heartbeatTestKuma' : 'notify.ok.heartbeatTest';
    return this.request(plan, signal, { key, params: { target: this.target } });
  }

  private async request(plan: PingPlan, signal: AbortSignal | undefined, okMessage: DeliveryOutcome['message']): Promise<DeliveryOutcome> {
    const r = await httpRequest({
      url: plan.url,
      method: plan.method,
      headers: { 'user-agent': `praxis-backup/${this.deps.version}`, ...(plan.body !== undefined ? { 'content-type': 'text/plain; charset=utf-8' } : {}) },
      body: plan.body,
      timeoutMs: this.deps.timeoutMs,
      signal,
    });
    if (r.ok) return { channel: 'heartbeat', ok: true, message: okMessage };
    return { channel: 'heartbeat', ok: false, stage: r.stage, message: httpFailure(channelLabel('heartbeat'), plan.url, r, this.deps.timeoutMs) };
  }
}
