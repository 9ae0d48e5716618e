// The off-site copy to an SFTP repository on a real sshd (test/helpers/sshd.ts: 127.0.0.1, a free
// port, generated host and client keys): the mirror logs in with its configured key (sshKey), the
// server's host key is recorded in OUR known_hosts (<state>/ssh/known_hosts) on first contact, and
// a server that later presents a different key is refused with offsite.hostKeyChanged — nothing sent.
// The ssh that restic starts must not inherit the repository's password from restic's environment.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startSshd } from '../helpers/sshd';
import { makeTempDir, runCleanups } from '../helpers/temp';
import { backup, keyring, mirrorRun, Nights, PASS, practice, restic, sampleChildren } from './offsite-support';

const test = suite('off-site copy to an SFTP server (sshd)');

let root: string;
test.before(async () => {
  root = await makeTempDir('praxis-offsite-sftp-');
});
test.after(() => runCleanups());

function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

test('SFTP with the configured key: host key recorded on first contact in our known_hosts; a changed host key is refused, nothing sent', async () => {
  const sshd = await startSshd();
  const repoDir = join(await makeTempDir('praxis-sftp-repo-'), 'repo');
  const url = sshd.repoUrl(repoDir);
  // The test's own restic (init, listing) trusts the server through a known_hosts of its own.
  const testKnownHosts = join(sshd.dir, 'test_known_hosts');
  writeFileSync(testKnownHosts, `${await sshd.knownHostsLine()}\n`);
  const viaSsh = (args: string[]) => restic(url, ['-o', `sftp.command=${sshd.sftpCommand(testKnownHosts)}`, ...args]);
  viaSsh(['init']);

  const nights = new Nights();
  const p = await practice(root, 'sftp', { repository: url, sshKey: sshd.clientKey });
  const secrets = keyring();
  const ours = join(p.state, 'ssh', 'known_hosts');
  const hostKey = (await sshd.knownHostsLine()).split(' ').slice(1).join(' ');

  const b1 = await backup(p, nights);
  // restic starts ssh itself: ssh must not inherit the repository's password from restic's environment.
  const sampler = sampleChildren([PASS], [sshd.pid()]);
  const first = (await mirrorRun(p, secrets, nights)).results[0]!;
  const { leaks, seen } = await sampler.stop();
  assert.is(first.result, 'success', JSON.stringify(first.message));
  console.log(`  sampled: ${[...new Set(seen.values())].join(', ')}`);
  assert.ok([...seen.values()].some((x) => /(^|\/)ssh$/.test(x)), 'ssh was sampled while it ran');
  assert.equal(leaks, []);
  assert.equal(first.copied, [b1]);
  assert.equal(viaSsh(['snapshots', '--json', '--no-lock']).includes(b1), true);
  const recorded = readFileSync(ours, 'utf8');
  assert.ok(recorded.includes(hostKey), `our known_hosts records the server's key: ${recorded}`);
  assert.ok(sshd.log().includes('Accepted publickey'), 'logged in with a key');

  // The server now presents another key (a new server — or somebody in between).
  await sshd.regenerateHostKey();
  const b2 = await backup(p, nights);
  const filesBefore = countFiles(repoDir);
  const run = await mirrorRun(p, secrets, nights);
  const r = run.results[0]!;
  assert.is(r.result, 'failed');
  assert.is(r.message?.key, 'offsite.hostKeyChanged', JSON.stringify(r.message));
  assert.is(r.message?.params?.file, ours);
  assert.equal(r.copied, []);
  assert.is(countFiles(repoDir), filesBefore, 'nothing was written to the repository');
  assert.is(readFileSync(ours, 'utf8'), recorded, 'the old key is not replaced by the new one');
  // The test's restic, told the new key, sees only the first backup.
  writeFileSync(testKnownHosts, `${await sshd.knownHostsLine()}\n`);
  const listed = viaSsh(['snapshots', '--json', '--no-lock']);
  assert.ok(listed.includes(b1) && !listed.includes(b2), listed);
});

test.run();
