// The monthly Datensicherungsprotokoll as a PDF: per run date, times, scope, source and target,
// software and versions, result and warnings (BSI M 6.37); the restore tests (CON.3.A15); the copies
// onto the mirrors; the sha256 of each manifest, so the printed record can be checked against the
// backups years later; and the findings still open when it was made. Built from collectPeriod's
// PeriodData only — what the runs recorded anyway.
import { access, constants, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema';
import { formatBytes, render, t, type Lang, type Message, type MessageKey } from '../i18n';
import { ExitCode, PraxisError } from '../core/errors';
import { kindFor } from '../databases/registry';
import { localDate, localDateTime, localTime } from './local-time';
import { PdfDocument } from './pdf-document';
import { collectPeriod, monthPeriod, type MirrorCopy, type PeriodData, type PeriodRun, type RestoreTest, type ToolUse } from './period';

const MONTHS: Record<Lang, string[]> = {
  de: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};

/** „November 2026“ for the period's first day. */
export function monthName(from: Date, lang: Lang): string {
  return `${MONTHS[lang][from.getMonth()]} ${from.getFullYear()}`;
}

/** Datensicherungsprotokoll-2026-11.pdf: the same name in both languages (the document's German name is the term practices use). */
export function defaultReportName(month: string): string {
  return `Datensicherungsprotokoll-${month}.pdf`;
}

/** „pg_dump 16.4“ from the tool's own version line (the full line stays in --json). */
export function toolText(u: ToolUse): string {
  const line = u.version.replace(/protocol version.*/i, '');
  const v = /(?:Distrib|from)\s+(\d+(?:\.\d+)+)/i.exec(line)?.[1] ?? /(\d+(?:\.\d+)+)/.exec(line)?.[1];
  return v ? `${u.tool} ${v}` : `${u.tool} ${u.version}`.trim();
}

function describeSource(c: Config['components'][number]): string {
  if (c.type === 'folder') return `${c.name}: ${c.path}`;
  return `${c.name}: ${kindFor(c).labelFor(c.type)} „${c.database}“ @ ${c.host ?? 'localhost'}${c.port ? `:${c.port}` : ''}`;
}

function describeTarget(m: Pick<MirrorCopy, 'target'>, lang: Lang): string[] {
  const tg = m.target;
  if (!tg) return [];
  const out: string[] = [];
  if (tg.label) out.push(t(lang, 'report.disk.label', { label: tg.label }));
  if (tg.uuid) out.push(t(lang, 'report.disk.uuid', { uuid: tg.uuid }));
  if (tg.url) out.push(tg.url);
  out.push(tg.dir);
  return out;
}

const yesNo = (v: boolean | null, lang: Lang) => t(lang, v === null ? 'report.unknown' : v ? 'report.yes' : 'report.no');

class Protocol {
  constructor(
    private readonly d: PeriodData,
    private readonly lang: Lang,
    private readonly config: Config,
  ) {}

  private tx(key: MessageKey, params: Record<string, string | number | Message> = {}): string {
    return t(this.lang, key, params);
  }

  private when(iso: string): string {
    return localDateTime(new Date(iso), this.lang);
  }

  private size(n: number | null): string {
    return n === null ? '—' : formatBytes(n, this.lang);
  }

  write(doc: PdfDocument): void {
    const d = this.d;
    const from = new Date(d.from);
    const last = new Date(new Date(d.to).getTime() - 1);
    doc.title(this.tx('report.title', { month: monthName(from, this.lang) }), d.practiceName ?? undefined);
    const versions = [...new Set(d.runs.map((r) => r.program?.version).filter((v): v is string => !!v))];
    const hosts = [...new Set([...d.runs.map((r) => r.program?.host), ...d.backups.map((b) => b.host)].filter((h): h is string => !!h))];
    doc.keyValues([
      ...(d.practiceName ? ([[this.tx('report.kv.practice'), d.practiceName]] as [string, string][]) : []),
      [this.tx('report.kv.period'), `${localDate(from, this.lang)} – ${localDate(last, this.lang)}`],
      [this.tx('report.kv.created'), this.when(d.now)],
      [this.tx('report.kv.host'), hosts.join(', ') || '—'],
      [this.tx('report.kv.sources'), this.config.components.map(describeSource).join('\n')],
      [this.tx('report.kv.backupDir'), d.backupDir],
      [this.tx('report.kv.mirrors'), d.mirrorsConfigured.map((m) => `${m.name} (${m.type}${m.encrypted ? `, ${this.tx('report.encrypted')}` : ''}): ${m.where}`).join('\n') || '—'],
      [this.tx('report.kv.software'), versions.length ? versions.map((v) => `Praxis-Backup ${v}`).join(', ') : '—'],
    ], 0.34);
    doc.paragraph(this.tx('report.basis', { logDir: d.logDir }), { small: true, grey: true });

    doc.heading(this.tx('report.summary.heading'));
    if (!d.runs.length) doc.paragraph(this.tx('report.noRuns'), { bold: true });
    else {
      const tot = d.totals;
      doc.paragraph(this.tx('report.summary.text', { runs: d.runs.length, backups: tot.backups, failed: tot.failed, warnings: tot.warnings, incomplete: tot.incomplete }));
      doc.paragraph(this.tx('report.summary.tests', { tests: tot.restoreTests, failed: tot.restoreTestsFailed, copies: tot.mirrorCopies, copiesFailed: tot.mirrorCopiesFailed }));
    }
    this.findings(doc);
    if (d.runs.length) this.runs(doc);
    this.restoreTests(doc);
    this.mirrorCopies(doc);
    this.backups(doc);
  }

  private findings(doc: PdfDocument): void {
    doc.heading(this.tx('report.findings.heading', { at: this.when(this.d.now) }));
    if (!this.d.findings.length) doc.paragraph(this.tx('report.findings.none'));
    else doc.bullets(this.d.findings.map((a) => `${this.tx(a.severity === 'error' ? 'report.severity.error' : 'report.severity.warning')}: ${render(this.lang, a.message)}`));
  }

  private resultText(r: PeriodRun): string {
    const lines = [this.tx(`report.result.${r.result}`) + (r.exitCode !== null ? ` (${this.tx('report.exit', { code: r.exitCode })})` : '')];
    if (r.error) lines.push(render(this.lang, r.error));
    lines.push(...r.details.slice(-3));
    const warnings = r.warnings.map((w) => `⚠ ${render(this.lang, w)}`);
    lines.push(...warnings.slice(0, 5));
    if (warnings.length > 5) lines.push(this.tx('report.moreWarnings', { count: warnings.length - 5 }));
    return lines.join('\n');
  }

  private scopeText(r: PeriodRun): string {
    const lines: string[] = [];
    // A failed backup run had chosen its id, but no such backup exists: say so.
    if (r.backupId) lines.push(this.tx(r.kind === 'backup' && (r.result === 'failed' || r.result === 'incomplete') ? 'report.backupIdNotMade' : 'report.backupId', { id: r.backupId }));
    for (const c of r.components) {
      const files = c.files !== null ? `, ${this.tx('report.files', { count: c.files })}` : '';
      lines.push(`${c.name} (${c.type ?? '?'}): ${c.bytes === null ? this.tx('report.notFinished') : this.size(c.bytes) + files}`);
    }
    if (r.backupDir) lines.push(this.tx('report.target.local', { dir: r.backupDir }));
    if (r.verification) lines.push(this.tx('report.verified', { id: r.verification.backupId, dest: r.verification.destination === 'local' ? this.tx('report.dest.local') : r.verification.destination }));
    for (const m of r.mirrors) lines.push(this.tx('report.mirrorLine', { name: m.name, result: this.tx(`report.mirror.${m.result}` as MessageKey) }));
    return lines.join('\n') || '—';
  }

  private runs(doc: PdfDocument): void {
    doc.heading(this.tx('report.runs.heading'));
    const rows = this.d.runs.map((r) => {
      const start = new Date(r.startedAt);
      const end = r.finishedAt ? localTime(new Date(r.finishedAt)) : '?';
      const software = [r.program ? `Praxis-Backup ${r.program.version}` : '', ...r.tools.map(toolText)].filter(Boolean).join('\n') || '—';
      return [`${localDate(start, this.lang)}\n${localTime(start)}–${end}`, this.tx(`report.kind.${r.kind}`), this.resultText(r), this.scopeText(r), software];
    });
    doc.table(
      [
        { header: this.tx('report.col.when'), width: 1.05 },
        { header: this.tx('report.col.kind'), width: 0.95 },
        { header: this.tx('report.col.result'), width: 2.3 },
        { header: this.tx('report.col.scope'), width: 2.3 },
        { header: this.tx('report.col.software'), width: 1.45 },
      ],
      rows,
    );
  }

  private restoreTests(doc: PdfDocument): void {
    doc.heading(this.tx('report.tests.heading'));
    if (!this.d.restoreTests.length) {
      doc.paragraph(this.tx('report.tests.none'));
      return;
    }
    const num = (n: number | null) => (n === null ? '—' : n.toLocaleString(this.lang === 'de' ? 'de-DE' : 'en-GB'));
    doc.paragraph(this.tx('report.tests.columns'), { small: true, grey: true });
    const rows = this.d.restoreTests.map((x: RestoreTest) => [
      this.when(x.at),
      // The local backup directory is the usual case; a mirror's copy is named.
      `${x.backupId ?? '—'}${x.destination === 'local' ? '' : `\n${x.destination}`}`,
      `${x.component}${x.database ? `\n${this.tx('report.database', { name: x.database })}` : ''}`,
      num(x.tables),
      num(x.tablesCompared),
      num(x.ok ? x.rows : null),
      [this.tx(x.ok ? 'report.test.passed' : 'report.test.failed'), ...x.problems.map((p) => render(this.lang, p))].join('\n'),
    ]);
    doc.table(
      [
        { header: this.tx('report.col.when'), width: 1.0 },
        { header: this.tx('report.col.backup'), width: 1.5 },
        { header: this.tx('report.col.database'), width: 1.65 },
        { header: this.tx('report.col.tables'), width: 0.8, align: 'right' },
        { header: this.tx('report.col.tablesCompared'), width: 0.95, align: 'right' },
        { header: this.tx('report.col.rows'), width: 0.75, align: 'right' },
        { header: this.tx('report.col.result'), width: 1.35 },
      ],
      rows,
    );
  }

  private mirrorCopies(doc: PdfDocument): void {
    doc.heading(this.tx('report.copies.heading'));
    const copies = this.d.mirrorCopies.filter((m) => m.result !== 'skipped');
    if (!copies.length) {
      doc.paragraph(this.tx(this.d.mirrorsConfigured.length ? 'report.copies.none' : 'report.copies.noMirrors'));
      return;
    }
    const rows = copies.map((m) => [
      this.when(m.at),
      [`${m.name}${m.mirrorType ? ` (${m.mirrorType})` : ''}`, ...describeTarget(m, this.lang)].join('\n'),
      m.copied.length ? `${m.copied.join('\n')}\n${this.size(m.bytesCopied)}` : this.tx('report.copies.nothingNew'),
      yesNo(m.verified, this.lang),
      m.ejected === null ? '—' : yesNo(m.ejected, this.lang),
      [this.tx(`report.mirror.${m.result}` as MessageKey), ...(m.message ? [render(this.lang, m.message)] : [])].join('\n'),
    ]);
    doc.table(
      [
        { header: this.tx('report.col.when'), width: 1.05 },
        { header: this.tx('report.col.disk'), width: 2.0 },
        { header: this.tx('report.col.copied'), width: 1.65 },
        { header: this.tx('report.col.checked'), width: 0.8 },
        { header: this.tx('report.col.ejected'), width: 1.25 },
        { header: this.tx('report.col.result'), width: 1.25 },
      ],
      rows,
    );
  }

  private backups(doc: PdfDocument): void {
    doc.heading(this.tx('report.backups.heading'));
    const d = this.d;
    if (!d.backups.length) doc.paragraph(this.tx('report.backups.none', { dir: d.backupDir }));
    else {
      doc.table(
        [
          { header: this.tx('report.col.backup'), width: 1.45 },
          { header: this.tx('report.col.components'), width: 2.95 },
          { header: this.tx('report.col.size'), width: 0.8, align: 'right' },
          { header: this.tx('report.col.lastCheck'), width: 1.6 },
        ],
        d.backups.map((b) => [
          `${b.id}\n${this.when(b.startedAt)}`,
          b.components
            .map((c) => {
              const extra = [c.dumpTool ? toolText({ tool: basenameOf(c.dumpTool.path), path: c.dumpTool.path, version: c.dumpTool.version }) : '', c.serverVersion ? this.tx('report.server', { version: c.serverVersion }) : '', c.tables !== null ? this.tx('report.rowsRecorded', { tables: c.tables, rows: c.rows ?? 0 }) : '', c.files !== undefined ? this.tx('report.files', { count: c.files }) : '']
                .filter(Boolean)
                .join(', ');
              return `${c.name} (${c.type}${c.database ? ` „${c.database}“` : ''}): ${this.size(c.bytes)}${extra ? ` – ${extra}` : ''}`;
            })
            .join('\n'),
          this.size(b.bytes),
          b.lastVerification ? `${this.tx(b.lastVerification.ok ? 'report.test.passed' : 'report.test.failed')}${b.lastVerification.restoreTest ? ` (${this.tx('report.withRestoreTest')})` : ''}\n${this.when(b.lastVerification.at)}` : '—',
        ]),
      );
      doc.heading(this.tx('report.sha.heading'), 2);
      doc.paragraph(this.tx('report.sha.how', { example: join(d.backupDir, d.backups[0]!.id, 'manifest.json') }), { small: true, grey: true });
      doc.table(
        [
          { header: this.tx('report.col.backup'), width: 1 },
          { header: 'SHA-256 (manifest.json)', width: 4.2 },
        ],
        d.backups.map((b) => [b.id, b.manifestSha256]),
        { fontSize: 8 },
      );
    }
    if (d.backupsGone.length) doc.paragraph(this.tx('report.backups.gone', { ids: d.backupsGone.join(', '), dir: d.backupDir }), { small: true });
    if (d.unreadableLogs.length) doc.paragraph(this.tx('report.unreadableLogs', { files: d.unreadableLogs.join(', ') }), { bold: true });
  }
}

const basenameOf = (p: string) => p.split('/').pop() ?? p;

/** The protocol as PDF bytes (not yet written anywhere). */
export async function renderProtocol(data: PeriodData, o: { config: Config; lang: Lang; version: string; createdAt: Date }): Promise<Buffer> {
  const doc = await protocolDocument(data, o);
  return doc.toBuffer();
}

async function protocolDocument(data: PeriodData, o: { config: Config; lang: Lang; version: string; createdAt: Date }): Promise<PdfDocument> {
  const from = new Date(data.from);
  const doc = await PdfDocument.create({
    title: t(o.lang, 'report.title', { month: monthName(from, o.lang) }),
    lang: o.lang,
    version: o.version,
    createdAt: o.createdAt,
    footerNote: data.practiceName ?? undefined,
  });
  new Protocol(data, o.lang, o.config).write(doc);
  return doc;
}

export interface MonthlyReportRequest {
  config: Config;
  /** „YYYY-MM“; anything else is exit 2 naming --month. */
  month: string;
  lang: Lang;
  /** The PDF's path; a folder that exists gets the default name inside. Default: the default name in the current folder. */
  out?: string;
  /** The report's clock: its creation time and the moment findings are judged (app.now()). */
  now: Date;
  /** Praxis-Backup's version (app.version). */
  version: string;
  /** app.paths.logDir and app.paths.stateDir. */
  logDir: string;
  stateDir: string;
}

/** Where the PDF goes: a file in a folder that exists (a folder given alone gets the default name). */
export async function reportTarget(out: string | undefined, month: string): Promise<string> {
  const path = resolve(out ?? defaultReportName(month));
  const st = await stat(path).catch(() => null);
  if (st?.isDirectory()) return join(path, defaultReportName(month));
  const dir = resolve(path, '..');
  const dirSt = await stat(dir).catch(() => null);
  if (!dirSt?.isDirectory()) throw new PraxisError('report.outDirMissing', { dir, file: path }, ExitCode.invalidInput);
  await access(dir, constants.W_OK).catch(() => {
    throw new PraxisError('report.outDirNotWritable', { dir }, ExitCode.invalidInput);
  });
  return path;
}

/** The month's protocol, collected and written as a PDF (the CLI's `report`, the mail on the 1st). */
export async function writeMonthlyReport(req: MonthlyReportRequest): Promise<{ path: string; data: PeriodData }> {
  const period = monthPeriod(req.month);
  if (!period) throw new PraxisError('report.badMonth', { value: req.month }, ExitCode.invalidInput);
  const path = await reportTarget(req.out, req.month);
  const data = await collectPeriod({ ...period, now: req.now, config: req.config, logDir: req.logDir, stateDir: req.stateDir });
  await (await protocolDocument(data, { config: req.config, lang: req.lang, version: req.version, createdAt: req.now })).save(path);
  return { path, data };
}
