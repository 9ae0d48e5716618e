// The menu with an off-site restic mirror, without Qt: its last copy is shown like the other
// mirrors' but named as off-site („Auslagerung „aussen““), a failed copy says so, it is too old
// like any mirror, and — restic always encrypts — its Notfallblatt is in the menu. The config goes
// through the CLI's own validation, so `encrypt` is the schema's default, not set by the test.
process.env.TZ = 'Europe/Berlin';

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import type { Status } from '../../src/run/status-store';
import { computeAlerts } from '../../src/alerting/alert-rules';
import { destinationLabel, trayView, type MenuEntry, type TrayInput } from '../../src/tray/model/tray-state';

// Tuesday 24 Nov 2026, 11:30 local time.
const NOW = new Date(2026, 10, 24, 11, 30, 0);
const at = (days: number, h: number, m = 0) => new Date(2026, 10, 24 + days, h, m, 0).toISOString();

const config = validateConfig(
  {
    backupDir: '/srv/praxis-backup',
    components: [{ name: 'files', type: 'folder', path: '/srv/files' }],
    mirrors: [
      { name: 'usb', type: 'volume', volume: { label: 'PRAXIS-BACKUP' } },
      { name: 'aussen', type: 'restic', repository: 'sftp:praxis@box.example:/praxis-backup' },
    ],
    schedule: { cron: '15 3 * * 1-5' },
  },
  'config.json',
);

function status(aussen: Status['destinations'][string]): Status {
  return {
    version: 1,
    running: null,
    lastRun: { backupId: '20261124_031500', startedAt: at(0, 3, 15), finishedAt: at(0, 3, 31), result: 'success', exitCode: 0, warnings: [] },
    destinations: {
      local: { lastSuccess: { at: at(0, 3, 20), backupId: '20261124_031500' } },
      usb: { lastSuccess: { at: at(0, 3, 25), backupId: '20261124_031500' } },
      aussen,
    },
  };
}

const input = (s: Status, over: Partial<TrayInput> = {}): TrayInput => ({ lang: 'de', now: NOW, status: s, config, ownRun: null, ...over });
const line = (m: MenuEntry[], name: string) => m.find((e) => e.kind === 'info' && e.id === `dest:${name}`) as Extract<MenuEntry, { kind: 'info' }> | undefined;

test('the off-site copy of last night: „Auslagerung „aussen“: vor 8 Stunden“, beside the other destinations as they were', () => {
  const s = status({ lastSuccess: { at: at(0, 3, 30), backupId: '20261124_031500', snapshot: '4f2a9c01', bytesCopied: 1_234_567, files: 812 } });
  const v = trayView(input(s));
  assert.is(v.icon, 'ok');
  assert.equal(line(v.menu, 'aussen'), { kind: 'info', id: 'dest:aussen', text: 'Auslagerung „aussen“: vor 8 Stunden', tone: 'normal' });
  assert.is(line(v.menu, 'usb')!.text, 'usb: vor 8 Stunden');
  assert.is(line(v.menu, 'local')!.text, 'Sicherungsverzeichnis: vor 8 Stunden');
  assert.is(line(trayView(input(s, { lang: 'en' })).menu, 'aussen')!.text, 'Off-site “aussen”: 8 hours ago');
});

test('never copied off-site yet, and a failed copy after a good one: said on its line, and as a finding naming it', () => {
  assert.is(line(trayView(input(status({}))).menu, 'aussen')!.text, 'Auslagerung „aussen“: noch nie');
  const failed = status({
    lastSuccess: { at: at(-1, 3, 30), backupId: '20261123_031500', snapshot: '11aa22bb' },
    lastFailure: { at: at(0, 3, 30), message: { key: 'error.unexpected', params: { message: 'Verbindung zu box.example abgebrochen' } } },
  });
  const v = trayView(input(failed));
  assert.is(v.icon, 'warning'); // not required: a warning, as for any mirror
  assert.equal(line(v.menu, 'aussen'), { kind: 'info', id: 'dest:aussen', text: 'Auslagerung „aussen“: fehlgeschlagen vor 8 Stunden', tone: 'warning' });
  const findings = v.menu.filter((e) => e.kind === 'info' && e.id === 'finding').map((e) => (e as { text: string }).text);
  assert.ok(findings.some((f) => f.startsWith('Auslagerung „aussen“: nicht kopiert – ')), findings.join(' | '));
});

test('too old off-site (over the mirrors\' 8 days): the age alert of a mirror applies to it and turns the icon', () => {
  const s = status({ lastSuccess: { at: at(-10, 3, 30), backupId: '20261114_031500', snapshot: '0c0ffee0' } });
  const alerts = computeAlerts({ config, status: s, now: NOW });
  assert.equal(alerts.map((a) => [a.kind, a.destination]), [['tooOld', 'aussen']]);
  assert.equal(computeAlerts({ config, status: status({ lastSuccess: { at: at(-7, 3, 30), backupId: '20261117_031500' } }), now: NOW }), []);
  const v = trayView(input(s, { alerts }));
  assert.is.not(v.icon, 'ok');
  assert.is(line(v.menu, 'aussen')!.text, 'Auslagerung „aussen“: vor 10 Tagen');
});

test('restic always encrypts: its Notfallblatt is in the menu without encrypt in the file; the plain USB disk has none', () => {
  assert.is(config.mirrors.find((m) => m.name === 'aussen')!.encrypt, true);
  const sheets = trayView(input(status({}))).menu.filter((e) => e.kind === 'action' && e.action === 'emergencySheet') as Extract<MenuEntry, { kind: 'action' }>[];
  assert.equal(sheets.map((e) => [e.text, e.arg, e.enabled]), [['Notfallblatt „aussen“ drucken…', 'aussen', true]]);
});

test('a kind without words of its own is named by its name alone', () => {
  assert.is(destinationLabel('de', { name: 'nas', type: 'smb' }), 'nas');
  assert.is(destinationLabel('de', { name: 'aussen', type: 'restic' }), 'Auslagerung „aussen“');
});

test.run();
