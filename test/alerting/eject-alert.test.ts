// A USB disk the night's run could not eject must not be pulled out — and who swaps the disks is
// often not at the server. The run ends with 3 (mails nothing by itself); the warning becomes an
// alert, so the channels say it once (the scheduled run that had it claims it at its end), while
// the tray keeps its own first line for it and does not say it twice.
process.env.TZ = 'Europe/Berlin';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertNotice, noticeContext } from '../../src/alerting/notices';
import { computeAlerts, dueNotifications } from '../../src/alerting/alert-rules';
import type { Status } from '../../src/run/status-store';
import { trayView } from '../../src/tray/model/tray-state';

const NOW = new Date(2026, 10, 24, 3, 40);
const refused = { key: 'error.ejectRefused' as const, params: { label: 'PRAXIS-USB', process: 'Preview (PID 812)' } };
const status = (warnings: NonNullable<Status['lastRun']>['warnings'], id = '20261124_031500'): Status => ({
  version: 1,
  running: null,
  lastRun: { backupId: id, startedAt: new Date(2026, 10, 24, 3, 15).toISOString(), finishedAt: new Date(2026, 10, 24, 3, 35).toISOString(), result: 'warning', exitCode: 3, warnings },
  destinations: { local: { lastSuccess: { at: new Date(2026, 10, 24, 3, 35).toISOString(), backupId: id } }, usb: { lastSuccess: { at: new Date(2026, 10, 24, 3, 35).toISOString(), backupId: id } } },
});
const config = { mirrors: [{ name: 'usb', type: 'volume', volume: { label: 'PRAXIS-USB' }, mode: 'all', eject: true, required: false }] as any, alerts: { localMaxAgeHours: 26, mirrorMaxAgeDays: 8 } };

test('a refused eject is an alert named by the disk and the run; the notice says NOT to unplug and who blocks', () => {
  const alerts = computeAlerts({ config, status: status([refused]), now: NOW });
  assert.equal(alerts.map((a) => [a.key, a.kind, a.severity]), [['notEjected:PRAXIS-USB:20261124_031500', 'notEjected', 'warning']]);
  const n = alertNotice(noticeContext({ practiceName: 'Praxis Dr. Test' }, NOW, 'server'), alerts);
  assert.match(n.text, /⚠ „PRAXIS-USB“ wurde NICHT ausgeworfen – bitte NICHT abziehen\. Blockiert durch Preview \(PID 812\)\./);
  // Other warnings of the run are not alerts; a run without the refusal has none.
  assert.equal(computeAlerts({ config, status: status([{ key: 'warn.vanished', params: { name: 'x', count: 1, files: 'a' } }]), now: NOW }), []);
  // The next night's refusal is news again (its own run), the same night's is not.
  const next = computeAlerts({ config, status: status([refused], '20261125_031500'), now: new Date(2026, 10, 25, 3, 40) });
  assert.equal(dueNotifications(next, { 'notEjected:PRAXIS-USB:20261124_031500': NOW.toISOString() }, new Date(2026, 10, 25, 3, 40)).length, 1);
});

test('the tray says it once, in its own words, first', () => {
  const s = status([refused]);
  const v = trayView({ lang: 'de', now: NOW, status: s, config, ownRun: null, alerts: computeAlerts({ config, status: s, now: NOW }) });
  const lines = v.menu.filter((e) => e.kind === 'info' && e.id === 'finding').map((e) => (e.kind === 'info' ? e.text : ''));
  assert.equal(lines.filter((l) => /PRAXIS-USB/.test(l)), ['NICHT abziehen: „PRAXIS-USB“ blockiert durch Preview (PID 812)']);
});

test.run();
