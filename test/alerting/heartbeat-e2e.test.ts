// The heartbeat around a real backup (dist/cli.js) against a real HTTP server on 127.0.0.1 in the
// Healthchecks convention: start, then success with the one-line result, for a good run; start,
// then fail for a failed one; nothing from a run another one holds the lock for (the running one
// pings); and an endpoint that never answers does not hold the backup (a hang guard only: no
// timing is asserted).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder';
import { runCleanups, visibly } from '../helpers/temp';
import { notifyPractice } from './notify-practice';

const test = suite('heartbeat around a run');

let http: HttpRecorder;
test.before(
  visibly(async () => {
    http = await startHttpRecorder();
  }),
);
test.after(visibly(runCleanups));

async function setup(check: string, folder = true) {
  const p = await notifyPractice('praxis-heartbeat', {
    folder,
    config: () => ({ notify: { language: 'de', heartbeat: { url: `${http.url}/ping/${check}` } } }),
    env: { PRAXIS_BACKUP_TEST_NOW: '2026-11-24T02:15:00Z', PRAXIS_BACKUP_NOTIFY_TIMEOUT_MS: '2000' },
  });
  await mkdir(join(p.root, 'backups'), { recursive: true });
  return p;
}

const pings = (check: string) => http.requests.filter((r) => r.path.startsWith(`/ping/${check}`));

test('a good run: start, then success with the run’s one line', async () => {
  const s = await setup('good');
  const r = await runCli(['run', '--config', s.config], s.env);
  assert.is(r.code, 0, r.stderr);
  const p = pings('good');
  assert.equal(p.map((x) => x.path), ['/ping/good/start', '/ping/good']);
  assert.match(p[1]!.body, /^Backup 20261124_031500 abgeschlossen: [\d,]+ [KMG]?B in \d+ s\.$/);
});

test('a failed run: start, then fail with the reason', async () => {
  const s = await setup('bad', false); // the folder to back up is not there
  const r = await runCli(['run', '--config', s.config], s.env);
  assert.is(r.code, 1, r.stderr);
  const p = pings('bad');
  assert.equal(p.map((x) => x.path), ['/ping/bad/start', '/ping/bad/fail']);
  assert.match(p[1]!.body, /befunde/);
});

test('a run refused because another holds the lock pings nothing: the running one will', async () => {
  const s = await setup('locked');
  // A live process holds the backup directory's lock (this test process: alive, and not a run).
  await writeFile(join(s.root, 'backups', '.praxis-backup.lock'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), startedAt: new Date().toISOString(), purpose: 'backup' }));
  const r = await runCli(['run', '--scheduled', '--config', s.config], s.env);
  assert.is(r.code, 75, r.stderr);
  assert.equal(pings('locked'), []);
});

test('an endpoint that never answers does not hold the backup: the run completes with its own exit code', async () => {
  const s = await setup('hang');
  http.setHang(['/ping/hang/start', '/ping/hang']);
  try {
    const r = await runCli(['run', '--config', s.config], s.env);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /Backup 20261124_031500 abgeschlossen/);
    assert.equal(pings('hang').map((x) => x.path), ['/ping/hang/start', '/ping/hang']);
  } finally {
    http.setHang([]);
  }
});

test.run();
