// A failing nightly backup reaches a mailbox: the real CLI (dist/cli.js) backs up a real
// PostgreSQL with a wrong password and mails a real SMTP server (STARTTLS, AUTH) on 127.0.0.1.
// Exactly one mail, with the reason, the host, the log's last lines — and the password nowhere.
// With the mail server down the backup's exit code is the same and the notice waits in the
// outbox; the next run, with the server back, delivers it, once.
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allText, cliEnv, runCli } from '../helpers/cli';
import { startPostgres, type PgServer } from '../helpers/postgres';
import { createSamplePostgres } from '../helpers/sample-practice';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';
import { emailConfig } from './notify-practice';

const test = suite('a failed backup is mailed');

let pg: PgServer;
let smtp: TestSmtp;
test.before(
  visibly(async () => {
    pg = await startPostgres();
    await createSamplePostgres(pg, 'tomedo', { patients: 20, visitsPerPatient: 2 });
    smtp = await startSmtpServer();
  }),
);
test.after(visibly(runCleanups));

const WRONG = 'falsches-Passwort-7731';

async function setup(extra: Record<string, string> = {}) {
  const root = await makeTempDir('praxis-failure-mail');
  await mkdir(join(root, 'backups'));
  const config = join(root, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      practiceName: 'Praxis Dr. Test',
      backupDir: join(root, 'backups'),
      components: [{ name: 'datenbank', type: 'postgres', database: 'tomedo', host: '127.0.0.1', port: pg.port, user: pg.user }],
      notify: { language: 'de', email: emailConfig(smtp) },
    }),
  );
  const env = await cliEnv(root, {
    PRAXIS_BACKUP_KEYRING: 'off',
    PRAXIS_BACKUP_PASSWORD_DATENBANK: WRONG,
    PRAXIS_BACKUP_PASSWORD_SMTP: smtp.password,
    TZ: 'Europe/Berlin',
    ...extra,
  });
  return { root, config, env };
}

const outboxFiles = (stateDir: string) => {
  try {
    return readdirSync(join(stateDir, 'outbox')).filter((n) => n.endsWith('.json') && n !== 'dropped.json');
  } catch {
    return [];
  }
};

test('wrong database password: exit 1, exactly one mail with reason, what to do, host, time and log lines; no password anywhere', async () => {
  const s = await setup({ PRAXIS_BACKUP_TEST_NOW: '2026-11-24T02:15:00Z' });
  const before = smtp.messages.length;
  const r = await runCli(['run', '--config', s.config], s.env.env);
  assert.is(r.code, 1, r.stderr);
  // The CLI awaited the send before it exited: what the server accepted is all there will be.
  const mails = smtp.messages.slice(before);
  assert.is(mails.length, 1, mails.map((m) => m.subject).join(' | '));
  const m = mails[0]!;
  assert.is(m.subject, 'Praxis-Backup Praxis Dr. Test: Sicherung fehlgeschlagen');
  assert.equal(m.to, ['it@example.test']);
  assert.ok(m.secure, 'sent over STARTTLS');
  assert.match(m.text, new RegExp(`^Die Sicherung auf ${hostname().replace(/[.]/g, '\\.')} ist fehlgeschlagen:`));
  // The reason as the admin at the server reads it: the database refused the login.
  assert.match(m.text, /:\nKeine Verbindung zur Datenbank „tomedo“ auf 127\.0\.0\.1:\d+ als praxis_admin: .*password authentication failed/);
  assert.match(m.text, /Was tun: /);
  assert.match(m.text, /Es gibt noch keine gelungene Sicherung\./);
  assert.match(m.text, new RegExp(`Rechner: ${hostname().replace(/[.]/g, '\\.')}`));
  assert.match(m.text, /Zeit: 24\.11\.2026 03:15 \(UTC\+01:00\)/);
  assert.match(m.text, /Backup: 20261124_031500/);
  assert.match(m.text, /Letzte Zeilen des Protokolls:\n03:15:\d\d /);
  assert.match(m.text, /\n03:15:\d\d Backup 20261124_031500 gestartet/);
  // The wrong password is in the mail, the outbox, the logs and status nowhere.
  assert.not.ok(m.raw.includes(WRONG), 'password in the mail');
  assert.not.ok(allText(s.env.stateDir).includes(WRONG), 'password in the state folder (logs, status, outbox)');
  assert.not.ok(m.raw.includes(smtp.password), 'SMTP password in the mail');
  assert.equal(outboxFiles(s.env.stateDir), [], 'delivered: nothing queued');
});

test('mail server down: the exit code is the backup’s, the notice is queued; the next run delivers it once', async () => {
  const s = await setup({ PRAXIS_BACKUP_TEST_NOW: '2026-11-25T02:15:00Z', PRAXIS_BACKUP_NOTIFY_TIMEOUT_MS: '3000' });
  await smtp.stop();
  let restarted = false;
  try {
    const down = await runCli(['run', '--config', s.config], s.env.env);
    assert.is(down.code, 1, down.stderr);
    const queued = outboxFiles(s.env.stateDir);
    assert.is(queued.length, 1, 'one notice, one channel');
    assert.not.ok(allText(join(s.env.stateDir, 'outbox')).includes(WRONG));
    await smtp.start();
    restarted = true;
  } finally {
    if (!restarted) await smtp.start();
  }
  const before = smtp.messages.length;
  // The next night: the server is back. The queued notice goes first, then tonight's own.
  const next = await runCli(['run', '--config', s.config], { ...s.env.env, PRAXIS_BACKUP_TEST_NOW: '2026-11-26T02:15:00Z' });
  assert.is(next.code, 1, next.stderr);
  const mails = smtp.messages.slice(before);
  const of = (id: string) => mails.filter((m) => m.text.includes(`Backup: ${id}`));
  assert.is(of('20261125_031500').length, 1, 'the queued notice, delivered once');
  assert.is(of('20261126_031500').length, 1, 'the new one');
  assert.is(mails.length, 2);
  assert.equal(outboxFiles(s.env.stateDir), []);
  // And nothing more: a later look (status) finds the outbox empty and sends it no second time.
  await runCli(['status', '--config', s.config], { ...s.env.env, PRAXIS_BACKUP_TEST_NOW: '2026-11-26T08:00:00Z' });
  assert.is(smtp.messages.slice(before).filter((m) => m.text.includes('Backup: 20261125_031500')).length, 1);
});

test.run();
