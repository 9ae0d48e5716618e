// The practice's handbook (docs/handbuch.md, German) and manual (docs/manual.md, English) stay in
// step with the product: every error or warning message a user can see has an entry in BOTH
// „Problem / Lösung“ lists, quoted as the catalogue says it; every screenshot they show exists;
// the README links both; the tray's „Hilfe…“ entry finds them from the built app.
//
// Which keys are "user-facing error or warning messages" (computed from src/i18n/de.ts, so a key
// added later is caught without touching this file):
//   1. every key of the families that hold only failures and warnings:
//      error.*, warn.*, alert.*, notify.fail.*, mirror.crypt.*, tray.state.*, config.problem.*,
//      tray.export.problem.*, tray.settings.cron.* (the settings window's inline schedule errors),
//      login.ignored.* (a ~/.pgpass or option file the database tool ignores: a run's warning);
//   2. in the families the menu bar, its windows, notifications, mails and the log show, and those
//      of setting it up (schedule, start at login, the first-run assistant): mirror.*, restore.*,
//      verify.*, credentials.test.*, schedule.*, tray.*, notify.test.*, autostart.*, init.*,
//      discover.* (what the assistant found: a server, a folder) —
//      every key whose LAST name segment says something went wrong (FAILURE below: failed, wrong,
//      missing, absent, denied, damaged, refused, unreadable, crashed, gone, full, space, a
//      …Warning, …NoUser, notHere, …).
// Left out on purpose: messages of commands that only the IT service provider types on a terminal
// (cli.*, credentials.* except credentials.test.*, encryption.*, apfs.*, volumes.*, hdiutil.*,
// report.*, concept.*, sheet.*, list.*, status.*): `--help` and the README answer those; the PDF
// and sheet texts are document content, not messages.
// An entry in a manual carries its keys in an HTML comment, `<!-- key: error.dbConnect -->`, on
// the line that quotes the message; one „Lösung“ may serve several messages of a group.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { de } from '../../src/i18n/de';
import { en } from '../../src/i18n/en';
import { trayView } from '../../src/tray/model/tray-state';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const manuals = { de: join(root, 'docs/handbuch.md'), en: join(root, 'docs/manual.md') } as const;

const ALL_OF = ['error.', 'warn.', 'alert.', 'notify.fail.', 'mirror.crypt.', 'tray.state.', 'config.problem.', 'tray.export.problem.', 'tray.settings.cron.', 'login.ignored.'];
const FAILURES_IN = ['mirror.', 'restore.', 'verify.', 'credentials.test.', 'schedule.', 'tray.', 'notify.test.', 'autostart.', 'init.', 'discover.'];
const FAILURE =
  /fail|wrong|missing|absent|denied|damaged|refused|unreadable|crash|unexpected|notStarted|killed|guard|^full$|^space$|sameDisk|gone|noSpace|problems|invalid|noConfig|notConfigured|tooNew|differ|notFound|incomplete|notInstalled|notLoaded|noUserManager|noGuiSession|bootstrap5|tooManyIntervals|left$|^bad|notOpened|noComponent|NoUser$|NoUrl$|notHere|warning$|labelOnly|noFile|exitOnly/i;

/** The rule above, applied to a catalogue's keys. */
export function userFacingErrorKeys(keys: string[]): string[] {
  return keys.filter((k) => ALL_OF.some((p) => k.startsWith(p)) || (FAILURES_IN.some((p) => k.startsWith(p)) && FAILURE.test(k.split('.').pop()!)));
}

/** The „Problem / Lösung“ part: from its heading (section 4) to the end. */
function problemPart(text: string): string {
  const start = text.search(/^## 4\. /m);
  assert.ok(start > 0, 'the manual has a section "## 4. …" (Problem / Lösung)');
  return text.slice(start);
}

/** key → the line that documents it. */
function documented(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of problemPart(text).split('\n')) {
    for (const m of line.matchAll(/<!-- key: ([^>]+?) -->/g)) for (const k of m[1]!.split(/\s+/)) out.set(k, line);
  }
  return out;
}

/** The message as the user sees it, placeholders (also several in a row) as one „…“ (the way the manuals quote it). */
const shown = (template: string) => template.replace(/(\{\w+\})+/g, '…').replace(/\n/g, ' ').trim();

test('the rule finds the error families and leaves out labels and successes', () => {
  const keys = userFacingErrorKeys(Object.keys(de));
  for (const k of ['error.dbConnect', 'mirror.full', 'restore.run.damaged', 'alert.scheduleMissed', 'credentials.test.wrongPassword', 'notify.fail.emailAuth', 'tray.state.ejectRefused', 'tray.help.failed'])
    assert.ok(keys.includes(k), k);
  for (const k of ['run.finished.ok', 'mirror.copied', 'credentials.test.ok', 'tray.action.settings', 'restore.run.finished', 'notify.ok.email', 'cli.usage'])
    assert.not.ok(keys.includes(k), k);
  assert.ok(keys.length > 100, `${keys.length} keys`);
});

for (const lang of ['de', 'en'] as const) {
  const catalogue: Record<string, string> = lang === 'de' ? de : en;

  test(`${lang}: every user-facing error key has an entry quoting its text in ${manuals[lang].slice(root.length + 1)}`, () => {
    const doc = documented(readFileSync(manuals[lang], 'utf8'));
    const missing = userFacingErrorKeys(Object.keys(de)).filter((k) => !doc.has(k));
    // The lines to add (to a fitting group, with a „Lösung“ that says what to do):
    const quote = (k: string) => (lang === 'de' ? `„${shown(catalogue[k] ?? '')}“` : `“${shown(catalogue[k] ?? '')}”`);
    const toAdd = missing.map((k) => `- ${quote(k)} <!-- key: ${k} -->`).join('\n');
    assert.equal(missing, [], `no entry in the problem list for: ${missing.join(', ')}\nadd:\n${toAdd}`);
    const stale: string[] = [];
    for (const [k, line] of doc) {
      if (!(k in catalogue)) stale.push(`${k} (no such key)`);
      else if (!line.includes(shown(catalogue[k]!))) stale.push(`${k}: expected „${shown(catalogue[k]!)}“`);
    }
    assert.equal(stale, [], `entries that no longer say what the product says:\n${stale.join('\n')}`);
  });

  test(`${lang}: every screenshot the manual shows exists`, () => {
    const text = readFileSync(manuals[lang], 'utf8');
    const images = [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    assert.ok(images.length >= 8, `${images.length} screenshots`);
    const gone = images.filter((p) => !existsSync(join(root, 'docs', p)));
    assert.equal(gone, []);
  });

  test(`${lang}: every menu entry of the tray is explained`, () => {
    const text = readFileSync(manuals[lang], 'utf8');
    const v = trayView({
      lang,
      now: new Date('2026-12-02T10:00:00Z'),
      status: { version: 1, running: null, destinations: {} },
      config: { backupDir: '/b', components: [{ name: 'db', type: 'folder', path: '/x' }], retention: { keep: 10 }, mirrors: [{ name: 'usb', type: 'volume', volume: { label: 'USB' }, mode: 'all', eject: true, required: false, encrypt: true }] } as never,
      ownRun: null,
      fullDiskAccessDenied: true,
      restoreAvailable: true,
      autostart: true, // the „Bei Anmeldung starten“ switch, shown where the platform has one
      alerts: [],
    } as never);
    const actions = v.menu.filter((e) => e.kind === 'action').map((e) => (e as { text: string }).text);
    assert.ok(actions.length >= 10, actions.join(' | '));
    // the mirror's name in the emergency-sheet entry is the config's; the manual writes „…“ / “…”
    const missing = actions.filter((a) => !text.includes(a.replace('„usb“', '„…“').replace('“usb”', '“…”')));
    assert.equal(missing, [], 'menu entries the manual does not name');
  });
}

test('the README links both manuals near the top', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const top = readme.slice(0, readme.indexOf('\n## '));
  assert.ok(top.includes('(docs/handbuch.md)'), 'README links docs/handbuch.md before its first section');
  assert.ok(top.includes('(docs/manual.md)'), 'README links docs/manual.md before its first section');
});

test('the tray finds the manual in the admin’s language from dist/ (the built app)', async () => {
  const { findManual } = await import('../../src/tray/manual-path');
  assert.is(findManual('de', join(root, 'dist')), manuals.de);
  assert.is(findManual('en', join(root, 'dist')), manuals.en);
  assert.is(findManual('de', '/'), null);
});

test.run();
