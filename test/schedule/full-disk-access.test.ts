// Full Disk Access check: not applicable on Linux (the optional module is not even loaded),
// node-mac-permissions' answers passed through on macOS, its absence reported, never a crash.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkFullDiskAccess, loadMacPermissions } from '../../src/platform/full-disk-access';

const test = suite('full disk access');

test('Linux: not applicable, and the module is not loaded', async () => {
  let loaded = false;
  const r = await checkFullDiskAccess('linux', '/usr/bin/node', async () => {
    loaded = true;
    throw new Error('must not be loaded');
  });
  assert.equal(r, { status: 'not applicable', executable: '/usr/bin/node' });
  assert.is(loaded, false);
});

test("macOS: the module's answers, as they are", async () => {
  for (const answer of ['authorized', 'denied', 'not determined'] as const) {
    const r = await checkFullDiskAccess('darwin', '/opt/homebrew/bin/node', async () => ({ getAuthStatus: (type) => (type === 'full-disk-access' ? answer : 'wrong type') }));
    assert.equal(r, { status: answer, executable: '/opt/homebrew/bin/node' });
  }
  const odd = await checkFullDiskAccess('darwin', '/x/node', async () => ({ getAuthStatus: () => 'restricted' }));
  assert.is(odd.status, 'unavailable');
  assert.match(odd.detail!, /restricted/);
});

test('the optional module is really absent here: the real loader rejects, the check says unavailable', async () => {
  let err: unknown;
  await loadMacPermissions().catch((e) => (err = e));
  assert.instance(err, Error);
  const r = await checkFullDiskAccess('darwin', process.execPath);
  assert.is(r.status, 'unavailable');
  assert.match(r.detail!, /node-mac-permissions/);
});

test.run();
