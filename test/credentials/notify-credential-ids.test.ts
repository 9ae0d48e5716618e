// The keyring ids of the notification secrets: what `credentials set` accepts for smtp:// and
// ntfy:// (what it refuses is in test/credentials/credential-id.test.ts), and that the id a
// config's `notify` looks up is exactly the one `credentials set` stores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { notifyCredentialIds, ntfyTokenId, smtpCredentialId, splitTopicUrl } from '../../src/credentials/notify-credential-ids';
import { validateConfig } from '../../src/config/load';
import { configuredIds, parseCredentialId } from '../../src/credentials/credentials-service';

test('smtp://user@host:port and ntfy://host/topic, taken apart', () => {
  assert.equal(parseCredentialId('smtp://praxis@example.de@mail.example.de:587'), {
    id: 'smtp://praxis@example.de@mail.example.de:587', kind: 'smtp', user: 'praxis@example.de', hostPort: 'mail.example.de:587', host: 'mail.example.de', port: 587,
  });
  assert.equal(parseCredentialId('ntfy://ntfy.example.de:8443/praxis-backup/'), {
    id: 'ntfy://ntfy.example.de:8443/praxis-backup', kind: 'ntfy', user: '', hostPort: 'ntfy.example.de:8443', host: 'ntfy.example.de', port: 8443, topic: 'praxis-backup',
  });
  assert.is(parseCredentialId('smtp://relay@mail.example.de:25', 'relay').id, 'smtp://relay@mail.example.de:25');
});

test('the ids notify looks up are what credentials set stores, and credentials says who uses them', () => {
  const config = validateConfig(
    {
      backupDir: '/srv/backup',
      components: [{ name: 'files', type: 'folder', path: '/srv/files' }],
      notify: {
        email: { host: 'mail.example.de', port: 465, tls: 'tls', user: 'praxis@example.de', from: 'praxis@example.de', to: ['it@example.de'] },
        ntfy: { url: 'https://example.de/ntfy/praxis-backup', token: true },
      },
    },
    'test.json',
  );
  assert.equal(notifyCredentialIds(config.notify), [
    { id: 'smtp://praxis@example.de@mail.example.de:465', name: 'notify.email' },
    { id: 'ntfy://example.de/praxis-backup', name: 'notify.ntfy' },
  ]);
  for (const { id } of notifyCredentialIds(config.notify)) assert.is(parseCredentialId(id).id, id, 'round trip');
  assert.equal(configuredIds(config).map((c) => c.name), ['notify.email', 'notify.ntfy']);
  assert.equal(splitTopicUrl('https://example.de/ntfy/praxis-backup'), { root: 'https://example.de/ntfy/', topic: 'praxis-backup' });
  assert.is(ntfyTokenId('http://127.0.0.1:8080/alerts'), 'ntfy://127.0.0.1:8080/alerts');
  assert.is(smtpCredentialId({ host: 'mail.example.de', port: 25 }), null, 'no user: no login, no password');
  assert.equal(notifyCredentialIds({ ...config.notify!, email: { ...config.notify!.email!, user: undefined }, ntfy: { url: 'https://n.de/t', token: false } }), []);
});

test.run();
