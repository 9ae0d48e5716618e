// The tray's model without Qt: every state gives the right icon, status lines and enabled actions.
// Local times are the practice's (Europe/Berlin), not whichever zone the machine has.
process.env.TZ = 'Europe/Berlin';

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../src/config/schema';
import type { Status } from '../../src/run/status-store';
import { computeAlerts } from '../../src/alerting/alert-rules';
import { ago, dayAndTime, oneSentence, trayView, type MenuEntry, type TrayInput } from '../../src/tray/model/tray-state';

// Tuesday 24 Nov 2026, 10:00 local time.
const NOW = new Date(2026, 10, 24, 10, 0, 0);
const at = (days: number, h: number, m = 0) => new Date(2026, 10, 24 + days, h, m, 0).toISOString();

const config: Pick<Config, 'mirrors' | 'schedule'> = {
  mirrors: [
    { name: 'usb', type: 'volume', volume: { label: 'PRAXIS-BACKUP' }, mode: 'all', eject: true, required: false },
    { name: 'nas', type: 'smb', url: 'smb://nas.local/backup', user: 'praxis', mode: 'latest', required: true },
  ] as Config['mirrors'],
  schedule: { cron: '15 3 * * 1-5' } as Config['schedule'],
};

function okStatus(): Status {
  return {
    version: 1,
    running: null,
    lastRun: { backupId: '20261124_031500', startedAt: at(0, 3, 15), finishedAt: at(0, 3, 20), result: 'success', exitCode: 0, warnings: [] },
    destinations: {
      local: { lastSuccess: { at: at(0, 3, 20), backupId: '20261124_031500' } },
      usb: { lastSuccess: { at: at(-2, 3, 25), backupId: '20261122_031500' } },
      nas: { lastSuccess: { at: at(0, 3, 22), backupId: '20261124_031500' } },
    },
  };
}

function input(over: Partial<TrayInput> = {}): TrayInput {
  return { lang: 'de', now: NOW, status: okStatus(), config, ownRun: null, ...over };
}

const texts = (m: MenuEntry[]) => m.filter((e) => e.kind !== 'separator').map((e) => (e as { text: string }).text);
const action = (m: MenuEntry[], a: string) => m.find((e) => e.kind === 'action' && e.action === a) as Extract<MenuEntry, { kind: 'action' }> | undefined;
const info = (m: MenuEntry[], id: string) => m.filter((e) => e.kind === 'info' && e.id === id) as Extract<MenuEntry, { kind: 'info' }>[];

test('idle and fine: green icon, last backup today, next run, each destination, Backup jetzt enabled', () => {
  const v = trayView(input());
  assert.is(v.icon, 'ok');
  const t = texts(v.menu);
  assert.is(t[0], 'Letzte Sicherung: heute 03:20 ✓');
  assert.is(t[1], 'Nächste Sicherung: morgen 03:15');
  assert.ok(t.includes('Sicherungsverzeichnis: vor 6 Stunden'), t.join(' | '));
  assert.ok(t.includes('usb: vor 2 Tagen'));
  assert.ok(t.includes('nas: vor 6 Stunden'));
  assert.equal(
    v.menu.filter((e) => e.kind === 'action').map((e) => (e as { action: string }).action),
    ['backupNow', 'showLog', 'exportReport', 'restore', 'credentials', 'concept', 'settings', 'help', 'quit'],
  );
  assert.is(action(v.menu, 'backupNow')!.enabled, true);
  assert.is(action(v.menu, 'backupNow')!.text, 'Backup jetzt');
  assert.is(action(v.menu, 'exportReport')!.text, 'Protokoll exportieren…');
  assert.is(action(v.menu, 'exportReport')!.enabled, true);
  assert.is(action(v.menu, 'concept')!.text, 'Datensicherungskonzept…');
  assert.is(action(v.menu, 'concept')!.enabled, true);
  assert.is(action(v.menu, 'restore')!.enabled, false, 'restore waits for its issue');
  assert.is(action(v.menu, 'cancel'), undefined);
  assert.is(v.tooltip, 'Praxis-Backup – Letzte Sicherung: heute 03:20 ✓');
});

test('English texts from the English catalogue', () => {
  const v = trayView(input({ lang: 'en' }));
  const t = texts(v.menu);
  assert.is(t[0], 'Last backup: today 03:20 ✓');
  assert.is(t[1], 'Next backup: tomorrow 03:15');
  assert.ok(t.includes('usb: 2 days ago'));
  assert.is(action(v.menu, 'backupNow')!.text, 'Back up now');
});

test('running (own run with progress): running icon with percent, progress line, Abbrechen instead of Backup jetzt', () => {
  const v = trayView(input({ ownRun: { startedAt: at(0, 9, 59), phase: 'component', component: 'files', percent: 42.4 } }));
  assert.is(v.icon, 'running');
  assert.is(v.percent, 42.4);
  assert.is(texts(v.menu)[0], 'Sicherung läuft: 42 % – files');
  assert.is(action(v.menu, 'backupNow'), undefined);
  assert.is(action(v.menu, 'cancel')!.enabled, true);
  assert.is(action(v.menu, 'restore')!.enabled, false);
  assert.is(action(v.menu, 'quit')!.text, 'Beenden (die Sicherung läuft weiter)');
  assert.match(v.tooltip, /42 %/);
});

test('running started by the schedule (status file only) shows too; a mirror phase names the disk', () => {
  const s = okStatus();
  s.running = { pid: process.pid, startedAt: at(0, 9, 58), backupId: 'x', backupDir: '/b', phase: 'mirror', component: 'usb', percent: 100 };
  const v = trayView(input({ status: s }));
  assert.is(v.icon, 'running');
  assert.is(texts(v.menu)[0], 'Sicherung läuft: 100 % – Kopie auf „usb“');
  assert.ok(action(v.menu, 'cancel'));
});

test('cancelling: the line says so and Abbrechen is disabled', () => {
  const v = trayView(input({ ownRun: { startedAt: at(0, 9, 59), phase: 'component', component: 'files', percent: 10, cancelling: true } }));
  assert.is(texts(v.menu)[0], 'Sicherung wird abgebrochen …');
  assert.is(action(v.menu, 'cancel')!.enabled, false);
});

test('failed: red icon, „Fehlgeschlagen: …“ with the reason in one sentence, Backup jetzt enabled to retry', () => {
  const s = okStatus();
  s.lastRun = {
    startedAt: at(0, 3, 15),
    finishedAt: at(0, 3, 16),
    result: 'failed',
    exitCode: 1,
    message: { key: 'error.dbConnect', params: { database: 'tomedo', host: 'localhost', port: 5432, user: 'postgres', message: 'connection refused' } },
    warnings: [],
  };
  s.destinations.local = { lastSuccess: { at: at(-1, 3, 20), backupId: 'y' }, lastFailure: { at: at(0, 3, 16), message: s.lastRun.message! } };
  const v = trayView(input({ status: s }));
  assert.is(v.icon, 'error');
  const first = info(v.menu, 'status')[0]!;
  assert.is(first.tone, 'error');
  assert.match(first.text, /^Fehlgeschlagen: /);
  assert.match(first.text, /tomedo/);
  assert.ok(first.text.length <= 'Fehlgeschlagen: '.length + 90);
  assert.ok(texts(v.menu).includes('Sicherungsverzeichnis: fehlgeschlagen vor 6 Stunden'));
  assert.is(action(v.menu, 'backupNow')!.enabled, true);
});

test('warning: the alerts (local older than 26 hours, computed by the engine from the config) show as findings', () => {
  const s = okStatus();
  s.destinations.local = { lastSuccess: { at: at(-3, 3, 20), backupId: '20261121_032000' } };
  s.lastRun!.finishedAt = at(-3, 3, 20);
  s.lastRun!.startedAt = at(-3, 3, 15);
  const alerts = computeAlerts({ config: { ...config, alerts: { localMaxAgeHours: 26, mirrorMaxAgeDays: 8 } }, status: s, now: NOW });
  const v = trayView(input({ status: s, alerts }));
  assert.is(v.icon, 'warning');
  const findings = info(v.menu, 'finding').map((f) => [f.tone, f.text]);
  assert.ok(findings.some(([, t]) => t === 'Letzte Sicherung auf „Sicherungsverzeichnis“ vor 3 Tagen (erlaubt: 26 Stunden).'), JSON.stringify(findings));
  assert.is(texts(v.menu)[0], 'Letzte Sicherung: Sa., 21.11. 03:20 ✓');
  // A failed verification is an error: red icon.
  s.destinations.local.lastVerified = { at: at(0, 4), backupId: '20261121_032000', ok: false, restoreTest: true };
  const red = trayView(input({ status: s, alerts: computeAlerts({ config: { ...config, alerts: { localMaxAgeHours: 26, mirrorMaxAgeDays: 8 } }, status: s, now: NOW }) }));
  assert.is(red.icon, 'error');
});

test('warning: an optional mirror missed (disk absent) — error when the mirror is required', () => {
  const s = okStatus();
  s.destinations.usb!.lastFailure = { at: at(0, 3, 21), message: { key: 'mirror.volumeAbsent', params: { name: 'usb', volume: '„PRAXIS-BACKUP“' } } };
  let v = trayView(input({ status: s }));
  assert.is(v.icon, 'warning');
  assert.ok(info(v.menu, 'finding').some((f) => f.tone === 'warning' && f.text.startsWith('usb: nicht kopiert – ')), texts(v.menu).join(' | '));
  assert.ok(texts(v.menu).includes('usb: fehlgeschlagen vor 6 Stunden'));

  const s2 = okStatus();
  s2.destinations.nas!.lastFailure = { at: at(0, 3, 23), message: { key: 'mirror.volumeAbsent', params: { name: 'nas', volume: 'nas' } } };
  v = trayView(input({ status: s2 }));
  assert.is(v.icon, 'error');
});

test('eject refused: warning icon and „NICHT abziehen“ naming the disk and the blocking process, first finding', () => {
  const s = okStatus();
  s.lastRun = { ...s.lastRun!, result: 'warning', exitCode: 3, warnings: [{ key: 'error.ejectRefused', params: { label: 'PRAXIS-BACKUP', process: 'Preview (PID 812)' } }] };
  const v = trayView(input({ status: s }));
  assert.is(v.icon, 'warning');
  const findings = info(v.menu, 'finding');
  assert.is(findings[0]!.text, 'NICHT abziehen: „PRAXIS-BACKUP“ blockiert durch Preview (PID 812)');
  assert.is(texts(v.menu)[0], 'Letzte Sicherung: heute 03:20 ⚠ 1 Warnung(en)');
  assert.match(v.tooltip, /NICHT abziehen/);
});

test('a run that was killed (running entry of a dead process) is an error', () => {
  const v = trayView(input({ status: { ...okStatus(), interrupted: true } }));
  assert.is(v.icon, 'error');
  assert.ok(texts(v.menu).some((l) => l.includes('unterbrochen')));
});

test('no config yet: error icon, says to open Einstellungen, Backup jetzt disabled', () => {
  const v = trayView(input({ config: null, status: { version: 1, running: null, destinations: {} } }));
  assert.is(v.icon, 'error');
  assert.ok(texts(v.menu).some((l) => l.includes('Einstellungen…')));
  assert.is(action(v.menu, 'backupNow')!.enabled, false);
  assert.ok(texts(v.menu).includes('Kein Zeitplan eingerichtet (Einstellungen…)'));
  // Both documents are made from the config: nothing to make them from yet.
  assert.is(action(v.menu, 'exportReport')!.enabled, false);
  assert.is(action(v.menu, 'concept')!.enabled, false);
});

test('never backed up: warning, said once', () => {
  const v = trayView(input({ status: { version: 1, running: null, destinations: {} } }));
  assert.is(v.icon, 'warning');
  assert.is(texts(v.menu)[0], 'Noch keine Sicherung: bitte „Backup jetzt“ starten.');
  assert.is(texts(v.menu).filter((l) => l.startsWith('Noch keine Sicherung')).length, 1);
  assert.ok(texts(v.menu).includes('usb: noch nie'));
});

test('a scheduled run skipped because another was running: warning until the next run starts', () => {
  const s = okStatus();
  s.lastSkipped = { at: at(0, 3, 16), reason: { key: 'error.lockHeld', params: { since: 'x', pid: 1, host: 'h' } } };
  assert.is(trayView(input({ status: s })).icon, 'warning');
  s.lastSkipped.at = at(0, 3, 0); // before the last run started: old news
  assert.is(trayView(input({ status: s })).icon, 'ok');
});

test('Full Disk Access missing (macOS): warning and an entry that opens the settings pane', () => {
  const v = trayView(input({ fullDiskAccessDenied: true }));
  assert.is(v.icon, 'warning');
  assert.is(action(v.menu, 'fullDiskAccess')!.enabled, true);
  assert.is(action(trayView(input()).menu, 'fullDiskAccess'), undefined);
});

test('restore entry is enabled once restore is available, but not while a run is going', () => {
  assert.is(action(trayView(input({ restoreAvailable: true })).menu, 'restore')!.enabled, true);
  assert.is(action(trayView(input({ restoreAvailable: true, ownRun: { startedAt: at(0, 9), phase: 'start' } })).menu, 'restore')!.enabled, false);
});

test('an encrypted mirror gets „Notfallblatt „<name>“ drucken…“ in the menu; plain mirrors do not', () => {
  const enc = { ...config, mirrors: config.mirrors.map((m) => (m.name === 'usb' ? { ...m, encrypt: true } : m)) as Config['mirrors'] };
  const v = trayView(input({ config: enc }));
  const sheets = v.menu.filter((e) => e.kind === 'action' && e.action === 'emergencySheet') as Extract<MenuEntry, { kind: 'action' }>[];
  assert.equal(sheets.map((e) => [e.text, e.arg, e.enabled]), [['Notfallblatt „usb“ drucken…', 'usb', true]]);
  assert.is(action(trayView(input()).menu, 'emergencySheet'), undefined);
});

test('time words: today/yesterday/tomorrow/date and „vor …“', () => {
  assert.is(dayAndTime(new Date(2026, 10, 23, 3, 15), NOW, 'de'), 'gestern 03:15');
  assert.is(dayAndTime(new Date(2026, 10, 25, 3, 15), NOW, 'en'), 'tomorrow 03:15');
  assert.is(ago(new Date(NOW.getTime() - 30_000), NOW, 'de'), 'gerade eben');
  assert.is(ago(new Date(NOW.getTime() - 60_000), NOW, 'de'), 'vor 1 Minute');
  assert.is(ago(new Date(NOW.getTime() - 9 * 86_400_000), NOW, 'de'), 'vor 9 Tagen');
  assert.is(ago(new Date(NOW.getTime() - 3 * 3_600_000), NOW, 'en'), '3 hours ago');
});

test('oneSentence keeps the first sentence and cuts long ones', () => {
  assert.is(oneSentence('Datenbank nicht erreichbar. Bitte prüfen.'), 'Datenbank nicht erreichbar.');
  const long = 'x'.repeat(200);
  const cut = oneSentence(long);
  assert.is(cut.length, 90);
  assert.ok(cut.endsWith('…'));
});

test.run();
