// The settings form offers the database kinds of the registry (src/databases/registry.ts) and
// names none itself: the type column, the defaults shown as placeholders and „+ Datenbank“ follow
// KINDS, so a kind registered later appears in the window without a change there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const { KINDS } = await import('../../src/databases/registry');
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

test.run();
