// "password": "keyring" | "none" (issue 15) below the CLI: the config accepts it on databases and
// shares and names the field otherwise; the configured store never asks the keyring for an id whose
// component or share says "none"; and the client's own words (measured with psql 15 and mariadb
// 10.11, see test/engine/unattended-passwords.test.ts for the real servers) are read right.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderProblem, validateConfig } from '../../src/config/load';
import { ConfiguredSecretStore, credentialId, type SecretStore } from '../../src/credentials/credentials';
import { ConfigError } from '../../src/core/errors';
import { mariaLoginSignals } from '../../src/databases/mariadb/dump';
import { pgLoginSignals } from '../../src/databases/postgres/dump';
import { smbCredentialId } from '../../src/diskutil/smb-mount';

const test = suite('password mode');

function config(pg: object = {}, smb: object = {}) {
  return {
    backupDir: '/srv/backup',
    components: [
      { name: 'datenbank', type: 'postgres', database: 'tomedo', ...pg },
      { name: 'elexis', type: 'mariadb', database: 'elexis', password: 'none' },
    ],
    mirrors: [{ name: 'nas', type: 'smb', url: 'smb://nas.local/backup', user: 'praxis', ...smb }],
  };
}

/** A keyring that records every id it is asked for. */
function recordingKeyring(): SecretStore & { asked: string[] } {
  const asked: string[] = [];
  return { description: 'test keyring', asked, get: async (id) => (asked.push(id), `kr:${id}`) };
}

test('config: keyring and none are accepted on postgres, mariadb and smb; absent stays absent', () => {
  const c = validateConfig(config({ password: 'keyring' }, { password: 'none' }), 'x.json');
  assert.is((c.components[0] as { password?: string }).password, 'keyring');
  assert.is((c.components[1] as { password?: string }).password, 'none');
  assert.is((c.mirrors[0] as { password?: string }).password, 'none');
  assert.is((validateConfig(config(), 'x.json').components[0] as { password?: string }).password, undefined);
});

test('config: any other value is a problem naming the field and the allowed values', () => {
  for (const [input, path] of [
    [config({ password: 'file' }), 'components[0].password'],
    [config({}, { password: true }), 'mirrors[0].password'],
  ] as const) {
    try {
      validateConfig(input, 'x.json');
      assert.unreachable('accepted');
    } catch (e) {
      assert.instance(e, ConfigError);
      const p = (e as ConfigError).problems.find((x) => x.path === path);
      assert.ok(p, `${path} in ${(e as ConfigError).problems.map((x) => x.path).join(', ')}`);
      assert.match(renderProblem('en', p!), 'keyring');
    }
  }
  try {
    validateConfig({ backupDir: '/b', components: [{ name: 'f', type: 'folder', path: '/x', password: 'none' }] }, 'x.json');
    assert.unreachable('a folder has no password');
  } catch (e) {
    assert.ok((e as ConfigError).problems.some((x) => x.path === 'components[0]' || x.path.startsWith('components[0]')));
  }
});

test('the configured store never asks the keyring for a "none" id; the environment still wins', async () => {
  const c = validateConfig(config({}, { password: 'none' }), 'x.json');
  const keyring = recordingKeyring();
  const env = { PRAXIS_BACKUP_PASSWORD_NAS: 'from-env' };
  const s = ConfiguredSecretStore.forConfig(env, c.components, c.mirrors, keyring);
  const pgId = credentialId(c.components[0]!)!;
  const mariaId = credentialId(c.components[1]!)!;
  const smbId = smbCredentialId('smb://nas.local/backup', 'praxis');
  assert.is(await s.get(mariaId), null);
  assert.is(await s.get(smbId), 'from-env');
  assert.is(await s.get(pgId), `kr:${pgId}`);
  assert.equal(keyring.asked, [pgId]);
  assert.is(s.keyringAllowed(mariaId), false);
  assert.is(s.keyringAllowed(pgId), true);
  // PRAXIS_BACKUP_KEYRING=off: no keyring at all.
  const off = ConfiguredSecretStore.forConfig({}, c.components, c.mirrors, null);
  assert.is(await off.get(pgId), null);
  assert.is(off.keyringAllowed(pgId), false);
});

test('psql 15: the password request and an ignored ~/.pgpass', () => {
  const ignored = [
    'WARNING: password file "/home/praxis/.pgpass" has group or world access; permissions should be u=rw (0600) or less',
    'psql: error: connection to server at "127.0.0.1", port 5432 failed: fe_sendauth: no password supplied',
  ];
  assert.equal(pgLoginSignals(ignored), { wantsPassword: true, ignoredFiles: ['/home/praxis/.pgpass'] });
  assert.equal(pgLoginSignals(['psql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "x"']), { wantsPassword: true, ignoredFiles: [] });
  assert.equal(pgLoginSignals(['psql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "x" does not exist']), { wantsPassword: false, ignoredFiles: [] });
});

test('mariadb 10.11: only "using password: NO" is a request for one; a world-writable option file', () => {
  const ignored = ["Warning: World-writable config file '/home/praxis/.my.cnf' is ignored", "ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: NO)"];
  assert.equal(mariaLoginSignals(ignored), { wantsPassword: true, ignoredFiles: ['/home/praxis/.my.cnf'] });
  assert.equal(mariaLoginSignals(["ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: YES)"]), { wantsPassword: false, ignoredFiles: [] });
});

test.run();
