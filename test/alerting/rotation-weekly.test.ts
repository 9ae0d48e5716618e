// The Wochenbericht of a practice rotating USB disks: under the set's copy line, each disk of the
// set with its last copy, the newest backup on it and when it was last attached — from
// status.json through weekFacts, the clock (the notice's `now`) in the test's hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../src/config/schema';
import { noticeContext, weeklySummaryNotice } from '../../src/alerting/notices';
import { weekFacts } from '../../src/alerting/week-facts';
import type { PeriodData } from '../../src/report/period';
import type { Status } from '../../src/run/status-store';

const mirrors = [
  { name: 'usb', type: 'volume', volumes: [{ uuid: 'u-mo', label: 'Montag' }, { uuid: 'u-fr', label: 'Freitag' }], mode: 'all', eject: true, required: false },
  { name: 'nas', type: 'path', path: '/mnt/nas', mode: 'all', required: false },
] as Config['mirrors'];
const NOW = new Date(2026, 10, 30, 8, 0);
const data = {
  from: new Date(2026, 10, 23).toISOString(),
  to: new Date(2026, 10, 30).toISOString(),
  runs: [],
  restoreTests: [],
  mirrorCopies: [{ name: 'usb', result: 'success', at: new Date(2026, 10, 27, 3, 20).toISOString() }],
  findings: [],
} as unknown as PeriodData;
const status: Pick<Status, 'destinations'> = {
  destinations: {
    usb: {
      disks: {
        'u-mo': { label: 'Montag', lastSeen: new Date(2026, 10, 27, 3, 16).toISOString(), lastSuccess: { at: new Date(2026, 10, 27, 3, 20).toISOString(), backupId: '20261127_031500' } },
        'u-fr': { label: 'Freitag', since: new Date(2026, 10, 1).toISOString() },
      },
    },
  },
};

test('each disk of the set under its copy line; other mirrors unchanged; the event carries the disks', () => {
  const facts = weekFacts(data, { mirrors }, status);
  assert.equal(facts.copies.map((c) => [c.destination, c.disks?.map((d) => d.label)]), [['usb', ['Montag', 'Freitag']], ['nas', undefined]]);
  const n = weeklySummaryNotice(noticeContext({}, NOW, 'praxis-server'), '2026-W48', facts);
  const lines = n.text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('usb:'));
  assert.ok(at > 0, n.text);
  assert.equal(lines.slice(at + 1, at + 3), [
    '  USB „Montag“: letzte Kopie vor 3 Tagen, neuestes Backup 20261127_031500, zuletzt angeschlossen vor 3 Tagen',
    '  USB „Freitag“: letzte Kopie noch keine, neuestes Backup noch keine, zuletzt angeschlossen noch nie',
  ]);
  assert.ok(lines[at + 3]!.startsWith('nas:'), 'the next mirror follows');
  const en = weeklySummaryNotice(noticeContext({ notify: { language: 'en' } }, NOW, 'praxis-server'), '2026-W48', facts);
  assert.match(en.text, /  USB "Freitag": last copy none yet, newest backup none yet, last attached never/);
  const event = n.event as { copies: { destination: string; disks?: { label: string; newest: string | null }[] }[] };
  assert.equal(event.copies[0]!.disks!.map((d) => [d.label, d.newest]), [['Montag', '20261127_031500'], ['Freitag', null]]);
  // Without status (a caller that has none) the summary is as before.
  assert.not.match(weeklySummaryNotice(noticeContext({}, NOW, 'h'), '2026-W48', weekFacts(data, { mirrors })).text, /USB „/);
});

test.run();
