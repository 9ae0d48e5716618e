// The settings window's „Benachrichtigungen“ section on a real X display with real peers: a private
// gnome-keyring (the SMTP password goes there, never into the config), a real SMTP server with
// STARTTLS and a self-signed certificate, a real HTTP server standing in for ntfy and the heartbeat
// monitor, and the built CLI's `notify test --json` behind „Test senden“. What the section shows is
// read from its widgets; screenshots into test-output/screenshots/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose } from '../../src/app/compose';
import type { SettingsWindow as Window } from '../../src/tray/windows/settings-window';
import { CLI } from '../helpers/cli';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { startQt, type TestQt } from '../helpers/qt';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

const test = suite('settings window: notifications (Xvfb, real keyring, SMTP and HTTP peers, real CLI)');

let q: TestQt;
let kr: TestKeyring;
let smtp: TestSmtp;
let http: HttpRecorder;
let win: Window;
let configFile: string;
const ORIGINAL = { backupDir: '/srv/praxis-backup', components: [{ name: 'files', type: 'folder', path: '/srv/tomedo/files' }], retention: { keep: 10 } };

const readConfig = () => JSON.parse(readFileSync(configFile, 'utf8'));
const n = () => win.notifyWidgets!;
const w = () => win.widgets!;

test.before(visibly(async () => {
  q = await startQt();
  [kr, smtp, http] = await Promise.all([startKeyring(), startSmtpServer(), startHttpRecorder()]);
  // The window stores secrets in this process (keytar): point it at the private keyring, keep the display.
  const { DISPLAY } = process.env;
  Object.assign(process.env, kr.env, DISPLAY ? { DISPLAY } : {});
  const dir = await makeTempDir('settings-notify');
  configFile = join(dir, 'config.json');
  mkdirSync(join(dir, 'home'), { recursive: true });
  writeFileSync(configFile, JSON.stringify(ORIGINAL, null, 2) + '\n');
  const { SettingsWindow } = await import('../../src/tray/windows/settings-window');
  win = new SettingsWindow({ app: compose(process.env), configFile, lang: 'de', cli: CLI, now: () => new Date('2026-12-02T08:00:00+01:00') });
  win.show();
  await win.ready;
  await q.settle(300);
}));
test.after(runCleanups);

test('a config without notify opens with an empty section; the allowSelfSigned warning follows its checkbox', async () => {
  assert.is(n().host.text(), '');
  assert.is(n().weekly.currentText(), 'jeden Montag', 'the default is shown');
  assert.ok(n().monthly.isChecked());
  assert.not.ok(n().selfSignedWarning.isVisible());
  n().allowSelfSigned.setChecked(true);
  await q.settle(50);
  assert.ok(n().selfSignedWarning.isVisible());
  assert.match(n().selfSignedWarning.text(), /Zertifikat des Mailservers wird nicht geprüft.*Passwort abgreifen/s);
  win.reveal(n().selfSignedWarning);
  await q.settle(200);
  await q.display.screenshot('settings-notify-selfsigned.png');
  n().allowSelfSigned.setChecked(false);
  await q.settle(50);
  assert.not.ok(n().selfSignedWarning.isVisible());
});

test('a bad recipient: nothing saved, the red line names „E-Mail: Empfänger“', async () => {
  n().host.setText('127.0.0.1');
  n().from.setText('praxis@example.test');
  n().to.setText('it@example.test, kein-at-zeichen');
  w().save.click();
  await q.until('the problem is shown', () => n().emailError.isVisible());
  assert.match(n().emailError.text(), /^E-Mail: Empfänger/);
  assert.equal(readConfig(), ORIGINAL, 'the file is unchanged');
});

test('the section round-trips into the config file; the password goes to the keyring only', async () => {
  n().port.setText(String(smtp.port));
  n().user.setText(smtp.user);
  n().password.setText(smtp.password);
  n().to.setText('it@example.test, aerztin@example.test');
  n().allowSelfSigned.setChecked(true); // the test server's certificate is self-signed
  n().ntfyUrl.setText(`${http.url}/praxis-backup`);
  n().heartbeatUrl.setText(`${http.url}/ping/abc`);
  n().weekly.setCurrentIndex(5); // Friday
  n().monthly.setChecked(false);
  await q.settle(50);
  w().save.click();
  await q.until('saved', () => /Gespeichert/.test(w().summary.text()));
  assert.not.ok(n().emailError.isVisible(), n().emailError.text());
  const id = `smtp://${smtp.user}@127.0.0.1:${smtp.port}`;
  assert.ok(w().summary.text().includes(`Gespeichert im Schlüsselbund (Secret Service): ${id}.`), w().summary.text());
  assert.equal(readConfig().notify, {
    email: { host: '127.0.0.1', port: smtp.port, user: smtp.user, from: 'praxis@example.test', to: ['it@example.test', 'aerztin@example.test'], allowSelfSigned: true },
    ntfy: { url: `${http.url}/praxis-backup` },
    heartbeat: { url: `${http.url}/ping/abc` },
    weeklySummary: 'friday',
    monthlyReport: false,
  });
  assert.not.ok(readFileSync(configFile, 'utf8').includes(smtp.password), 'no password in the config');
  assert.is(await kr.lookup(id), smtp.password, 'the password is in the keyring under the id the deliverer uses');
  assert.is(n().password.text(), '', 'the field is emptied once stored');
  await q.until('the note says a password is stored', () => n().passwordNote.text().includes('ist im Schlüsselbund gespeichert'));
  // Opening again shows what was saved.
  win.close();
  win.show();
  await win.ready;
  await q.settle(200);
  assert.is(n().port.text(), String(smtp.port));
  assert.is(n().to.text(), 'it@example.test, aerztin@example.test');
  assert.is(n().weekly.currentText(), 'jeden Freitag');
  assert.ok(n().allowSelfSigned.isChecked() && n().selfSignedWarning.isVisible());
});

test('„Test senden“ runs notify test: ✓ per working channel, the mail and the requests arrive', async () => {
  const mails = smtp.messages.length;
  const requests = http.requests.length;
  n().test.click();
  await q.until('the test answered', () => /Wege haben funktioniert|fehlgeschlagen|nicht möglich/.test(n().testResult.text()), 60_000);
  const lines = n().testResult.text().split('\n');
  assert.equal(lines.map((l) => l.slice(0, 2)), ['✓ ', '✓ ', '✓ ', 'Al'], n().testResult.text());
  assert.ok(lines.some((l) => l.startsWith('✓ E-Mail')) && lines.some((l) => l.startsWith('✓ ntfy')) && lines.some((l) => l.startsWith('✓ Heartbeat')), lines.join('\n'));
  assert.not.ok(lines.some((l) => /^. (E-Mail|ntfy|Heartbeat): \1/.test(l)), 'no channel named twice');
  assert.is(lines.at(-1), 'Alle 3 Wege haben funktioniert.');
  await smtp.waitForMessages(mails + 1);
  assert.equal(smtp.messages.at(-1)!.to.sort(), ['aerztin@example.test', 'it@example.test']);
  assert.is(smtp.messages.at(-1)!.user, smtp.user);
  await http.waitForRequests(requests + 2);
  const paths = http.requests.slice(requests).map((r) => r.path).sort();
  assert.ok(paths.some((p) => p.startsWith('/ping/abc')), paths.join());
  assert.ok(paths.includes('/') || paths.includes('/praxis-backup'), paths.join());
  await q.settle(200); // the result's new height laid out before scrolling to it
  win.reveal(n().testResult);
  await q.settle(200);
  await q.display.screenshot('settings-notify-test-ok.png');
});

test('a wrong SMTP password: × for e-mail with the server’s words, ✓ for the others', async () => {
  n().password.setText('falsches-passwort');
  n().test.click();
  await q.until('the test answered', () => /fehlgeschlagen \(×\)/.test(n().testResult.text()), 60_000);
  const text = n().testResult.text();
  assert.match(text, /^× E-Mail: Die Anmeldung als /m, 'the channel named once, the CLI’s words');
  assert.match(text, /^✓ Heartbeat: /m);
  assert.match(text, /1 von 3 Wegen sind fehlgeschlagen/);
  assert.not.ok(text.includes('falsches-passwort'), 'the typed password is not shown');
  assert.is(n().testResult.property('tone').toString(), 'error');
  await q.settle(200); // the result's new height laid out before scrolling to it
  win.reveal(n().testResult);
  await q.settle(200);
  await q.display.screenshot('settings-notify-test-failed.png');
  assert.ok(existsSync(configFile));
});

test.run();
