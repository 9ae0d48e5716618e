// „Benachrichtigung konnte nicht zugestellt werden“: the tray turns orange and says so once the
// oldest message in the outbox has waited a day (src/alerting/undelivered.ts decides when, from the
// real outbox; the model says how). Local times are the practice's, not the machine's zone.
process.env.TZ = 'Europe/Berlin';

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { undeliveredSince } from '../../src/alerting/undelivered';
import type { Status } from '../../src/run/status-store';
import { trayView, type TrayInput } from '../../src/tray/model/tray-state';
import { makeTempDir, runCleanups } from '../helpers/temp';

test.after(() => runCleanups());

const NOW = new Date(2026, 10, 24, 10, 0, 0); // Tuesday 24 Nov 2026, 10:00
const status: Status = {
  version: 1,
  running: null,
  lastRun: { backupId: '20261124_031500', startedAt: new Date(2026, 10, 24, 3, 15).toISOString(), finishedAt: new Date(2026, 10, 24, 3, 20).toISOString(), result: 'success', exitCode: 0, warnings: [] },
  destinations: { local: { lastSuccess: { at: new Date(2026, 10, 24, 3, 20).toISOString(), backupId: '20261124_031500' } } },
};
const input = (over: Partial<TrayInput> = {}): TrayInput => ({ lang: 'de', now: NOW, status, config: { mirrors: [] }, ownRun: null, ...over });

test('all else well, but notices have waited since yesterday: orange, and the menu says so in German and English', () => {
  const calm = trayView(input());
  assert.is(calm.icon, 'ok');
  const v = trayView(input({ undelivered: { count: 2, since: new Date(2026, 10, 23, 3, 16) } }));
  assert.is(v.icon, 'warning');
  const line = v.menu.find((e) => e.kind === 'info' && e.id === 'finding');
  assert.ok(line && line.kind === 'info');
  assert.is(line.text, 'Benachrichtigung konnte nicht zugestellt werden (2 wartend seit gestern 03:16): Einstellungen → Benachrichtigungen prüfen');
  assert.match(v.tooltip, /Benachrichtigung konnte nicht zugestellt werden/);
  const en = trayView(input({ lang: 'en', undelivered: { count: 1, since: new Date(2026, 10, 23, 3, 16) } }));
  assert.ok(en.menu.some((e) => e.kind === 'info' && e.text.startsWith('Notification could not be delivered (1 waiting since yesterday 03:16)')), JSON.stringify(en.menu));
});

test('a day in the outbox, not less: an hour-old entry is retried quietly; a day-old one is said', async () => {
  const stateDir = await makeTempDir('praxis-undelivered-');
  const app = (now: Date) => ({ paths: { stateDir }, now: () => now });
  assert.is(undeliveredSince(app(NOW)), null, 'no outbox at all');
  const dir = join(stateDir, 'outbox');
  mkdirSync(dir, { recursive: true });
  const queuedAt = new Date(2026, 10, 23, 11, 0);
  const entry = { version: 1, channel: 'email', notice: { id: 'failure:run:20261123_031500', kind: 'failure', severity: 'error', subject: 's', text: 't', createdAt: queuedAt.toISOString(), event: {} }, queuedAt: queuedAt.toISOString(), attempts: 1, lastAttemptAt: queuedAt.toISOString(), lastError: { key: 'notice.noReason', params: { code: 1 } } };
  writeFileSync(join(dir, `${'a'.repeat(32)}.json`), JSON.stringify(entry));
  assert.is(undeliveredSince(app(NOW)), null, '23 hours: not yet');
  const later = new Date(2026, 10, 24, 11, 0);
  assert.equal(undeliveredSince(app(later)), { count: 1, since: queuedAt });
});

test.run();
