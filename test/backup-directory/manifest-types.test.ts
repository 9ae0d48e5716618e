// The manifest's component types are the config's (COMPONENT_TYPES), not a list of its own: a
// database kind added to the config schema is accepted in a manifest without a change there, and a
// type the config does not know is refused, as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMPONENT_TYPES } from '../../src/config/schema';
import { MANIFEST_FORMAT, parseManifest } from '../../src/backup-directory/manifest';
import { KINDS } from '../../src/databases/registry';

const manifestWith = (type: string) =>
  JSON.stringify({
    format: MANIFEST_FORMAT,
    id: '20261124_031500',
    status: 'complete',
    tool: { name: 'praxis-backup', version: 'test' },
    host: 'praxis-server',
    startedAt: '2026-11-24T02:15:00.000Z',
    finishedAt: '2026-11-24T02:16:00.000Z',
    components: [{ name: 'praxis', type, path: 'praxis.dump', bytes: 1 }],
  });

test("every config component type, each registered kind's among them, is a manifest type", () => {
  for (const type of COMPONENT_TYPES) assert.is(parseManifest(manifestWith(type))?.components[0]?.type, type, type);
  for (const kind of KINDS) for (const type of kind.types) assert.ok(COMPONENT_TYPES.includes(type), `${kind.id}: ${type} not in the config schema`);
  assert.ok(COMPONENT_TYPES.includes('folder'));
});

test('a type the config does not know: not a manifest', () => {
  assert.is(parseManifest(manifestWith('oracle')), null);
  assert.is(parseManifest(manifestWith('')), null);
});

test.run();
