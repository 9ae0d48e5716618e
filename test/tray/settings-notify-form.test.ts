// The „Benachrichtigungen“ part of the settings form (model/notify-form.ts, wired into
// settings-form.ts): the issue's example survives opening and saving unchanged, what the widgets
// hold becomes the config's shape, problems name the field the way the window labels it (through
// the CLI's own validation), secrets go only to the keyring's ids, and the lines of
// `notify test --json` become what the window shows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NotifyTestLine } from '../../src/alerting/contracts';
import { configSchema } from '../../src/config/schema';
import { msg } from '../../src/i18n';
import { notifyConfigOf, notifyFormFrom, recipients, storeNotifySecrets, testOutcome } from '../../src/tray/model/notify-form';
import * as F from '../../src/tray/model/settings-form';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

// The issue's example, as written there.
const ISSUE = {
  email: { host: 'mail.example.de', port: 587, tls: 'starttls', user: 'praxis@example.de', from: 'praxis@example.de', to: ['it-dienstleister@example.de'] },
  ntfy: { url: 'https://ntfy.example.de/praxis-backup' },
  webhook: { url: 'https://monitor.example.de/hooks/praxis' },
  heartbeat: { url: 'https://hc.example.de/ping/2f9c' },
  onSuccess: false,
  weeklySummary: 'monday',
  monthlyReport: true,
};
const BASE = { backupDir: '/srv/backup', components: [{ name: 'files', type: 'folder', path: '/srv/files' }] };

test('opening and saving changes nothing: the issue’s example and a file without notify', () => {
  const withNotify = { ...clone(BASE), notify: clone(ISSUE) };
  assert.equal(F.configFromForm(F.formFromConfig(withNotify), withNotify), withNotify);
  assert.equal(JSON.stringify(F.configFromForm(F.formFromConfig(withNotify), withNotify)), JSON.stringify(withNotify), 'same key order');
  const without = clone(BASE);
  assert.equal(F.configFromForm(F.formFromConfig(without), without), without, 'no notify key appears');
});

test('what the widgets hold becomes the config: channels on by their address, defaults not written, weekly off is false', () => {
  const form = F.formFromConfig(clone(BASE));
  const n = form.notify;
  n.email = { host: ' mail.praxis.de ', port: '465', tls: 'tls', user: '', from: 'praxis@praxis.de', to: 'a@praxis.de,  b@it.de;c@it.de\nd@it.de', allowSelfSigned: true };
  n.heartbeatUrl = 'https://kuma.it.de/api/push/x';
  n.heartbeatStyle = 'uptime-kuma';
  n.weeklySummary = '';
  n.language = 'en';
  const checked = F.checkForm(form, clone(BASE), 'de');
  assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.problems));
  assert.equal(checked.raw.notify, {
    language: 'en',
    email: { host: 'mail.praxis.de', port: 465, tls: 'tls', from: 'praxis@praxis.de', to: ['a@praxis.de', 'b@it.de', 'c@it.de', 'd@it.de'], allowSelfSigned: true },
    heartbeat: { url: 'https://kuma.it.de/api/push/x', style: 'uptime-kuma' },
    weeklySummary: false,
  });
  // Emptying every channel of an existing section keeps the section's own switches, drops the channels.
  const back = F.formFromConfig({ ...clone(BASE), notify: clone(ISSUE) });
  back.notify.email = { ...back.notify.email, host: '', from: '', to: '', user: '' };
  back.notify.ntfyUrl = back.notify.webhookUrl = back.notify.heartbeatUrl = '';
  assert.equal(notifyConfigOf(back.notify), { onSuccess: false, weeklySummary: 'monday', monthlyReport: true });
  assert.equal(recipients(' x@y.de , ,z@y.de '), ['x@y.de', 'z@y.de']);
});

test('problems name the field as the window labels it, through the CLI’s validation', () => {
  const form = F.formFromConfig({ ...clone(BASE), notify: clone(ISSUE) });
  form.notify.email.to = 'it@example.de, kein-at-zeichen';
  form.notify.email.port = '58x';
  form.notify.ntfyUrl = 'ftp://ntfy.example.de/x';
  const r = F.checkForm(form, null, 'de');
  assert.not.ok(r.ok);
  const by = new Map(!r.ok ? r.problems.map((p) => [p.field, p]) : []);
  assert.equal([...by.keys()].sort(), ['notify.email.port', 'notify.email.to', 'notify.ntfy.url']);
  assert.match(by.get('notify.email.to')!.message, /^E-Mail: Empfänger/);
  assert.is(by.get('notify.email.to')!.path, 'notify.email.to[1]');
  assert.match(by.get('notify.email.port')!.message, /^E-Mail: Port/);
  assert.is(by.get('notify.email.port')!.problem.key, 'config.problem.notInteger');
  assert.match(by.get('notify.ntfy.url')!.message, /^Push \(ntfy\): Adresse/);
  // A password in the config is refused by the schema, and the window never writes one: there is no field for it.
  assert.not.ok('password' in (F.configFromForm(form, null).notify as { email: object }).email);
});

test('secrets: the SMTP password under smtp://user@host:port, the token under ntfy://host/topic; nothing without a login', async () => {
  const stored = new Map<string, string>();
  const store = { storeName: msg('secretStore.name.linux'), set: async (id: string, s: string) => void stored.set(id, s) };
  const cfg = configSchema.parse({ ...clone(BASE), notify: { ...clone(ISSUE), ntfy: { url: 'https://ntfy.example.de/praxis-backup', token: true } } }).notify;
  const r = await storeNotifySecrets(store, cfg, { smtpPassword: 'pw-Ä1', ntfyToken: 'tk_9' }, 'de');
  assert.is(r!.kind, 'ok');
  assert.equal([...stored], [['smtp://praxis@example.de@mail.example.de:587', 'pw-Ä1'], ['ntfy://ntfy.example.de/praxis-backup', 'tk_9']]);
  assert.ok(r!.text.includes('smtp://praxis@example.de@mail.example.de:587'));
  assert.not.ok(r!.text.includes('pw-Ä1'), 'the message names the id, never the secret');
  assert.is(await storeNotifySecrets(store, cfg, { smtpPassword: '', ntfyToken: '' }, 'de'), null, 'nothing typed: keyring untouched');
  const noLogin = configSchema.parse({ ...clone(BASE), notify: { email: { ...ISSUE.email, user: undefined } } }).notify;
  stored.clear();
  const refused = await storeNotifySecrets(store, noLogin, { smtpPassword: 'pw', ntfyToken: '' }, 'de');
  assert.is(refused!.kind, 'warning');
  assert.match(refused!.text, /nur mit einem Anmeldenamen/);
  assert.is(stored.size, 0);
  const failing = { storeName: store.storeName, set: async () => Promise.reject(new Error('The name org.freedesktop.secrets was not provided')) };
  const failed = await storeNotifySecrets(failing, cfg, { smtpPassword: 'pw', ntfyToken: '' }, 'de');
  assert.is(failed!.kind, 'warning');
  assert.match(failed!.text, /das Passwort aber NICHT: The name org\.freedesktop\.secrets/);
});

test('„Test senden“: ✓ / × per channel with the CLI’s words, a summary; no lines → why', () => {
  const lines: NotifyTestLine[] = [
    { type: 'channel', channel: 'email', ok: false, stage: 'auth', message: 'Anmeldung abgelehnt (535 Authentication failed).' },
    { type: 'channel', channel: 'heartbeat', ok: true, message: 'angenommen (HTTP 200).' },
  ];
  const exit = { exitCode: 1, signal: null, summary: null, stderrTail: [] };
  assert.equal(testOutcome('de', lines, exit), {
    lines: ['× E-Mail: Anmeldung abgelehnt (535 Authentication failed).', '✓ Heartbeat: angenommen (HTTP 200).', '1 von 2 Wegen sind fehlgeschlagen (×): bitte die Angaben prüfen.'],
    tone: 'error',
  });
  assert.is(testOutcome('en', [lines[1]!], { ...exit, exitCode: 0 }).lines.at(-1), 'All 1 ways worked.');
  // A message that names its channel already is not prefixed twice.
  assert.is(testOutcome('de', [{ ...lines[0]!, message: 'E-Mail: Keine Verbindung zu 127.0.0.1:1.' }], exit).lines[0], '× E-Mail: Keine Verbindung zu 127.0.0.1:1.');
  const none = testOutcome('de', [], { ...exit, exitCode: 2, stderrTail: ['In der Konfiguration fehlt „notify“.'] });
  assert.equal(none, { lines: ['Test nicht möglich: In der Konfiguration fehlt „notify“.'], tone: 'error' });
  assert.is(notifyFormFrom(undefined).weeklySummary, 'monday', 'the default shown for a new section');
});

test.run();
