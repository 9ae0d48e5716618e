// The emergency sheet („Notfallblatt“, issue 8): one printable page per encrypted mirror with the
// passphrase and the steps to open and restore the backup WITHOUT Praxis-Backup. It exists because
// the passphrase lives in the server's keyring, and the day the server burns down is the day it is
// needed elsewhere. So the page must stand on its own: a self-contained HTML file (no scripts, no
// external fonts or images — it may be opened years later, offline, on any browser) that prints on
// one or two A4 pages, and whose commands work with the standard tools alone.
import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema';
import { t, type Lang, type MessageKey, type Params } from '../i18n';
import { sq } from '../databases/common/shell-quote';
import { KINDS, kindOf } from '../databases/registry';
import { CIPHER_FOLDER } from '../destinations/encrypted/gocryptfs';
import { SPARSEBUNDLE_NAME } from '../core/mirror-crypt';
import type { SheetTarget } from '../destinations/contract';
import { destinationKind } from '../destinations/registry';

/** The gocryptfs cipher folder on a Linux mirror: the engine's own name, so the sheet can never name another. */
export const GOCRYPTFS_DIR = CIPHER_FOLDER;

/** The configured components as the sheet names them. */
export function sheetComponents(config: Pick<Config, 'components'>): SheetComponent[] {
  return config.components.map((c) => (c.type === 'folder' ? { name: c.name, type: 'folder', path: c.path } : { name: c.name, type: c.type, database: c.database }));
}

/** What the backup holds, so the restore commands can name real files instead of placeholders. */
export interface SheetComponent {
  name: string;
  /** 'folder' or a database kind's config type (the registry knows which). */
  type: string;
  database?: string;
  /** Where a folder component lives on the server (the restore copies it back there). */
  path?: string;
}

export interface SheetInput {
  practiceName?: string;
  /** The mirror as its kind describes it for the sheet (DestinationKind.sheet). */
  mirror: SheetTarget;
  passphrase: string;
  createdAt: Date;
  lang: Lang;
  /**
   * The server's platform decides the encryption format (Linux: gocryptfs; macOS: encrypted APFS
   * volume or sparse bundle). Given, the sheet leads with that format's steps and only mentions the
   * other system; absent, it gives both in full (the reader then picks what they find on the disk).
   */
  platform?: 'linux' | 'darwin';
  /** The configured components; absent, the commands use placeholders like <name>. */
  components?: SheetComponent[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * The passphrase's groups as they must be typed. A generated passphrase is words or blocks joined
 * by "-" (or spaces): the separators are part of it and stay visible. One without separators is
 * cut into blocks of four for reading only (the sheet says to type it without the gaps).
 */
export function passphraseGroups(p: string): { groups: string[]; separatorsTyped: boolean } {
  if (/[-\s]/.test(p)) return { groups: p.split(/(?=[-\s])|(?<=[-\s])/), separatorsTyped: true };
  const groups: string[] = [];
  for (let i = 0; i < p.length; i += 4) groups.push(p.slice(i, i + 4));
  return { groups, separatorsTyped: false };
}

function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export { sq };

/** Inside double quotes, so $USER still expands but a label's own $ or " do not. */
function dqInner(s: string): string {
  return s.replace(/["\\$`]/g, '\\$&');
}

export interface Step {
  text: string;
  code?: string;
}

/** Placeholders the reader replaces, in their language. */
function placeholder(lang: Lang, k: 'name' | 'db' | 'target' | 'user'): string {
  return lang === 'de' ? { name: '<name>', db: '<datenbank>', target: '<zielordner>', user: '<benutzer>' }[k] : `<${k === 'db' ? 'database' : k}>`;
}

/**
 * The steps that put a backup back with the standard tools alone once its folder is open at `base`
 * (a shell expression): the databases first, then the folders. Shared by the Notfallblatt and the
 * Datensicherungskonzept, so both print the same commands. Without components: placeholders.
 */
export function standardRestoreSteps(lang: Lang, components: SheetComponent[] | undefined, base: string, tools: 'linux' | 'darwin'): Step[] {
  const tx = (key: MessageKey, params: Params = {}) => t(lang, key, params);
  const ph = (k: 'name' | 'db' | 'target' | 'user') => placeholder(lang, k);
  const comps = components ?? [];
  const folders = comps.filter((c) => c.type === 'folder');
  const dirs = comps.length ? folders : [{ name: ph('name'), type: 'folder' as const, path: ph('target') }];
  const steps: Step[] = [
    { text: tx('sheet.step.newest'), code: `ls ${base}\nB=${base}/${lang === 'de' ? 'JJJJMMTT_HHMMSS' : 'YYYYMMDD_HHMMSS'}` },
  ];
  if (tools === 'darwin') steps.push({ text: tx('sheet.mac.tools') });
  // Databases kind by kind in the registry's order; without components, one placeholder step per kind.
  for (const kind of KINDS) {
    const mine = comps.length ? comps.filter((c) => kindOf(c) === kind) : [{ name: ph('name'), database: ph('db') }];
    for (const c of mine) steps.push(...kind.byHandSteps(lang, c, tools));
  }
  for (const c of dirs) {
    steps.push({ text: tx('sheet.step.folder', { name: c.name }), code: `sudo cp -a "$B/${c.name}/." ${sq(c.path ?? ph('target'))}/` });
  }
  return steps;
}

export function renderEmergencySheet(i: SheetInput): string {
  const L = i.lang;
  const tx = (key: MessageKey, params: Params = {}) => t(L, key, params);
  const e = escapeHtml;
  const m = i.mirror;
  // How this kind's target is reached by hand: its folder under src/destinations/ says.
  const steps = destinationKind(m).sheetSteps;
  const w = { tx, sq, dq: dqInner, user: placeholder(L, 'user') };
  if ('recipe' in steps) {
    // A kind with a tool of its own (restic): one recipe for both systems, ending in the standard steps.
    const recipe = steps.recipe(m, w, (base) => standardRestoreSteps(L, i.components, base, 'linux'));
    const rows: [string, string][] = [[tx('sheet.practice'), i.practiceName ?? ''], [tx('sheet.mirror'), `${m.name} (${tx(`sheet.type.${m.type}` as MessageKey)})`], ...steps.rows(m, w)];
    rows.push([tx('sheet.created'), i.createdAt.toLocaleString(L === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'long', timeStyle: 'short' })]);
    return sheetHtml(i, rows, [`<section><h2>${escapeHtml(tx(recipe.title))}</h2>${stepList(recipe.steps)}</section>`]);
  }
  const kind = steps;
  const label = kind.label(m, w);
  const locale = L === 'de' ? 'de-DE' : 'en-GB';
  const date = i.createdAt.toLocaleString(locale, { dateStyle: 'long', timeStyle: 'short' });

  /** The restore steps once the backup folder is open at `base` (shell expression). */
  const restoreSteps = (base: string, tools: 'linux' | 'darwin'): Step[] => standardRestoreSteps(L, i.components, base, tools);

  const linux = (): Step[] => {
    const openDisk: Step = kind.linuxOpen(m, label, w);
    const where = kind.linuxWhere(m, label, w);
    return [
      { text: tx('sheet.linux.install'), code: 'sudo apt install gocryptfs' },
      openDisk,
      { text: tx('sheet.linux.mount', { cipher: GOCRYPTFS_DIR }), code: `mkdir ~/praxis-klar && gocryptfs "${where}/${GOCRYPTFS_DIR}" ~/praxis-klar` },
      ...restoreSteps('~/praxis-klar', 'linux'),
      { text: tx('sheet.linux.unmount'), code: 'fusermount -u ~/praxis-klar' },
    ];
  };

  const mac = (): Step[] => {
    const open: Step[] = kind.macOpen(m, label, w);
    const base = kind.macBase(m, label, w);
    return [...open, { text: tx('sheet.mac.terminal') }, ...restoreSteps(base, 'darwin'), { text: tx('sheet.mac.eject') }];
  };

  const sections: string[] = [];
  const linuxSection = `<section><h2>${e(tx('sheet.linux.title', { cipher: GOCRYPTFS_DIR }))}</h2>${stepList(linux())}</section>`;
  const macSection = `<section><h2>${e(tx(kind.macTitle, { image: SPARSEBUNDLE_NAME }))}</h2>${stepList(mac())}</section>`;
  if (i.platform === 'linux') sections.push(linuxSection, `<p class="note">${e(tx('sheet.otherMac'))}</p>`);
  else if (i.platform === 'darwin') sections.push(macSection, `<p class="note">${e(tx('sheet.otherLinux'))}</p>`);
  else sections.push(`<p class="note">${e(tx('sheet.whichFormat', { cipher: GOCRYPTFS_DIR }))}</p>`, linuxSection, macSection);

  const rows: [string, string][] = [
    [tx('sheet.practice'), i.practiceName ?? ''],
    [tx('sheet.mirror'), `${m.name} (${tx(`sheet.type.${m.type}` as MessageKey)})`],
  ];
  rows.push(...kind.rows(m, label, w));
  rows.push([tx('sheet.created'), date]);
  return sheetHtml(i, rows, sections);
}

function stepList(steps: Step[]): string {
  const e = escapeHtml;
  return `<ol>${steps.map((s) => `<li>${e(s.text)}${s.code ? `<pre>${e(s.code)}</pre>` : ''}</li>`).join('')}</ol>`;
}

/** The page around the facts, the passphrase box and the kind's sections. */
function sheetHtml(i: SheetInput, rows: [string, string][], sections: string[]): string {
  const L = i.lang;
  const tx = (key: MessageKey, params: Params = {}) => t(L, key, params);
  const e = escapeHtml;
  const m = i.mirror;
  const { groups, separatorsTyped } = passphraseGroups(i.passphrase);
  const pass = groups.map((g) => (/^[-\s]+$/.test(g) ? `<span class="sep">${e(g)}</span>` : `<span class="grp">${e(g)}</span>`)).join('');


  return `<!DOCTYPE html>
<html lang="${L}">
<head>
<meta charset="utf-8">
<title>${e(tx('sheet.title'))} – ${e(m.name)}</title>
<style>
@page { size: A4; margin: 18mm }
* { box-sizing: border-box }
body { font: 10.5pt/1.4 "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: #000; margin: 0 auto; max-width: 174mm }
h1 { font-size: 18pt; margin: 0 0 3mm }
h2 { font-size: 12.5pt; margin: 5mm 0 2mm; border-bottom: 0.4mm solid #000 }
table.facts { border-collapse: collapse; width: 100%; margin-bottom: 3mm }
table.facts th { text-align: left; font-weight: normal; width: 42mm; padding: 0.8mm 2mm 0.8mm 0; vertical-align: top }
table.facts td { font-weight: bold; padding: 0.8mm 0; word-break: break-all }
.safe { border: 0.8mm solid #000; padding: 3mm 4mm; margin: 3mm 0; page-break-inside: avoid; break-inside: avoid }
.safe strong { display: block; font-size: 14pt; margin-bottom: 1mm }
.pass { font: bold 17pt/1.6 "DejaVu Sans Mono", Menlo, Consolas, "Courier New", monospace; letter-spacing: 0.05em; margin: 2mm 0; word-break: break-all }
.pass .grp { border: 0.3mm solid #000; padding: 0 1.2mm; margin: 0 0.6mm; white-space: nowrap }
.pass .sep { color: #000 }
pre { font: 9pt/1.35 "DejaVu Sans Mono", Menlo, Consolas, "Courier New", monospace; background: #f2f2f2; border: 0.2mm solid #999; padding: 1.5mm 2mm; margin: 1mm 0 2mm; white-space: pre-wrap; word-break: break-all; page-break-inside: avoid; break-inside: avoid }
ol { padding-left: 6mm; margin: 0 } li { margin-bottom: 1.5mm }
section { page-break-inside: auto }
h2 { page-break-after: avoid; break-after: avoid }
.note { font-style: italic }
@media print { pre { background: none } }
</style>
</head>
<body>
<h1>${e(tx('sheet.title'))}</h1>
<table class="facts">${rows.map(([k, v]) => `<tr><th>${e(k)}</th><td>${v ? e(v) : '&nbsp;'}</td></tr>`).join('')}</table>
<div class="safe">
<strong>${e(tx('sheet.safe'))}</strong>
<div>${e(tx('sheet.passphrase'))}</div>
<div class="pass">${pass}</div>
<div>${e(tx(separatorsTyped ? 'sheet.passphraseTyped' : 'sheet.passphraseBlocks'))}</div>
<p>${e(tx('sheet.lost'))}</p>
</div>
<p>${e(tx('sheet.standardTools'))}</p>
${sections.join('\n')}
</body>
</html>
`;
}

/**
 * Writes the sheet as Notfallblatt-<mirror>-<YYYY-MM-DD>.html into dir (the caller picks it: the
 * Desktop, the state dir, --out). 0600 from the first byte: it holds the passphrase. Written to a
 * temporary name and renamed, so an existing sheet of the same day is replaced whole and a mode
 * set by someone else on an old file does not carry over.
 */
export async function writeEmergencySheet(dir: string, input: SheetInput): Promise<string> {
  const file = join(dir, `Notfallblatt-${input.mirror.name}-${localDate(input.createdAt)}.html`);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, renderEmergencySheet(input), { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600); // the umask cannot widen 0600, but be explicit
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}
