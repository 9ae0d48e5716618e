// What leaves the server, as text: subject with the practice's name, the reason in the reader's
// language, what to do, host, local time with its offset, the log's last lines — and nothing a
// practice must not send (tool output that may hold secrets, file names that may name patients).
process.env.TZ = 'Europe/Berlin'; // the server's zone, set here: never the machine's
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isoWeek, monthlyReportDue, weeklySummaryDue } from '../../src/alerting/calendar';
import { alertNotice, failureNotice, monthlyReportNotice, noticeContext, successNotice, weeklySummaryNotice, type WeekFacts } from '../../src/alerting/notices';
import { withoutFileNames } from '../../src/alerting/redact';
import type { Alert } from '../../src/alerting/alert-rules';
import type { RunSummary } from '../../src/run/events';

const test = suite('notices');

const NOW = new Date('2026-12-02T02:16:40Z'); // 03:16:40 in Berlin (UTC+01:00)
const STARTED = new Date('2026-12-02T02:15:00Z');
const config = { practiceName: 'Praxis Dr. Muster', notify: { language: 'de' as const } };

const failed: RunSummary = {
  result: 'failed',
  exitCode: 1,
  backupId: '20261202_031500',
  durationMs: 4000,
  warnings: [],
  error: { key: 'error.unexpected', params: { message: 'Anmeldung an der Datenbank abgelehnt' } },
  // The tool's raw output: a notice never quotes it (it may name files; secrets are redacted, but this proves the rule).
  details: ['pg_dump: error: PGPASSWORD=geheim-123 rejected'],
};

test('a failed backup in German: subject with the practice, reason, what to do, host, local time with offset, log lines', () => {
  const n = failureNotice(noticeContext(config, NOW, 'praxis-server'), {
    what: 'run',
    summary: failed,
    startedAt: STARTED,
    logTail: ['03:15:00 Backup 20261202_031500 gestartet', '03:15:04 ✗ Sicherung fehlgeschlagen'],
    lastGood: { backupId: '20261201_031500', at: '2026-12-01T02:20:00Z' },
  });
  assert.is(n.subject, 'Praxis-Backup Praxis Dr. Muster: Sicherung fehlgeschlagen');
  assert.is(n.id, 'failure:run:20261202_031500');
  assert.is(n.kind, 'failure');
  assert.is(n.severity, 'error');
  assert.match(n.text, /^Die Sicherung auf praxis-server ist fehlgeschlagen:\n.*Anmeldung an der Datenbank abgelehnt/);
  assert.match(n.text, /Was tun: .*Backup jetzt/);
  assert.match(n.text, /Letzte gelungene Sicherung: 20261201_031500 \(01\.12\.2026 03:20\)/);
  assert.match(n.text, /Rechner: praxis-server/);
  assert.match(n.text, /Zeit: 02\.12\.2026 03:15 \(UTC\+01:00\)/);
  assert.match(n.text, /Letzte Zeilen des Protokolls:\n03:15:00 Backup 20261202_031500 gestartet\n03:15:04 ✗ Sicherung fehlgeschlagen$/);
  assert.not.match(n.text, /geheim-123|PGPASSWORD/);
  assert.not.match(JSON.stringify(n.event), /geheim-123/);
  assert.is(n.createdAt, NOW.toISOString());
  assert.equal({ what: n.event.what, exitCode: n.event.exitCode, backupId: n.event.backupId, host: n.event.host }, { what: 'run', exitCode: 1, backupId: '20261202_031500', host: 'praxis-server' });
});

test('the same in English; without a practice name the host names the server', () => {
  const ctx = noticeContext({ notify: { language: 'en' } }, NOW, 'praxis-server');
  const n = failureNotice(ctx, { what: 'run', summary: failed, startedAt: STARTED, logTail: [], lastGood: null });
  assert.is(n.subject, 'Praxis-Backup praxis-server: Backup failed');
  assert.match(n.text, /^The backup on praxis-server failed:/);
  assert.match(n.text, /What to do: .*praxis-backup run/);
  assert.match(n.text, /There is no good backup yet\./);
  assert.match(n.text, /Time: 2026-12-02 03:15 \(UTC\+01:00\)/);
  assert.not.match(n.text, /Last lines of the log/); // no lines, no heading
});

test('each command has its own subject; a restore or verification is named by its start, not the backup it used', () => {
  const ctx = noticeContext(config, NOW, 'h');
  const subjects = (['mirror', 'restore', 'verify'] as const).map((what) => failureNotice(ctx, { what, summary: failed, startedAt: STARTED, logTail: [] }));
  assert.equal(subjects.map((n) => n.subject.replace('Praxis-Backup Praxis Dr. Muster: ', '')), ['Spiegelung fehlgeschlagen', 'Wiederherstellung fehlgeschlagen', 'Prüfung fehlgeschlagen']);
  assert.is(subjects[1]!.id, `failure:restore:${STARTED.toISOString()}`);
  const en = noticeContext({ ...config, notify: { language: 'en' as const } }, NOW, 'h');
  assert.is(failureNotice(en, { what: 'verify', summary: failed, startedAt: STARTED, logTail: [] }).subject, 'Praxis-Backup Praxis Dr. Muster: Verification failed');
  // Summer time: the offset follows the date, not the machine's present.
  const summer = failureNotice(ctx, { what: 'run', summary: failed, startedAt: new Date('2026-07-01T01:15:00Z'), logTail: [] });
  assert.match(summer.text, /Zeit: 01\.07\.2026 03:15 \(UTC\+02:00\)/);
});

test('file names (which may name patients) stay on the server; counts and component names go', () => {
  const vanished = { key: 'warn.vanished' as const, params: { name: 'befunde', count: 2, files: 'Mueller_Hans_Befund.pdf, Schmidt_Eva.pdf' } };
  const m = withoutFileNames({ key: 'error.unexpected', params: { message: vanished } } as any);
  assert.equal((m.params!.message as any).params.files, { key: 'notice.namesOmitted' });
  const ok: RunSummary = { result: 'warning', exitCode: 3, backupId: '20261202_031500', bytes: 1536, durationMs: 65_000, warnings: [vanished], mirrors: [{ name: 'usb', result: 'absent', copied: [], bytesCopied: 0 }] };
  const n = successNotice(noticeContext(config, NOW, 'h'), ok, STARTED);
  assert.is(n.subject, 'Praxis-Backup Praxis Dr. Muster: Sicherung mit Warnungen');
  assert.match(n.text, /„befunde“ sind 2 Datei\(en\) verschwunden \(z\. B\. \(Dateinamen nur im Protokoll auf dem Server\)\)/);
  assert.match(n.text, /Datenträger „usb“: nicht angeschlossen/);
  assert.not.match(n.text, /Mueller|Schmidt/);
  assert.not.match(JSON.stringify(n.event), /Mueller|Schmidt/);
  // A good run in English: size in the reader's notation.
  const good = successNotice(noticeContext({ ...config, notify: { language: 'en' as const } }, NOW, 'h'), { ...ok, result: 'success', exitCode: 0, warnings: [], mirrors: [] }, STARTED);
  assert.is(good.subject, 'Praxis-Backup Praxis Dr. Muster: Backup succeeded');
  assert.match(good.text, /Backup 20261202_031500 complete: 1.5 KB in 1 min 5 s\./);
});

test('the alerts of the day in one notice, named by the day and the problems', () => {
  const alerts: Alert[] = [
    { key: 'tooOld:usb', kind: 'tooOld', destination: 'usb', severity: 'warning', message: { key: 'alert.tooOld', params: { dest: 'usb', age: { key: 'alert.age.days', params: { n: 9 } }, limit: { key: 'alert.age.days', params: { n: 8 } } } } },
    { key: 'never:nas', kind: 'never', destination: 'nas', severity: 'warning', message: { key: 'alert.never', params: { dest: 'nas' } } },
  ];
  const n = alertNotice(noticeContext(config, NOW, 'praxis-server'), alerts);
  assert.is(n.subject, 'Praxis-Backup Praxis Dr. Muster: bitte prüfen');
  assert.is(n.id, 'alert:2026-12-02:never:nas+tooOld:usb');
  assert.match(n.text, /meldet 2 offene\(n\) Punkt\(e\):\n\n⚠ Letzte Sicherung auf „usb“ vor 9 Tagen \(erlaubt: 8 Tagen\)\.\n⚠ Noch keine Sicherung auf „nas“\./);
  assert.match(n.text, /höchstens einmal am Tag/);
  const en = alertNotice(noticeContext({ ...config, notify: { language: 'en' as const } }, NOW, 'praxis-server'), alerts);
  assert.is(en.subject, 'Praxis-Backup Praxis Dr. Muster: please check');
  assert.match(en.text, /reports 2 open issue\(s\)/);
});

const week: WeekFacts = {
  period: { from: new Date(2026, 10, 23), to: new Date(2026, 10, 30) },
  runs: [
    { startedAt: new Date(2026, 10, 23, 3, 15), result: 'success', bytes: 5 * 1024 ** 3, durationMs: 240_000, warnings: 0 },
    { startedAt: new Date(2026, 10, 24, 3, 15), result: 'warning', bytes: 5 * 1024 ** 3, durationMs: 250_000, warnings: 2 },
    { startedAt: new Date(2026, 10, 25, 3, 15), result: 'failed', warnings: 0, reason: { key: 'error.unexpected', params: { message: 'Datenbank nicht erreichbar' } } },
    { startedAt: new Date(2026, 10, 26, 3, 15), result: 'success', bytes: 5 * 1024 ** 3, durationMs: 230_000, warnings: 0 },
  ],
  restoreTests: [{ at: new Date(2026, 10, 26, 3, 30), ok: true }],
  copies: [
    { destination: 'usb', count: 3, failed: 1, last: new Date(2026, 10, 26, 3, 40) },
    { destination: 'nas', count: 0, failed: 0 },
  ],
  findings: [{ key: 'alert.never', params: { dest: 'nas' } }],
};

test('the Wochenbericht: every night of the week with its result, restore tests, copies, open findings; short lines', () => {
  const n = weeklySummaryNotice(noticeContext(config, NOW, 'praxis-server'), '2026-W49', week);
  assert.is(n.subject, 'Praxis-Backup Praxis Dr. Muster: Wochenbericht 23.11.2026 – 29.11.2026');
  assert.is(n.id, 'weeklySummary:2026-W49');
  assert.is(n.severity, 'warning');
  const lines = n.text.split('\n');
  assert.ok(lines.includes('Sicherungen: 2 gelungen, 1 mit Warnungen, 1 fehlgeschlagen'), n.text);
  const nights = lines.filter((l) => /^(Mo|Di|Mi|Do|Fr|Sa|So) \d\d\.\d\d\./.test(l));
  assert.equal(nights, [
    'Mo 23.11. 03:15 ✓ 5,0 GB, 4 min 0 s',
    'Di 24.11. 03:15 ⚠ 5,0 GB, 2 Warnung(en)',
    'Mi 25.11. 03:15 ✗ Unerwarteter Fehler: Datenbank nicht erreichbar',
    'Do 26.11. 03:15 ✓ 5,0 GB, 3 min 50 s',
    'Fr 27.11. – keine Sicherung',
    'Sa 28.11. – keine Sicherung',
    'So 29.11. – keine Sicherung',
  ]);
  assert.ok(lines.includes('Wiederherstellungstests: 1 gelungen, 0 fehlgeschlagen'));
  assert.ok(lines.includes('usb: 3 Kopie(n), zuletzt Do 26.11.; 1 fehlgeschlagen'), n.text);
  assert.ok(lines.includes('nas: keine Kopie in dieser Woche; 0 fehlgeschlagen'));
  assert.ok(lines.includes('⚠ Noch keine Sicherung auf „nas“.'));
  // A phone shows about 40–60 characters a line: the report's own lines stay short.
  for (const l of lines) assert.ok(l.length <= 70, `too long for a phone: ${l}`);
  const en = weeklySummaryNotice(noticeContext({ ...config, notify: { language: 'en' as const } }, NOW, 'praxis-server'), '2026-W49', week);
  assert.is(en.subject, 'Praxis-Backup Praxis Dr. Muster: Weekly summary 2026-11-23 – 2026-11-29');
  assert.match(en.text, /\nMon 2026-11-23 03:15 ✓ 5\.0 GB, 4 min 0 s\n/);
  assert.match(en.text, /\nFri 2026-11-27 – no backup\n/);
  assert.match(en.text, /Restore tests: 1 good, 0 failed/);
});

test('the monthly protocol mail carries the PDF as attachment, one per month', () => {
  const n = monthlyReportNotice(noticeContext(config, NOW, 'h'), '2026-11', { path: '/state/reports/datensicherungsprotokoll-2026-11.pdf', filename: 'datensicherungsprotokoll-2026-11.pdf' });
  assert.is(n.id, 'monthlyReport:2026-11');
  assert.is(n.subject, 'Praxis-Backup Praxis Dr. Muster: Datensicherungsprotokoll 2026-11');
  assert.equal(n.attachments, [{ filename: 'datensicherungsprotokoll-2026-11.pdf', path: '/state/reports/datensicherungsprotokoll-2026-11.pdf', contentType: 'application/pdf' }]);
});

test('calendar: ISO weeks at year ends, the weekly due day on or before today, last month', () => {
  assert.is(isoWeek(new Date(2026, 0, 1)), '2026-W01'); // a Thursday
  assert.is(isoWeek(new Date(2027, 0, 1)), '2026-W53'); // a Friday: still the old year's week
  assert.is(isoWeek(new Date(2024, 11, 30)), '2025-W01'); // a Monday: already the new year's
  assert.is(isoWeek(new Date(2026, 11, 2)), '2026-W49');
  // Monday's summary, looked at on Wednesday (the server was off on Monday): still due, for last week.
  const wed = new Date(2026, 11, 2, 3, 20);
  const due = weeklySummaryDue('monday', undefined, wed)!;
  assert.is(due.week, '2026-W49');
  assert.equal([due.period.from, due.period.to], [new Date(2026, 10, 23), new Date(2026, 10, 30)]);
  assert.is(weeklySummaryDue('monday', '2026-W49', wed), null);
  assert.is(weeklySummaryDue('monday', '2026-W49', new Date(2026, 11, 6, 23, 59)), null); // Sunday: the same week
  assert.is(weeklySummaryDue('monday', '2026-W49', new Date(2026, 11, 7, 0, 0))!.week, '2026-W50'); // Monday midnight: the next
  assert.is(weeklySummaryDue(false, undefined, wed), null);
  // Sunday's summary seen on Monday belongs to the week that ended the day before.
  assert.is(weeklySummaryDue('sunday', undefined, new Date(2026, 10, 30, 8))!.week, '2026-W48');
  // A DST change inside the week: the period is seven calendar days, midnight to midnight.
  const dst = weeklySummaryDue('monday', undefined, new Date(2026, 10, 2, 12))!;
  assert.equal([dst.period.from.getHours(), dst.period.to.getHours(), dst.period.from.getDate()], [0, 0, 26]);
  assert.equal(monthlyReportDue(true, undefined, new Date(2026, 11, 1, 0, 5))!.month, '2026-11');
  assert.is(monthlyReportDue(true, '2026-11', new Date(2026, 11, 20)), null);
  assert.is(monthlyReportDue(true, '2025-11', new Date(2026, 0, 1))!.month, '2025-12'); // January: December of the year before
  assert.is(monthlyReportDue(false, undefined, new Date(2026, 11, 1)), null);
});

test.run();
