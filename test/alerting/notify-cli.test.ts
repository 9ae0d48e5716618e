// `praxis-backup notify test` as the admin and the settings window run it (dist/cli.js, own HOME),
// against a real SMTP server and a real HTTP server on 127.0.0.1: what it says per channel, its
// --json lines, its exit codes (0 all good, 1 one failed, 2 not set up), that the password shows up
// nowhere, and that a test queues nothing.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allText, cliEnv, runCli, type CliEnv } from '../helpers/cli';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

let smtp: TestSmtp;
let http: HttpRecorder;
test.before(
  visibly(async () => {
    smtp = await startSmtpServer();
    http = await startHttpRecorder();
  }),
);
test.after(visibly(runCleanups));

interface Setup {
  env: CliEnv;
  config: string;
}

async function setup(notify: Record<string, unknown> | undefined, extraEnv: Record<string, string> = {}): Promise<Setup> {
  const root = await makeTempDir('praxis-notify-cli');
  await mkdir(join(root, 'files'));
  const config = join(root, 'config.json');
  await writeFile(
    config,
    JSON.stringify({ practiceName: 'Praxis Dr. Müller', backupDir: join(root, 'backup'), components: [{ name: 'files', type: 'folder', path: join(root, 'files') }], ...(notify ? { notify } : {}) }),
  );
  // The keyring stays out: secrets come from the environment (PRAXIS_BACKUP_PASSWORD_SMTP), as in a scripted setup.
  const env = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_TEST_NOW: '2026-11-24T08:00:00Z', TZ: 'Europe/Berlin', ...extraEnv });
  return { env, config };
}

const email = () => ({ host: '127.0.0.1', port: smtp.port, tls: 'starttls', user: smtp.user, from: 'praxis@example.test', to: ['it@example.test'], allowSelfSigned: true });

test('no notify in the config: exit 2, the message names the key to add', async () => {
  const s = await setup(undefined);
  const r = await runCli(['notify', 'test', '--config', s.config], s.env.env);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /"notify" mit mindestens einem von "email", "ntfy", "webhook" oder "heartbeat" ergänzen/);
});

test('an unknown channel, and one that is not set up: exit 2 naming it', async () => {
  const s = await setup({ email: email() }, { PRAXIS_BACKUP_PASSWORD_SMTP: smtp.password });
  const unknown = await runCli(['notify', 'test', 'fax', '--config', s.config], s.env.env);
  assert.is(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /Unbekannter Weg „fax“/);
  const missing = await runCli(['notify', 'test', 'ntfy', '--config', s.config], s.env.env);
  assert.is(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /bitte notify\.ntfy ergänzen\. Eingerichtet: email\./);
});

test('wrong SMTP password: exit 1, names the failed login and the credential id; the password is nowhere; nothing queued', async () => {
  const wrong = 'falsch-und-geheim-42';
  const s = await setup({ email: email() }, { PRAXIS_BACKUP_PASSWORD_SMTP: wrong });
  const r = await runCli(['notify', 'test', 'email', '--config', s.config], s.env.env);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^FEHLER  E-Mail: Die Anmeldung als praxis@example\.test an 127\.0\.0\.1:\d+ wurde abgelehnt \(535/m);
  assert.ok(r.stdout.includes(`praxis-backup credentials set smtp://${smtp.user}@127.0.0.1:${smtp.port}`), r.stdout);
  assert.match(r.stdout, /1 von 1 Wegen funktionieren nicht/);
  assert.not.ok((r.stdout + r.stderr).includes(wrong));
  assert.not.ok(allText(s.env.home).includes(wrong));
  assert.not.ok(existsSync(join(s.env.stateDir, 'outbox')), 'a test queues nothing');
});

test('every channel set up and working: exit 0, one line each, the mail arrives, heartbeat uses /log; --json gives NotifyTestLines', async () => {
  const s = await setup(
    {
      language: 'de',
      email: email(),
      ntfy: { url: `${http.url}/ntfy/praxis-backup` },
      webhook: { url: `${http.url}/hooks/praxis?token=geheim123` },
      heartbeat: { url: `${http.url}/ping/2f9c-uuid` },
    },
    { PRAXIS_BACKUP_PASSWORD_SMTP: smtp.password },
  );
  const mailsBefore = smtp.messages.length;
  const reqBefore = http.requests.length;
  const r = await runCli(['notify', 'test', '--config', s.config], s.env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 5, r.stdout);
  assert.match(lines[0]!, /^OK      E-Mail an it@example\.test: verbunden mit 127\.0\.0\.1:\d+, TLS \(STARTTLS\), angemeldet als praxis@example\.test, angenommen \(250/);
  assert.match(lines[1]!, /^OK      ntfy: http:\/\/127\.0\.0\.1:\d+ hat die Nachricht angenommen \(HTTP 200\)\.$/);
  assert.match(lines[2]!, /^OK      Webhook: /);
  assert.match(lines[3]!, /^OK      Heartbeat: .*Protokolleintrag/);
  assert.is(lines[4], 'Alle 4 Wege funktionieren.');
  assert.not.ok(r.stdout.includes('geheim123') || r.stdout.includes('2f9c-uuid'), 'URLs are shown by origin only');

  const [mail] = (await smtp.waitForMessages(mailsBefore + 1)).slice(mailsBefore);
  assert.is(mail!.subject, 'Praxis-Backup Praxis Dr. Müller: Testnachricht');
  assert.match(mail!.text, /Dies ist eine Testnachricht von Praxis-Backup .* gesendet am 24\.11\.2026, 09:00\./);
  const reqs = (await http.waitForRequests(reqBefore + 3)).slice(reqBefore);
  const beat = reqs.find((q) => q.path.startsWith('/ping/'))!;
  assert.equal([beat.method, beat.path], ['POST', '/ping/2f9c-uuid/log'], 'a test is neither a good run nor an alarm');
  const ntfy = reqs.find((q) => q.path.startsWith('/ntfy'))!;
  assert.equal([ntfy.method, ntfy.path, JSON.parse(ntfy.body).topic], ['POST', '/ntfy/', 'praxis-backup']);
  assert.not.ok(existsSync(join(s.env.stateDir, 'outbox')), 'a test queues nothing');

  const j = await runCli(['notify', 'test', 'webhook', '--config', s.config, '--json'], s.env.env);
  assert.is(j.code, 0, j.stderr);
  assert.equal(j.events.length, 1);
  assert.equal({ ...j.events[0], message: undefined }, { type: 'channel', channel: 'webhook', ok: true, message: undefined });
  assert.match(j.events[0]!.message, /Webhook: http:\/\/127\.0\.0\.1:\d+ hat die Nachricht angenommen/);
});

test('one channel failing (webhook answers 500): exit 1, the others still OK; --json carries stage and status', async () => {
  http.setStatus('/hooks/broken', 500);
  const s = await setup({ ntfy: { url: `${http.url}/praxis` }, webhook: { url: `${http.url}/hooks/broken` } }, { PRAXIS_BACKUP_LANG: 'en' });
  const r = await runCli(['notify', 'test', '--config', s.config, '--json'], s.env.env);
  assert.is(r.code, 1, r.stderr);
  const byChannel = Object.fromEntries(r.events.map((e) => [e.channel, e]));
  assert.equal([byChannel.ntfy.ok, byChannel.webhook.ok, byChannel.webhook.stage], [true, false, 'http']);
  assert.match(byChannel.webhook.message, /^Webhook: http:\/\/127\.0\.0\.1:\d+ answered HTTP 500/);
});

test('Uptime Kuma heartbeat test: reports "down" with a message saying it is a test (never a false all-clear)', async () => {
  const s = await setup({ heartbeat: { url: `${http.url}/api/push/kumaToken1?status=up&msg=OK&ping=`, style: 'uptime-kuma' } });
  const before = http.requests.length;
  const r = await runCli(['notify', 'test', 'heartbeat', '--config', s.config], s.env.env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Uptime Kuma kennt keine neutrale Meldung/);
  const [req] = (await http.waitForRequests(before + 1)).slice(before);
  assert.equal([req!.method, req!.path, req!.query.status, req!.query.ping], ['GET', '/api/push/kumaToken1', 'down', undefined]);
  assert.match(req!.query.msg!, /^Test von Praxis-Backup auf .* – kein Fehler/);
});

test('credentials set refuses bad smtp:// and ntfy:// ids with exit 2 naming the problem (before asking for a password)', async () => {
  const s = await setup(undefined);
  const noPort = await runCli(['credentials', 'set', 'smtp://praxis@mail.example.de'], s.env.env);
  assert.is(noPort.code, 2, noPort.stderr);
  assert.match(noPort.stderr, /eine SMTP-Kennung nennt ihn immer/);
  const withUser = await runCli(['credentials', 'set', 'ntfy://praxis@ntfy.example.de/topic'], s.env.env);
  assert.is(withUser.code, 2, withUser.stderr);
  assert.match(withUser.stderr, /ohne Benutzer: ntfy:\/\/server\/thema/);
});

test.run();
