// The log window on a real X display, reading a log written by the engine's own sinks while the
// "run" (this test) keeps appending to it.
// Times are shown in local time: the practice's zone, set here, not whichever the machine has.
process.env.TZ = 'Europe/Berlin';

import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compose, type App } from '../../src/app/compose';
import { Reporter } from '../../src/run/events';
import { PraxisError } from '../../src/core/errors';
import { fileSink, logFileName } from '../../src/run/run-log';
import type { LogWindow as Window } from '../../src/tray/windows/log-window';
import { startQt, type TestQt } from '../helpers/qt';
import { makeTempDir, runCleanups, waitUntil, visibly } from '../helpers/temp';

const test = suite('tray log window (Xvfb)');

let q: TestQt;
let logDir: string;
let app: App;
let win: Window;
let reporter: Reporter;
const opened: string[] = [];
let openFails = false;
const held = new Set<string>();

test.before(visibly(async () => {
  q = await startQt();
  const root = await makeTempDir('praxis-logwin');
  logDir = join(root, 'logs');
  app = {
    ...compose({ ...process.env, PRAXIS_BACKUP_LOG_DIR: logDir }),
    openExternal: async (target: string) => {
      if (openFails) throw new PraxisError('error.unexpected', { message: 'xdg-open: no method available for opening' });
      opened.push(target);
    },
  };
  // A run that is still going: this process is its pid, so it counts as alive.
  reporter = new Reporter([fileSink(logDir, logFileName(new Date('2026-11-24T02:15:00Z'), process.pid))]);
  reporter.emit({ type: 'started', id: '20261124_031500', backupDir: '/srv/praxis-backup', components: ['datenbank', 'files'], pid: process.pid });
  reporter.info('run.estimate', { size: '12,4 GB' });
  reporter.emit({ type: 'component-started', name: 'datenbank', componentType: 'postgres' });
  reporter.info('run.component.finished', { name: 'datenbank', size: '812 MB', files: '' });
  reporter.emit({ type: 'component-started', name: '<b>files</b>', componentType: 'folder' });
  reporter.warn('warn.vanished', { name: 'files', count: 2, files: 'Scan 2026-11-23.pdf, Brief.docx' });
  const { LogWindow } = await import('../../src/tray/windows/log-window');
  win = new LogWindow({ app, lang: 'de', pump: { hold: (r) => held.add(r), release: (r) => held.delete(r) } });
}));
test.after(runCleanups);

function w() {
  const parts = win.widgets;
  if (!parts) throw new Error('the log window is not open');
  return parts;
}

/** Waits for what the window shows (it polls the log); the limit only turns a hang into a failure. */
async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  assert.ok(await waitUntil(async () => (await q.settle(50), check()), ms), `timed out waiting for: ${what}`);
}

test('shows the running backup: header, every line with its time, HTML escaped, warning in orange', async () => {
  win.show();
  await until('the log', () => w().view.toPlainText().includes('Geschätzte Größe'));
  assert.ok(held.has('log-window'));
  assert.is(w().header.text(), 'Backup vom 24.11.2026, 03:15 Uhr – läuft gerade');
  const text = w().view.toPlainText();
  assert.match(text, /^\d{2}:\d{2}:\d{2}\s+Backup 20261124_031500 gestartet \(2 Komponenten\) nach \/srv\/praxis-backup$/m);
  assert.match(text, 'Sichere <b>files</b> (folder) …', 'markup in a message is shown as text');
  const html = w().view.toHtml();
  assert.not.match(html, '<b>files</b>');
  assert.match(html, /color:#a04d00;?">⚠ Während des Kopierens von „files“ sind 2 Datei\(en\) verschwunden/);
});

test('a line appended while the window is open appears; the error line is red and bold; the header follows the result', async () => {
  const before = w().view.toPlainText().split('\n').length;
  reporter.error('run.finished.failed', { reason: { key: 'error.dirMissing', params: { dir: '/Volumes/PRAXIS-BACKUP' } } });
  await until('the appended error line', () => w().view.toPlainText().includes('/Volumes/PRAXIS-BACKUP'));
  assert.is(w().view.toPlainText().split('\n').length, before + 1, 'appended once, nothing repeated');
  const html = w().view.toHtml();
  const errorSpan = /<span style="([^"]*)">✗ Backup fehlgeschlagen: Das Verzeichnis \/Volumes\/PRAXIS-BACKUP existiert nicht/.exec(html);
  assert.ok(errorSpan, 'error line not found in the HTML');
  assert.match(errorSpan![1]!, 'color:#c62828');
  assert.match(errorSpan![1]!, /font-weight:(700|bold)/);
  reporter.emit({
    type: 'finished',
    summary: { result: 'failed', exitCode: 1, durationMs: 5000, warnings: [...reporter.warnings], error: { key: 'error.dirMissing', params: { dir: '/Volumes/PRAXIS-BACKUP' } } },
  });
  await until('the failed header', () => w().header.text().endsWith('fehlgeschlagen'));
  assert.match(w().view.toPlainText(), 'Ergebnis: fehlgeschlagen – Das Verzeichnis /Volumes/PRAXIS-BACKUP existiert nicht.');
  const bar = w().view.verticalScrollBar();
  assert.is(bar.value(), bar.maximum(), 'scrolled to the end');
  await q.settle(200);
  await q.display.screenshot('log-window.png');
});

test('„Protokollordner öffnen“ opens the log folder; a failure is shown in the window', async () => {
  w().openFolder.click();
  await until('openExternal', () => opened.length === 1);
  assert.equal(opened, [logDir]);
  openFails = true;
  w().openFolder.click();
  await until('the inline error', () => w().problem.isVisible());
  assert.match(w().problem.text(), `Der Protokollordner ${logDir} konnte nicht geöffnet werden: Unerwarteter Fehler: xdg-open`);
});

test('a newer run replaces the shown one; closing stops reading; opening again shows the whole log', async () => {
  const next = new Reporter([fileSink(logDir, logFileName(new Date('2026-11-25T02:15:00Z'), process.pid))]);
  next.emit({ type: 'started', id: '20261125_031500', backupDir: '/srv/praxis-backup', components: ['files'], pid: process.pid });
  await until('the newer run', () => w().view.toPlainText().includes('20261125_031500'));
  assert.not.match(w().view.toPlainText(), '20261124_031500');
  assert.is(w().header.text(), 'Backup vom 25.11.2026, 03:15 Uhr – läuft gerade');
  let closed = 0;
  win.onClosed = () => closed++;
  w().close.click();
  await q.settle(100);
  assert.is(win.isOpen, false);
  assert.is(closed, 1);
  assert.not.ok(held.has('log-window'));
  next.info('run.estimate', { size: '1 GB' });
  win.show();
  await until('the reopened log', () => w().view.toPlainText().includes('Geschätzte Größe dieses Backups: 1 GB.'));
  assert.match(w().view.toPlainText(), '20261125_031500');
  win.close();
  await q.settle(50);
});

test('no log yet: the header says where it will be', async () => {
  const empty = await makeTempDir('praxis-logwin');
  const { LogWindow } = await import('../../src/tray/windows/log-window');
  const other = new LogWindow({ app: { ...app, paths: { ...app.paths, logDir: join(empty, 'logs') } }, lang: 'en' });
  other.show();
  await q.settle(100);
  assert.is(other.widgets!.header.text(), `No log yet. One is written by the first backup, in the folder ${join(empty, 'logs')}.`);
  assert.is(other.widgets!.view.toPlainText(), '');
  other.close();
});

test.run();
