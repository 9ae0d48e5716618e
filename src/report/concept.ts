// The Datensicherungskonzept as a PDF (`praxis-backup concept`): concept-content.ts decides what it
// says, this file lays it out with the shared pdf-document layer (A4, DejaVu embedded, footer with
// who made it when, page n of m) and writes it atomically.
import type { Lang } from '../i18n';
import { buildConcept, type Concept, type ConceptInput } from './concept-content';
import { PdfDocument } from './pdf-document';

export async function renderConcept(concept: Concept, opts: { lang: Lang; version: string; createdAt: Date; practiceName?: string }): Promise<PdfDocument> {
  const pdf = await PdfDocument.create({ title: concept.title, lang: opts.lang, version: opts.version, createdAt: opts.createdAt, footerNote: opts.practiceName });
  pdf.title(concept.title, concept.subtitle);
  pdf.paragraph(concept.intro);
  for (const section of concept.sections) {
    pdf.heading(section.heading);
    for (const b of section.blocks) {
      switch (b.kind) {
        case 'paragraph':
          pdf.paragraph(b.text, b.note ? { small: true, grey: true } : {});
          break;
        case 'bullets':
          pdf.bullets(b.items);
          break;
        case 'keyValues':
          pdf.keyValues(b.rows);
          break;
        case 'table':
          pdf.table(b.columns, b.rows);
          break;
        case 'code':
          // Commands to type: smaller, set apart, each on its own line as on the Notfallblatt.
          pdf.paragraph(b.text, { small: true });
          break;
        case 'blank':
          pdf.blank(b.label, { lines: b.lines, hint: b.hint });
          break;
      }
    }
  }
  return pdf;
}

/** Builds the concept from the config and writes it to `file` (0600, atomically). */
export async function writeConcept(file: string, input: ConceptInput & { version: string }): Promise<string> {
  const concept = buildConcept(input);
  const pdf = await renderConcept(concept, { lang: input.lang, version: input.version, createdAt: input.now, practiceName: input.config.practiceName });
  return pdf.save(file);
}
