// An alert leaves the server once a day, however many look at the same moment: a scheduled run
// and three `status` started together (separate processes, one status.json) see the USB copy grow
// stale; one mail says it. The next day, one more. The clock is the CLI's (PRAXIS_BACKUP_TEST_NOW),
// the zone the child's (TZ); the mail server is real (STARTTLS, AUTH) on 127.0.0.1.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, startCli } from '../helpers/cli';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { mountTmpfs } from '../helpers/tmpfs';
import { runCleanups, visibly } from '../helpers/temp';
import { emailConfig, notifyPractice } from './notify-practice';

const test = suite('alerts once a day');

let smtp: TestSmtp;
test.before(
  visibly(async () => {
    smtp = await startSmtpServer();
  }),
);
test.after(visibly(runCleanups));

test('a stale USB copy seen by a scheduled run and three status at once: one mail; the next day one more', async () => {
  // The USB disk: a file system of its own (a path mirror on the backup's own disk is refused).
  const disk = await mountTmpfs(16);
  const { config, env } = await notifyPractice('praxis-alert-once', {
    config: () => ({
      practiceName: 'Praxis Dr. Test',
      mirrors: [{ name: 'usb', type: 'path', path: disk.path, mode: 'all' }],
      // Only the USB copy can grow old here: the local folder gets a fresh backup each night.
      alerts: { localMaxAgeHours: 24 * 30, mirrorMaxAgeDays: 1 },
      notify: {
        language: 'de',
        email: emailConfig(smtp),
        weeklySummary: false,
        monthlyReport: false,
      },
    }),
    env: { PRAXIS_BACKUP_PASSWORD_SMTP: smtp.password },
  });
  const at = (iso: string) => ({ ...env, PRAXIS_BACKUP_TEST_NOW: iso });
  const first = await runCli(['run', '--config', config], at('2026-11-20T02:15:00Z'));
  assert.is(first.code, 0, first.stderr);
  // The disk went home and stayed there.
  await disk.unmount();
  const before = smtp.messages.length;
  const alertMails = () => smtp.messages.slice(before).filter((m) => m.subject === 'Praxis-Backup Praxis Dr. Test: bitte prüfen');

  const now = at('2026-11-23T02:15:00Z');
  const all = await Promise.all([
    startCli(['run', '--scheduled', '--config', config], now),
    startCli(['status', '--config', config], now),
    startCli(['status', '--config', config], now),
    startCli(['status', '--config', config], now),
  ]);
  assert.is(all[0]!.exitCode, 3, String(all[0]!.stderr)); // the optional USB disk is absent: a warning
  for (const st of all.slice(1)) assert.is(st.exitCode, 1, String(st.stderr)); // status: an alert is open
  const day1 = alertMails();
  assert.is(day1.length, 1, day1.map((m) => m.text).join('\n---\n'));
  assert.match(day1[0]!.text, /⚠ Letzte Sicherung auf „usb“ vor 3 Tagen \(erlaubt: 24 Stunden\)\./);
  assert.match(day1[0]!.text, /höchstens einmal am Tag/);

  // Later that day: known already.
  await runCli(['status', '--config', config], at('2026-11-23T15:00:00Z'));
  assert.is(alertMails().length, 1);

  // The next day it is news again: once.
  const next = at('2026-11-24T08:00:00Z');
  await Promise.all([startCli(['status', '--config', config], next), startCli(['status', '--config', config], next)]);
  const day2 = alertMails();
  assert.is(day2.length, 2, day2.map((m) => m.text).join('\n---\n'));
  assert.match(day2[1]!.text, /„usb“ vor 4 Tagen/);
  // --json is for monitoring: it reports, exits 1, and sends nothing.
  await runCli(['status', '--json', '--config', config], at('2026-11-25T08:00:00Z'));
  assert.is(alertMails().length, 2);
});

test('without channels, status claims nothing: the tray still shows the day’s alerts on the desktop', async () => {
  const p = await notifyPractice('praxis-alert-nochannel', { config: () => ({}), env: { PRAXIS_BACKUP_TEST_NOW: '2026-11-23T08:00:00Z' } });
  const st = await runCli(['status', '--config', p.config], p.env);
  assert.is(st.code, 1, st.stderr); // „Noch keine Sicherung“ is open
  assert.match(st.stdout, /Noch keine Sicherung auf „Sicherungsverzeichnis“/);
  const status = existsSync(join(p.stateDir, 'status.json')) ? JSON.parse(readFileSync(join(p.stateDir, 'status.json'), 'utf8')) : {};
  assert.is(status.alertsNotified, undefined);
});

test.run();
