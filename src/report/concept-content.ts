// What the Datensicherungskonzept says, as data: made from the config alone (no secrets are read,
// no status is needed), in the CLI's language. concept.ts lays it out as a PDF; tests read this
// directly and the PDF through pdftotext. The structure follows what the KBV asks a practice to
// write down (which data, how often, where to, how long) and BSI CON.3 (restore order, restore
// tests, media kept apart, encryption, where the concept itself is kept) — named as
// recommendations, never as legal advice.
import { nextRuns } from '../config/cron';
import type { Config, DatabaseComponent, Mirror, NotifyConfig } from '../config/schema';
import { formatBytes, t, type Lang, type MessageKey, type Params } from '../i18n';
import { describeCron } from '../schedule/cron-describe';
import { sheetComponents, sq, standardRestoreSteps } from '../encryption/emergency-sheet';
import { AUTO_RESTORE_TEST_MAX_BYTES } from '../verify/verify-policy';
import { isDatabase, kindFor } from '../databases/registry';
import { destinationKind } from '../destinations/registry';
import { GENERATION_RULES, policyRules } from '../retention/policy';
import { projectRetention } from '../retention/projection';
import type { RetentionConfig } from '../config/schema';

export type ConceptBlock =
  | { kind: 'paragraph'; text: string; note?: boolean }
  | { kind: 'bullets'; items: string[] }
  | { kind: 'keyValues'; rows: [string, string][] }
  | { kind: 'table'; columns: { header: string; width: number }[]; rows: string[][] }
  | { kind: 'code'; text: string }
  | { kind: 'blank'; label: string; lines?: number; hint?: string };

export interface ConceptSection {
  heading: string;
  blocks: ConceptBlock[];
}

export interface Concept {
  title: string;
  subtitle: string;
  /** What the document is and where it comes from, above the first section. */
  intro: string;
  sections: ConceptSection[];
}

export interface ConceptInput {
  config: Config;
  configFile: string;
  lang: Lang;
  /** The app's clock: the date on the document and the start of the schedule's look ahead. */
  now: Date;
  /** The server's system: which encryption format and which restore commands apply. */
  platform: 'linux' | 'darwin';
  /**
   * The newest backup's sizes (retention-preview.ts sizesOf), when there is one: the concept then
   * says how much disk the policy needs once full. Absent: that sentence is left out.
   */
  sizes?: { dumpBytes: number; folderBytes: number; folderChangeBytes: number };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** Only the host of a URL: ntfy topics, webhook paths and heartbeat check ids work like passwords. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}

/** „3 Tage“ / „26 Stunden“: whole hours below two days, else days (halves rounded up). */
function span(ms: number, lang: Lang): string {
  if (ms < 2 * DAY) {
    const h = Math.max(1, Math.round(ms / HOUR));
    return t(lang, h === 1 ? 'concept.span.hour' : 'concept.span.hours', { n: h });
  }
  const d = Math.ceil((ms / DAY) * 2) / 2;
  return t(lang, 'concept.span.days', { n: lang === 'de' ? String(d).replace('.', ',') : String(d) });
}

/** The schedule's runs over the next five weeks (enough to see a weekend or a monthly gap), capped. */
function upcomingRuns(cron: string, now: Date): Date[] {
  const runs = nextRuns(cron, 2000, now);
  const until = now.getTime() + 35 * DAY;
  const inWindow = runs.filter((d) => d.getTime() <= until);
  return inWindow.length >= 2 ? inWindow : runs.slice(0, 2);
}

export function scheduleWords(cron: string, lang: Lang): string {
  const words = describeCron(cron, lang);
  return words ? t(lang, 'schedule.described', { text: words, cron }) : t(lang, 'schedule.raw', { cron });
}

/** The longest time between two scheduled runs: the most work a failure of the server can lose. */
export function longestGap(cron: string, now: Date): number {
  const runs = upcomingRuns(cron, now);
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]!.getTime() - runs[i - 1]!.getTime());
  return gap;
}

/** „etwa 13 Tage“ below two months, „etwa 18 Monate“ beyond (a reach of quarters in days reads badly). */
function reachWords(days: number, lang: Lang): string {
  if (days < 60) return span(days * DAY, lang);
  return t(lang, 'concept.span.months', { n: Math.round(days / (365.25 / 12)) });
}

/**
 * A generations policy in words: „die letzten 20 Sicherungen, je eine pro Tag der letzten 7 Tage,
 * pro Woche für 4 Wochen, pro Monat für 12 Monate und den Stand am Ende der letzten 8 Quartale
 * (Quartalssicherung)“. `keep: N` reads as „die letzten N Sicherungen“.
 */
export function policyWords(retention: RetentionConfig, lang: Lang): string {
  const rules = policyRules(retention);
  const parts: string[] = [];
  let each = true; // „je eine“ once, before the first of day/week/month
  for (const rule of GENERATION_RULES) {
    const n = rules[rule];
    if (!n) continue;
    const words = t(lang, `concept.rule.${rule}${n === 1 ? 'One' : ''}` as MessageKey, { n });
    if (rule === 'daily' || rule === 'weekly' || rule === 'monthly') {
      parts.push(each ? t(lang, 'concept.rule.each', { rule: words }) : words);
      each = false;
    } else parts.push(words);
  }
  return parts.length > 1 ? t(lang, 'concept.rule.and', { list: parts.slice(0, -1).join(', '), last: parts.at(-1)! }) : parts[0] ?? '';
}

/** How far back `keep` generations reach with this schedule: from the oldest kept run to the newest. */
export function generationsReach(cron: string, keep: number, now: Date): number {
  const runs = nextRuns(cron, Math.max(2, keep), now);
  return runs[keep - 1]!.getTime() - runs[0]!.getTime();
}

export function buildConcept(i: ConceptInput): Concept {
  const { config: c, lang: L } = i;
  const tx = (key: MessageKey, p: Params = {}) => t(L, key, p);
  const date = `${String(i.now.getDate()).padStart(2, '0')}.${String(i.now.getMonth() + 1).padStart(2, '0')}.${i.now.getFullYear()}`;
  const isoDate = `${i.now.getFullYear()}-${String(i.now.getMonth() + 1).padStart(2, '0')}-${String(i.now.getDate()).padStart(2, '0')}`;
  const sections: ConceptSection[] = [];
  // `keep: N` reads as it always did; a generations policy is named rule by rule (section 5).
  const keep = c.retention.keep;
  const allScope = keep !== undefined ? tx('concept.where.all', { keep }) : tx('concept.where.allGenerations');
  const ownRetention = (m: Mirror) => ('retention' in m ? m.retention : undefined);
  const cron = c.schedule?.cron;

  // 0. Who: only the practice knows.
  sections.push({
    heading: tx('concept.h.who'),
    blocks: [
      { kind: 'blank', label: tx('concept.blank.responsible') },
      { kind: 'blank', label: tx('concept.blank.deputy') },
      { kind: 'blank', label: tx('concept.blank.provider'), lines: 2, hint: tx('concept.blank.providerHint') },
    ],
  });

  // 1. What.
  const typeName = (type: 'folder' | 'program') => tx(`concept.type.${type}`);
  /** „PostgreSQL-Datenbank“, „MySQL-Datenbank“: the kind's name for the component's type. */
  const dbTypeName = (x: DatabaseComponent) => tx('concept.type.database', { kind: kindFor(x).labelFor(x.type) });
  const dbs = c.components.filter(isDatabase);
  const folders = c.components.filter((x) => x.type === 'folder');
  const whatRows = [
    ...dbs.map((x) => [x.name, dbTypeName(x), tx('concept.what.database', { database: x.database, host: x.host, port: x.port, user: x.user }), kindFor(x).dumpFileName(x.name)]),
    ...folders.map((x) => [x.name, typeName(x.role === 'program' ? 'program' : 'folder'), x.path + (x.exclude?.length ? `\n${tx('concept.what.exclude', { patterns: x.exclude.join(', ') })}` : ''), `${x.name}/`]),
  ];
  sections.push({
    heading: tx('concept.h.what'),
    blocks: [
      { kind: 'paragraph', text: tx('concept.what.intro', { dir: c.backupDir }) },
      {
        kind: 'table',
        columns: [
          { header: tx('concept.col.name'), width: 1.1 },
          { header: tx('concept.col.kind'), width: 1.3 },
          { header: tx('concept.col.source'), width: 2.6 },
          { header: tx('concept.col.file'), width: 1.3 },
        ],
        rows: whatRows,
      },
      { kind: 'paragraph', text: tx('concept.what.how') },
    ],
  });

  // 2. When.
  const when: ConceptBlock[] = [];
  if (cron) {
    when.push({ kind: 'keyValues', rows: [[tx('concept.when.schedule'), scheduleWords(cron, L)], [tx('concept.when.rpo'), tx('concept.when.rpoValue', { span: span(longestGap(cron, i.now), L) })]] });
    when.push({ kind: 'paragraph', text: tx('concept.when.automatic', { system: tx(i.platform === 'darwin' ? 'concept.when.launchd' : 'concept.when.systemd') }) });
    if (c.schedule?.onDiskAttach) when.push({ kind: 'paragraph', text: tx('concept.when.onDiskAttach') });
  } else {
    when.push({ kind: 'paragraph', text: tx('concept.when.none') });
  }
  when.push({ kind: 'paragraph', text: tx('concept.when.manual') });
  sections.push({ heading: tx('concept.h.when'), blocks: when });

  // 3. Where.
  const encryption = (m: Mirror) =>
    m.encrypt
      ? tx('concept.where.encrypted', { format: tx(i.platform === 'linux' ? 'concept.crypt.gocryptfs' : destinationKind(m).wholeVolume ? 'concept.crypt.apfs' : 'concept.crypt.image') })
      : tx('concept.no');
  const scope = (m: Mirror) => (m.mode === 'latest' ? tx('concept.where.latest') : ownRetention(m) ? tx('concept.where.own') : allScope);
  const mirrorWhat = (m: Mirror): string => {
    const lines = destinationKind(m).concept(m, tx);
    lines.push(tx(m.required ? 'concept.where.required' : 'concept.where.optional'));
    return lines.join('\n');
  };
  const whereRows = [
    [tx('concept.where.localName'), tx('concept.where.local', { dir: c.backupDir }), allScope, tx('concept.where.localCrypt'), tx('concept.where.onSite')],
    ...c.mirrors.map((m) => [m.name, mirrorWhat(m), scope(m), encryption(m), tx('concept.where.tick')]),
  ];
  const where: ConceptBlock[] = [
    {
      kind: 'table',
      columns: [
        { header: tx('concept.col.destination'), width: 2.0 },
        { header: tx('concept.col.medium'), width: 2.3 },
        { header: tx('concept.col.scope'), width: 1.1 },
        { header: tx('concept.col.encrypted'), width: 1.5 },
        { header: tx('concept.col.place'), width: 1.6 },
      ],
      rows: whereRows,
    },
    { kind: 'paragraph', text: tx('concept.where.tickHint'), note: true },
  ];
  if (!c.mirrors.length) where.push({ kind: 'paragraph', text: tx('concept.where.noMirror') });
  for (const m of c.mirrors) {
    if (destinationKind(m).portable && !m.encrypt) where.push({ kind: 'paragraph', text: tx('concept.where.plainDisk', { name: m.name }) });
  }
  for (const m of c.mirrors) {
    if (destinationKind(m).portable) where.push({ kind: 'blank', label: tx('concept.blank.diskPlace', { name: m.name }), lines: 2, hint: tx('concept.blank.diskPlaceHint') });
  }
  sections.push({ heading: tx('concept.h.where'), blocks: where });

  // 4. How many, how long.
  const howLong: ConceptBlock[] = [];
  // The steady state at the schedule (without one: a backup a night), from the app's clock.
  const projection = projectRetention({ retention: c.retention, cron, now: i.now, dumpBytes: 0, folderBytes: 0, folderChangeBytes: 0, ...i.sizes });
  if (keep !== undefined) {
    if (cron) howLong.push({ kind: 'paragraph', text: tx('concept.keep.reach', { keep, span: span(generationsReach(cron, keep, i.now), L) }) });
    else howLong.push({ kind: 'paragraph', text: tx('concept.keep.noSchedule', { keep }) });
  } else {
    const reach = { kept: projection.kept, span: reachWords(projection.reachDays, L) };
    const words = [tx('concept.keep.generations', { policy: policyWords(c.retention, L) }), tx(cron ? 'concept.keep.generationsReach' : 'concept.keep.generationsNightly', reach)];
    howLong.push({ kind: 'paragraph', text: words.join(' ') });
  }
  if (i.sizes) {
    const f = (n: number) => formatBytes(n, L);
    howLong.push({ kind: 'paragraph', text: tx('concept.keep.need', { bytes: f(projection.bytes), dumps: f(i.sizes.dumpBytes), folders: f(i.sizes.folderBytes), changes: f(i.sizes.folderChangeBytes) }) });
  }
  for (const m of c.mirrors) {
    const own = m.mode === 'all' ? ownRetention(m) : undefined;
    if (own) howLong.push({ kind: 'paragraph', text: tx('concept.keep.mirrorOwn', { name: m.name, policy: policyWords(own, L) }) });
  }
  howLong.push({ kind: 'paragraph', text: tx('concept.keep.how') });
  if (c.mirrors.some((m) => m.mode === 'latest')) howLong.push({ kind: 'paragraph', text: tx('concept.keep.latest', { names: c.mirrors.filter((m) => m.mode === 'latest').map((m) => m.name).join(', ') }) });
  howLong.push({ kind: 'paragraph', text: tx('concept.keep.records'), note: true });
  sections.push({ heading: tx('concept.h.keep'), blocks: howLong });

  // 5. Restore: the order, with the program and with the standard tools alone.
  const order = [...dbs.map((x) => tx('concept.restore.orderDb', { name: x.name, kind: dbTypeName(x) })), ...folders.map((x) => tx('concept.restore.orderFolder', { name: x.name, path: x.path })), tx('concept.restore.orderCheck')];
  const restore: ConceptBlock[] = [
    { kind: 'paragraph', text: tx('concept.restore.withApp') },
    { kind: 'paragraph', text: [tx('concept.restore.order'), ...order.map((o, n) => `   ${n + 1}. ${o}`)].join('\n') },
  ];
  if (c.mirrors.length) restore.push({ kind: 'paragraph', text: tx('concept.restore.fromMirror', { name: c.mirrors[0]!.name }) });
  restore.push({ kind: 'paragraph', text: tx('concept.restore.standardTools', { system: i.platform === 'darwin' ? 'macOS' : 'Linux' }) });
  for (const [n, step] of standardRestoreSteps(L, sheetComponents(c), sq(c.backupDir), i.platform).entries()) {
    restore.push({ kind: 'paragraph', text: `${n + 1}. ${step.text}` });
    if (step.code) restore.push({ kind: 'code', text: step.code });
  }
  sections.push({ heading: tx('concept.h.restore'), blocks: restore });

  // 6. Restore tests.
  const after = c.verify.afterBackup;
  const tests: string[] = [
    tx('concept.test.checksums') + (c.verify.deepIndex ? ` ${tx('concept.test.deep')}` : ''),
    after === true ? tx('concept.test.afterAlways') : after === false ? tx('concept.test.afterNever') : tx('concept.test.afterAuto', { limit: formatBytes(AUTO_RESTORE_TEST_MAX_BYTES, L) }),
  ];
  if (c.verify.cron) tests.push(tx('concept.test.scheduled', { schedule: scheduleWords(c.verify.cron, L) }));
  if (c.mirrors.length) tests.push(tx('concept.test.mirrors'));
  tests.push(tx('concept.test.alerts', { hours: c.alerts.localMaxAgeHours, days: c.alerts.mirrorMaxAgeDays }));
  tests.push(tx('concept.test.protocol'));
  sections.push({
    heading: tx('concept.h.test'),
    blocks: [
      { kind: 'bullets', items: tests },
      { kind: 'paragraph', text: tx('concept.test.drill') },
      { kind: 'blank', label: tx('concept.blank.drill') },
      { kind: 'blank', label: tx('concept.blank.drillResult'), lines: 2 },
    ],
  });

  // 7. The emergency sheet and where this document is kept.
  const encrypted = c.mirrors.filter((m) => m.encrypt);
  const sheet: ConceptBlock[] = encrypted.length
    ? [
        { kind: 'paragraph', text: tx('concept.sheet.exists', { names: encrypted.map((m) => `„${m.name}“`).join(', ') }) },
        { kind: 'bullets', items: encrypted.map((m) => tx('concept.sheet.reprint', { name: m.name })) },
        ...encrypted.map((m): ConceptBlock => ({ kind: 'blank', label: tx('concept.blank.sheetPlace', { name: m.name }), hint: tx('concept.blank.sheetPlaceHint') })),
      ]
    : [{ kind: 'paragraph', text: tx('concept.sheet.none') }];
  sheet.push({ kind: 'paragraph', text: tx('concept.sheet.keepThis') });
  sheet.push({ kind: 'blank', label: tx('concept.blank.conceptPlace') });
  sections.push({ heading: tx('concept.h.sheet'), blocks: sheet });

  // 8. Who is informed.
  sections.push({ heading: tx('concept.h.notify'), blocks: notifyBlocks(c.notify, L) });

  // 9. Sign-off.
  sections.push({
    heading: tx('concept.h.signoff'),
    blocks: [
      { kind: 'paragraph', text: tx('concept.signoff.text') },
      { kind: 'blank', label: tx('concept.blank.place') },
      { kind: 'blank', label: tx('concept.blank.signature') },
      { kind: 'blank', label: tx('concept.blank.nextReview') },
    ],
  });

  return {
    title: tx('concept.title'),
    subtitle: [c.practiceName, tx('concept.asOf', { date: L === 'de' ? date : isoDate })].filter(Boolean).join(' · '),
    intro: tx('concept.intro', { file: i.configFile }),
    sections,
  };
}

/** The channels without anything secret: addresses and hosts, never paths, tokens or passwords. */
function notifyBlocks(n: NotifyConfig | undefined, L: Lang): ConceptBlock[] {
  const tx = (key: MessageKey, p: Params = {}) => t(L, key, p);
  const onServer = tx('concept.notify.onServer');
  if (!n || (!n.email && !n.ntfy && !n.webhook && !n.heartbeat)) {
    return [{ kind: 'bullets', items: [onServer] }, { kind: 'paragraph', text: tx('concept.notify.none') }, { kind: 'blank', label: tx('concept.blank.reader') }];
  }
  const channels: string[] = [onServer];
  if (n.email) {
    const e = n.email;
    const tls = tx(`concept.notify.tls.${e.tls}` as MessageKey);
    channels.push(tx('concept.notify.email', { to: e.to.join(', '), host: e.host, port: e.port, tls }) + (e.allowSelfSigned ? ` ${tx('concept.notify.selfSigned')}` : ''));
  }
  if (n.ntfy) channels.push(tx(n.ntfy.token ? 'concept.notify.ntfyToken' : 'concept.notify.ntfy', { host: hostOf(n.ntfy.url) }));
  if (n.webhook) channels.push(tx('concept.notify.webhook', { host: hostOf(n.webhook.url) }));
  const what: string[] = [tx('concept.notify.failures'), tx('concept.notify.alerts')];
  if (n.onSuccess) what.push(tx('concept.notify.success'));
  if (n.weeklySummary) what.push(tx('concept.notify.weekly', { day: tx('concept.weekdays').split(',')[WEEKDAYS.indexOf(n.weeklySummary)]! }));
  if (n.monthlyReport && n.email) what.push(tx('concept.notify.monthly'));
  const blocks: ConceptBlock[] = [
    { kind: 'paragraph', text: tx('concept.notify.channels') },
    { kind: 'bullets', items: channels },
    { kind: 'paragraph', text: tx('concept.notify.what', { language: tx(n.language === 'en' ? 'concept.lang.en' : 'concept.lang.de') }) },
    { kind: 'bullets', items: what },
  ];
  if (n.heartbeat) {
    blocks.push({ kind: 'paragraph', text: tx('concept.notify.heartbeat', { host: hostOf(n.heartbeat.url), style: n.heartbeat.style === 'uptime-kuma' ? 'Uptime Kuma' : 'Healthchecks' }) });
  } else {
    blocks.push({ kind: 'paragraph', text: tx('concept.notify.noHeartbeat'), note: true });
  }
  blocks.push({ kind: 'paragraph', text: tx('concept.notify.secrets'), note: true });
  blocks.push({ kind: 'blank', label: tx('concept.blank.reader') });
  return blocks;
}
