// The restic destination's pure parts: how a repository address is read (SFTP forms, the endpoint
// to knock at, a REST login's password put into the address), what restic 0.14's error output
// means (the messages below were captured from Debian's restic 0.14.0 against a local repository,
// `rclone serve restic [--append-only]` 1.60 and OpenSSH 9.2's sshd — see test/helpers/rest-server.ts
// and sshd.ts for where each was measured), the --json status and summary lines, which snapshots
// are ours, and verify --target's daily slice of the data.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyFailure, commonArgs, networkEndpoint, optionArg, parseSftp, repositoryAddress, sshArgs, type ResticAccess } from '../../../src/destinations/restic/restic-command';
import { validateConfig } from '../../../src/config/load';
import { dataSlice, ourSnapshots, parseBackupStatus, parseBackupSummary, type Snapshot } from '../../../src/destinations/restic/restic-destination';

const test = suite('restic command: addresses, failures, output');

test('parseSftp reads both of restic\'s SFTP forms, with and without user and port', () => {
  assert.equal(parseSftp('sftp://backup@offsite.example.de:2222//srv/restic/praxis'), { user: 'backup', host: 'offsite.example.de', port: 2222, path: '/srv/restic/praxis' });
  assert.equal(parseSftp('sftp://offsite.example.de/restic'), { user: null, host: 'offsite.example.de', port: 22, path: 'restic' });
  assert.equal(parseSftp('sftp://u@[2001:db8::1]:2200//r'), { user: 'u', host: '2001:db8::1', port: 2200, path: '/r' });
  assert.equal(parseSftp('sftp:backup@nas.local:/volume1/restic'), { user: 'backup', host: 'nas.local', port: 22, path: '/volume1/restic' });
  assert.equal(parseSftp('sftp:nas.local:restic'), { user: null, host: 'nas.local', port: 22, path: 'restic' });
  assert.is(parseSftp('rest:http://127.0.0.1:8000/'), null);
  assert.is(parseSftp('/srv/restic'), null);
  assert.is(parseSftp('s3:s3.amazonaws.com/bucket'), null);
});

test('networkEndpoint: SFTP and REST have a host and port to knock at; a local path and cloud services have none', () => {
  assert.equal(networkEndpoint('sftp://backup@10.0.0.5:2222//srv/r'), { host: '10.0.0.5', port: 2222 });
  assert.equal(networkEndpoint('sftp:backup@nas.local:/r'), { host: 'nas.local', port: 22 });
  assert.equal(networkEndpoint('rest:http://127.0.0.1:8000/'), { host: '127.0.0.1', port: 8000 });
  assert.equal(networkEndpoint('rest:https://praxis@backup.example.de/praxis/'), { host: 'backup.example.de', port: 443 });
  assert.equal(networkEndpoint('rest:http://praxis@backup.example.de/'), { host: 'backup.example.de', port: 80 });
  assert.equal(networkEndpoint('rest:http://[::1]:8000/'), { host: '::1', port: 8000 });
  assert.is(networkEndpoint('/mnt/offsite/repo'), null);
  assert.is(networkEndpoint('b2:bucket:praxis'), null);
});

test('repositoryAddress puts a REST login\'s password into the address, encoded; nothing else changes', () => {
  assert.is(repositoryAddress('rest:http://praxis@127.0.0.1:8000/', 'p@ss w:rd/x'), 'rest:http://praxis:p%40ss%20w%3Ard%2Fx@127.0.0.1:8000/');
  assert.is(repositoryAddress('rest:https://praxis@backup.example.de/r/', 'geheim'), 'rest:https://praxis:geheim@backup.example.de/r/');
  // No user in the address: nothing to attach the password to (restic 0.14 reads no variable for it).
  assert.is(repositoryAddress('rest:http://127.0.0.1:8000/', 'geheim'), 'rest:http://127.0.0.1:8000/');
  assert.is(repositoryAddress('rest:http://praxis@127.0.0.1:8000/', null), 'rest:http://praxis@127.0.0.1:8000/');
  assert.is(repositoryAddress('sftp://praxis@host//r', 'geheim'), 'sftp://praxis@host//r');
});

// restic 0.14 exits 1 for every failure: its words decide.
const captured: [string, number | undefined, string[], ReturnType<typeof classifyFailure>][] = [
  ['wrong password (local)', 1, ['Fatal: wrong password or no key found'], 'wrongPassword'],
  ['wrong password (0.17 exit code)', 12, ['Fatal: wrong password or no key found'], 'wrongPassword'],
  ['no repository (local)', 1, ['Fatal: unable to open config file: stat /srv/nirgends/config: no such file or directory', 'Is there a repository at the following location?', '/srv/nirgends'], 'noRepository'],
  ['REST port closed', 1, ['Fatal: unable to open config file: client.Head: Head "http://127.0.0.1:40123/config": dial tcp 127.0.0.1:40123: connect: connection refused', 'Is there a repository at the following location?', 'rest:http://127.0.0.1:40123/'], 'unreachable'],
  ['SFTP port closed', 1, ['subprocess ssh: ssh: connect to host 127.0.0.1 port 40124: Connection refused', 'Fatal: unable to open repository at sftp://root@127.0.0.1:40124//r: unable to start the sftp session, error: EOF'], 'unreachable'],
  ['REST login wrong', 1, ['Fatal: unable to open config file: unexpected HTTP response (401): 401 Unauthorized', 'Is there a repository at the following location?', 'rest:http://praxis:***@127.0.0.1:40125/'], 'authFailed'],
  ['REST init, login wrong', 1, ['Fatal: create repository at rest:http://praxis:***@127.0.0.1:40125/ failed: server response unexpected: 401 Unauthorized (401)'], 'authFailed'],
  [
    'SFTP host key changed',
    1,
    [
      'subprocess ssh: @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
      'subprocess ssh: @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      'subprocess ssh: Host key for [127.0.0.1]:40126 has changed and you have requested strict checking.',
      'subprocess ssh: Host key verification failed.',
      'Fatal: unable to open repository at sftp://root@127.0.0.1:40126//r: unable to start the sftp session, error: EOF',
    ],
    'hostKeyChanged',
  ],
  ['SFTP host unknown (strict)', 1, ['subprocess ssh: No ED25519 host key is known for [127.0.0.1]:40126 and you have requested strict checking.', 'subprocess ssh: Host key verification failed.', 'Fatal: unable to open repository at sftp://root@127.0.0.1:40126//r: unable to start the sftp session, error: EOF'], 'hostKeyUnknown'],
  ['SFTP key refused', 1, ['subprocess ssh: root@127.0.0.1: Permission denied (publickey).', 'Fatal: unable to open repository at sftp://root@127.0.0.1:40126//r: unable to start the sftp session, error: EOF'], 'authFailed'],
  ['locked', 1, ['unable to create lock in backend: repository is already locked by PID 4242 on vm by root (UID 0, GID 0)', 'lock was created at 2026-12-02 16:50:01 (12.3s ago)', 'storage ID 6a3b9f21', 'the `unlock` command can be used to remove stale locks'], 'locked'],
  ['local disk full', 1, ['Fatal: unable to save snapshot: write /srv/full/r/data/27/2733283f77d8c890c2adc6951f2ec97a75ef30fc9f26627332623f31d7fc519a-tmp-1742759543: no space left on device'], 'full'],
  // Captured against `rclone serve restic --append-only` on a full 3 MiB tmpfs: a 500 first, then 403 for every retry of the same pack.
  [
    'REST disk full, append-only',
    1,
    [
      'Save(<data/32b18bb63a>) returned error, retrying after 552.330144ms: server response unexpected: 500 Internal Server Error (500)',
      'Save(<data/32b18bb63a>) returned error, retrying after 1.080381816s: server response unexpected: 403 Forbidden (403)',
      'Save(<data/32b18bb63a>) returned error, retrying after 15.394871241s: server response unexpected: 403 Forbidden (403)',
      'Fatal: unable to save snapshot: server response unexpected: 403 Forbidden (403)',
    ],
    'full',
  ],
  ['REST disk full, only the last line kept', 1, ['Fatal: unable to save snapshot: server response unexpected: 500 Internal Server Error (500)'], 'full'],
  ['append-only forget', 1, ['Remove(<snapshot/6a3b9f21c4>) returned error, retrying after 720.254544ms: blob not removed, server response: 403 Forbidden (403)', 'unable to remove <snapshot/6a3b9f21c4> from the repository', 'blob not removed, server response: 403 Forbidden (403)'], 'deleteRefused'],
  ['something else', 1, ['Fatal: invalid id "zzz": no matching ID found'], 'other'],
];

for (const [what, code, lines, expected] of captured) {
  test(`classifyFailure: ${what} → ${expected}`, () => {
    assert.is(classifyFailure(code, lines), expected);
  });
}

test('optionArg: restic reads -o values as CSV, so a comma or a double quote puts the value in CSV quotes (proven against real restic in offsite-sftp)', () => {
  assert.is(optionArg('rest.connections=4'), 'rest.connections=4');
  assert.is(optionArg("sftp.command=ssh -i '/k/a,b' h"), `"sftp.command=ssh -i '/k/a,b' h"`);
  assert.is(optionArg('sftp.command=ssh -i \'/k/"x"\' h'), '"sftp.command=ssh -i \'/k/""x""\' h"');
});

test('sshArgs: our known_hosts, no prompt, the configured key only, the port and user of the address', () => {
  const m = validateConfig({ backupDir: '/b', components: [{ name: 'a', type: 'folder', path: '/a' }], mirrors: [{ name: 'aussen', type: 'restic', repository: 'sftp://praxis@box.example.de:2222//backup', sshKey: '/etc/praxis/id_ed25519' }] }, 'test').mirrors[0]! as ResticAccess['mirror'];
  const args = sshArgs(m, parseSftp(m.repository)!, '/state/ssh/known_hosts');
  const opt = (o: string) => args.some((a, i) => args[i - 1] === '-o' && a === o);
  assert.ok(opt('BatchMode=yes') && opt('StrictHostKeyChecking=accept-new') && opt('UserKnownHostsFile=/state/ssh/known_hosts') && opt('IdentitiesOnly=yes'), args.join(' '));
  assert.equal(args.slice(args.indexOf('-i'), args.indexOf('-i') + 2), ['-i', '/etc/praxis/id_ed25519']);
  assert.equal(args.slice(-5), ['-p', '2222', 'praxis@box.example.de', '-s', 'sftp']);
  const common = commonArgs({ mirror: m, tool: { name: 'restic', path: '/usr/bin/restic', version: '', major: 0, minor: 14 }, password: 'x', backend: {}, knownHosts: '/state/ssh/known_hosts' });
  assert.is(common[0], '-o');
  assert.ok(common[1]!.startsWith('sftp.command=ssh -o BatchMode=yes'), common[1]);
});

test('parseBackupStatus reads restic 0.14\'s --json status lines; other lines are not progress', () => {
  assert.equal(parseBackupStatus('{"message_type":"status","percent_done":0,"total_files":1,"total_bytes":300000}'), { percent: 0, bytes: undefined, files: undefined, totalFiles: 1, secondsLeft: undefined });
  assert.equal(parseBackupStatus('{"message_type":"status","seconds_elapsed":2,"seconds_remaining":5,"percent_done":0.4213,"total_files":40,"files_done":17,"total_bytes":800000,"bytes_done":337040,"current_files":["/files/a"]}'), { percent: 42, bytes: 337040, files: 17, totalFiles: 40, secondsLeft: 5 });
  assert.is(parseBackupStatus('{"message_type":"summary","files_new":1,"snapshot_id":"037cdf9b"}'), null);
  assert.is(parseBackupStatus('{"message_type":"status","percent_d'), null);
  assert.is(parseBackupStatus('scan finished in 0.2s'), null);
});

test('parseBackupSummary finds the summary line among the last lines (a partial line does not stop it)', () => {
  const summary = '{"message_type":"summary","files_new":1,"files_changed":0,"files_unmodified":0,"dirs_new":1,"dirs_changed":0,"dirs_unmodified":0,"data_blobs":1,"tree_blobs":2,"data_added":300705,"total_files_processed":1,"total_bytes_processed":300000,"total_duration":0.260670434,"snapshot_id":"037cdf9b"}';
  const s = parseBackupSummary(['{"message_type":"status","percent_done":1}', summary, '{"message_type":"summ']);
  assert.is(s?.snapshot_id, '037cdf9b');
  assert.is(s?.data_added, 300705);
  assert.is(s?.total_files_processed, 1);
  assert.is(parseBackupSummary(['{"message_type":"status","percent_done":1}']), null);
  assert.is(parseBackupSummary([]), null);
});

const snap = (id: string, time: string, tags?: string[]): Snapshot => ({ id, time, hostname: 'praxis', tags });

test('ourSnapshots: only snapshots tagged praxis-backup with a backup id; the same id twice → the later one; newest id first', () => {
  const all = [
    snap('a1', '2026-11-03T02:00:00Z', ['praxis-backup', '20261103_020000']),
    snap('b1', '2026-11-04T02:00:00Z', ['praxis-backup', '20261104_020000']),
    snap('b2', '2026-11-05T02:00:00Z', ['praxis-backup', '20261104_020000']), // the same backup sent again later
    snap('c1', '2026-11-06T02:00:00Z', ['20261106_020000']), // not ours: no praxis-backup tag
    snap('d1', '2026-11-07T02:00:00Z', ['praxis-backup']), // ours but without an id
    snap('e1', '2026-11-08T02:00:00Z'), // no tags at all
    snap('f1', '2026-11-02T02:00:00Z', ['praxis-backup', 'manual', '20261102_020000']),
  ];
  assert.equal(
    ourSnapshots(all).map((s) => [s.id, s.snapshot.id]),
    [
      ['20261104_020000', 'b2'],
      ['20261103_020000', 'a1'],
      ['20261102_020000', 'f1'],
    ],
  );
  assert.equal(ourSnapshots([]), []);
});

test('dataSlice: day N of `days` reads part N, every part once in `days` consecutive days', () => {
  const days = 30;
  const seen = new Set<string>();
  for (let d = 0; d < days; d++) {
    const slice = dataSlice(new Date(2026, 10, 1 + d, 3, 0, 0), days);
    assert.match(slice, /^\d+\/30$/);
    seen.add(slice);
  }
  assert.is(seen.size, days);
  for (let n = 1; n <= days; n++) assert.ok(seen.has(`${n}/${days}`), `part ${n} never read`);
  // The same calendar day gives the same part, whatever the hour.
  assert.is(dataSlice(new Date(2026, 10, 5, 0, 1), days), dataSlice(new Date(2026, 10, 5, 23, 59), days));
  assert.is(dataSlice(new Date(2026, 10, 5, 12), 1), '1/1');
});

test.run();
