// „Aufbewahrung“ and the rotating disk sets in the settings window's model, without Qt: a file's
// retention comes back as it was (keep stays keep, generations stay generations, no retention stays
// none) unless the admin changes it; problems land on the count's own spin box; the disk need of a
// policy with real numbers next to the free space; a policy that would remove many backups at
// once is caught before it is saved. And a mirror's rotating set survives opening and saving.
process.env.TZ = 'Europe/Berlin';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackupEntry } from '../../src/backup-directory/catalog';
import { backupEntry } from '../helpers/backup-entry';

const F = await import('../../src/tray/model/settings-form');
const R = await import('../../src/tray/model/retention-form');
const { formatBytes } = await import('../../src/i18n');
const { policyKey } = await import('../../src/retention/policy');

const test = suite('settings: retention and rotating disks');

const BASE = {
  backupDir: '/srv/praxis-backup',
  components: [
    { name: 'datenbank', type: 'postgres', database: 'tomedo' },
    { name: 'files', type: 'folder', path: '/srv/tomedo/files' },
  ],
  schedule: { cron: '15 3 * * 1-5' },
};
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

test('a file with keep stays keep; switched to generations it says every rule', () => {
  const original = { ...clone(BASE), retention: { keep: 14 } };
  const form = F.formFromConfig(original);
  assert.is(form.retention.mode, 'keep');
  assert.is(form.retention.keep, '14');
  assert.equal(F.configFromForm(form, original), original);
  form.retention.mode = 'generations';
  form.retention.quarterly = '12';
  assert.equal(F.configFromForm(form, original).retention, { last: 20, daily: 7, weekly: 4, monthly: 12, quarterly: 12 });
  assert.equal(F.validate(form, original, 'de'), []);
});

test('a generations file comes back with only its own rules, in its order; an explicit 0 stays', () => {
  const original = { ...clone(BASE), retention: { daily: 10, last: 5, weekly: 0 } };
  const form = F.formFromConfig(original);
  assert.equal(form.retention, { mode: 'generations', keep: '10', last: '5', daily: '10', weekly: '0', monthly: '0', quarterly: '0' });
  assert.is(JSON.stringify(F.configFromForm(form, original)), JSON.stringify(original));
  form.retention.monthly = '6';
  assert.equal(F.configFromForm(form, original).retention, { daily: 10, last: 5, weekly: 0, monthly: 6 });
  form.retention.mode = 'keep';
  form.retention.keep = '30';
  assert.equal(F.configFromForm(form, original).retention, { keep: 30 });
});

test('a file without retention is not rewritten with one; a change writes the whole policy', () => {
  const original = clone(BASE);
  const form = F.formFromConfig(original);
  assert.equal(form.retention, { mode: 'generations', keep: '10', last: '20', daily: '7', weekly: '4', monthly: '12', quarterly: '8' });
  assert.not.ok('retention' in F.configFromForm(form, original));
  form.retention.daily = '14';
  assert.equal(F.configFromForm(form, original).retention, { last: 20, daily: 14, weekly: 4, monthly: 12, quarterly: 8 });
  form.retention.daily = '7'; // back to the default: nothing to write again
  assert.not.ok('retention' in F.configFromForm(form, original));
  form.retention.mode = 'keep';
  assert.equal(F.configFromForm(form, original).retention, { keep: 10 });
});

test('problems of a count land on its spin box, named as the window names it; all at 0 on the section', () => {
  const original = { ...clone(BASE), retention: { last: 20, daily: 7 } };
  const form = F.formFromConfig(original);
  form.retention.daily = 'sieben';
  const byField = Object.fromEntries(F.validate(form, original, 'de').map((p) => [p.field, p.message]));
  assert.equal(Object.keys(byField), ['retention.daily']);
  assert.is(byField['retention.daily'], 'Aufbewahrung, Tage: muss eine ganze Zahl sein.');
  const en = F.validate(form, original, 'en');
  assert.is(en[0]!.message, 'Keep, Days: must be a whole number.');
  form.retention.daily = '1001';
  assert.match(F.validate(form, original, 'de')[0]!.message, /^Aufbewahrung, Tage: darf höchstens 1000 sein/);
  for (const k of ['last', 'daily', 'weekly', 'monthly', 'quarterly'] as const) form.retention[k] = '0';
  const empty = F.validate(form, original, 'de');
  assert.equal(empty.map((p) => p.field), ['retention']);
  assert.is(R.retentionOfForm(form.retention), null, 'no policy: no need is projected');
});

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const NOW = new Date(2026, 11, 2, 12, 0, 0); // Wednesday 2 December 2026, noon in Berlin

function entry(id: string, components: { type: string; bytes: number; bytesCopied?: number }[] = []): BackupEntry {
  const at = `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:00Z`;
  return backupEntry(id, {
    dir: '/srv/praxis-backup',
    host: 'praxis',
    startedAt: at,
    finishedAt: at,
    components: components.map((c, i) => ({ name: `c${i}`, path: `c${i}`, warnings: [], ...c })) as BackupEntry['manifest']['components'],
    trigger: 'schedule',
  });
}

/** `n` nightly backups at 03:15 up to the night before NOW, newest first (as readCatalog gives them). */
function nights(n: number): BackupEntry[] {
  const out: BackupEntry[] = [];
  for (let i = 0; i < n; i++) {
    const d = new Date(2026, 11, 1 - i, 3, 15, 0);
    const id = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}_031500`;
    out.push(entry(id));
  }
  return out;
}

test('sizes of the newest backup: dumps whole, folders once, what a night added', () => {
  const newest = entry('20261201_031500', [
    { type: 'postgres', bytes: 2 * GiB },
    { type: 'mariadb', bytes: 512 * MiB },
    { type: 'folder', bytes: 30 * GiB, bytesCopied: 200 * MiB },
    { type: 'folder', bytes: 1 * GiB }, // no bytesCopied (older manifest): counted as all new
  ]);
  assert.equal(R.backupSizes(newest), { dumpBytes: 2.5 * GiB, folderBytes: 31 * GiB, folderChangeBytes: 200 * MiB + GiB });
  assert.is(R.backupSizes(undefined), null);
});

test('the need of the default policy with real numbers, next to the free space; red below the reserve', () => {
  const retention = { last: 20, daily: 7, weekly: 4, monthly: 12, quarterly: 8 };
  const sizes = { dumpBytes: 1 * GiB, folderBytes: 10 * GiB, folderChangeBytes: 100 * MiB };
  const base = { retention, cron: '15 3 * * *', now: NOW, sizes, present: 0 };
  const roomy = R.retentionNeed({ ...base, space: { free: 120 * GiB, total: 500 * GiB } }, 'de');
  // Nightly, once full: the newest 20 hold the 7 days and 3 of the 4 weeks; months and quarters add
  // the rest (the count is projection.ts's; here: what the window makes of it).
  assert.is(roomy.projection.kept, 34);
  assert.is(roomy.projection.reachDays, 557);
  // 34 dumps + the folders once + 33 nights of changes.
  assert.is(roomy.projection.bytes, 34 * GiB + 10 * GiB + 33 * 100 * MiB);
  assert.is(roomy.text, `Bedarf bei voller Aufbewahrung: ca. 47 GB (34 Sicherungen, reicht 18 Monate zurück) – frei: 120 GB`);
  assert.is(roomy.fits, true);
  // 60 GB free of a 200 GB disk: 47 GB more would leave 13 GB, less than the 20 GB reserve.
  const tight = R.retentionNeed({ ...base, space: { free: 60 * GiB, total: 200 * GiB } }, 'de');
  assert.is(tight.fits, false);
  assert.match(tight.text, /– frei: 60 GB Das passt nicht: 20 GB der Platte sollen frei bleiben/);
  // The backups there already hold part of it: 30 of the 34 are there, so only 4 more are needed.
  const grown = R.retentionNeed({ ...base, present: 30, space: { free: 60 * GiB, total: 200 * GiB } }, 'de');
  assert.is(grown.presentBytes, 30 * GiB + 10 * GiB + 29 * 100 * MiB);
  assert.is(grown.fits, true);
  const en = R.retentionNeed({ ...base, space: { free: 120 * GiB, total: 500 * GiB } }, 'en');
  assert.is(en.text, 'Needed when full: about 47 GB (34 backups, reaching back 18 months) – free: 120 GB');
  assert.is(formatBytes(roomy.projection.bytes, 'de'), '47 GB');
});

test('the need follows the schedule and the policy: workdays only, a count, no backup yet, no disk known', () => {
  const sizes = { dumpBytes: 1 * GiB, folderBytes: 10 * GiB, folderChangeBytes: 100 * MiB };
  const keep = R.retentionNeed({ retention: { keep: 10 }, cron: '15 3 * * 1-5', now: NOW, sizes, present: 0, space: null }, 'de');
  // Ten workday backups reach back two calendar weeks (Mon 23 Nov … Fri 4 Dec … the tenth is 13 days before the newest).
  assert.is(keep.projection.kept, 10);
  assert.is(keep.text, 'Bedarf bei voller Aufbewahrung: ca. 21 GB (10 Sicherungen, reicht 13 Tage zurück)');
  assert.is(keep.fits, null);
  const none = R.retentionNeed({ retention: { keep: 10 }, cron: 'kaputt', now: NOW, sizes: null, present: 0, space: { free: 5 * GiB, total: 10 * GiB } }, 'de');
  // An invalid schedule is projected as one backup a night; no backup yet: no bytes, no verdict.
  assert.is(none.text, 'Bedarf bei voller Aufbewahrung: noch unbekannt, es gibt noch keine Sicherung (10 Sicherungen, reicht 9 Tage zurück) – frei: 5,0 GB');
  assert.is(none.fits, null);
});

test('a policy that removes more than three backups now is caught, with how many and which; not when applied or unchanged', () => {
  const complete = nights(30);
  const tight = { keep: 5 } as const;
  const shrink = R.shrinkToConfirm(complete, tight, { keep: 30 }, 'last=30', NOW);
  assert.ok(shrink);
  assert.is(shrink!.policy, policyKey(tight));
  assert.is(shrink!.remove.length, 25);
  assert.is(shrink!.remove[0], '20261126_031500'); // the sixth newest goes first
  assert.is(shrink!.remove.at(-1), '20261102_031500');
  // Already confirmed (status.json retentionApplied.local) or the policy the file had: nothing to ask.
  assert.is(R.shrinkToConfirm(complete, tight, { keep: 30 }, 'last=5', NOW), null);
  assert.is(R.shrinkToConfirm(complete, tight, { keep: 5 }, undefined, NOW), null);
  // Three go: below the guard's threshold.
  assert.is(R.shrinkToConfirm(complete, { keep: 27 }, { keep: 30 }, undefined, NOW), null);
  assert.ok(R.shrinkToConfirm(complete, { keep: 26 }, { keep: 30 }, undefined, NOW));
  // tomedo's generations over 30 nights (2 Nov – 1 Dec): the newest 20 (back to 12 Nov) already hold
  // the newest of 4 ISO weeks and of both months; the 10 before them go.
  const tomedo = R.shrinkToConfirm(complete, { last: 20, daily: 7, weekly: 4, monthly: 12 }, { keep: 30 }, undefined, NOW);
  assert.equal(tomedo?.remove, complete.slice(20).map((b) => b.id));
  assert.is(tomedo?.remove[0], '20261111_031500');
  const q = R.shrinkQuestion(shrink!, 'de', 3);
  assert.is(q, 'Mit dieser Aufbewahrung werden beim nächsten Lauf 25 Sicherungen gelöscht: 26.11.2026 03:15, 25.11.2026 03:15, 24.11.2026 03:15 und 22 weitere. Trotzdem speichern?');
  assert.match(R.shrinkQuestion(shrink!, 'en', 2), /^With this retention the next run deletes 25 backups: 2026-11-26 03:15, 2026-11-25 03:15 and 23 more\./);
});

const SET = {
  name: 'usb',
  type: 'volume',
  volumes: [
    { uuid: '1111aaaa-0000-4000-8000-000000000001', label: 'Montag' },
    { uuid: '2222bbbb-0000-4000-8000-000000000002', label: 'Mittwoch' },
    { uuid: '3333cccc-0000-4000-8000-000000000003', label: 'Freitag' },
  ],
  rotation: { swapAfterDays: 10 },
  eject: true,
};

test('a rotating set survives opening and saving, also when the row is edited; shown as its disks', () => {
  const original = { ...clone(BASE), mirrors: [clone(SET), { name: 'nas', type: 'smb', url: 'smb://nas/backup', user: 'praxis' }] };
  const form = F.formFromConfig(original);
  assert.is(form.mirrors[0]!.volume, '');
  assert.is(F.rotationText(form.mirrors[0]!, 'de'), '3 wechselnde Platten: Montag, Mittwoch, Freitag');
  assert.is(F.rotationText(form.mirrors[0]!, 'en'), '3 rotating disks: Montag, Mittwoch, Freitag');
  assert.is(F.rotationText(form.mirrors[1]!, 'de'), null);
  assert.is(JSON.stringify(F.configFromForm(form, original)), JSON.stringify(original));
  assert.equal(F.validate(form, original, 'de'), []);
  form.mirrors[0]!.name = 'rotation';
  form.mirrors[0]!.mode = 'latest';
  const saved = F.configFromForm(form, original).mirrors as Record<string, unknown>[];
  assert.equal(saved[0], { ...SET, name: 'rotation', mode: 'latest' });
  assert.not.ok('volume' in saved[0]!);
  // A disk without a label is named by its UUID's start.
  const one = { ...clone(BASE), mirrors: [{ name: 'usb', type: 'volume', volumes: [{ uuid: '4444dddd-0000-4000-8000-000000000004' }] }] };
  assert.is(F.rotationText(F.formFromConfig(one).mirrors[0]!, 'de'), '1 wechselnde Platte: 4444dddd…');
  // Changed to another kind, the set goes with it (a share has no disks).
  const changed = F.formFromConfig(original);
  changed.mirrors[0]!.type = 'path';
  changed.mirrors[0]!.path = '/mnt/copy';
  assert.equal((F.configFromForm(changed, original).mirrors as Record<string, unknown>[])[0], { name: 'usb', type: 'path', path: '/mnt/copy' });
});

test('a set made and changed in the form: a one-disk row becomes a set with its disk first; disks go by UUID, once each', () => {
  const original = { ...clone(BASE), mirrors: [{ name: 'usb', type: 'volume', volume: { uuid: SET.volumes[0]!.uuid }, eject: true }] };
  const form = F.formFromConfig(original);
  const row = form.mirrors[0]!;
  F.addDiskToSet(row, SET.volumes[2]!.uuid, ' Freitag ');
  F.addDiskToSet(row, SET.volumes[2]!.uuid.toUpperCase(), 'doppelt'); // the same disk: not twice
  assert.is(F.rotationText(row, 'de'), '2 wechselnde Platten: 1111aaaa…, Freitag');
  const saved = F.configFromForm(form, original);
  assert.equal((saved.mirrors as Record<string, unknown>[])[0], { name: 'usb', type: 'volume', eject: true, volumes: [{ uuid: SET.volumes[0]!.uuid }, { uuid: SET.volumes[2]!.uuid, label: 'Freitag' }] });
  assert.equal(F.validate(form, original, 'de'), []);
  F.removeDiskFromSet(row, 0);
  assert.equal(row.volumes, [{ uuid: SET.volumes[2]!.uuid, label: 'Freitag' }]);
  F.removeDiskFromSet(row, 0);
  assert.is(row.volumes, undefined);
  // No disk left: the row asks for one, as a new row does.
  assert.equal(F.validate(form, original, 'de').map((p) => p.message), ['Datenträger 1 („usb“), Datenträger: fehlt. Bitte angeben.']);
});

test('a disk row with no disk chosen says so next to the other problems (the set check runs last in the schema)', () => {
  const original = { ...clone(BASE), mirrors: [{ name: 'usb', type: 'volume', volume: { uuid: 'abc' } }] };
  const form = F.formFromConfig(original);
  form.mirrors[0]!.volume = '';
  form.retention.daily = 'x';
  const byField = Object.fromEntries(F.validate(form, original, 'de').map((p) => [p.field, p.message]));
  assert.equal(Object.keys(byField).sort(), ['mirrors.0.volume', 'retention.daily']);
  assert.is(byField['mirrors.0.volume'], 'Datenträger 1 („usb“), Datenträger: fehlt. Bitte angeben.');
  form.retention.daily = '7';
  assert.equal(F.validate(form, original, 'de').map((p) => p.message), ['Datenträger 1 („usb“), Datenträger: fehlt. Bitte angeben.']);
});

test.run();
