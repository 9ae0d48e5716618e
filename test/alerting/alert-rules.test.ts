// Alerts with the clock under the test's control: thresholds per destination, a failed
// verification, a missed schedule with its reason, and the once-a-day notification.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../src/config/schema';
import { render } from '../../src/i18n';
import { alertExitCode, computeAlerts, dueNotifications, missedReasonFrom, newestGood, recordNotified, type AlertInput } from '../../src/alerting/alert-rules';
import type { Status } from '../../src/run/status-store';

const config: AlertInput['config'] = {
  mirrors: [{ name: 'USB', type: 'volume', volume: { label: 'PRAXIS' }, mode: 'all', eject: true, required: false }] as Config['mirrors'],
  schedule: { cron: '15 3 * * *', onDiskAttach: false },
  alerts: { localMaxAgeHours: 26, mirrorMaxAgeDays: 8 },
};

const local = (y: number, mo: number, d: number, h: number, mi = 0) => new Date(y, mo - 1, d, h, mi);
const id = (t: Date) =>
  `${t.getFullYear()}${String(t.getMonth() + 1).padStart(2, '0')}${String(t.getDate()).padStart(2, '0')}_${String(t.getHours()).padStart(2, '0')}${String(t.getMinutes()).padStart(2, '0')}00`;

/** A practice whose last backup ran at `backup`, copied to USB at `usb`, both verified. */
function status(backup: Date, usb: Date): Status {
  return {
    version: 1,
    running: null,
    lastRun: { backupId: id(backup), startedAt: backup.toISOString(), finishedAt: backup.toISOString(), result: 'success', exitCode: 0, warnings: [] },
    destinations: {
      local: { lastSuccess: { at: backup.toISOString(), backupId: id(backup) }, lastVerified: { at: backup.toISOString(), backupId: id(backup), ok: true, restoreTest: true } },
      USB: { lastSuccess: { at: usb.toISOString(), backupId: id(usb) }, lastVerified: { at: usb.toISOString(), backupId: id(usb), ok: true, restoreTest: false } },
    },
  };
}

const texts = (input: AlertInput, lang: 'de' | 'en' = 'de') => computeAlerts(input).map((a) => render(lang, a.message));

test('all fresh: no alert, exit 0', () => {
  const now = local(2026, 11, 24, 10);
  const a = computeAlerts({ config, status: status(local(2026, 11, 24, 3, 15), local(2026, 11, 20, 3, 20)), now });
  assert.equal(a, []);
  assert.is(alertExitCode(a), 0);
});

test('USB 9 days old: „Letzte Sicherung auf „USB“ vor 9 Tagen“, a warning for that destination only, exit 1', () => {
  const now = local(2026, 11, 24, 10);
  const input = { config, status: status(local(2026, 11, 24, 3, 15), local(2026, 11, 15, 3, 20)), now };
  const a = computeAlerts(input);
  assert.equal(a.map((x) => [x.kind, x.destination, x.severity]), [['tooOld', 'USB', 'warning']]);
  assert.equal(texts(input), ['Letzte Sicherung auf „USB“ vor 9 Tagen (erlaubt: 8 Tagen).']);
  assert.equal(texts(input, 'en'), ['Last backup on “USB” 9 days ago (allowed: 8 days).']);
  assert.is(alertExitCode(a), 1);
});

test('the local threshold is 26 hours: 25 h is fine, 27 h is not (and the missed night is said too)', () => {
  const backup = local(2026, 11, 23, 3, 15);
  const s = status(backup, local(2026, 11, 23, 3, 20));
  assert.equal(computeAlerts({ config, status: s, now: new Date(backup.getTime() + 25 * 3600_000) }), []);
  const late = computeAlerts({ config, status: s, now: new Date(backup.getTime() + 27 * 3600_000) });
  assert.equal(late.map((x) => x.kind), ['tooOld', 'scheduleMissed']);
  assert.match(render('de', late[0]!.message), /^Letzte Sicherung auf „Sicherungsverzeichnis“ vor 27 Stunden/);
});

test('thresholds come from the config', () => {
  const now = local(2026, 11, 24, 10);
  const s = status(local(2026, 11, 24, 3, 15), local(2026, 11, 21, 3, 20));
  assert.equal(computeAlerts({ config: { ...config, alerts: { localMaxAgeHours: 26, mirrorMaxAgeDays: 2 } }, status: s, now }).map((a) => a.key), ['tooOld:USB']);
});

test('a failed verification of the newest backup is an error for that destination, with the reason', () => {
  const now = local(2026, 11, 24, 10);
  const s = status(local(2026, 11, 24, 3, 15), local(2026, 11, 24, 3, 20));
  s.destinations.local!.lastVerified = {
    at: now.toISOString(),
    backupId: s.destinations.local!.lastSuccess!.backupId,
    ok: false,
    restoreTest: true,
    message: { key: 'error.unexpected', params: { message: 'patient: 118 Zeilen statt 120' } },
  };
  const a = computeAlerts({ config, status: s, now });
  assert.equal(a.map((x) => [x.kind, x.destination, x.severity]), [['verifyFailed', 'local', 'error']]);
  assert.match(render('de', a[0]!.message), /Die Prüfung von Backup 20261124_031500 auf „Sicherungsverzeichnis“ ist fehlgeschlagen: .*118 Zeilen statt 120/);
  // The backup that failed verification is not "good": the previous verified one counts for the age.
  assert.is(newestGood(s.destinations.local), null);
});

test('never backed up to a destination: said once per destination', () => {
  const now = local(2026, 11, 24, 10);
  const s = status(local(2026, 11, 24, 3, 15), local(2026, 11, 24, 3, 20));
  delete s.destinations.USB;
  assert.equal(computeAlerts({ config, status: s, now }).map((a) => a.key), ['never:USB']);
});

test('a missed scheduled run: after 2 hours grace, with the reason the scheduler or the last run gave', () => {
  const s = status(local(2026, 11, 23, 3, 15), local(2026, 11, 23, 3, 20));
  // 04:00: today's 03:15 run is not late yet.
  assert.equal(computeAlerts({ config: { ...config, alerts: { localMaxAgeHours: 100, mirrorMaxAgeDays: 8 } }, status: s, now: local(2026, 11, 24, 4) }), []);
  const input: AlertInput = { config: { ...config, alerts: { localMaxAgeHours: 100, mirrorMaxAgeDays: 8 } }, status: s, now: local(2026, 11, 24, 6) };
  assert.equal(texts(input), ['Die geplante Sicherung am 2026-11-24 03:15 ist nicht gelaufen. Grund unbekannt: war der Rechner ausgeschaltet oder im Ruhezustand?']);
  assert.match(texts({ ...input, missedReason: { kind: 'notInstalled' } })[0]!, /Der Zeitplan ist nicht eingerichtet/);
  s.fullDiskAccess = { at: local(2026, 11, 23, 3, 15).toISOString(), status: 'denied', executable: '/usr/local/bin/node' };
  assert.match(texts(input)[0]!, /fehlt der Festplattenvollzugriff \(\/usr\/local\/bin\/node\)/);
  // A run that started but was skipped because another held the lock: not missed.
  s.lastSkipped = { at: local(2026, 11, 24, 3, 15).toISOString(), reason: { key: 'error.lockHeld', params: {} } };
  assert.equal(computeAlerts(input), []);
});

test('the scheduler status explains a missed run: not installed, a program gone, not loaded', () => {
  const job = { name: 'x', file: '/f', installed: true, loaded: true, missingPrograms: [] as string[] };
  assert.equal(missedReasonFrom({ kind: 'launchd', jobs: [], notes: [] }), { kind: 'notInstalled' });
  assert.equal(missedReasonFrom({ kind: 'systemd', jobs: [job, { ...job, missingPrograms: ['/old/node'] }], notes: [] }), { kind: 'programMissing', path: '/old/node' });
  assert.equal(missedReasonFrom({ kind: 'launchd', jobs: [{ ...job, loaded: false }], notes: [] }), { kind: 'notLoaded' });
  assert.is(missedReasonFrom({ kind: 'launchd', jobs: [job], notes: [] }), undefined);
});

test('once a day: an alert notifies at 10:00, not again at 11:00 or 23:59, again the next day; gone and back notifies again', () => {
  const s = status(local(2026, 11, 24, 3, 15), local(2026, 11, 15, 3, 20));
  const at = (d: Date) => computeAlerts({ config, status: s, now: d });
  let notified: Record<string, string> | undefined;
  const tick = (d: Date) => {
    const alerts = at(d);
    const due = dueNotifications(alerts, notified, d);
    notified = recordNotified(alerts, notified, due, d);
    return due.map((a) => a.key);
  };
  assert.equal(tick(local(2026, 11, 24, 10)), ['tooOld:USB']);
  assert.equal(tick(local(2026, 11, 24, 11)), []);
  assert.equal(tick(local(2026, 11, 24, 23, 59)), []);
  // Next day (the 03:15 run happened: local fresh).
  Object.assign(s, status(local(2026, 11, 25, 3, 15), local(2026, 11, 15, 3, 20)));
  assert.equal(tick(local(2026, 11, 25, 8)), ['tooOld:USB']);
  // The USB disk is copied: alert gone and forgotten; it coming back later notifies at once.
  Object.assign(s, status(local(2026, 11, 25, 3, 15), local(2026, 11, 25, 9)));
  assert.equal(tick(local(2026, 11, 25, 9, 30)), []);
  assert.equal(notified, {});
});

test.run();
