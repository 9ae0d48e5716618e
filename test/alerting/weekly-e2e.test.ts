// The Wochenbericht and the monthly protocol mail through the real CLI and a real SMTP server:
// sent by the first run on the configured day (not by the second that day, not on other days),
// listing every night of the week before; the protocol of the month before goes out once, on the
// first run of the month, as a PDF attachment. The days are the CLI's clock (PRAXIS_BACKUP_TEST_NOW)
// in the child's zone (TZ): 25 November 2026 is a Wednesday.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { runCleanups, visibly } from '../helpers/temp';
import { emailConfig, notifyPractice } from './notify-practice';

const test = suite('weekly summary and monthly report');

let smtp: TestSmtp;
test.before(
  visibly(async () => {
    smtp = await startSmtpServer();
  }),
);
test.after(visibly(runCleanups));

test('Wochenbericht on Wednesday once (not on the second run that day, not on other days); last month’s protocol once, on the 1st', async () => {
  const { config, env, stateDir } = await notifyPractice('praxis-weekly', {
    config: () => ({ practiceName: 'Praxis Dr. Test', notify: { language: 'de', email: emailConfig(smtp), weeklySummary: 'wednesday', monthlyReport: true } }),
    env: { PRAXIS_BACKUP_PASSWORD_SMTP: smtp.password },
  });
  const before = smtp.messages.length;
  const mails = () => smtp.messages.slice(before);
  const weekly = () => mails().filter((m) => m.subject.startsWith('Praxis-Backup Praxis Dr. Test: Wochenbericht'));
  const monthly = () => mails().filter((m) => m.subject.startsWith('Praxis-Backup Praxis Dr. Test: Datensicherungsprotokoll'));
  const runAt = async (iso: string) => {
    const r = await runCli(['run', '--config', config], { ...env, PRAXIS_BACKUP_TEST_NOW: iso });
    assert.is(r.code, 0, `${iso}: ${r.stderr}`);
  };

  // Tuesday: the first run after installing starts the count, it reports nothing it did not watch.
  await runAt('2026-11-24T02:15:00Z');
  assert.equal(mails().map((m) => m.subject), []);
  // Wednesday 03:15: the summary of the week before (18–24 November), with Tuesday's night in it.
  await runAt('2026-11-25T02:15:00Z');
  assert.is(weekly().length, 1);
  const w = weekly()[0]!;
  assert.is(w.subject, 'Praxis-Backup Praxis Dr. Test: Wochenbericht 18.11.2026 – 24.11.2026');
  const lines = w.text.split('\n');
  assert.ok(lines.includes('Sicherungen: 1 gelungen, 0 mit Warnungen, 0 fehlgeschlagen'), w.text);
  assert.ok(lines.includes('Mi 18.11. – keine Sicherung'), w.text);
  assert.ok(lines.some((l) => /^Di 24\.11\. 03:15 ✓ [\d,]+ KB, \d+ s$/.test(l)), w.text);
  assert.is(lines.filter((l) => /^(Mo|Di|Mi|Do|Fr|Sa|So) \d\d\.\d\d\. /.test(l)).length, 7, w.text);
  assert.ok(lines.includes('Wiederherstellungstests: keiner in dieser Woche'), w.text);
  // Wednesday again, Thursday, the next Tuesday: nothing more.
  await runAt('2026-11-25T09:00:00Z');
  await runAt('2026-11-26T02:15:00Z');
  assert.is(weekly().length, 1);
  // 1 December: the first run of the month mails November's protocol, once.
  await runAt('2026-12-01T02:15:00Z');
  assert.is(weekly().length, 1);
  assert.is(monthly().length, 1);
  const m = monthly()[0]!;
  assert.is(m.subject, 'Praxis-Backup Praxis Dr. Test: Datensicherungsprotokoll 2026-11');
  assert.is(m.attachments.length, 1);
  assert.is(m.attachments[0]!.filename, 'Datensicherungsprotokoll-2026-11.pdf');
  assert.is(m.attachments[0]!.content.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.ok(existsSync(join(stateDir, 'reports', 'Datensicherungsprotokoll-2026-11.pdf')), 'kept on the server too');
  // Wednesday 2 December: the next week's summary (25 November – 1 December), four nights in it.
  await runAt('2026-12-02T02:15:00Z');
  assert.is(weekly().length, 2);
  assert.is(monthly().length, 1);
  const w2 = weekly()[1]!;
  assert.is(w2.subject, 'Praxis-Backup Praxis Dr. Test: Wochenbericht 25.11.2026 – 01.12.2026');
  const l2 = w2.text.split('\n');
  assert.ok(l2.includes('Sicherungen: 4 gelungen, 0 mit Warnungen, 0 fehlgeschlagen'), w2.text);
  assert.ok(l2.some((l) => l.startsWith('Mi 25.11. 03:15 ✓')) && l2.some((l) => l.startsWith('Mi 25.11. 10:00 ✓')), w2.text);
  assert.ok(l2.includes('Fr 27.11. – keine Sicherung'), w2.text);
});

test.run();
