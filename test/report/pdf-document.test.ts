// The PDF layer the protocol and the concept share, read back with poppler: a long table goes on over
// pages with its header repeated, every page has the footer and „Seite n von m“, the fonts are
// embedded, umlauts survive, and the file is written atomically with mode 0600.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PdfDocument } from '../../src/report/pdf-document';
import { makeTempDir, runCleanups } from '../helpers/temp';

const test = suite('pdf-document');
test.after(() => runCleanups());

const page = (file: string, n: number) => execFileSync('pdftotext', ['-layout', '-f', String(n), '-l', String(n), file, '-'], { encoding: 'utf8' });
const pages = (file: string) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);

async function sample(lang: 'de' | 'en' = 'de'): Promise<PdfDocument> {
  // A local date: the footer prints local time, and the test must not depend on the machine's zone.
  const doc = await PdfDocument.create({ title: 'Prüfprotokoll', lang, version: '9.9.9', createdAt: new Date(2026, 11, 1, 8, 5), footerNote: 'Praxis Dr. Müller' });
  doc.title('Prüfprotokoll für Größen', 'Praxis Dr. Müller – Übersicht');
  doc.heading('Einträge');
  doc.keyValues([['Zeitraum', '01.11.2026 – 30.11.2026']]);
  doc.table(
    [{ header: 'Lfd. Nr.', width: 1 }, { header: 'Eintrag', width: 4 }],
    Array.from({ length: 150 }, (_, i) => [String(i + 1), i % 10 === 0 ? `Zeile ${i + 1} mit einem längeren Text, der in der Spalte umbricht: äöü ÄÖÜ ß „Anführung“` : `Zeile ${i + 1}`]),
  );
  doc.blank('Verantwortliche Person', { hint: 'Name, Telefon' });
  doc.blank('Aufbewahrungsort der USB-Festplatte', { lines: 3 });
  return doc;
}

test('a long table spans pages: the header on every page, no row lost or split, footer and page numbers everywhere', async () => {
  const dir = await makeTempDir('praxis-pdf-');
  const file = join(dir, 'doc.pdf');
  await (await sample()).save(file);
  const n = pages(file);
  assert.ok(n >= 3, `${n} pages`);
  const seen: number[] = [];
  for (let i = 1; i <= n; i++) {
    const text = page(file, i);
    assert.match(text, new RegExp(`Seite ${i} von ${n}`));
    assert.match(text, /Praxis Dr\. Müller · erstellt von Praxis-Backup 9\.9\.9 am 01\.12\.2026 08:05/);
    for (const m of text.matchAll(/^\s*(\d+)\s+Zeile (\d+)/gm)) {
      assert.is(m[1], m[2]);
      seen.push(Number(m[1]));
    }
    // Every page the table goes on to starts with its header.
    if (/Zeile \d+/.test(text)) assert.match(text, /Lfd\. Nr\.\s+Eintrag/, `header on page ${i}`);
  }
  assert.equal(seen, Array.from({ length: 150 }, (_, i) => i + 1), 'every row once, in order');
  const all = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  assert.match(all, /Prüfprotokoll für Größen/);
  assert.match(all, /äöü ÄÖÜ ß „Anführung“/);
  assert.match(all, /Verantwortliche Person/);
  assert.match(all, /Name, Telefon/);
  assert.match(all, /Aufbewahrungsort der USB-Festplatte/);
  const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean);
  assert.equal(fonts.map((f) => /\+(DejaVuSans(?:-Bold)?)\s/.exec(f)?.[1]).sort(), ['DejaVuSans', 'DejaVuSans-Bold']);
  for (const f of fonts) assert.match(f, /\s+yes\s+yes\s+yes\s+/, `embedded subset with unicode map: ${f}`);
});

test('English page numbers and footer', async () => {
  const dir = await makeTempDir('praxis-pdf-');
  const file = join(dir, 'en.pdf');
  await (await sample('en')).save(file);
  assert.match(page(file, 1), /created by Praxis-Backup 9\.9\.9 on 2026-12-01 08:05/);
  assert.match(page(file, 1), new RegExp(`Page 1 of ${pages(file)}`));
});

test('written atomically with mode 0600: an old file is replaced whole, no temp file stays; a missing folder is an error and leaves nothing', async () => {
  const dir = await makeTempDir('praxis-pdf-');
  const file = join(dir, 'doc.pdf');
  writeFileSync(file, 'old', { mode: 0o644 });
  await (await sample()).save(file);
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.ok(statSync(file).size > 5000);
  assert.equal(readdirSync(dir), ['doc.pdf']);
  try {
    await (await sample()).save(join(dir, 'fehlt', 'doc.pdf'));
    assert.unreachable('saved into a folder that does not exist');
  } catch (e) {
    assert.is((e as NodeJS.ErrnoException).code, 'ENOENT');
  }
  assert.equal(readdirSync(dir), ['doc.pdf']);
});

test.run();
