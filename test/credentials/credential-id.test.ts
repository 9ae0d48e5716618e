// Credential ids: the forms the engine looks up (credentialId, smbCredentialId), what is refused
// with exit 2 and why, and that an id set by hand matches the one a config produces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../src/config/load';
import { render } from '../../src/i18n';
import { configuredIds, parseCredentialId } from '../../src/credentials/credentials-service';
import { PraxisError } from '../../src/core/errors';

function problem(id: string, user?: string): { exit: number; key: string; text: string } {
  try {
    parseCredentialId(id, user);
  } catch (e) {
    const p = e as PraxisError;
    return { exit: p.exitCode, key: (p.message_.params!.problem as { key: string }).key, text: render('de', p.message_) };
  }
  throw new Error(`${id} was accepted`);
}

test('the three kinds, taken apart', () => {
  assert.equal(parseCredentialId('smb://praxis@nas.local/backup'), {
    id: 'smb://praxis@nas.local/backup', kind: 'smb', user: 'praxis', hostPort: 'nas.local', host: 'nas.local', port: null, share: 'backup',
  });
  assert.equal(parseCredentialId('postgres://postgres@localhost:5432/tomedo'), {
    id: 'postgres://postgres@localhost:5432/tomedo', kind: 'postgres', user: 'postgres', hostPort: 'localhost:5432', host: 'localhost', port: 5432, database: 'tomedo',
  });
  const m = parseCredentialId('mariadb://root@127.0.0.1:3306/elexis');
  assert.equal([m.kind, m.user, m.host, m.port, m.database], ['mariadb', 'root', '127.0.0.1', 3306, 'elexis']);
  const v6 = parseCredentialId('smb://praxis@[fe80::1]:4455/backup');
  assert.equal([v6.host, v6.port, v6.hostPort], ['fe80::1', 4455, '[fe80::1]:4455']);
});

test('canonical form: scheme lower-cased, share percent-encoded, --user filled in, a user may contain "@"', () => {
  assert.is(parseCredentialId('SMB://praxis@nas/Praxis Daten').id, 'smb://praxis@nas/Praxis%20Daten');
  assert.is(parseCredentialId('smb://praxis@nas/Praxis%20Daten').share, 'Praxis Daten');
  assert.is(parseCredentialId('smb://nas.local/backup', 'praxis').id, 'smb://praxis@nas.local/backup');
  assert.is(parseCredentialId('postgres://localhost:5432/tomedo', 'postgres').id, 'postgres://postgres@localhost:5432/tomedo');
  const at = parseCredentialId('smb://praxis@firma.de@nas/backup');
  assert.equal([at.user, at.host], ['praxis@firma.de', 'nas']);
  // An "@" after the first "/" belongs to the database name, not to the user.
  const db = parseCredentialId('postgres://u@h:5432/db@x');
  assert.equal([db.user, db.host, db.database], ['u', 'h', 'db@x']);
});

test('refused with exit 2, naming the problem', () => {
  const cases: [string, string | undefined, string, string][] = [
    ['http://nas/backup', undefined, 'credentials.idProblem.scheme', 'smb://, postgres:// oder mariadb://'],
    ['mysql://root@db:3306/elexis', undefined, 'credentials.idProblem.scheme', 'auch für MySQL mariadb://'],
    ['nas.local/backup', undefined, 'credentials.idProblem.scheme', 'beginnen'],
    ['smb://nas.local/backup', undefined, 'credentials.idProblem.user', 'Benutzername fehlt'],
    ['smb://praxis@nas.local/backup', 'other', 'credentials.idProblem.userTwice', '„praxis“, --user aber „other“'],
    ['smb://praxis@/backup', undefined, 'credentials.idProblem.host', 'Server fehlt'],
    ['postgres://postgres@localhost/tomedo', undefined, 'credentials.idProblem.port', 'Port fehlt'],
    ['postgres://postgres@localhost:99999/tomedo', undefined, 'credentials.idProblem.port', '99999'],
    ['postgres://postgres@localhost:5432/', undefined, 'credentials.idProblem.database', 'Datenbank fehlt'],
    ['postgres://postgres@localhost:5432/a/b', undefined, 'credentials.idProblem.database', 'Datenbank fehlt'],
    ['smb://praxis@nas.local', undefined, 'credentials.idProblem.share', 'Freigabe fehlt'],
    ['smb://praxis@nas.local/backup/tomedo', undefined, 'credentials.idProblem.subPath', 'smb://praxis@nas.local/backup.'],
    // The notification secrets (issue 14): smtp://user@host:port, ntfy://host/topic without a user.
    ['smtp://praxis@mail.example.de', undefined, 'credentials.idProblem.smtpPort', 'SMTP-Kennung nennt ihn immer'],
    ['smtp://praxis@mail.example.de:0', undefined, 'credentials.idProblem.port', '0'],
    ['smtp://mail.example.de:587', undefined, 'credentials.idProblem.user', 'Benutzername fehlt'],
    ['smtp://praxis@mail.example.de:587/x', undefined, 'credentials.idProblem.smtpPath', 'endet nach dem Port'],
    ['ntfy://praxis@ntfy.example.de/topic', undefined, 'credentials.idProblem.ntfyTopic', 'ohne Benutzer'],
    ['ntfy://ntfy.example.de/topic', 'praxis', 'credentials.idProblem.ntfyTopic', 'ohne Benutzer'],
    ['ntfy://ntfy.example.de', undefined, 'credentials.idProblem.ntfyTopic', 'Server und Thema'],
    ['ntfy://ntfy.example.de/a/b', undefined, 'credentials.idProblem.ntfyTopic', 'Server und Thema'],
    ['imap://praxis@mail.example.de:993', undefined, 'credentials.idProblem.scheme', 'smtp:// oder ntfy://'],
  ];
  for (const [id, user, key, text] of cases) {
    const p = problem(id, user);
    assert.is(p.exit, 2, id);
    assert.is(p.key, key, id);
    assert.match(p.text, text, id);
    assert.match(p.text, 'Beispiele: smb://praxis@nas.local/backup', id);
  }
});

test('the ids a config looks up are exactly what parseCredentialId makes of them', () => {
  const config = validateConfig(
    {
      backupDir: '/srv/backup',
      components: [
        { name: 'datenbank', type: 'postgres', database: 'tomedo' },
        { name: 'elexis', type: 'mysql', database: 'elexis', port: 3307 },
        { name: 'files', type: 'folder', path: '/srv/files' },
        { name: 'medoff', type: 'firebird', database: '/srv/medoff/Praxis Müller.fdb' },
      ],
      mirrors: [{ name: 'nas', type: 'smb', url: 'smb://nas.local:4455/Praxis%20Daten/tomedo', user: 'praxis' }],
    },
    'test.json',
  );
  const ids = configuredIds(config);
  assert.equal(ids, [
    { id: 'postgres://postgres@localhost:5432/tomedo', name: 'datenbank' },
    { id: 'mariadb://root@127.0.0.1:3307/elexis', name: 'elexis' },
    // A Firebird database is a file on the server: its path stays whole in the id.
    { id: 'firebird://SYSDBA@localhost:3050//srv/medoff/Praxis Müller.fdb', name: 'medoff' },
    { id: 'smb://praxis@nas.local:4455/Praxis%20Daten', name: 'nas' },
  ]);
  for (const { id } of ids) assert.is(parseCredentialId(id).id, id, 'round trip');
});

test.run();
