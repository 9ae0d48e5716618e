// The menu-bar app as the first to look (Xvfb, a real tray host, dist/tray.js as its own process):
// the alert it claims is mailed too (a real SMTP server on 127.0.0.1), and `status` the same day
// does not mail it again (the once-a-day state in status.json is shared). A notice that has waited
// in the outbox for two days turns into the finding „Benachrichtigung konnte nicht zugestellt
// werden“ — until `status` retries and delivers it, and the finding goes. The clock is the app's
// (PRAXIS_BACKUP_TEST_NOW), the zone the children's (TZ).
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Outbox } from '../../src/alerting/outbox';
import type { Notice } from '../../src/alerting/contracts';
import { runCli } from '../helpers/cli';
import { startDisplay, type TestDisplay } from '../helpers/display';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { runCleanups, visibly } from '../helpers/temp';
import { startTrayApp, type TraceEntry } from '../helpers/tray-app';
import { emailConfig, notifyPractice } from './notify-practice';

const test = suite('the tray sends what it claims');

let smtp: TestSmtp;
let display: TestDisplay;
test.before(
  visibly(async () => {
    smtp = await startSmtpServer();
    display = await startDisplay({ tray: true });
  }),
);
test.after(visibly(runCleanups));

const UNDELIVERED = 'Benachrichtigung konnte nicht zugestellt werden';
const hasUndelivered = (e: TraceEntry) => (e.menu as { text?: string }[]).some((m) => m.text?.startsWith(UNDELIVERED));

test('the tray mails the alert it claims, status the same day not again; a notice waiting two days is a finding until status delivers it', async () => {
  const p = await notifyPractice('praxis-tray-alert', {
    config: () => ({ practiceName: 'Praxis Dr. Test', notify: { language: 'de', email: emailConfig(smtp), weeklySummary: false, monthlyReport: false } }),
    env: { PRAXIS_BACKUP_PASSWORD_SMTP: smtp.password, PRAXIS_BACKUP_TEST_NOW: '2026-11-23T09:00:00Z' },
  });
  // Saturday's failure notice, never delivered (the mail server was down all weekend).
  const old: Notice = {
    id: 'failure:run:20261121_031500',
    kind: 'failure',
    severity: 'error',
    subject: 'Praxis-Backup Praxis Dr. Test: Sicherung fehlgeschlagen',
    text: 'Die Sicherung vom Samstag ist fehlgeschlagen.',
    createdAt: '2026-11-21T02:16:00Z',
    event: { type: 'failure' },
  };
  await new Outbox(p.stateDir, () => new Date('2026-11-21T02:16:00Z')).add(old, 'email', { key: 'notice.noReason', params: { code: 1 } });
  const before = smtp.messages.length;
  const mails = () => smtp.messages.slice(before);
  const alertMails = () => mails().filter((m) => m.subject === 'Praxis-Backup Praxis Dr. Test: bitte prüfen');

  const tray = await startTrayApp(display, ['--config', p.config], p.env, join(p.root, 'trace.jsonl'));
  // No backup yet: the tray says it on the desktop and — the first to look today — through the mail.
  const shown = await tray.waitFor((e) => e.t === 'notify' && e.title === 'Praxis-Backup: bitte prüfen', 60_000);
  assert.match(shown.body, /Noch keine Sicherung auf „Sicherungsverzeichnis“/);
  await smtp.waitForMessages(before + 1, 60_000);
  assert.is(alertMails().length, 1);
  assert.match(alertMails()[0]!.text, /⚠ Noch keine Sicherung auf „Sicherungsverzeichnis“\./);
  // The outbox has held Saturday's notice since then: the menu says nobody off the machine hears.
  const warned = await tray.waitFor((e) => e.t === 'view' && hasUndelivered(e), 60_000);
  assert.is(warned.icon, 'warning');
  const line = (warned.menu as { text?: string }[]).find((m) => m.text?.startsWith(UNDELIVERED))!.text!;
  assert.match(line, /^Benachrichtigung konnte nicht zugestellt werden \(1 wartend seit .*03:16\)/);
  // What the admin sees with a click on the icon.
  const menu = await tray.openMenu();
  assert.ok((menu.menu as { text?: string }[]).some((m) => m.text === line), JSON.stringify(menu.menu));
  await display.screenshot('tray-undelivered.png');
  await display.xdotool(['key', 'Escape']);

  // Monitoring reads it from status --json, which retries nothing (it must answer at once).
  const json = await runCli(['status', '--json', '--config', p.config], { ...p.env, PRAXIS_BACKUP_TEST_NOW: '2026-11-23T09:04:00Z' });
  assert.equal(json.events[0]!.undelivered, { count: 1, since: '2026-11-21T02:16:00.000Z' });
  // `status` the same day: the alert is known (no second mail); the queued notice is retried and delivered.
  const seen = tray.trace().length;
  const st = await runCli(['status', '--config', p.config], { ...p.env, PRAXIS_BACKUP_TEST_NOW: '2026-11-23T09:05:00Z' });
  assert.is(st.code, 1, st.stderr);
  assert.match(st.stdout, new RegExp(`⚠ ${UNDELIVERED}`));
  assert.is(alertMails().length, 1);
  assert.equal(mails().filter((m) => m.subject === old.subject).map((m) => m.text.trim()), [old.text]);
  // At its next look the tray finds the outbox empty: the finding goes.
  const cleared = await tray.waitFor((e) => e.t === 'view' && !hasUndelivered(e), 60_000, seen);
  assert.ok(cleared);
  await tray.stop();
});

test.run();
