// E-mail against a real SMTP server on 127.0.0.1 (test/helpers/smtp-server.ts: STARTTLS with a
// self-signed certificate made for this run, AUTH PLAIN/LOGIN): what arrives (umlauts, recipients,
// date, attachment), that the certificate is checked unless allowSelfSigned says otherwise, that
// STARTTLS is required, and that every failure names its stage, the server's words and the fix.
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDeliverer, type DeliveryDeps } from '../../src/alerting/deliver';
import type { Notice } from '../../src/alerting/contracts';
import type { NotifyConfig } from '../../src/config/schema';
import { render } from '../../src/i18n';
import { MapStore } from '../helpers/map-store';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { makeTempDir, registerCleanup, runCleanups, visibly } from '../helpers/temp';

const NOW = new Date('2026-11-24T03:20:00Z');

function notice(over: Partial<Notice> = {}): Notice {
  return {
    id: 'failure:run:20261124_031500',
    kind: 'failure',
    severity: 'error',
    subject: 'Praxis-Backup Praxis Dr. Müller: Sicherung fehlgeschlagen – Größe',
    text: 'Die Datenbank „tomedo“ konnte nicht gesichert werden.\nBitte das Passwort prüfen: praxis-backup credentials test …\nÄrztin Jürgen Groß, Köln',
    createdAt: NOW.toISOString(),
    event: { what: 'run', result: 'failed' },
    ...over,
  };
}

function emailConfig(smtp: TestSmtp, over: Partial<NonNullable<NotifyConfig['email']>> = {}): NotifyConfig {
  return {
    language: 'de',
    email: { host: smtp.host, port: smtp.port, tls: 'starttls', user: smtp.user, from: 'praxis@example.test', to: ['it@example.test', 'arzt@example.test'], allowSelfSigned: true, ...over },
    onSuccess: false,
    weeklySummary: false,
    monthlyReport: false,
  };
}

async function deps(password: string | null, smtp: TestSmtp): Promise<DeliveryDeps> {
  const secrets = new MapStore();
  if (password !== null) await secrets.set(`smtp://${smtp.user}@127.0.0.1:${smtp.port}`, password);
  return { secrets, storeName: 'Test-Schlüsselbund', stateDir: await makeTempDir('praxis-email-state'), now: () => NOW, hostname: 'praxis-server', version: '9.9.9', timeoutMs: 10_000 };
}

let smtp: TestSmtp;
test.before(
  visibly(async () => {
    smtp = await startSmtpServer();
  }),
);
test.after(visibly(runCleanups));

test('a failure mail arrives over STARTTLS with login: subject with umlauts, both recipients, body, date, no password', async () => {
  const d = createDeliverer(emailConfig(smtp), await deps(smtp.password, smtp))!;
  const before = smtp.messages.length;
  const [outcome] = await d.send(notice());
  assert.equal(outcome!.ok, true, render('de', outcome!.message));
  assert.match(render('de', outcome!.message), /verbunden mit 127\.0\.0\.1:\d+, TLS \(STARTTLS\), angemeldet als praxis@example\.test, angenommen \(250/);
  const [mail] = (await smtp.waitForMessages(before + 1)).slice(before);
  assert.equal(mail!.subject, 'Praxis-Backup Praxis Dr. Müller: Sicherung fehlgeschlagen – Größe');
  assert.equal(mail!.to.sort(), ['arzt@example.test', 'it@example.test']);
  assert.equal(mail!.from, 'praxis@example.test');
  assert.equal(mail!.user, smtp.user);
  assert.equal(mail!.secure, true, 'sent after STARTTLS');
  assert.ok(mail!.text.includes('Die Datenbank „tomedo“ konnte nicht gesichert werden.\n'), mail!.text);
  assert.ok(mail!.text.includes('Ärztin Jürgen Groß, Köln'));
  assert.equal(new Date(mail!.headers.date!).toISOString(), NOW.toISOString(), 'Date from notice.createdAt, not the wall clock');
  assert.equal(mail!.headers['x-praxis-backup-notice'], 'failure:run:20261124_031500');
  assert.not.ok(mail!.raw.includes(smtp.password));
  assert.not.ok(mail!.raw.includes(Buffer.from(smtp.password).toString('base64')));
});

test('an attachment by path arrives; one gone by the time of sending is left out with a line saying so', async () => {
  const dir = await makeTempDir('praxis-email-att');
  const pdf = join(dir, 'Datensicherungsprotokoll-2026-11.pdf');
  await writeFile(pdf, '%PDF-1.4 Protokoll');
  const d = createDeliverer(emailConfig(smtp), await deps(smtp.password, smtp))!;
  const before = smtp.messages.length;
  const att = [
    { filename: 'Datensicherungsprotokoll-2026-11.pdf', path: pdf, contentType: 'application/pdf' },
    { filename: 'verschwunden.pdf', path: join(dir, 'verschwunden.pdf'), contentType: 'application/pdf' },
  ];
  const [outcome] = await d.send(notice({ id: 'monthlyReport:2026-11', kind: 'monthlyReport', severity: 'info', attachments: att }));
  assert.equal(outcome!.ok, true, render('de', outcome!.message));
  const [mail] = (await smtp.waitForMessages(before + 1)).slice(before);
  assert.equal(mail!.attachments.map((a) => [a.filename, a.contentType, a.content.toString()]), [['Datensicherungsprotokoll-2026-11.pdf', 'application/pdf', '%PDF-1.4 Protokoll']]);
  assert.match(mail!.text, /Der Anhang „verschwunden\.pdf“ fehlt/);
});

test('self-signed certificate: refused without allowSelfSigned (stage tls, the hint names allowSelfSigned and its risk), nothing sent', async () => {
  const d = createDeliverer(emailConfig(smtp, { allowSelfSigned: false }), await deps(smtp.password, smtp))!;
  const before = smtp.messages.length;
  const [outcome] = await d.test(undefined, notice());
  assert.equal([outcome!.ok, outcome!.stage], [false, 'tls']);
  const text = render('de', outcome!.message);
  assert.match(text, /"allowSelfSigned": true/);
  assert.match(text, /selbst signiert/);
  assert.match(text, /mitlesen/);
  assert.match(render('en', outcome!.message), /self-signed/);
  assert.equal(smtp.messages.length, before);
});

test('wrong password: stage auth with the server reply 535, the credential id and the command to fix it; the password is in no message', async () => {
  const d = createDeliverer(emailConfig(smtp), await deps('falsches-Passwort-9', smtp))!;
  const failedBefore = smtp.failedLogins;
  const [outcome] = await d.test('email', notice());
  assert.equal([outcome!.ok, outcome!.stage], [false, 'auth']);
  const text = render('de', outcome!.message);
  assert.match(text, /535/);
  assert.ok(text.includes(`praxis-backup credentials set smtp://${smtp.user}@127.0.0.1:${smtp.port}`), text);
  assert.not.ok(text.includes('falsches-Passwort-9'));
  assert.not.ok(JSON.stringify(outcome).includes('falsches-Passwort-9'));
  assert.ok(smtp.failedLogins > failedBefore, 'the server really refused a login');
});

test('no password stored: stage secret naming the id and the store, no connection made', async () => {
  const d = createDeliverer(emailConfig(smtp), await deps(null, smtp))!;
  const [outcome] = await d.test('email', notice());
  assert.equal([outcome!.ok, outcome!.stage], [false, 'secret']);
  assert.equal(
    render('de', outcome!.message),
    `E-Mail: Für smtp://${smtp.user}@127.0.0.1:${smtp.port} ist im Test-Schlüsselbund kein Passwort gespeichert. Speichern mit: praxis-backup credentials set smtp://${smtp.user}@127.0.0.1:${smtp.port}`,
  );
});

test('a server without STARTTLS: "starttls" never falls back to plain text (stage tls, says why)', async () => {
  const plain = await startSmtpServer({ hideStartTls: true, allowInsecureAuth: true });
  // The server does not even advertise STARTTLS: requireTLS still insists, and the server refuses.
  const cfg = emailConfig(plain);
  const d = createDeliverer(cfg, await deps(plain.password, plain))!;
  const [outcome] = await d.test('email', notice());
  assert.equal([outcome!.ok, outcome!.stage], [false, 'tls']);
  assert.match(render('de', outcome!.message), /bietet keine Verschlüsselung \(STARTTLS\)/);
  assert.equal(plain.messages.length, 0, 'nothing went out unencrypted');
  await plain.stop();
});

test('a relay without login ("user" absent, authOptional server): no AUTH, delivered', async () => {
  const relay = await startSmtpServer({ authOptional: true });
  const cfg = emailConfig(relay, { user: undefined });
  const d = createDeliverer(cfg, await deps(null, relay))!;
  const [outcome] = await d.send(notice());
  assert.equal(outcome!.ok, true, render('de', outcome!.message));
  assert.match(render('de', outcome!.message), /ohne Anmeldung/);
  const [mail] = await relay.waitForMessages(1);
  assert.equal(mail!.user, null);
  await relay.stop();
});

test('a relay that wants a login but the config names no user: stage auth telling to add "user"', async () => {
  const d = createDeliverer(emailConfig(smtp, { user: undefined }), await deps(null, smtp))!;
  const [outcome] = await d.test('email', notice());
  assert.equal([outcome!.ok, outcome!.stage], [false, 'auth']);
  assert.match(render('de', outcome!.message), /"user" in notify\.email eintragen/);
});

test('a refused recipient: stage send with the server words (550) and what to check', async () => {
  const strict = await startSmtpServer({ rejectRecipients: ['niemand@example.test'] });
  const cfg = emailConfig(strict, { to: ['niemand@example.test'] });
  const d = createDeliverer(cfg, await deps(strict.password, strict))!;
  const [outcome] = await d.test('email', notice());
  assert.equal([outcome!.ok, outcome!.stage], [false, 'send']);
  const text = render('de', outcome!.message);
  assert.match(text, /550/);
  assert.match(text, /notify\.email\.to/);
  await strict.stop();
});

test('nobody listening: stage connect naming host and port and what to check', async () => {
  const gone = await startSmtpServer();
  await gone.stop();
  const d = createDeliverer(emailConfig(gone), await deps(gone.password, gone))!;
  const [outcome] = await d.test('email', notice());
  assert.equal([outcome!.ok, outcome!.stage], [false, 'connect']);
  const text = render('de', outcome!.message);
  assert.match(text, new RegExp(`127\\.0\\.0\\.1:${gone.port}`));
  assert.match(text, /ECONNREFUSED/);
  assert.match(text, /Firewall/);
});

test('"tls": "tls" (port 465 style) against an implicit-TLS server: delivered encrypted; against a STARTTLS port: stage tls saying port and "tls" must fit', async () => {
  const implicit = await startSmtpServer({ implicitTls: true });
  const ok = createDeliverer(emailConfig(implicit, { tls: 'tls' }), await deps(implicit.password, implicit))!;
  const [sent] = await ok.send(notice());
  assert.equal(sent!.ok, true, render('de', sent!.message));
  assert.match(render('de', sent!.message), /, TLS, angemeldet/);
  const [mail] = await implicit.waitForMessages(1);
  assert.is(mail!.secure, true);
  await implicit.stop();

  const mismatch = createDeliverer(emailConfig(smtp, { tls: 'tls' }), await deps(smtp.password, smtp))!;
  const [o] = await mismatch.test('email', notice());
  assert.equal([o!.ok, o!.stage], [false, 'tls'], render('de', o!.message));
  assert.match(render('de', o!.message), /587 mit "starttls", 465 mit "tls"/);
});

test('"tls": "none" to a LAN relay: plain SMTP on purpose (no STARTTLS attempted), delivered', async () => {
  const relay = await startSmtpServer({ authOptional: true });
  const d = createDeliverer(emailConfig(relay, { tls: 'none', user: undefined }), await deps(null, relay))!;
  const [o] = await d.send(notice());
  assert.equal(o!.ok, true, render('de', o!.message));
  assert.match(render('de', o!.message), /unverschlüsselt, ohne Anmeldung/);
  const [mail] = await relay.waitForMessages(1);
  assert.is(mail!.secure, false);
  await relay.stop();
});

test('a server that accepts the connection but never greets: stage timeout after the injected timeout; the call resolves', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  registerCleanup(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => silent.close(() => r()));
  });
  const port = (silent.address() as AddressInfo).port;
  const cfg = emailConfig({ ...smtp, port } as TestSmtp);
  const d = createDeliverer(cfg, { ...(await deps(smtp.password, { ...smtp, port } as TestSmtp)), timeoutMs: 300 })!;
  const [o] = await d.test('email', notice());
  assert.equal([o!.ok, o!.stage], [false, 'timeout'], render('de', o!.message));
  assert.match(render('de', o!.message), new RegExp(`127\\.0\\.0\\.1:${port} antwortet nicht mehr`));
});

test.run();
