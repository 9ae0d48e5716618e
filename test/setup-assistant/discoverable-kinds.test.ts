// The assistant looks for a database kind only through the registry (issue 16): a kind with a
// discovery facet (contract.ts: KindDiscovery) gets its places knocked at, its --<id> / env
// variable places and its answers; a kind without one gets none of these. Driven by KINDS, so a
// kind registered later is covered as it is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KINDS } from '../../src/databases/registry';
import { parseAnswers } from '../../src/setup-assistant/answers';
import { parseProbeTarget } from '../../src/setup-assistant/discover/create-discovery';
import { candidates, discoverableKinds } from '../../src/setup-assistant/discover/server-places';
import { discoveryExtrasFromEnv } from '../../src/tray/model/setup-form';

const withDiscovery = KINDS.filter((k) => k.discovery).map((k) => k.id);
const withoutDiscovery = KINDS.filter((k) => !k.discovery).map((k) => k.id);

test('the discoverable kinds are the registry\'s kinds with a discovery facet, in its order; PostgreSQL and MariaDB are among them', () => {
  assert.equal(discoverableKinds().map((k) => k.id), withDiscovery);
  assert.ok(withDiscovery.includes('postgres') && withDiscovery.includes('mariadb'), withDiscovery.join(' '));
});

test('named places: TCP at the kind\'s default port when none is given, a socket path as the kind takes it; a kind without discovery is not knocked at', async () => {
  const extra = Object.fromEntries([...withDiscovery, ...withoutDiscovery, 'nonsense'].map((id) => [id, [{ host: 'db.local' }, { host: '/nowhere/sock', user: 'anna' }]]));
  const found = await candidates('linux', false, extra, '/nonexistent-root');
  assert.equal([...new Set(found.map((c) => c.kind))], withDiscovery);
  for (const kind of discoverableKinds()) {
    const [tcp, socket] = found.filter((c) => c.kind === kind.id);
    assert.equal([tcp!.host, tcp!.port, tcp!.via, tcp!.where, tcp!.explicit], ['db.local', kind.defaults.port, 'tcp', `db.local:${kind.defaults.port}`, true], kind.id);
    assert.equal({ ...socket, explicit: undefined, user: undefined }, { ...kind.discovery.socketPlace('/nowhere/sock'), explicit: undefined, user: undefined }, kind.id);
    assert.equal([socket!.via, socket!.explicit, socket!.user], ['socket', true, 'anna'], kind.id);
  }
});

test('PRAXIS_BACKUP_DISCOVER_<ID>: read for every discoverable kind, never for another', () => {
  const env = Object.fromEntries([...withDiscovery, ...withoutDiscovery].map((id) => [`PRAXIS_BACKUP_DISCOVER_${id.toUpperCase()}`, 'h:1']));
  assert.equal(Object.keys(discoveryExtrasFromEnv(env, parseProbeTarget)), withDiscovery);
});

test('an answers file takes the kind ids the assistant can find, and refuses another naming the field', () => {
  const answers = (kind: string) => ({
    version: 1,
    databases: [{ name: 'praxis', kind, host: 'localhost', port: 1234, user: 'u', database: 'praxis', password: 'none' }],
    folders: [],
    backupDir: '/b',
    mirror: null,
    schedule: null,
    trayAtLogin: false,
    firstBackup: false,
  });
  for (const id of withDiscovery) assert.is(parseAnswers(answers(id)).problems.length, 0, id);
  for (const id of [...withoutDiscovery, 'folder', 'oracle']) {
    const { answers: a, problems } = parseAnswers(answers(id));
    assert.is(a, null, id);
    assert.equal(problems.map((p) => p.path), ['databases[0].kind'], id);
  }
});

test.run();
