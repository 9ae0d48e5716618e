// The `notify` shape of issue 14 as the issue gives it must be accepted as written, with the
// defaults a practice expects (German, STARTTLS, certificates checked, weekly summary on Monday,
// monthly report on): scripts and the settings window write exactly this.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configSchema } from '../../src/config/schema';

const base = { backupDir: '/srv/praxis-backup', components: [{ name: 'files', type: 'folder', path: '/srv/praxis' }] };

test("the issue's example is valid as written", () => {
  const r = configSchema.safeParse({
    ...base,
    notify: {
      email: { host: 'mail.example.de', port: 587, tls: 'starttls', user: 'praxis@example.de', from: 'praxis@example.de', to: ['it-dienstleister@example.de'] },
      ntfy: { url: 'https://ntfy.example.de/praxis-backup' },
      webhook: { url: 'https://monitor.example.de/hooks/praxis' },
      heartbeat: { url: 'https://hc.example.de/ping/2f9c0a1e-5b6d-4e1f-9a3b-7c8d9e0f1a2b' },
      onSuccess: false,
      weeklySummary: 'monday',
      monthlyReport: true,
    },
  });
  assert.ok(r.success, JSON.stringify(!r.success && r.error.issues));
});

test('defaults: German, STARTTLS on 587, certificates checked, healthchecks style, weekly on Monday, monthly report on', () => {
  const r = configSchema.parse({
    ...base,
    notify: { email: { host: 'mail.example.de', from: 'praxis@example.de', to: ['it@example.de'] }, heartbeat: { url: 'http://10.0.0.5:8000/ping/abc' } },
  });
  assert.equal(r.notify?.language, 'de');
  assert.equal(r.notify?.email?.port, 587);
  assert.equal(r.notify?.email?.tls, 'starttls');
  assert.equal(r.notify?.email?.allowSelfSigned, false);
  assert.equal(r.notify?.email?.user, undefined, 'a relay without login needs no user');
  assert.equal(r.notify?.heartbeat?.style, 'healthchecks');
  assert.equal(r.notify?.weeklySummary, 'monday');
  assert.equal(r.notify?.monthlyReport, true);
  assert.equal(r.notify?.onSuccess, false);
});

test('weeklySummary false turns the weekly summary off; no notify at all stays absent', () => {
  assert.equal(configSchema.parse({ ...base, notify: { weeklySummary: false } }).notify?.weeklySummary, false);
  assert.equal(configSchema.parse(base).notify, undefined);
});

test('addresses: plain addr-spec only, umlaut domains must be given in their ASCII (punycode) form', () => {
  const ok = (to: string) => configSchema.safeParse({ ...base, notify: { email: { host: 'h', from: 'a@b.de', to: [to] } } }).success;
  assert.ok(ok('it-dienstleister@example.de'));
  assert.ok(ok('praxis.mueller+backup@xn--mller-kva.de'));
  assert.not.ok(ok('Praxis <a@b.de>'));
  assert.not.ok(ok('a@b'));
  assert.not.ok(ok('a b@c.de'));
  assert.not.ok(ok('a@müller.de'));
});

test.run();
