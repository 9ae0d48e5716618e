// The other commands' notices through the real CLI and a real SMTP server, in English this time:
// a good run with notify.onSuccess says so; a verification that finds a file missing from the
// backup mails „Verification failed“ with the count but not the file's name (attachments are often
// named after patients); a copy onto a required disk that is not there mails „Mirror copy failed“.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { runCleanups, visibly } from '../helpers/temp';
import { emailConfig, notifyPractice } from './notify-practice';

const test = suite('notices of verify, mirror and a good run');

let smtp: TestSmtp;
test.before(
  visibly(async () => {
    smtp = await startSmtpServer();
  }),
);
test.after(visibly(runCleanups));

const PATIENT_FILE = 'Mueller_Hans_Befund_1957.pdf';
const practiceConfig = (notify: Record<string, unknown> = {}) => ({
  practiceName: 'Dr. Test Practice',
  notify: { language: 'en', email: emailConfig(smtp), weeklySummary: false, monthlyReport: false, ...notify },
});
const envOf = () => ({ PRAXIS_BACKUP_PASSWORD_SMTP: smtp.password, PRAXIS_BACKUP_TEST_NOW: '2026-11-24T02:15:00Z' });

test('onSuccess: a good run is mailed; a verification that finds a file gone is mailed without the file’s name', async () => {
  const { root, files, config, env } = await notifyPractice('praxis-verify-mail', { config: () => practiceConfig({ onSuccess: true }), env: envOf() });
  writeFileSync(join(files, PATIENT_FILE), 'Befund');
  const before = smtp.messages.length;
  const mails = () => smtp.messages.slice(before);

  const run = await runCli(['run', '--config', config], env);
  assert.is(run.code, 0, run.stderr);
  assert.equal(mails().map((m) => m.subject), ['Praxis-Backup Dr. Test Practice: Backup succeeded']);
  assert.match(mails()[0]!.text, /^Backup 20261124_031500 complete: [\d.]+ KB in \d+ s\.\n/);

  // The file goes missing from the backup (a damaged disk): verify finds and names it — at the server.
  const backup = join(root, 'backups', readdirSync(join(root, 'backups')).find((n) => /^\d{8}_\d{6}$/.test(n))!);
  rmSync(join(backup, 'befunde', PATIENT_FILE));
  const verify = await runCli(['verify', '--config', config], { ...env, PRAXIS_BACKUP_TEST_NOW: '2026-11-24T09:00:00Z' });
  assert.is(verify.code, 1, verify.stderr);
  assert.ok(verify.stderr.includes(PATIENT_FILE), 'the admin at the server is told which file');
  const failed = mails().filter((m) => m.subject === 'Praxis-Backup Dr. Test Practice: Verification failed');
  assert.is(failed.length, 1, mails().map((m) => m.subject).join(' | '));
  const text = failed[0]!.text;
  assert.match(text, /^The verification of a backup on .+ failed:\n/);
  assert.match(text, /1 file\(s\)/);
  assert.match(text, /\(file names only in the log on the server\)/);
  assert.match(text, /What to do: this backup may not be restorable\./);
  assert.match(text, /Time: 2026-11-24 10:00 \(UTC\+01:00\)/);
  assert.not.ok(failed[0]!.raw.includes('Mueller'), 'no patient file name leaves the server');
});

test('a copy onto a required disk that is not there: „Mirror copy failed“, once', async () => {
  // A folder on the backup's own disk: the disk meant to be there is not mounted.
  const { config, env } = await notifyPractice('praxis-mirror-mail', {
    config: ({ root }) => ({ ...practiceConfig(), mirrors: [{ name: 'offsite', type: 'path', path: join(root, 'offsite'), mode: 'latest', required: true }] }),
    env: envOf(),
  });
  // No backup yet, no backup folder: the copy fails for that reason, and the mail says which.
  const before = smtp.messages.length;
  const none = await runCli(['mirror', '--config', config], env);
  assert.is(none.code, 1, none.stderr);
  const first = smtp.messages.slice(before);
  assert.equal(first.map((m) => m.subject), ['Praxis-Backup Dr. Test Practice: Mirror copy failed']);
  assert.match(first[0]!.text, /:\n.*ENOENT/);
  assert.not.match(first[0]!.text, /Ended without giving a reason/);
  // With a backup made (its own run sends nothing: no onSuccess) the copy fails as the disk is not there.
  const run = await runCli(['run', '--config', config], env);
  assert.is(run.code, 1, run.stderr); // the run's own copy onto the required disk failed
  const mid = smtp.messages.length;
  const r = await runCli(['mirror', '--config', config], { ...env, PRAXIS_BACKUP_TEST_NOW: '2026-11-24T08:00:00Z' });
  assert.is(r.code, 1, r.stderr);
  const mails = smtp.messages.slice(mid);
  assert.equal(mails.map((m) => m.subject), ['Praxis-Backup Dr. Test Practice: Mirror copy failed']);
  assert.match(mails[0]!.text, /^The copy onto a backup disk failed on .+:\n.*offsite/);
  assert.match(mails[0]!.text, /What to do: .*disk attached\?/);
});

test.run();
