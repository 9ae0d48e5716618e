// The settings form offers the database kinds of the registry (src/databases/registry.ts) and
// names none itself: the type column, the defaults shown as placeholders and „+ Datenbank“ follow
// KINDS, so a kind registered later appears in the window without a change there. The same for
// mirrors: the destination kinds (src/destinations/registry.ts) say which fields a row has.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const { KINDS } = await import('../../src/databases/registry');
const { DESTINATION_KINDS } = await import('../../src/destinations/registry');
const F = await import('../../src/tray/model/settings-form');
const { t } = await import('../../src/i18n');

test('the type column: every type of every registered kind, in the registry order, then the folder', () => {
  assert.equal([...F.COMPONENT_TYPES], [...KINDS.flatMap((k) => [...k.types]), 'folder']);
  assert.ok(KINDS.length >= 2, 'at least PostgreSQL and MariaDB are registered');
});

test('„+ Datenbank“ adds a row of the first registered kind, named free of the rows there', () => {
  const form = F.formFromConfig(null);
  const row = F.newComponent(form, F.NEW_DATABASE_TYPE);
  assert.is(row.type, KINDS[0]!.types[0]);
  assert.is(row.name, 'datenbank');
  assert.is(F.newComponent({ ...form, components: [row] }, F.NEW_DATABASE_TYPE).name, 'datenbank-2');
});

test('the placeholders are the kind\'s own defaults; a folder and an unknown type have none', () => {
  for (const kind of KINDS) {
    for (const type of kind.types) {
      assert.equal(F.componentDefaults(type), { host: kind.defaults.host, port: String(kind.defaults.port), user: kind.defaults.user }, type);
    }
  }
  assert.equal(F.componentDefaults('folder'), { host: '', port: '', user: '' });
  assert.equal(F.componentDefaults('oracle'), { host: '', port: '', user: '' });
});

test('the type names: the catalogue\'s, else the kind\'s own; a type nobody knows as it is', () => {
  assert.is(F.componentTypeLabel('postgres', 'de'), 'PostgreSQL (tomedo)');
  assert.is(F.componentTypeLabel('folder', 'en'), 'Folder');
  assert.is(F.componentTypeLabel('folder', 'de'), 'Ordner');
  for (const kind of KINDS) {
    for (const type of kind.types) {
      const name = F.componentTypeLabel(type, 'en');
      assert.not.match(name, /^tray\.settings\./, `${type} has a name`);
      assert.ok(name.length > 0);
    }
  }
  assert.is(F.componentTypeLabel('oracle', 'de'), 'oracle');
});

test('the mirror type column: the destination kinds with a form, in the registry order; a new row is of the first', () => {
  assert.equal([...F.MIRROR_TYPES], DESTINATION_KINDS.filter((k) => k.form).map((k) => k.type));
  assert.ok(F.MIRROR_TYPES.length >= 3, 'disk, share and folder');
  assert.is(F.newMirror(F.formFromConfig(null)).type, F.MIRROR_TYPES[0]);
});

test('a mirror row writes exactly the fields its kind names: where it is, the login user, eject, append-only', () => {
  const values = { volume: 'uuid:0b5e7c1a-1111-4222-8333-944455556666', url: 'smb://nas/praxis', path: '/mnt/zweite', repository: 'sftp:praxis@box.example:/praxis-backup' };
  const written = { volume: { uuid: '0b5e7c1a-1111-4222-8333-944455556666' }, url: 'smb://nas/praxis', path: '/mnt/zweite', repository: 'sftp:praxis@box.example:/praxis-backup' };
  for (const type of [...F.MIRROR_TYPES, 'unbekannt']) {
    const f = F.mirrorFields(type);
    const form = F.formFromConfig(null);
    form.mirrors.push({ ...F.newMirror(form), type, ...values, user: 'praxis', eject: true, appendOnly: false });
    const m = F.configFromForm(form, null).mirrors as Record<string, unknown>[];
    const out = m[0]!;
    assert.equal(out[f.where], written[f.where], type);
    for (const other of ['volume', 'url', 'path', 'repository'] as const) if (other !== f.where) assert.not.ok(other in out, `${type} has no ${other}`);
    assert.is('user' in out, f.user === true, `${type}: user`);
    assert.is('eject' in out, f.eject === true, `${type}: eject`);
    assert.is(out.appendOnly, f.appendOnly ? false : undefined, `${type}: appendOnly`);
  }
  assert.equal(F.mirrorFields('unbekannt'), { where: 'path' });
});

test('the off-site kind (restic) is offered with its name; its row writes the repository and append-only, nothing of a disk or share', () => {
  assert.ok(F.MIRROR_TYPES.includes('restic'), F.MIRROR_TYPES.join(', '));
  const f = F.mirrorFields('restic');
  assert.is(f.where, 'repository');
  assert.not.ok(f.user || f.eject, 'no login user, no eject');
  assert.is(t('de', 'tray.settings.mirrorType.restic'), 'Auslagerung (restic)');
  assert.is(t('en', 'tray.settings.mirrorType.restic'), 'Off-site (restic)');

  // A new row as „+ Datenträger“ makes it, changed to the off-site kind: append-only stays on and is written.
  const form = F.formFromConfig(null);
  form.backupDir = '/srv/praxis-backup';
  form.components.push({ ...F.newComponent(form, 'folder'), path: '/srv/files' });
  const row = F.newMirror(form);
  form.mirrors.push({ ...row, name: 'aussen', type: 'restic', repository: ' rest:https://backup.example/praxis ', volume: 'uuid:x', url: 'smb://nas/p', path: '/mnt/x', user: 'praxis' });
  const raw = F.configFromForm(form, null);
  assert.equal(raw.mirrors, [{ name: 'aussen', type: 'restic', repository: 'rest:https://backup.example/praxis', appendOnly: true, mode: 'all' }]);
  // The CLI's validation accepts it, and restic's encryption is the schema's default, not the form's to write.
  const valid = F.checkForm(form, null, 'de');
  assert.ok(valid.ok, valid.ok ? '' : valid.problems.map((p) => p.message).join('\n'));
  const m = valid.config.mirrors[0]!;
  assert.is(m.type, 'restic');
  assert.is(m.encrypt, true);
});

test('a restic address the schema refuses: the problem is on the repository field, named as the window labels it', () => {
  const form = F.formFromConfig(null);
  form.backupDir = '/srv/praxis-backup';
  form.components.push({ ...F.newComponent(form, 'folder'), path: '/srv/files' });
  form.mirrors.push({ ...F.newMirror(form), name: 'aussen', type: 'restic', repository: 'ftp://box.example/praxis' });
  const problems = F.validate(form, null, 'de');
  assert.equal(problems.map((p) => p.field), ['mirrors.0.repository']);
  assert.match(problems[0]!.message, /^Datenträger 1 \(„aussen“\), Repository: „ftp:\/\/box\.example\/praxis“ ist keine restic-Repository-Adresse/);
  // A password in a REST address is refused too, on the same field.
  form.mirrors[0]!.repository = 'rest:https://praxis:geheim@backup.example/praxis';
  assert.equal(F.validate(form, null, 'en').map((p) => [p.field, /keyring/.test(p.message)]), [['mirrors.0.repository', true]]);
  // Empty: required, on the field.
  form.mirrors[0]!.repository = '  ';
  assert.equal(F.validate(form, null, 'de').map((p) => p.field), ['mirrors.0.repository']);
});

const RESTIC_CONFIG = {
  backupDir: '/srv/praxis-backup',
  components: [{ name: 'files', type: 'folder', path: '/srv/files' }],
  mirrors: [
    {
      name: 'aussen',
      type: 'restic',
      repository: 's3:https://s3.example.de/praxis/backup',
      backendEnv: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
      sshKey: '/root/.ssh/id_praxis',
      limitUploadKiBs: 2048,
      connections: 4,
      readDataDays: 14,
      pruneEveryDays: 7,
      mode: 'latest',
      required: true,
    },
    { name: 'zuhause', type: 'restic', repository: 'sftp:praxis@home.example:/backup', appendOnly: false, encrypt: true, resticPath: '/opt/restic/bin/restic' },
  ],
};

test('a config with restic mirrors round-trips through the form unchanged, keys the window does not show included', () => {
  const original = structuredClone(RESTIC_CONFIG);
  const form = F.formFromConfig(original);
  assert.equal(form.mirrors.map((m) => [m.repository, m.appendOnly, m.encrypt]), [
    ['s3:https://s3.example.de/praxis/backup', true, true],
    ['sftp:praxis@home.example:/backup', false, true],
  ]);
  const out = F.configFromForm(form, original);
  assert.equal(out, RESTIC_CONFIG);
  assert.is(JSON.stringify(out), JSON.stringify(RESTIC_CONFIG), 'same keys in the same order');
  assert.ok(F.checkForm(form, original, 'de').ok);

  // Edited: only what was edited changes; backendEnv, sshKey and the rest survive the save.
  form.mirrors[0]!.repository = 's3:https://s3.example.de/praxis/neu';
  form.mirrors[0]!.appendOnly = false;
  const edited = F.configFromForm(form, original).mirrors as Record<string, unknown>[];
  assert.equal(edited[0], { ...RESTIC_CONFIG.mirrors[0], repository: 's3:https://s3.example.de/praxis/neu', appendOnly: false });
});

test('a restic mirror changed to a folder stays encrypted; a folder changed to restic does not carry its encrypt: false', () => {
  const form = F.formFromConfig(structuredClone(RESTIC_CONFIG));
  form.mirrors[0]!.type = 'path';
  form.mirrors[0]!.path = '/mnt/zweite';
  const m = F.configFromForm(form, RESTIC_CONFIG).mirrors as Record<string, unknown>[];
  assert.equal(m[0], { name: 'aussen', type: 'path', path: '/mnt/zweite', mode: 'latest', required: true, encrypt: true });

  const plain = { backupDir: '/srv/praxis-backup', components: [{ name: 'files', type: 'folder', path: '/srv/files' }], mirrors: [{ name: 'zweite', type: 'path', path: '/mnt/zweite', encrypt: false }] };
  const f2 = F.formFromConfig(plain);
  f2.mirrors[0]!.type = 'restic';
  f2.mirrors[0]!.repository = '/mnt/zweite/restic';
  const r = F.checkForm(f2, plain, 'de');
  assert.ok(r.ok, r.ok ? '' : r.problems.map((p) => p.message).join('\n'));
  assert.equal(r.raw.mirrors, [{ name: 'zweite', type: 'restic', repository: '/mnt/zweite/restic', appendOnly: true }]);
});

test('after saving a new restic mirror the next step is said (offsite init NAME); not again once it is saved', () => {
  const config = { mirrors: [{ name: 'aussen', type: 'restic' as const }, { name: 'usb', type: 'volume' as const }] };
  assert.equal(F.nextSteps(config as never, null, 'de'), ['Nächster Schritt für „aussen“: Repository einrichten mit praxis-backup offsite init aussen']);
  assert.equal(F.nextSteps(config as never, { mirrors: [{ name: 'usb', type: 'volume' }] }, 'en'), ['Next step for “aussen”: set up the repository with praxis-backup offsite init aussen']);
  assert.equal(F.nextSteps(config as never, { mirrors: [{ name: 'aussen', type: 'restic' }] }, 'de'), []);
  // Renamed or changed to restic: a repository the new name has never been set up under.
  assert.equal(F.nextSteps(config as never, { mirrors: [{ name: 'aussen', type: 'path' }] }, 'de').length, 1);
});

test('the save summary says the next steps under what was saved', () => {
  const config = { mirrors: [], schedule: undefined } as never;
  const r = { ok: true as const, config, file: '/x/config.json', backup: null, schedule: { action: 'removed' as const, removed: [], notes: [] }, nextSteps: ['Nächster Schritt für „aussen“: Repository einrichten mit praxis-backup offsite init aussen'] };
  assert.equal(F.saveSummary(r, 'de'), { text: 'Gespeichert. Kein Zeitplan: gesichert wird nur mit „Backup jetzt“.\nNächster Schritt für „aussen“: Repository einrichten mit praxis-backup offsite init aussen', kind: 'ok' });
  assert.is(F.saveSummary({ ...r, nextSteps: [] }, 'de').text, 'Gespeichert. Kein Zeitplan: gesichert wird nur mit „Backup jetzt“.');
});

test.run();
