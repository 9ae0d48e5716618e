// The notification secrets through a real Secret Service (gnome-keyring on a private D-Bus, see
// test/helpers/keyring.ts): `credentials set smtp://…` and `credentials set ntfy://…` store them
// under exactly the ids the deliverer asks for, and `notify test` then logs in and publishes with
// them — no environment variable involved.
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allText, CLI } from '../helpers/cli';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp-server';
import { makeTempDir, runCleanups, visibly } from '../helpers/temp';

let kr: TestKeyring;
let smtp: TestSmtp;
let http: HttpRecorder;
test.before(
  visibly(async () => {
    [kr, smtp, http] = await Promise.all([startKeyring(), startSmtpServer(), startHttpRecorder()]);
  }),
);
test.after(visibly(runCleanups));

async function cli(args: string[], input?: string) {
  const r = await execa(process.execPath, [CLI, ...args], {
    env: { LANG: 'de_DE.UTF-8', ...kr.env },
    extendEnv: false,
    input,
    stdin: input === undefined ? 'ignore' : undefined,
    reject: false,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

test('credentials set smtp:// and ntfy:// store what notify test then uses: login with the keyring password, Bearer token from the keyring', async () => {
  const root = await makeTempDir('praxis-notify-keyring');
  await mkdir(join(root, 'files'));
  const config = join(root, 'config.json');
  const host = new URL(http.url).host;
  await writeFile(
    config,
    JSON.stringify({
      backupDir: join(root, 'backup'),
      components: [{ name: 'files', type: 'folder', path: join(root, 'files') }],
      notify: {
        email: { host: '127.0.0.1', port: smtp.port, tls: 'starttls', user: smtp.user, from: 'praxis@example.test', to: ['it@example.test'], allowSelfSigned: true },
        ntfy: { url: `${http.url}/praxis`, token: true },
      },
    }),
  );
  const smtpId = `smtp://${smtp.user}@127.0.0.1:${smtp.port}`;
  const set = await cli(['credentials', 'set', smtpId, '--config', config], `${smtp.password}\n`);
  assert.is(set.code, 0, set.stderr);
  assert.match(set.stderr, /notify\.email/, 'says which part of the config uses it');
  const token = 'tk_aus_dem_Schluesselbund_7f3';
  const setToken = await cli(['credentials', 'set', `ntfy://${host}/praxis`, '--config', config], `${token}\n`);
  assert.is(setToken.code, 0, setToken.stderr);
  assert.is(await kr.lookup(smtpId), smtp.password);

  const mails = smtp.messages.length;
  const reqs = http.requests.length;
  const r = await cli(['notify', 'test', '--config', config]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /angemeldet als praxis@example\.test, angenommen \(250/);
  await smtp.waitForMessages(mails + 1);
  const [req] = (await http.waitForRequests(reqs + 1)).slice(reqs);
  assert.is(req!.headers.authorization, `Bearer ${token}`);
  assert.not.ok((r.stdout + r.stderr).includes(smtp.password) || (r.stdout + r.stderr).includes(token));
  assert.not.ok(allText(join(kr.home, '.local', 'state')).includes(smtp.password), 'no password in state or logs');
});

test.run();
