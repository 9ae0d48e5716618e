// ntfy, the webhook and the heartbeat against a real HTTP server on 127.0.0.1 that records each
// request: method, path, query, headers and body as sent, failures sorted into stages, URLs shown
// by origin only (the path is the token), and a hanging endpoint ending in 'timeout' on time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Notice } from '../../src/alerting/contracts';
import { createDeliverer, createHeartbeat, type DeliveryDeps } from '../../src/alerting/deliver';
import type { NotifyConfig } from '../../src/config/schema';
import { render } from '../../src/i18n';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder';
import { MapStore } from '../helpers/map-store';
import { freePort, makeTempDir, runCleanups, visibly } from '../helpers/temp';

let http: HttpRecorder;
test.before(
  visibly(async () => {
    http = await startHttpRecorder();
  }),
);
test.after(visibly(runCleanups));

const NOTICE: Notice = {
  id: 'failure:run:20261124_031500',
  kind: 'failure',
  severity: 'error',
  subject: 'Praxis-Backup Praxis Dr. Müller: Sicherung fehlgeschlagen – Größe',
  text: 'Die Datenbank „tomedo“ konnte nicht gesichert werden.',
  createdAt: '2026-11-24T03:20:00.000Z',
  event: { what: 'run', result: 'failed', exitCode: 1, backupId: '20261124_031500', source: 'must-not-win' },
};

function cfg(over: Partial<NotifyConfig>): NotifyConfig {
  return { language: 'de', onSuccess: false, weeklySummary: false, monthlyReport: false, ...over };
}

async function deps(secrets = new MapStore(), timeoutMs = 5_000): Promise<DeliveryDeps> {
  return { secrets, storeName: 'Test-Schlüsselbund', stateDir: await makeTempDir('praxis-http-state'), now: () => new Date('2026-11-24T03:21:00Z'), hostname: 'praxis-server', version: '9.9.9', timeoutMs };
}

async function nextRequests(n: number, send: () => Promise<unknown>) {
  const before = http.requests.length;
  const result = await send();
  return { result, requests: (await http.waitForRequests(before + n)).slice(before) };
}

test('ntfy: JSON POST to the server root with the topic; UTF-8 title intact, priority high and tags for an error; no token header by default', async () => {
  const d = createDeliverer(cfg({ ntfy: { url: `${http.url}/ntfy/praxis-backup`, token: false } }), await deps())!;
  const { result, requests } = await nextRequests(1, () => d.send(NOTICE));
  const [req] = requests;
  assert.equal([req!.method, req!.path], ['POST', '/ntfy/']);
  assert.match(String(req!.headers['content-type']), /application\/json/);
  assert.equal(JSON.parse(req!.body), { topic: 'praxis-backup', title: NOTICE.subject, message: NOTICE.text, priority: 4, tags: ['rotating_light'] });
  assert.is(req!.headers.authorization, undefined);
  assert.equal((result as { ok: boolean }[]).map((o) => o.ok), [true]);
});

test('ntfy with a token: Bearer from the keyring id ntfy://<host>/<topic>; missing token is stage secret; 401/403 is stage auth naming the id', async () => {
  const host = new URL(http.url).host;
  const secrets = new MapStore();
  await secrets.set(`ntfy://${host}/praxis`, 'tk_geheimes_token');
  const d = createDeliverer(cfg({ ntfy: { url: `${http.url}/praxis`, token: true } }), await deps(secrets))!;
  const { requests } = await nextRequests(1, () => d.send({ ...NOTICE, severity: 'info' }));
  assert.is(requests[0]!.headers.authorization, 'Bearer tk_geheimes_token');
  assert.is(JSON.parse(requests[0]!.body).priority, 3);

  const noToken = createDeliverer(cfg({ ntfy: { url: `${http.url}/praxis`, token: true } }), await deps())!;
  const [missing] = await noToken.test('ntfy', NOTICE);
  assert.equal([missing!.ok, missing!.stage], [false, 'secret']);
  assert.match(render('de', missing!.message), new RegExp(`credentials set ntfy://${host}/praxis`));

  http.setStatus('/', 403);
  try {
    const [refused] = await d.test('ntfy', NOTICE);
    assert.equal([refused!.ok, refused!.stage], [false, 'auth']);
    assert.match(render('de', refused!.message), /lehnt das Zugangstoken ab \(HTTP 403\)/);
    assert.not.ok(JSON.stringify(refused).includes('tk_geheimes_token'));
  } finally {
    http.setStatus('/', 200);
  }
});

test('webhook: JSON POST of the event with source, version, host, id, kind, severity, subject, text, createdAt (fixed fields win over event)', async () => {
  const d = createDeliverer(cfg({ webhook: { url: `${http.url}/hooks/praxis?key=abc` } }), await deps())!;
  const { requests } = await nextRequests(1, () => d.send(NOTICE));
  const [req] = requests;
  assert.equal([req!.method, req!.path, req!.query.key], ['POST', '/hooks/praxis', 'abc']);
  assert.equal(JSON.parse(req!.body), {
    what: 'run', result: 'failed', exitCode: 1, backupId: '20261124_031500',
    source: 'praxis-backup', version: '9.9.9', host: 'praxis-server', id: NOTICE.id, kind: 'failure', severity: 'error',
    subject: NOTICE.subject, text: NOTICE.text, createdAt: NOTICE.createdAt,
  });
});

test('webhook answering 500: stage http with the status; the message shows the origin, never the token path', async () => {
  http.setStatus('/hooks/s3cr3t-token-path', 500);
  const d = createDeliverer(cfg({ webhook: { url: `${http.url}/hooks/s3cr3t-token-path` } }), await deps())!;
  const [o] = await d.test('webhook', NOTICE);
  assert.equal([o!.ok, o!.stage], [false, 'http']);
  const text = render('de', o!.message);
  assert.match(text, new RegExp(`^Webhook: ${http.url.replace(/\./g, '\\.')} hat mit HTTP 500 geantwortet`));
  assert.not.ok(text.includes('s3cr3t-token-path'), text);
});

test('a redirect (http:// moved to https://) is not followed: stage http naming where it points, not a false "accepted"', async () => {
  http.setStatus('/moved', 301);
  const d = createDeliverer(cfg({ ntfy: { url: `${http.url}/moved/topic`, token: false }, webhook: { url: `${http.url}/moved` } }), await deps())!;
  const before = http.requests.length;
  const outcomes = await d.test(undefined, NOTICE);
  const webhook = outcomes.find((o) => o.channel === 'webhook')!;
  assert.equal([webhook.ok, webhook.stage], [false, 'http']);
  assert.match(render('de', webhook.message), /leitet weiter \(HTTP 301\) nach https:\/\/127\.0\.0\.1:1\./);
  assert.is(http.requests.slice(before).filter((r) => r.path === '/moved').length, 1, 'asked once, not followed');
});

test('nobody listening: stage connect; a hanging endpoint: stage timeout after the injected timeout (the call resolves)', async () => {
  const port = await freePort();
  const refused = createDeliverer(cfg({ webhook: { url: `http://127.0.0.1:${port}/hook` } }), await deps())!;
  const [c] = await refused.test('webhook', NOTICE);
  assert.equal([c!.ok, c!.stage], [false, 'connect']);
  assert.match(render('de', c!.message), /ECONNREFUSED/);

  http.setHang(['/slow']);
  try {
    const hanging = createDeliverer(cfg({ webhook: { url: `${http.url}/slow` } }), await deps(new MapStore(), 300))!;
    const [o] = await hanging.test('webhook', NOTICE);
    assert.equal([o!.ok, o!.stage], [false, 'timeout']);
    assert.match(render('de', o!.message), /nicht innerhalb von 1 s geantwortet/);
  } finally {
    http.setHang([]);
  }
});

test('heartbeat, Healthchecks style: start, success and fail go to <url>/start, <url>, <url>/fail as POST with the one line as body', async () => {
  const hb = createHeartbeat(cfg({ heartbeat: { url: `${http.url}/ping/2f9c-uuid/`, style: 'healthchecks' } }), { version: '9.9.9', timeoutMs: 5_000 })!;
  const { result, requests } = await nextRequests(3, async () => [
    await hb.ping('start', 'Sicherung gestartet'),
    await hb.ping('success', 'Sicherung 20261124_031500 abgeschlossen: 1,2 GB'),
    await hb.ping('fail', 'Sicherung fehlgeschlagen: Datenbank „tomedo“'),
  ]);
  assert.equal(requests.map((r) => [r.method, r.path, r.body]), [
    ['POST', '/ping/2f9c-uuid/start', 'Sicherung gestartet'],
    ['POST', '/ping/2f9c-uuid', 'Sicherung 20261124_031500 abgeschlossen: 1,2 GB'],
    ['POST', '/ping/2f9c-uuid/fail', 'Sicherung fehlgeschlagen: Datenbank „tomedo“'],
  ]);
  const outcomes = result as { ok: boolean; channel: string; message: { key: string } }[];
  assert.equal(outcomes.map((o) => [o.channel, o.ok]), [['heartbeat', true], ['heartbeat', true], ['heartbeat', true]]);
  assert.not.ok(render('de', outcomes[0]!.message as never).includes('2f9c-uuid'));
});

test('heartbeat, Uptime Kuma style: no request for start (none exists), status=up / down with msg, the push URL\'s own defaults replaced', async () => {
  const hb = createHeartbeat(cfg({ heartbeat: { url: `${http.url}/api/push/tok3n?status=up&msg=OK&ping=`, style: 'uptime-kuma' } }), { version: '9.9.9', timeoutMs: 5_000 })!;
  const before = http.requests.length;
  assert.is(await hb.ping('start', 'gestartet'), null);
  const { requests } = await nextRequests(2, async () => {
    await hb.ping('success', 'Sicherung abgeschlossen: 1,2 GB');
    await hb.ping('fail', 'Sicherung fehlgeschlagen: Größe');
  });
  assert.is(http.requests.length, before + 2, 'start sent nothing');
  assert.equal(requests.map((r) => [r.method, r.path, r.query]), [
    ['GET', '/api/push/tok3n', { status: 'up', msg: 'Sicherung abgeschlossen: 1,2 GB' }],
    ['GET', '/api/push/tok3n', { status: 'down', msg: 'Sicherung fehlgeschlagen: Größe' }],
  ]);
});

test('heartbeat: a hanging monitor ends in stage timeout (resolves, never throws); 404 is stage http; no heartbeat configured is null', async () => {
  http.setHang(['/ping/hang']);
  try {
    const hb = createHeartbeat(cfg({ heartbeat: { url: `${http.url}/ping/hang`, style: 'healthchecks' } }), { version: '9.9.9', timeoutMs: 300 })!;
    const o = await hb.ping('success', 'ok');
    assert.equal([o!.ok, o!.stage], [false, 'timeout']);
  } finally {
    http.setHang([]);
  }
  http.setStatus('/ping/unknown-check/fail', 404);
  const missing = createHeartbeat(cfg({ heartbeat: { url: `${http.url}/ping/unknown-check`, style: 'healthchecks' } }), { version: '9.9.9', timeoutMs: 5_000 })!;
  const o = await missing.ping('fail', 'x');
  assert.equal([o!.ok, o!.stage], [false, 'http']);
  assert.not.ok(render('de', o!.message).includes('unknown-check'));
  assert.is(createHeartbeat(cfg({}), { version: '9.9.9' }), null);
  assert.is(createDeliverer(cfg({ heartbeat: { url: http.url, style: 'healthchecks' } }), await deps()), null, 'a heartbeat alone is no message channel');
});

test.run();
