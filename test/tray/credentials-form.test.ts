// The credentials popover's model with real parts: a real smbd checks the typed password, a
// private gnome-keyring receives it. Nothing of the password may land in a file.
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose, type App } from '../../src/app/compose';
import { loadConfig } from '../../src/config/load';
import { configuredIds } from '../../src/credentials/credentials-service';
import {
  credentialIdOf,
  CredentialsFormModel,
  loadShareChoices,
  normalise,
  popoverPlacement,
  validate,
  type CredentialsFormValues,
} from '../../src/tray/model/credentials-form';
import { render } from '../../src/i18n';
import type { TestKeyring } from '../helpers/keyring';
import type { SambaServer } from '../helpers/samba';
import { runCleanups, visibly } from '../helpers/temp';
import { filesHolding, startShareAndKeyring } from './share-and-keyring';

const test = suite('tray credentials form (real smbd, real keyring)');

const SMB_PW = ' Praxis "NAS" #1 ö';
const WRONG = 'Falsch-Passwort-XYZ-987';

let kr: TestKeyring;
let smb: SambaServer;
let app: App;
let configFile: string;

test.before(visibly(async () => {
  ({ kr, smb, configFile } = await startShareAndKeyring(SMB_PW, { firstUrl: (url) => `${url}/praxis/nacht`, second: 'smb://nas2.local/Praxis%20Daten' }));
  app = compose(process.env);
}));
test.after(runCleanups);

function form(over: Partial<CredentialsFormValues> = {}): CredentialsFormValues {
  return { server: `127.0.0.1:${smb.port}`, share: smb.share, user: smb.user, password: SMB_PW, ...over };
}

test('prefill: every smb mirror of the config, its id exactly the one the engine looks up', async () => {
  const { choices, problem } = await loadShareChoices(configFile, 'de');
  assert.is(problem, null);
  assert.equal(choices, [
    { mirror: 'nas', server: `127.0.0.1:${smb.port}`, share: 'backup', user: smb.user },
    { mirror: 'zweit-nas', server: 'nas2.local', share: 'Praxis Daten', user: 'admin' },
  ]);
  const engineIds = configuredIds(await loadConfig(configFile)).map((c) => c.id);
  assert.equal(choices.map((c) => credentialIdOf({ ...c, password: 'x' })), engineIds);
  const missing = await loadShareChoices(join(kr.home, 'fehlt.json'), 'de');
  assert.equal(missing.choices, []);
  assert.match(missing.problem!, 'Keine Konfiguration gefunden');
});

test('validation names the empty field; pasted addresses are understood', () => {
  for (const [field, label] of [['server', 'Server'], ['share', 'Freigabe'], ['user', 'Benutzer'], ['password', 'Passwort']] as const) {
    const p = validate(form({ [field]: field === 'password' ? '' : '  ' }));
    assert.is(p?.field, field);
    assert.is(render('de', p!.message), `Bitte „${label}“ ausfüllen.`);
  }
  assert.is(render('en', validate(form({ share: '' }))!.message), 'Please fill in “Share”.');
  assert.equal(normalise(form({ server: `smb://127.0.0.1:${smb.port}/backup/`, share: '' })), form());
  assert.equal(normalise(form({ server: '\\\\nas.local\\backup', share: '' })).server, 'nas.local');
  assert.is(validate(form({ server: 'nas local' }))?.field, 'server');
  assert.is(validate(form({ server: 'nas.local:99999' }))?.field, 'server');
  assert.is(validate(form({ password: ' ' })), null, 'a password of spaces is a password');
});

test('test: the right typed password logs in for real; nothing is stored by testing', async () => {
  const model = new CredentialsFormModel(app.credentials(), 'de');
  const r = await model.test(form());
  assert.ok(r.ok, r.text);
  assert.is(r.text, `Anmeldung als „${smb.user}“ an //127.0.0.1:${smb.port}/backup erfolgreich, Inhalt der Freigabe „backup“ gelesen.`);
  assert.is(await kr.lookup(credentialIdOf(form())), null);
});

test('test: a wrong password, a missing share, a closed port: each its own inline message, no CLI hint, no password', async () => {
  const de = new CredentialsFormModel(app.credentials(), 'de');
  const wrong = await de.test(form({ password: WRONG }));
  assert.not.ok(wrong.ok);
  assert.is(wrong.field, 'password');
  assert.match(wrong.text, 'Benutzername oder Passwort falsch (NT_STATUS_LOGON_FAILURE)');
  assert.not.match(wrong.text, 'praxis-backup credentials');
  assert.not.ok(wrong.text.includes(WRONG));
  const en = await new CredentialsFormModel(app.credentials(), 'en').test(form({ password: WRONG }));
  assert.match(en.text, 'wrong user name or password');
  const share = await de.test(form({ share: 'gibtsnicht' }));
  assert.is(share.field, 'share');
  assert.match(share.text, 'Die Freigabe „gibtsnicht“ gibt es auf');
  const closed = await de.test(form({ server: '127.0.0.1:1' }));
  assert.is(closed.field, 'server');
  assert.match(closed.text, 'ist nicht erreichbar');
  assert.is((await de.test(form({ user: '' }))).text, 'Bitte „Benutzer“ ausfüllen.');
});

test('save: the keyring holds exactly that password under the id; the engine reads it back; no file holds it', async () => {
  const model = new CredentialsFormModel(app.credentials(), 'de');
  const r = await model.save(form());
  assert.ok(r.ok, r.text);
  assert.is(r.text, `Gespeichert: Das Passwort für ${smb.user} an //127.0.0.1:${smb.port}/backup liegt jetzt im Schlüsselbund (Secret Service).`);
  const id = `smb://${smb.user}@127.0.0.1:${smb.port}/backup`;
  assert.is(await kr.lookup(id), SMB_PW, 'secret-tool');
  const config = await loadConfig(configFile);
  assert.is(await app.secretsFor(config).get(id), SMB_PW, 'the engine\'s own lookup');
  const stored = await app.credentials().test(id, config);
  assert.is(stored.usedBy, 'nas');
  // Encrypted keyring file included: the password must not be in any file in plain text.
  assert.equal(filesHolding(kr.dir, SMB_PW.trim()), []);
});

test('save: an invalid form stores nothing', async () => {
  const model = new CredentialsFormModel(app.credentials(), 'de');
  const r = await model.save(form({ share: '', password: 'Anderes-PW' }));
  assert.not.ok(r.ok);
  assert.is(r.field, 'share');
  assert.equal((await app.credentials().list()).map((c) => c.id), [`smb://${smb.user}@127.0.0.1:${smb.port}/backup`]);
});

test('placement: under the click, flipped above near the bottom, never off screen', () => {
  const screen = { x: 0, y: 0, width: 1024, height: 700 };
  const size = { width: 380, height: 300 };
  assert.equal(popoverPlacement({ x: 500, y: 30 }, size, screen), { x: 310, y: 34 });
  assert.equal(popoverPlacement({ x: 1015, y: 30 }, size, screen), { x: 644, y: 34 }, 'tray at the right edge');
  assert.equal(popoverPlacement({ x: 10, y: 690 }, size, screen), { x: 0, y: 386 }, 'tray at the bottom');
  assert.equal(popoverPlacement({ x: 500, y: 350 }, { width: 380, height: 800 }, screen).y, 0, 'taller than the screen: top edge visible');
});

test.run();
