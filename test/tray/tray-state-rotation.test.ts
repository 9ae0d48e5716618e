// The menu with a rotating set of USB disks, without Qt: under the mirror's line one line per disk
// of the set, in the config's order — when the last copy onto it was and whether it is attached
// now („USB „Freitag“: vor 6 Tagen, zu Hause“) — from status.json's per-disk records and the volume
// list the tray passes in. The clock is the test's; the config goes through the CLI's validation.
process.env.TZ = 'Europe/Berlin';

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import type { Status } from '../../src/run/status-store';
import { trayView, type MenuEntry, type TrayInput } from '../../src/tray/model/tray-state';

// Wednesday 2 Dec 2026, 11:30 local time.
const NOW = new Date(2026, 11, 2, 11, 30, 0);
const at = (days: number, h: number, m = 0) => new Date(2026, 11, 2 + days, h, m, 0).toISOString();

const MONTAG = '1111AAAA-0000-4000-8000-000000000001';
const MITTWOCH = '2222bbbb-0000-4000-8000-000000000002';
const FREITAG = '3333cccc-0000-4000-8000-000000000003';

const config = validateConfig(
  {
    backupDir: '/srv/praxis-backup',
    components: [{ name: 'files', type: 'folder', path: '/srv/files' }],
    mirrors: [
      {
        name: 'usb',
        type: 'volume',
        volumes: [
          { uuid: MONTAG, label: 'Montag' },
          { uuid: MITTWOCH, label: 'Mittwoch' },
          { uuid: FREITAG, label: 'Freitag' },
        ],
      },
      { name: 'nas', type: 'path', path: '/mnt/nas' },
    ],
    schedule: { cron: '15 3 * * 1-5' },
  },
  'config.json',
);

function status(): Status {
  const copy = (days: number) => ({ at: at(days, 3, 30), backupId: '20261202_031500' });
  return {
    version: 1,
    running: null,
    lastRun: { backupId: '20261202_031500', startedAt: at(0, 3, 15), finishedAt: at(0, 3, 31), result: 'success', exitCode: 0, warnings: [] },
    destinations: {
      local: { lastSuccess: copy(0) },
      // The mirror's own fields are the newest of its disks'.
      usb: {
        lastSuccess: copy(0),
        disks: {
          // status.json keys as blkid spelled them (lower case): matched in any case.
          [MONTAG.toLowerCase()]: { label: 'Montag', lastSeen: at(-2, 3, 30), lastSuccess: copy(-2) },
          [MITTWOCH]: { label: 'Mittwoch', lastSeen: at(0, 3, 30), lastSuccess: copy(0) },
          [FREITAG]: { label: 'Freitag', lastSeen: at(-6, 3, 30), lastSuccess: copy(-6) },
        },
      },
      nas: { lastSuccess: copy(0) },
    },
  };
}

const input = (s: Status, over: Partial<TrayInput> = {}): TrayInput => ({ lang: 'de', now: NOW, status: s, config, ownRun: null, ...over });
const infoLines = (m: MenuEntry[]) => m.flatMap((e) => (e.kind === 'info' && (e.id.startsWith('dest:') || e.id.startsWith('disk:')) ? [e.text] : []));

test('one line per disk under the set, in the config order: last copy and attached or at home', () => {
  const v = trayView(input(status(), { attachedDisks: [MITTWOCH.toLowerCase()] }));
  assert.equal(infoLines(v.menu), [
    'Sicherungsverzeichnis: vor 8 Stunden',
    'usb: vor 8 Stunden',
    'USB „Montag“: vor 2 Tagen, zu Hause',
    'USB „Mittwoch“: vor 8 Stunden, angeschlossen',
    'USB „Freitag“: vor 6 Tagen, zu Hause',
    'nas: vor 8 Stunden',
  ]);
  const ids = v.menu.flatMap((e) => (e.kind === 'info' && e.id.startsWith('disk:') ? [e.id] : []));
  assert.equal(ids, [`disk:usb:${MONTAG}`, `disk:usb:${MITTWOCH}`, `disk:usb:${FREITAG}`]);
  // A week on: the same status reads older, the clock is the input's.
  const later = trayView(input(status(), { now: new Date(2026, 11, 9, 11, 30, 0), attachedDisks: [FREITAG] }));
  assert.equal(infoLines(later.menu).slice(2, 5), ['USB „Montag“: vor 9 Tagen, zu Hause', 'USB „Mittwoch“: vor 7 Tagen, zu Hause', 'USB „Freitag“: vor 13 Tagen, angeschlossen']);
});

test('in English; a disk never copied to; a failed copy onto a disk is a warning line', () => {
  const s = status();
  delete s.destinations.usb!.disks![FREITAG]!.lastSuccess;
  s.destinations.usb!.disks![MONTAG.toLowerCase()]!.lastFailure = { at: at(-1, 3, 30), message: { key: 'mirror.volumeAbsent', params: { name: 'usb', volume: 'Montag' } } };
  const v = trayView(input(s, { lang: 'en', attachedDisks: [] }));
  const disks = v.menu.filter((e): e is Extract<MenuEntry, { kind: 'info' }> => e.kind === 'info' && e.id.startsWith('disk:'));
  assert.equal(
    disks.map((d) => [d.text, d.tone]),
    [
      ['USB "Montag": 2 days ago, at home', 'warning'],
      ['USB "Mittwoch": 8 hours ago, at home', 'normal'],
      ['USB "Freitag": never copied, at home', 'normal'],
    ],
  );
});

test('without a volume list the place is left out (not guessed from when a run last saw the disk)', () => {
  const v = trayView(input(status()));
  assert.equal(infoLines(v.menu).slice(2, 5), ['USB „Montag“: vor 2 Tagen', 'USB „Mittwoch“: vor 8 Stunden', 'USB „Freitag“: vor 6 Tagen']);
  // A single disk and a folder have no disk lines.
  assert.is(v.menu.filter((e) => e.kind === 'info' && e.id.startsWith('disk:nas')).length, 0);
});

test.run();
