// A small layer over pdfkit for the documents a practice prints and files: the monthly
// Datensicherungsprotokoll and the Datensicherungskonzept. A4, DejaVu fonts embedded (umlauts and
// „“ print everywhere, years later, without the fonts of the machine that opens the file), simple
// blocks (title, heading, paragraph, key/value list, table, fill-in blank) that break pages by
// themselves, repeat a table's header on every page it spans, and a footer on each page that says
// who made the document when, and „Seite n von m“.
//
// pdfkit is kept external by webpack (it reads its data files beside its own code); the fonts are
// resolved at run time from the dejavu-fonts-ttf package for the same reason. Passing `font` to
// the constructor keeps pdfkit from loading its built-in Helvetica (a font that has no „ő“ and is
// not embedded).
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type PDFKitDocument from 'pdfkit';
import { t, type Lang } from '../i18n';
import { PraxisError } from '../core/errors';
import { fsyncDir } from '../platform/fsync';
import { localDateTime } from './local-time';

const REGULAR = 'DejaVuSans';
const BOLD = 'DejaVuSans-Bold';

/**
 * The font files, from the installed dejavu-fonts-ttf package, found at run time the way Node finds
 * a package: in node_modules of the running program's folder or a parent (dist/cli.js, dist/tray.js,
 * a test under tsx), else of this source file's. Not require.resolve: webpack would try to bundle
 * the TTF files, and in the bundle `import.meta.url` is the build machine's source path.
 */
export function fontFiles(): { regular: string; bold: string } {
  const starts = [process.argv[1], fileURLToPath(import.meta.url)].filter((b): b is string => !!b).map((b) => dirname(realpathOr(b)));
  for (const start of starts) {
    for (let dir = start; ; dir = dirname(dir)) {
      const fonts = join(dir, 'node_modules', FONT_PACKAGE, 'ttf');
      const found = { regular: join(fonts, 'DejaVuSans.ttf'), bold: join(fonts, 'DejaVuSans-Bold.ttf') };
      if (existsSync(found.regular) && existsSync(found.bold)) return found;
      if (dirname(dir) === dir) break;
    }
  }
  throw new PraxisError('pdf.fontsMissing', { package: FONT_PACKAGE });
}

const FONT_PACKAGE = 'dejavu-fonts-ttf';

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export interface PdfDocumentOptions {
  /** The document's title (PDF metadata; the visible title is written with title()). */
  title: string;
  lang: Lang;
  /** Praxis-Backup's version, for the footer and the metadata. */
  version: string;
  /** When the document is made (the footer and the metadata; the app's clock, so tests are repeatable). */
  createdAt: Date;
  /** Shown left in the footer before „erstellt von …“, e.g. the practice's name. */
  footerNote?: string;
}

export interface TableColumn {
  header: string;
  /** Relative width: the columns share the line in proportion to these. */
  width: number;
  align?: 'left' | 'right';
}

export interface TableOptions {
  /** Font size of the cells (default 8.5). */
  fontSize?: number;
  /** No header row (key/value lists). */
  noHeader?: boolean;
  /** Column indexes written in bold (e.g. the keys of a key/value list). */
  boldColumns?: number[];
}

const PAGE = { size: 'A4' as const, margins: { top: 56, left: 56, right: 56, bottom: 64 } };
const TEXT = 10;
const GREY = '#555555';
const RULE = '#999999';
const HEADER_FILL = '#e6e6e6';
const PAD = 3;

/** One document being written (PdfDocument.create). Blocks are added top to bottom; save() finishes it. */
export class PdfDocument {
  /**
   * pdfkit (with fontkit, ~30 MB of heap) is loaded only when a document is made: the nightly
   * `run` shares this bundle and never prints, and its memory is a goal (issue 19).
   */
  static async create(opts: PdfDocumentOptions): Promise<PdfDocument> {
    const { default: PDFDocument } = await import('pdfkit');
    return new PdfDocument(PDFDocument, opts);
  }

  private readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;
  private finished = false;

  private constructor(PDFDocument: typeof PDFKitDocument, private readonly opts: PdfDocumentOptions) {
    const fonts = fontFiles();
    this.doc = new PDFDocument({
      ...PAGE,
      font: fonts.regular,
      bufferPages: true,
      autoFirstPage: true,
      lang: opts.lang === 'de' ? 'de-DE' : 'en-GB',
      info: {
        Title: opts.title,
        Author: 'Praxis-Backup',
        Creator: `Praxis-Backup ${opts.version}`,
        Producer: `Praxis-Backup ${opts.version} (pdfkit)`,
        CreationDate: opts.createdAt,
        ModDate: opts.createdAt,
      },
    });
    this.doc.registerFont(REGULAR, fonts.regular);
    this.doc.registerFont(BOLD, fonts.bold);
    this.doc.font(REGULAR).fontSize(TEXT).fillColor('black');
    this.doc.on('data', (c: Buffer) => this.chunks.push(c));
    this.done = new Promise((resolve, reject) => {
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
  }

  private get left(): number {
    return this.doc.page.margins.left;
  }

  private get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** A new page when less than `height` points are left on this one. */
  ensureSpace(height: number): void {
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  newPage(): void {
    this.doc.addPage();
    this.doc.x = this.left;
  }

  /** The document's big title, with an optional second line (e.g. the practice and the month). */
  title(text: string, subtitle?: string): void {
    this.doc.font(BOLD).fontSize(18).fillColor('black').text(text, this.left, this.doc.y, { width: this.width });
    if (subtitle) this.doc.moveDown(0.2).font(REGULAR).fontSize(12).text(subtitle, { width: this.width });
    this.doc.moveDown(0.8).font(REGULAR).fontSize(TEXT);
  }

  /** A section heading; kept on the page of what follows it (never alone at a page's foot). */
  heading(text: string, level: 1 | 2 = 1): void {
    const size = level === 1 ? 13 : 11;
    this.ensureSpace(size * 4 + 30);
    this.doc.moveDown(level === 1 ? 0.6 : 0.4);
    this.doc.font(BOLD).fontSize(size).fillColor('black').text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3).font(REGULAR).fontSize(TEXT);
  }

  /** Running text; pdfkit wraps it and breaks pages inside it. */
  paragraph(text: string, opts: { bold?: boolean; small?: boolean; grey?: boolean } = {}): void {
    this.doc
      .font(opts.bold ? BOLD : REGULAR)
      .fontSize(opts.small ? 8.5 : TEXT)
      .fillColor(opts.grey ? GREY : 'black')
      .text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.4).font(REGULAR).fontSize(TEXT).fillColor('black');
  }

  /** A list with a bullet per item. */
  bullets(items: string[]): void {
    this.doc.font(REGULAR).fontSize(TEXT).fillColor('black');
    for (const item of items) this.doc.text(`•  ${item}`, this.left + 8, this.doc.y, { width: this.width - 8 });
    this.doc.moveDown(0.4);
  }

  /** Label/value lines (label in bold), aligned like a form. */
  keyValues(rows: [string, string][], keyShare = 0.3): void {
    this.table([{ header: '', width: keyShare }, { header: '', width: 1 - keyShare }], rows, { noHeader: true, boldColumns: [0], fontSize: TEXT - 0.5 });
  }

  /**
   * A table whose rows never split across pages; the header row is repeated at the top of every
   * page the table continues on. Cells wrap within their column.
   */
  table(columns: TableColumn[], rows: string[][], opts: TableOptions = {}): void {
    const doc = this.doc;
    const size = opts.fontSize ?? 8.5;
    const total = columns.reduce((s, c) => s + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * this.width);
    const xs = widths.map((_, i) => this.left + widths.slice(0, i).reduce((s, w) => s + w, 0));
    const bold = new Set(opts.boldColumns ?? []);
    const heightOf = (cells: string[], header: boolean) =>
      Math.max(
        ...cells.map((cell, i) => {
          doc.font(header || bold.has(i) ? BOLD : REGULAR).fontSize(size);
          return doc.heightOfString(cell || ' ', { width: widths[i]! - 2 * PAD });
        }),
      ) +
      2 * PAD;
    const drawRow = (cells: string[], header: boolean) => {
      const h = heightOf(cells, header);
      const y = doc.y;
      if (header) doc.rect(this.left, y, this.width, h).fill(HEADER_FILL);
      cells.forEach((cell, i) => {
        doc
          .font(header || bold.has(i) ? BOLD : REGULAR)
          .fontSize(size)
          .fillColor('black')
          .text(cell, xs[i]! + PAD, y + PAD, { width: widths[i]! - 2 * PAD, align: columns[i]!.align ?? 'left', lineBreak: true });
      });
      doc.moveTo(this.left, y + h).lineTo(this.left + this.width, y + h).lineWidth(0.4).strokeColor(RULE).stroke();
      doc.x = this.left;
      doc.y = y + h;
    };
    const header = columns.map((c) => c.header);
    const withHeader = !opts.noHeader;
    const headerHeight = withHeader ? heightOf(header, true) : 0;
    // The header and at least the first row together, or a new page.
    this.ensureSpace(headerHeight + (rows[0] ? heightOf(rows[0], false) : 0));
    if (withHeader) drawRow(header, true);
    for (const row of rows) {
      if (doc.y + heightOf(row, false) > this.bottom) {
        this.newPage();
        if (withHeader) drawRow(header, true);
      }
      drawRow(row, false);
    }
    doc.moveDown(0.6).font(REGULAR).fontSize(TEXT).fillColor('black');
  }

  /**
   * A blank to fill in by hand: the label, then a line to the right margin; `lines` more full-width
   * lines below for longer answers (e.g. where the USB disk is kept).
   */
  blank(label: string, opts: { lines?: number; hint?: string } = {}): void {
    const doc = this.doc;
    const lineGap = 22;
    const extra = Math.max(0, (opts.lines ?? 1) - 1);
    this.ensureSpace(lineGap * (extra + 1) + 16);
    doc.font(BOLD).fontSize(TEXT).fillColor('black');
    const y = doc.y + 8;
    const labelWidth = Math.min(doc.widthOfString(label) + 8, this.width * 0.6);
    doc.text(label, this.left, y, { width: labelWidth, lineBreak: false });
    const base = y + TEXT + 2;
    const rule = (x0: number, yy: number) => doc.moveTo(x0, yy).lineTo(this.left + this.width, yy).lineWidth(0.6).strokeColor('black').stroke();
    rule(this.left + labelWidth, base);
    for (let i = 1; i <= extra; i++) rule(this.left, base + i * lineGap);
    doc.x = this.left;
    doc.y = base + extra * lineGap + 4;
    if (opts.hint) doc.font(REGULAR).fontSize(7.5).fillColor(GREY).text(opts.hint, this.left, doc.y, { width: this.width });
    doc.moveDown(0.5).font(REGULAR).fontSize(TEXT).fillColor('black');
  }

  /** Vertical space in points. */
  space(points: number): void {
    this.doc.y += points;
  }

  /** Finishes the document (footers on every page) and returns its bytes. */
  async toBuffer(): Promise<Buffer> {
    if (!this.finished) {
      this.finished = true;
      this.footers();
      this.doc.end();
    }
    return this.done;
  }

  /** Finishes the document and writes it atomically (temp file, fsync, rename) with mode 0600. */
  async save(path: string): Promise<string> {
    await writeFileAtomic(path, await this.toBuffer());
    return path;
  }

  private footers(): void {
    const doc = this.doc;
    const { start, count } = doc.bufferedPageRange();
    const made = t(this.opts.lang, 'pdf.footer', { version: this.opts.version, at: localDateTime(this.opts.createdAt, this.opts.lang) });
    const left = this.opts.footerNote ? `${this.opts.footerNote} · ${made}` : made;
    for (let i = start; i < start + count; i++) {
      doc.switchToPage(i);
      // Text below the bottom margin would make pdfkit start a new page: lift the margin meanwhile.
      const margin = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      const y = doc.page.height - margin + 24;
      doc.moveTo(this.left, y - 5).lineTo(this.left + this.width, y - 5).lineWidth(0.4).strokeColor(RULE).stroke();
      doc.font(REGULAR).fontSize(7.5).fillColor(GREY);
      const page = t(this.opts.lang, 'pdf.page', { page: i - start + 1, pages: count });
      const pageWidth = doc.widthOfString(page);
      doc.text(left, this.left, y, { width: this.width - pageWidth - 12, lineBreak: false, ellipsis: true });
      doc.text(page, this.left + this.width - pageWidth, y, { width: pageWidth + 1, lineBreak: false });
      doc.page.margins.bottom = margin;
    }
    doc.fillColor('black');
  }
}

/** Temp file beside the target, fsync'd, renamed over it: a reader never sees half a PDF (or half a desktop entry: src/autostart). */
export async function writeFileAtomic(path: string, bytes: Buffer | string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(bytes);
      await fh.chmod(mode); // open's mode is subject to the umask
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir);
}
