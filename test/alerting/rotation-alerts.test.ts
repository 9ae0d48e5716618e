// Alerts of a rotating set of USB disks, with the clock in the test's hand: a disk at home for its
// week is not nagged about, one away longer than rotation.swapAfterDays is („bitte tauschen“), a
// disk never attached counts from the set's first use, and „Keine USB-Festplatte angeschlossen“
// replaces the ordinary age alert only when none of the set was seen within the mirror's limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../src/config/schema';
import { render } from '../../src/i18n';
import { computeAlerts, dueNotifications, recordNotified, type AlertInput } from '../../src/alerting/alert-rules';
import { diskFacts } from '../../src/mirror/rotation';
import type { DiskStatus, Status } from '../../src/run/status-store';

const MO = 'aaaa-0001';
const MI = 'bbbb-0002';
const FR = 'cccc-0003';
const set = (extra: Record<string, unknown> = {}) =>
  [{ name: 'usb', type: 'volume', volumes: [{ uuid: MO, label: 'Montag' }, { uuid: MI, label: 'Mittwoch' }, { uuid: FR, label: 'Freitag' }], mode: 'all', eject: true, required: false, ...extra }] as Config['mirrors'];
const config = (extra: Record<string, unknown> = {}): AlertInput['config'] => ({ mirrors: set(extra), alerts: { localMaxAgeHours: 26, mirrorMaxAgeDays: 8 } });

const day = (d: number, h = 3) => new Date(Date.UTC(2026, 10, d, h));
const idOf = (t: Date) => t.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '_');

/** A disk seen and copied to at `seen` (its copy holds the backup made that night). */
const disk = (label: string, seen: Date | null, since = day(1)): DiskStatus => ({
  label,
  since: since.toISOString(),
  ...(seen ? { lastSeen: seen.toISOString(), lastSuccess: { at: seen.toISOString(), backupId: idOf(seen) }, lastVerified: { at: seen.toISOString(), backupId: idOf(seen), ok: true, restoreTest: false } } : {}),
});

function status(disks: Record<string, DiskStatus>, localAt = day(30)): Status {
  const newest = Object.values(disks).filter((d) => d.lastSuccess).sort((a, b) => b.lastSuccess!.at.localeCompare(a.lastSuccess!.at))[0];
  return {
    version: 1,
    running: null,
    destinations: {
      local: { lastSuccess: { at: localAt.toISOString(), backupId: idOf(localAt) }, lastVerified: { at: localAt.toISOString(), backupId: idOf(localAt), ok: true, restoreTest: true } },
      usb: { disks, ...(newest ? { lastSuccess: newest.lastSuccess, lastVerified: newest.lastVerified } : {}) },
    },
  };
}

const mirrorAlerts = (input: AlertInput) => computeAlerts(input).filter((a) => a.destination === 'usb');

test('weekly rotation of three disks: the two at home this week and last are not nagged about (swap after 15 days by default)', () => {
  // Montag was in last week, Mittwoch the week before, Freitag is in now.
  const s = status({ [MO]: disk('Montag', day(20)), [MI]: disk('Mittwoch', day(13)), [FR]: disk('Freitag', day(27)) }, day(27));
  assert.equal(mirrorAlerts({ config: config(), status: s, now: day(27, 12) }), []);
});

test('a disk away longer than swapAfterDays: „USB-Festplatte „Mittwoch“ war seit 16 Tagen nicht angeschlossen – bitte tauschen“, key stable per disk', () => {
  const s = status({ [MO]: disk('Montag', day(20)), [MI]: disk('Mittwoch', day(11)), [FR]: disk('Freitag', day(27)) }, day(27));
  const input = { config: config(), status: s, now: day(27, 12) };
  const a = mirrorAlerts(input);
  assert.equal(a.map((x) => [x.kind, x.key, x.severity]), [['diskSwap', `diskSwap:usb:${MI}`, 'warning']]);
  assert.equal(a.map((x) => render('de', x.message)), ['USB-Festplatte „Mittwoch“ war seit 16 Tagen nicht angeschlossen – bitte tauschen.']);
  assert.equal(a.map((x) => render('en', x.message)), ['USB disk "Mittwoch" has not been attached for 16 days – please swap it in.']);
  // The next day the same key: notified once a day, not again on every look.
  const sent = recordNotified(a, undefined, a, day(27, 12));
  const tomorrow = mirrorAlerts({ ...input, now: day(28, 12) });
  assert.equal(tomorrow.map((x) => x.key), a.map((x) => x.key));
  assert.equal(dueNotifications(tomorrow, sent, day(27, 20)), [], 'same day: not again');
  assert.is(dueNotifications(tomorrow, sent, day(28, 12)).length, 1, 'the next day: once more');
});

test('exactly swapAfterDays away is still fine; a configured rotation.swapAfterDays wins over the default', () => {
  const s = status({ [MO]: disk('Montag', day(12, 3)), [MI]: disk('Mittwoch', day(20)), [FR]: disk('Freitag', day(27)) }, day(27));
  assert.equal(mirrorAlerts({ config: config(), status: s, now: day(27, 3) }), [], '15 days to the minute');
  assert.equal(mirrorAlerts({ config: config(), status: s, now: day(27, 4) }).map((a) => a.key), [`diskSwap:usb:${MO}`], 'an hour later');
  const strict = config({ rotation: { swapAfterDays: 5 } });
  assert.equal(mirrorAlerts({ config: strict, status: s, now: day(27, 4) }).map((a) => a.key), [`diskSwap:usb:${MO}`, `diskSwap:usb:${MI}`]);
});

test('a disk never attached counts from the set’s first use (since); a set in use for less than that says nothing about it', () => {
  const s = status({ [MO]: disk('Montag', day(26), day(10)), [MI]: disk('Mittwoch', day(27), day(10)), [FR]: disk('Freitag', null, day(10)) }, day(27));
  const a = mirrorAlerts({ config: config(), status: s, now: day(27, 12) });
  assert.equal(a.map((x) => render('de', x.message)), ['USB-Festplatte „Freitag“ war seit 17 Tagen nicht angeschlossen – bitte tauschen.']);
  const fresh = status({ [MO]: disk('Montag', day(26), day(20)), [MI]: disk('Mittwoch', day(27), day(20)), [FR]: disk('Freitag', null, day(20)) }, day(27));
  assert.equal(mirrorAlerts({ config: config(), status: fresh, now: day(27, 12) }), []);
  // No record at all for the disk (status from before it joined the set): not counted, not nagged.
  const { [FR]: _gone, ...two } = s.destinations.usb!.disks!;
  assert.equal(mirrorAlerts({ config: config(), status: status(two, day(27)), now: day(27, 12) }), []);
});

test('none of the set seen within mirrorMaxAgeDays: one „Keine USB-Festplatte angeschlossen“ with the labels and the age, instead of tooOld and the swap alerts', () => {
  const s = status({ [MO]: disk('Montag', day(10)), [MI]: disk('Mittwoch', day(12)), [FR]: disk('Freitag', day(18)) }, day(30));
  const a = mirrorAlerts({ config: config(), status: s, now: day(30, 12) });
  assert.equal(a.map((x) => [x.kind, x.key]), [['noDisk', 'noDisk:usb']]);
  assert.equal(render('de', a[0]!.message), 'Keine USB-Festplatte angeschlossen: keine von „usb“ (Montag, Mittwoch, Freitag) seit 12 Tagen (erlaubt: 8 Tagen). Bitte eine davon anschließen.');
  assert.equal(render('en', a[0]!.message), 'No USB disk attached: none of "usb" (Montag, Mittwoch, Freitag) for 12 days (allowed: 8 days). Please attach one of them.');
  // Within the limit (Freitag seen 7 days ago) the ordinary rules speak: here Montag's swap alert.
  const within = mirrorAlerts({ config: config(), status: s, now: day(25, 12) });
  assert.equal(within.map((x) => x.kind), ['diskSwap']);
});

test('a set none of whose disks was ever attached: „… war noch keine angeschlossen“ instead of „Noch keine Sicherung“', () => {
  const s: Status = { version: 1, running: null, destinations: { local: status({}).destinations.local! } };
  const a = mirrorAlerts({ config: config(), status: s, now: day(30, 12) });
  assert.equal(a.map((x) => [x.kind, render('de', x.message)]), [['noDisk', 'Keine USB-Festplatte angeschlossen: von „usb“ (Montag, Mittwoch, Freitag) war noch keine angeschlossen. Bitte eine davon anschließen.']]);
});

test('a disk seen but whose copies fail: no swap alert (it was attached); the mirror’s own age alert speaks', () => {
  const old = day(10);
  const s = status({ [MO]: { ...disk('Montag', old), lastSeen: day(29).toISOString() }, [MI]: disk('Mittwoch', day(20)), [FR]: disk('Freitag', day(22)) }, day(30));
  s.destinations.usb!.lastSuccess = { at: day(22).toISOString(), backupId: idOf(day(22)) };
  s.destinations.usb!.lastVerified = undefined;
  const a = mirrorAlerts({ config: config(), status: s, now: day(31, 12) });
  assert.equal(a.map((x) => x.kind), ['tooOld']);
});

test('diskFacts: each disk in config order with label, last copy, newest backup, last seen; attached only when asked', () => {
  const s = status({ [FR.toUpperCase()]: disk('FREITAG-FS', day(27)), [MO]: disk('Montag', day(20)) }, day(27));
  const facts = diskFacts(set()[0]!, s, [FR]);
  assert.equal(
    facts.map((f) => [f.label, f.uuid, f.lastSuccessAt, f.newest, f.lastSeen, f.attached]),
    [
      ['Montag', MO, day(20).toISOString(), idOf(day(20)), day(20).toISOString(), false],
      ['Mittwoch', MI, null, null, null, false],
      ['Freitag', FR, day(27).toISOString(), idOf(day(27)), day(27).toISOString(), true],
    ],
  );
  assert.not.ok('attached' in diskFacts(set()[0]!, s)[0]!, 'not asked: unknown');
  assert.equal(diskFacts({ name: 'x', type: 'path', path: '/x', mode: 'all', required: false } as Config['mirrors'][number], s), []);
});

test.run();
