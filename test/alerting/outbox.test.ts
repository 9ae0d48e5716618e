// The outbox against a real SMTP server that is stopped and started again: what cannot be delivered
// is queued once per notice and channel (0600 files in a 0700 folder, no password in them), bounded
// with a dropped count, delivered exactly once when the server is back — also when two flushes run
// at the same time, in this process or another — and a claim left by a dead process is taken back.
import { execa } from 'execa';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Notice } from '../../src/alerting/contracts';
import { createDeliverer, type DeliveryDeps } from '../../src/alerting/deliver';
import { outboxDir, outboxState } from '../../src/alerting/outbox';
import type { NotifyConfig } from '../../src/config/schema';
import { MapStore } from '../helpers/map-store';
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

/** A clock that moves one minute per reading, so queue order is by the injected time, never the wall clock. */
function steppingClock(start = '2026-11-24T03:00:00Z'): () => Date {
  let t = Date.parse(start);
  return () => new Date((t += 60_000));
}

function notice(id: string, over: Partial<Notice> = {}): Notice {
  return { id, kind: 'failure', severity: 'error', subject: `Praxis-Backup: Sicherung fehlgeschlagen (${id})`, text: `Was: ${id}`, createdAt: '2026-11-24T03:00:00.000Z', event: { what: 'run' }, ...over };
}

const notifyConfig = (withWebhook = false): NotifyConfig => ({
  language: 'de',
  email: { host: '127.0.0.1', port: smtp.port, tls: 'starttls', user: smtp.user, from: 'praxis@example.test', to: ['it@example.test'], allowSelfSigned: true },
  ...(withWebhook ? { webhook: { url: `${http.url}/hook` } } : {}),
  onSuccess: false,
  weeklySummary: false,
  monthlyReport: false,
});

async function deps(stateDir: string, over: Partial<DeliveryDeps> = {}): Promise<DeliveryDeps> {
  const secrets = new MapStore();
  await secrets.set(`smtp://${smtp.user}@127.0.0.1:${smtp.port}`, smtp.password);
  return { secrets, storeName: 'Test', stateDir, now: steppingClock(), hostname: 'praxis-server', version: '9.9.9', timeoutMs: 5_000, ...over };
}

function subjectsSince(n: number): string[] {
  return smtp.messages.slice(n).map((m) => m.subject);
}

async function withSmtpDown<T>(fn: () => Promise<T>): Promise<T> {
  await smtp.stop();
  try {
    return await fn();
  } finally {
    await smtp.start();
  }
}

test('SMTP down: the failed channel is queued (0600 file, 0700 folder, no password), the working one is not; the same notice twice is one entry', async () => {
  const stateDir = await makeTempDir('praxis-outbox');
  const d = createDeliverer(notifyConfig(true), await deps(stateDir))!;
  await withSmtpDown(async () => {
    const first = await d.send(notice('failure:run:A'));
    assert.equal(first.map((o) => [o.channel, o.ok, o.stage]), [['email', false, 'connect'], ['webhook', true, undefined]]);
    await d.send(notice('failure:run:A'));
  });
  const dir = outboxDir(stateDir);
  const files = readdirSync(dir).filter((n) => n.endsWith('.json'));
  assert.is(files.length, 1, files.join(', '));
  assert.is(statSync(dir).mode & 0o777, 0o700);
  assert.is(statSync(join(dir, files[0]!)).mode & 0o777, 0o600);
  const text = readFileSync(join(dir, files[0]!), 'utf8');
  const entry = JSON.parse(text);
  assert.equal([entry.channel, entry.notice.id, entry.attempts, entry.lastError.key], ['email', 'failure:run:A', 1, 'notify.fail.emailConnect']);
  assert.not.ok(text.includes(smtp.password), 'no password in a queued file');
  const state = outboxState(stateDir);
  assert.equal([state.count, state.dropped], [1, 0]);
  assert.equal(state.oldestQueuedAt?.toISOString(), entry.queuedAt);
});

test('flush after the server is back: delivered exactly once, the queue is empty, a second flush sends nothing', async () => {
  const stateDir = await makeTempDir('praxis-outbox');
  const d = createDeliverer(notifyConfig(), await deps(stateDir))!;
  await withSmtpDown(async () => {
    await d.send(notice('failure:run:B1'));
    await d.send(notice('alert:tooOld:usb:2026-11-24'));
  });
  const before = smtp.messages.length;
  const outcomes = await d.flush();
  assert.equal(outcomes.map((o) => o.ok), [true, true]);
  await smtp.waitForMessages(before + 2);
  assert.equal(subjectsSince(before), ['Praxis-Backup: Sicherung fehlgeschlagen (failure:run:B1)', 'Praxis-Backup: Sicherung fehlgeschlagen (alert:tooOld:usb:2026-11-24)'], 'oldest first');
  assert.equal(outboxState(stateDir), { count: 0, oldestQueuedAt: null, dropped: 0 });
  assert.equal(await d.flush(), []);
  assert.is(smtp.messages.length, before + 2);
});

test('a retry that fails again keeps the entry, counts the attempt and keeps the last error; the channel is tried once per flush', async () => {
  const stateDir = await makeTempDir('praxis-outbox');
  const d = createDeliverer(notifyConfig(), await deps(stateDir))!;
  await withSmtpDown(async () => {
    await d.send(notice('n1'));
    await d.send(notice('n2'));
    const outcomes = await d.flush();
    assert.is(outcomes.length, 1, 'after the first failure the other entry of that channel waits for the next flush');
  });
  const entries = readdirSync(outboxDir(stateDir))
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(outboxDir(stateDir), n), 'utf8')));
  const byId = Object.fromEntries(entries.map((e) => [e.notice.id, e]));
  assert.equal([byId.n1.attempts, byId.n2.attempts], [2, 1]);
  assert.is(byId.n1.lastError.key, 'notify.fail.emailConnect');
});

test('bounded: with room for 3, five notices keep the newest three and count two dropped', async () => {
  const stateDir = await makeTempDir('praxis-outbox');
  const d = createDeliverer(notifyConfig(), await deps(stateDir, { outboxMax: 3 }))!;
  await withSmtpDown(async () => {
    for (const id of ['q1', 'q2', 'q3', 'q4', 'q5']) await d.send(notice(id));
  });
  const state = outboxState(stateDir);
  assert.equal([state.count, state.dropped], [3, 2]);
  const ids = readdirSync(outboxDir(stateDir))
    .filter((n) => /^[0-9a-f]{32}\.json$/.test(n))
    .map((n) => JSON.parse(readFileSync(join(outboxDir(stateDir), n), 'utf8')).notice.id)
    .sort();
  assert.equal(ids, ['q3', 'q4', 'q5']);
  const before = smtp.messages.length;
  await d.flush();
  await smtp.waitForMessages(before + 3);
});

test('two flushes at once (two deliverers in this process and a third process) deliver every entry exactly once', async () => {
  const stateDir = await makeTempDir('praxis-outbox');
  const ids = Array.from({ length: 8 }, (_, i) => `race:${i}`);
  const a = createDeliverer(notifyConfig(), await deps(stateDir))!;
  await withSmtpDown(async () => {
    for (const id of ids) await a.send(notice(id));
  });
  assert.is(outboxState(stateDir).count, 8);
  const b = createDeliverer(notifyConfig(), await deps(stateDir))!;
  const before = smtp.messages.length;
  const flusher = join(import.meta.dirname, 'outbox-flusher.ts');
  const child = execa(process.execPath, ['--import', 'tsx', flusher, stateDir, String(smtp.port), smtp.user, smtp.password], { cwd: join(import.meta.dirname, '../..') });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => c.toString().includes('flushing') && resolve());
    child.catch(reject);
  });
  const [ra, rb, done] = await Promise.all([a.flush(), b.flush(), child]);
  const childOk = JSON.parse(String(done.stdout).split('\n').pop()!) as boolean[];
  assert.is(ra.filter((o) => o.ok).length + rb.filter((o) => o.ok).length + childOk.filter(Boolean).length, 8, 'every entry sent once between the three');
  await smtp.waitForMessages(before + 8);
  const sent = subjectsSince(before).map((s) => /\((race:\d)\)/.exec(s)![1]).sort();
  assert.equal(sent, ids, 'each notice exactly once');
  assert.is(outboxState(stateDir).count, 0);
});

test('a claim left by a process that died is taken back and delivered', async () => {
  const stateDir = await makeTempDir('praxis-outbox');
  const d = createDeliverer(notifyConfig(), await deps(stateDir))!;
  await withSmtpDown(() => d.send(notice('orphan:1')));
  const dead = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const dir = outboxDir(stateDir);
  const entry = readdirSync(dir).find((n) => n.endsWith('.json'))!;
  await rename(join(dir, entry), join(dir, `${entry}.claim.${dead.stdout}.${Date.now()}`));
  assert.is(outboxState(stateDir).count, 1, 'a claimed entry still counts as undelivered');
  const before = smtp.messages.length;
  const outcomes = await d.flush();
  assert.equal(outcomes.map((o) => o.ok), [true]);
  await smtp.waitForMessages(before + 1);
  assert.is(outboxState(stateDir).count, 0);
});

test('a queued mail whose attachment is gone when retried is sent without it, with a line saying so', async () => {
  const stateDir = await makeTempDir('praxis-outbox');
  const pdf = join(await makeTempDir('praxis-outbox-pdf'), 'Protokoll-2026-11.pdf');
  await writeFile(pdf, '%PDF-1.4');
  const d = createDeliverer(notifyConfig(), await deps(stateDir))!;
  await withSmtpDown(() => d.send(notice('monthlyReport:2026-11', { kind: 'monthlyReport', severity: 'info', attachments: [{ filename: 'Protokoll-2026-11.pdf', path: pdf, contentType: 'application/pdf' }] })));
  await rm(pdf);
  const before = smtp.messages.length;
  assert.equal((await d.flush()).map((o) => o.ok), [true]);
  const [mail] = (await smtp.waitForMessages(before + 1)).slice(before);
  assert.equal(mail!.attachments, []);
  assert.match(mail!.text, /Der Anhang „Protokoll-2026-11\.pdf“ fehlt/);
});

test('an entry for a channel no longer configured is discarded by the next flush', async () => {
  const stateDir = await makeTempDir('praxis-outbox');
  const withEmail = createDeliverer(notifyConfig(), await deps(stateDir))!;
  await withSmtpDown(() => withEmail.send(notice('gone:1')));
  const webhookOnly = createDeliverer({ ...notifyConfig(true), email: undefined }, await deps(stateDir))!;
  assert.equal(await webhookOnly.flush(), []);
  assert.is(outboxState(stateDir).count, 0);
});

test.run();
