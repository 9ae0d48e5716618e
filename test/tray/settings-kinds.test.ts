// The settings form offers the database kinds of the registry (src/databases/registry.ts) and
// names none itself: the type column, the defaults shown as placeholders and „+ Datenbank“ follow
// KINDS, so a kind registered later appears in the window without a change there. The same for
// mirrors: the destination kinds (src/destinations/registry.ts) say which fields a row has.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const { KINDS } = await import('../../src/databases/registry');
const { DESTINATION_KINDS } = await import('../../src/destinations/registry');
const F = await import('../../src/tray/model/settings-form');

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

test('a mirror row writes exactly the fields its kind names: where it is, the login user, eject', () => {
  const values = { volume: 'uuid:0b5e7c1a-1111-4222-8333-944455556666', url: 'smb://nas/praxis', path: '/mnt/zweite' };
  const written = { volume: { uuid: '0b5e7c1a-1111-4222-8333-944455556666' }, url: 'smb://nas/praxis', path: '/mnt/zweite' };
  for (const type of [...F.MIRROR_TYPES, 'unbekannt']) {
    const f = F.mirrorFields(type);
    const form = F.formFromConfig(null);
    form.mirrors.push({ ...F.newMirror(form), type, ...values, user: 'praxis', eject: true });
    const m = F.configFromForm(form, null).mirrors as Record<string, unknown>[];
    const out = m[0]!;
    assert.equal(out[f.where], written[f.where], type);
    for (const other of ['volume', 'url', 'path'] as const) if (other !== f.where) assert.not.ok(other in out, `${type} has no ${other}`);
    assert.is('user' in out, f.user === true, `${type}: user`);
    assert.is('eject' in out, f.eject === true, `${type}: eject`);
  }
  assert.equal(F.mirrorFields('unbekannt'), { where: 'path' });
});

test.run();
