// What the tray says when its run ends or the engine reports a disk: from the CLI's JSON events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { finishNotification, notificationFor } from '../../src/tray/model/notifications';
import { applyEvent, parseCliLine, type CliEvent } from '../../src/tray/model/run-events';

const ts = '2026-11-24T10:00:00.000Z';

test('success: duration and size', () => {
  const n = finishNotification('de', { result: 'success', exitCode: 0, bytes: 5 * 1024 * 1024, durationMs: 125_000, warnings: [] }, { exitCode: 0 });
  assert.equal(n, { title: 'Sicherung abgeschlossen', body: 'Dauer 2 min 5 s, 5,0 MB.', level: 'info' });
  assert.is(finishNotification('en', { result: 'success', exitCode: 0, bytes: 2048, durationMs: 3000 }, { exitCode: 0 }).body, 'Took 3 s, 2.0 KB.');
});

test('warnings: count and the first one, pointing to the log', () => {
  const n = finishNotification(
    'de',
    { result: 'warning', exitCode: 3, bytes: 1024, durationMs: 1000, warnings: [{ key: 'rsync.vanished', text: 'Dateien verschwanden während des Kopierens. Das ist meist harmlos.' }] },
    { exitCode: 3 },
  );
  assert.is(n.level, 'warning');
  assert.is(n.title, 'Sicherung abgeschlossen – mit Warnungen');
  assert.match(n.body, /1 Warnung\(en\): Dateien verschwanden während des Kopierens\. Details unter „Protokoll anzeigen…“\./);
});

test('failed: the reason in one sentence and "see log"', () => {
  const n = finishNotification('de', { result: 'failed', exitCode: 1, error: { key: 'error.dbConnect', text: 'Keine Verbindung zur Datenbank tomedo. Server läuft nicht? Weitere Zeilen.' } }, { exitCode: 1 });
  assert.equal(n, { title: 'Sicherung fehlgeschlagen', body: 'Keine Verbindung zur Datenbank tomedo. Details unter „Protokoll anzeigen…“.', level: 'error' });
});

test('refused because another run holds the lock (75): not started, with the reason', () => {
  const n = finishNotification('de', { result: 'failed', exitCode: 75, error: { key: 'error.lockHeld', text: 'Es läuft bereits ein Backup (seit 10:00, PID 4711 auf praxis). Bitte warten, bis es fertig ist.' } }, { exitCode: 75 });
  assert.is(n.title, 'Sicherung nicht gestartet');
  assert.match(n.body, /PID 4711/);
  assert.is(n.level, 'warning');
});

test('invalid config (2): not started, check the settings', () => {
  const n = finishNotification('en', { result: 'failed', exitCode: 2, error: { key: 'config.invalid', text: 'The configuration has errors.' } }, { exitCode: 2 });
  assert.equal(n, { title: 'Backup not started', body: 'The configuration has errors. Please check the settings.', level: 'error' });
});

test('cancelled by the admin', () => {
  const n = finishNotification('de', { result: 'failed', exitCode: 1, error: { key: 'error.cancelled', text: 'Das Backup wurde abgebrochen. Ältere Backups sind unverändert.' } }, { exitCode: 1 });
  assert.is(n.title, 'Sicherung abgebrochen');
  assert.is(n.level, 'warning');
});

test('crash without a summary: names the signal or exit code', () => {
  assert.match(finishNotification('de', null, { exitCode: null, signal: 'SIGKILL' }).body, /unerwartet beendet \(Signal SIGKILL\)/);
  assert.match(finishNotification('en', null, { exitCode: 134 }).body, /ended unexpectedly \(Exit 134\)/);
});

test('engine notifications: ejected, eject refused, mirror failed', () => {
  const ev = (key: string, text: string): CliEvent => ({ type: 'notification', message: { key, text }, ts });
  assert.equal(notificationFor('de', ev('mirror.ejected', 'Die USB-Festplatte „PRAXIS“ wurde ausgeworfen und kann jetzt abgezogen werden.')), {
    title: 'USB-Festplatte kann abgezogen werden',
    body: 'Die USB-Festplatte „PRAXIS“ wurde ausgeworfen und kann jetzt abgezogen werden.',
    level: 'info',
  });
  const refused = notificationFor('de', ev('error.ejectRefused', '„PRAXIS“ wurde NICHT ausgeworfen – bitte NICHT abziehen. Blockiert durch less (PID 9).'))!;
  assert.is(refused.title, 'NICHT abziehen!');
  assert.is(refused.level, 'error');
  assert.is(notificationFor('de', ev('mirror.failed', 'x'))!.level, 'error');
  assert.is(notificationFor('de', { type: 'log', level: 'info', message: { key: 'a', text: 'b' }, ts }), null);
});

test('progress: components done plus the current one, mirrors restart at their own percent', () => {
  let r = { startedAt: ts, phase: 'start' } as Parameters<typeof applyEvent>[0];
  r = applyEvent(r, { type: 'started', id: 'x', components: ['db', 'files'], pid: 1, ts });
  assert.is(r.percent, 0);
  r = applyEvent(r, { type: 'component-started', name: 'db', componentType: 'postgres', ts });
  r = applyEvent(r, { type: 'progress', name: 'db', percent: null, phase: 'dump', ts });
  assert.is(r.percent, 0, 'a dump without a percent leaves the count as it is (no NaN)');
  r = applyEvent(r, { type: 'component-finished', name: 'db', ts });
  assert.is(r.percent, 50);
  r = applyEvent(r, { type: 'component-started', name: 'files', componentType: 'folder', ts });
  r = applyEvent(r, { type: 'progress', name: 'files', percent: 50, phase: 'copy', ts });
  assert.is(r.percent, 75);
  assert.is(r.component, 'files');
  r = applyEvent(r, { type: 'progress', name: 'total', percent: 50, phase: 'files', ts });
  assert.is(r.percent, 75, 'the coarse total is ignored');
  r = applyEvent(r, { type: 'progress', name: 'mirror:usb', percent: 30, phase: 'x', ts });
  assert.equal([r.phase, r.component, r.percent], ['mirror', 'usb', 30]);
});

test('parseCliLine: events only, never throws', () => {
  assert.equal(parseCliLine('{"type":"started","id":"x","components":[],"pid":1,"ts":"t"}')?.type, 'started');
  assert.is(parseCliLine('{"type":'), null);
  assert.is(parseCliLine('Backup läuft'), null);
  assert.is(parseCliLine('{"no":"type"}'), null);
});

test.run();
