// `praxis-backup notify test [email|ntfy|webhook|heartbeat]`: a test message through each configured
// channel (or the one named) now, and per channel what happened — connected, TLS, logged in,
// accepted, or the failing stage with the server's own words and what to check. Nothing is queued:
// a test that fails must be seen now, not delivered tomorrow. The settings window runs it with
// --json and reads one NotifyTestLine per channel.
//
// Exit codes: 0 every channel worked, 1 at least one failed, 2 the channel is unknown or not set up,
// or the config has no `notify` (the message names the key to add).
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { CHANNEL_NAMES, type ChannelName, type DeliveryOutcome, type Notice, type NotifyTestLine } from '../../alerting/contracts';
import { configuredChannels } from '../../alerting/deliver';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { render, t, type Lang } from '../../i18n';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { parseCommand } from '../args';
import type { Out } from '../output';

type Target = ChannelName | 'heartbeat';
const TARGETS: readonly Target[] = [...CHANNEL_NAMES, 'heartbeat'];

/** The test message, in the language of what is sent (notify.language). */
export function testNotice(config: Config, now: Date, version: string, host: string): Notice {
  const lang: Lang = config.notify?.language ?? 'de';
  const time = localTime(now, lang);
  return {
    id: `test:${now.toISOString()}`,
    kind: 'test',
    severity: 'info',
    subject: t(lang, 'notify.test.subject', { practice: config.practiceName ? ` ${config.practiceName}` : '' }),
    text: t(lang, 'notify.test.text', { version, host, time }),
    createdAt: now.toISOString(),
    event: { what: 'test', host },
  };
}

function localTime(now: Date, lang: Lang): string {
  return now.toLocaleString(lang === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export async function notifyCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('notify', argv, {}, Number.MAX_SAFE_INTEGER);
  const [sub, name, ...extra] = positionals;
  if (sub !== 'test') throw new UsageError(sub ? `unknown sub-command "${sub}" (test)` : 'notify needs a sub-command: notify test [email|ntfy|webhook|heartbeat]', 'notify');
  if (extra.length) throw new UsageError('notify test takes at most one channel', 'notify');
  if (name !== undefined && !(TARGETS as readonly string[]).includes(name)) throw new PraxisError('notify.test.unknownChannel', { channel: name }, ExitCode.invalidInput);

  const file = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(file);
  const configured: Target[] = [...configuredChannels(config.notify), ...(config.notify?.heartbeat ? (['heartbeat'] as const) : [])];
  if (configured.length === 0) throw new PraxisError('notify.test.none', { file }, ExitCode.invalidInput);
  const target = name as Target | undefined;
  if (target && !configured.includes(target)) throw new PraxisError('notify.test.notConfigured', { channel: target, file, configured: configured.join(', ') }, ExitCode.invalidInput);

  const now = app.now();
  const host = hostname();
  const lang: Lang = config.notify?.language ?? 'de';
  const notice = testNotice(config, now, app.version, host);
  const deliverer = target === 'heartbeat' ? null : app.deliverer(config);
  const heartbeat = target === undefined || target === 'heartbeat' ? app.heartbeat(config) : null;
  const heartbeatText = t(lang, 'notify.test.heartbeatText', { host, time: localTime(now, lang) });
  const [channels, beat] = await Promise.all([
    deliverer ? deliverer.test(target as ChannelName | undefined, notice) : Promise.resolve([] as DeliveryOutcome[]),
    heartbeat ? heartbeat.test(heartbeatText) : Promise.resolve(null),
  ]);
  const outcomes = beat ? [...channels, beat] : channels;

  for (const o of outcomes) {
    const text = render(out.lang, o.message);
    if (out.json) {
      const line: NotifyTestLine = { type: 'channel', channel: o.channel, ok: o.ok, ...(o.stage ? { stage: o.stage } : {}), message: text };
      out.data(line);
    } else out.print(t(out.lang, o.ok ? 'notify.test.lineOk' : 'notify.test.lineFailed', { text }));
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  if (!out.json) out.print(failed ? t(out.lang, 'notify.test.summaryFailed', { failed, total: outcomes.length }) : t(out.lang, 'notify.test.summaryOk', { total: outcomes.length }));
  return failed ? ExitCode.failed : ExitCode.ok;
}
