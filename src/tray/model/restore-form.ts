// The restore window without Qt: which backups there are (newest first, in words) in the backup
// directory or on a chosen mirror (read by the CLI: list --mirror), what the admin chose, the
// exact CLI argv for the check (--dry-run) and for the real run, and the state machine idle →
// checking → checked / checkFailed → running → done / failed.
//
// The safeguards are the CLI's (checksums, logins, clients, safety backup, confirmation); this
// model only makes sure the window cannot skip one: the real run needs a passed check of exactly
// the current choice plus the admin's tick, and any change of the choice throws the check away.
// --no-safety-backup is never offered here.
import { loadConfig, renderProblem } from '../../config/load';
import type { Component, Config } from '../../config/schema';
import { formatBytes, render, t, type Lang, type MessageKey } from '../../i18n';
import { idToDate, readCatalog, type BackupEntry } from '../../backup-directory/catalog';
import { credentialId } from '../../credentials/credentials';
import { ConfigError, PraxisError } from '../../core/errors';
import { CommandError, run, type CommandPlan } from '../../process/runner';
import type { RunExit, RunLauncherOptions } from '../run-launcher';
import type { CliEvent, JsonMessage, JsonSummary } from './run-events';

/** One component of a backup as its checkbox shows it. */
export interface ComponentChoice {
  name: string;
  type: string;
  label: string;
}

/** One complete backup as the list shows it. */
export interface BackupChoice {
  id: string;
  date: Date;
  /** "Di., 24.11.2026, 03:15 Uhr  –  12,4 MB  –  datenbank, anhaenge, server" */
  label: string;
  components: ComponentChoice[];
}

export interface RestoreSources {
  backupDir: string;
  backups: BackupChoice[];
  /** Configured mirrors: other places to restore from (--from-mirror NAME). */
  mirrors: string[];
  /** Database components of the config, to name the credential id when a login fails. */
  databases: Component[];
  /** The config or the backup directory could not be read; the window says so instead of a list. */
  problem: string | null;
}

export interface RestoreChoice {
  /** null: the local backup directory; else a mirror's name. */
  source: string | null;
  backupId: string | null;
  /** Checked component names, in the backup's order. */
  components: string[];
  deleteNewerFiles: boolean;
  dropPrevious: boolean;
}

export type Phase =
  | { kind: 'idle' }
  | { kind: 'checking'; argv: string[] }
  | { kind: 'checked'; argv: string[]; planText: string[]; backupDate: Date; confirmed: boolean }
  | { kind: 'checkFailed'; message: string; planText: string[] }
  | { kind: 'running'; argv: string[]; planText: string[]; cancelling: boolean }
  | { kind: 'done'; message: string; warnings: number; planText: string[] }
  | { kind: 'failed'; message: string; planText: string[] };

export type Tone = 'none' | 'pending' | 'ok' | 'warn' | 'error';

/** Everything the window sets on its widgets, derived from the model alone. */
export interface RestoreView {
  /** Source, list, components and options can be changed (not while the CLI works). */
  inputsEnabled: boolean;
  checkEnabled: boolean;
  confirmEnabled: boolean;
  confirmChecked: boolean;
  confirmText: string;
  runEnabled: boolean;
  cancelEnabled: boolean;
  /** Shown as soon as a component is unchecked (the CLI says it again in the plan). */
  partialHint: string | null;
  mirrorHint: string | null;
  /** Below the list: why it is empty (no backups, a mirror not readable), or that a mirror is being read. */
  listStatus: { tone: Tone; text: string } | null;
  planText: string[];
  status: { tone: Tone; text: string };
  /** The step the run is at ("Stelle datenbank (postgres) wieder her … (40 %)"), while running. */
  progress: string;
  log: string[];
}

/** What a restore's last line carries beyond a backup's (restore-run.ts RestoreSummary). */
export interface RestoreJsonSummary extends JsonSummary {
  safetyBackupId?: string;
  keptDatabases?: string[];
  details?: string[];
}

/** "Di., 24.11.2026, 03:15" / "Tue, 24/11/2026, 03:15": the weekday helps the admin more than the id. */
export function formatWhen(date: Date, lang: Lang, seconds = false): string {
  return date.toLocaleString(lang === 'de' ? 'de-DE' : 'en-GB', {
    weekday: 'short',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
  });
}

function typeText(lang: Lang, type: string): string {
  const key = `tray.restore.type.${type}` as MessageKey;
  const s = t(lang, key);
  return s === key ? type : s;
}

/** What a list entry needs of a backup: a catalog entry (local) or a line of `list --json` (a mirror). */
export type ListedBackup = Pick<BackupEntry, 'id' | 'bytes'> & { manifest: { components: readonly { name: string; type: string; bytes: number }[] } };

export function backupChoice(entry: ListedBackup, lang: Lang, seconds = false): BackupChoice {
  // The id is the local start time; the CLI's overview („ACHTUNG: Alles, was nach dem …“) uses it too.
  const date = idToDate(entry.id);
  const when = Number.isNaN(date.getTime()) ? entry.id : formatWhen(date, lang, seconds);
  const components = entry.manifest.components.map((c) => ({
    name: c.name,
    type: c.type,
    label: t(lang, 'tray.restore.component', { name: c.name, type: typeText(lang, c.type), size: formatBytes(c.bytes, lang) }),
  }));
  return {
    id: entry.id,
    date,
    label: t(lang, 'tray.restore.entry', { when, size: formatBytes(entry.bytes, lang), components: components.map((c) => c.name).join(', ') }),
    components,
  };
}

function problemText(lang: Lang, e: unknown): string {
  if (e instanceof PraxisError) return render(lang, e.message_);
  if (e instanceof ConfigError) {
    if (e.kind === 'notFound') return t(lang, 'config.notFound', { file: e.file });
    if (e.kind === 'badJson') return t(lang, 'config.badJson', { file: e.file, message: e.reasons.join(' ') });
    return [t(lang, 'config.invalid', { file: e.file }), ...e.problems.slice(0, 1).map((p) => renderProblem(lang, p))].join(' ');
  }
  return String((e as Error)?.message ?? e);
}

/** Complete backups (newest first) as the list shows them, wherever they were read. */
export function backupChoices(entries: readonly ListedBackup[], lang: Lang): BackupChoice[] {
  // A restore's safety backup usually lands in the same minute as the one before it: two equal
  // lines would leave the admin guessing, so those (only those) show their seconds.
  const minute = (id: string) => id.slice(0, 13);
  return entries.map((b) => backupChoice(b, lang, entries.some((o) => o !== b && minute(o.id) === minute(b.id))));
}

/** The config's backup directory and mirrors, and the complete backups in it, newest first. */
export async function loadSources(configFile: string, lang: Lang): Promise<RestoreSources> {
  let config: Config;
  try {
    config = await loadConfig(configFile);
  } catch (e) {
    return { backupDir: '', backups: [], mirrors: [], databases: [], problem: t(lang, 'tray.restore.noConfig', { reason: problemText(lang, e) }) };
  }
  const base = { backupDir: config.backupDir, mirrors: config.mirrors.map((m) => m.name), databases: config.components.filter((c) => c.type !== 'folder') };
  try {
    const catalog = await readCatalog(config.backupDir);
    const backups = backupChoices(catalog.complete, lang);
    return { ...base, backups, problem: backups.length ? null : t(lang, 'tray.restore.none', { dir: config.backupDir }) };
  } catch (e) {
    return { ...base, backups: [], problem: problemText(lang, e) };
  }
}

// --- A mirror's backups -------------------------------------------------------------------------
// The tray never mounts anything: `praxis-backup list --mirror NAME --json` mounts the mirror (an
// encrypted one opened with the stored passphrase), prints its catalog as one JSON object and
// closes it again. The CLI holds the backup directory's lock meanwhile, so the window runs one
// such list at a time and no check while one runs.

/** A mirror's list as the window shows it: its backups, or why they could not be read. */
export type MirrorList = { dir: string; backups: BackupChoice[] } | { problem: string };

/** How `list --mirror` ended: its whole stdout (one JSON object), its last stderr lines. */
export interface MirrorListOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderrTail: string[];
  /** The CLI could not be started at all. */
  startError?: string;
}

// The CLI's documented exit codes: its stderr says what went wrong, the window shows that.
const LIST_EXIT_CODES = [0, 1, 2, 3, 75];
// A catalog of many backups is one long line; far beyond any real one, a broken CLI is cut off.
const MAX_LIST_BYTES = 16 * 1024 * 1024;

/** The argv of `list --mirror NAME --json`, the way RunLauncher starts the CLI. */
export function mirrorListPlan(opts: RunLauncherOptions, name: string): CommandPlan {
  return {
    label: `praxis-backup list --mirror ${name}`,
    file: opts.node,
    args: [opts.cli, 'list', '--mirror', name, '--json', '--config', opts.configFile],
    env: { ...opts.env, PRAXIS_BACKUP_NOTIFY: 'none', PRAXIS_BACKUP_LANG: opts.lang },
    inheritSecrets: true, // our own CLI: an SMB mirror's password may be in PRAXIS_BACKUP_PASSWORD_*
    okExitCodes: LIST_EXIT_CODES,
  };
}

/** Runs `list --mirror NAME --json` through the process runner; never throws. */
export async function readMirrorList(opts: RunLauncherOptions, name: string): Promise<MirrorListOutcome> {
  let stdout = '';
  const consumeStdout = async (stream: NodeJS.ReadableStream) => {
    for await (const chunk of stream) {
      stdout += String(chunk);
      if (stdout.length > MAX_LIST_BYTES) throw new Error(`more than ${MAX_LIST_BYTES} bytes on stdout`);
    }
  };
  try {
    const r = await run(mirrorListPlan(opts, name), { consumeStdout });
    return { exitCode: r.exitCode, signal: null, stdout, stderrTail: r.stderrTail };
  } catch (e) {
    if (e instanceof CommandError) {
      const startError = e.reason === 'spawn' ? e.message : e.reason === 'stdout-consumer' ? String((e.cause as Error)?.message ?? e.message) : undefined;
      return { exitCode: e.exitCode ?? null, signal: e.signal ?? null, stdout, stderrTail: e.stderrTail, startError };
    }
    return { exitCode: null, signal: null, stdout, stderrTail: [], startError: String((e as Error)?.message ?? e) };
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The JSON object of `list --json` as list entries, or null when it is not that object. */
export function parseMirrorList(stdout: string, lang: Lang): { dir: string; backups: BackupChoice[] } | null {
  let data: unknown;
  try {
    data = JSON.parse(stdout.trim());
  } catch {
    return null;
  }
  if (!isObject(data) || typeof data.dir !== 'string' || !Array.isArray(data.backups)) return null;
  const entries: ListedBackup[] = [];
  for (const b of data.backups) {
    if (!isObject(b) || typeof b.id !== 'string' || typeof b.bytes !== 'number' || !Array.isArray(b.components)) return null;
    const components = b.components.filter((c): c is { name: string; type: string; bytes: number } => isObject(c) && typeof c.name === 'string' && typeof c.type === 'string' && typeof c.bytes === 'number');
    if (components.length !== b.components.length) return null;
    entries.push({ id: b.id, bytes: b.bytes, manifest: { components } });
  }
  return { dir: data.dir, backups: backupChoices(entries, lang) };
}

/** The mirror's backups, or the CLI's own words on why not (a disk not attached, no stored passphrase). */
export function mirrorListResult(name: string, o: MirrorListOutcome, lang: Lang): MirrorList {
  const retry = t(lang, 'tray.restore.mirrorRetry', { name });
  if (o.startError) return { problem: [t(lang, 'tray.restore.notStarted', { reason: o.startError }), retry].join('\n') };
  if (o.exitCode === 0 && !o.signal) {
    const listed = parseMirrorList(o.stdout, lang);
    if (listed) return listed;
    return { problem: t(lang, 'tray.restore.mirrorBadAnswer', { name, answer: o.stdout.trim().slice(0, 200) }) };
  }
  return { problem: [cliFailure(o, lang), retry].join('\n') };
}

/** The CLI's error: a config error's JSON line, else its last lines on stderr. */
function cliFailure(o: MirrorListOutcome, lang: Lang): string {
  for (const line of o.stdout.split('\n').reverse()) {
    try {
      const e = JSON.parse(line) as { type?: string; summary?: { error?: { text?: unknown } } };
      if (e?.type === 'finished' && typeof e.summary?.error?.text === 'string') return e.summary.error.text;
    } catch {
      /* not a JSON line */
    }
  }
  const lines = o.stderrTail.filter((l) => l.trim() !== '');
  // The error comes last (a message may span lines, the tool's output is indented below it);
  // before it what happened on the way (a lock taken over). A stack trace's frames say nothing here.
  const message = lines.filter((l) => !/^\s+at /.test(l)).slice(-5).map((l) => l.trim());
  if (message.length && !o.signal) return message.join('\n');
  const how = o.signal ? `Signal ${o.signal}` : `Exit ${o.exitCode}`;
  return t(lang, 'tray.restore.crashed', { how, tail: lines.slice(-3).join(' ') }).trim();
}

/**
 * The CLI's argv (without --json/--config, RunLauncher adds those) for the check or the real run,
 * or null when the choice is incomplete. All components checked: no --components, so the CLI
 * restores the whole backup and does not warn about a partial one.
 */
export function cliArgs(choice: RestoreChoice, backup: BackupChoice | undefined, mode: 'check' | 'run'): string[] | null {
  if (!choice.backupId || !backup || backup.id !== choice.backupId) return null;
  const chosen = backup.components.filter((c) => choice.components.includes(c.name)).map((c) => c.name);
  if (!chosen.length) return null;
  const argv = ['restore', choice.backupId, mode === 'check' ? '--dry-run' : '--yes'];
  if (choice.source) argv.push('--from-mirror', choice.source);
  if (chosen.length < backup.components.length) argv.push('--components', chosen.join(','));
  if (choice.deleteNewerFiles) argv.push('--delete-newer-files');
  if (choice.dropPrevious) argv.push('--drop-previous');
  return argv;
}

/** The line a log or warning event adds to the window's log (the CLI's own text, in the tray's language). */
function logLine(e: CliEvent): string | null {
  if (e.type === 'warning') return `⚠ ${e.message.text}`;
  if (e.type === 'log') return (e.level === 'error' ? '✗ ' : '') + e.message.text;
  return null;
}

/** The chosen mirror's list: requested (seq), its CLI started, its result. */
interface MirrorListing {
  name: string;
  seq: number;
  started: boolean;
  result: MirrorList | null;
}

export class RestoreForm {
  private sources: RestoreSources = { backupDir: '', backups: [], mirrors: [], databases: [], problem: null };
  /** Set while a mirror is the source. */
  private listing: MirrorListing | null = null;
  private listSeq = 0;
  /** `list --mirror` processes still running, also superseded ones: they hold the lock. */
  private listsRunning = 0;
  private choice: RestoreChoice = { source: null, backupId: null, components: [], deleteNewerFiles: false, dropPrevious: false };
  private phase_: Phase = { kind: 'idle' };
  private log: string[] = [];
  private step = '';
  /** The current component's step without its percentage. */
  private stepBase = '';
  /** The CLI's own failure line ("Wiederherstellung fehlgeschlagen: … Es wurde nichts verändert."). */
  private failedLine: string | null = null;
  private plan: { text: string[]; date: Date } | null = null;

  constructor(private readonly lang: Lang) {}

  get phase(): Phase {
    return this.phase_;
  }

  get current(): Readonly<RestoreChoice> {
    return this.choice;
  }

  /** The chosen source's backups: the backup directory's, or the chosen mirror's once read. */
  get backups(): readonly BackupChoice[] {
    if (!this.listing) return this.sources.backups;
    const r = this.listing.result;
    return r && 'backups' in r ? r.backups : [];
  }

  get mirrors(): readonly string[] {
    return this.sources.mirrors;
  }

  get backupDir(): string {
    return this.sources.backupDir;
  }

  get problem(): string | null {
    if (!this.listing) return this.sources.problem;
    const r = this.listing.result;
    if (!r) return null;
    if ('problem' in r) return r.problem;
    return r.backups.length ? null : t(this.lang, 'tray.restore.noneOnMirror', { name: this.listing.name, dir: r.dir });
  }

  /** The mirror's list is being read (or waits for a superseded one to end). */
  get readingMirror(): boolean {
    return this.listing !== null && this.listing.result === null;
  }

  selectedBackup(): BackupChoice | undefined {
    return this.backups.find((b) => b.id === this.choice.backupId);
  }

  /** New list (window opened, or a restore made a safety backup); the chosen backup stays chosen if it is still there. */
  setSources(s: RestoreSources): void {
    const before = this.choice;
    this.sources = s;
    if (!this.selectedBackup()) this.choice = { ...this.choice, backupId: null, components: [] };
    if (this.choice.source && !s.mirrors.includes(this.choice.source)) {
      this.choice = { ...this.choice, source: null };
      this.listing = null;
    }
    // A passed check is for the list it was made from; a result (done/failed) stays readable.
    if (!this.busy && (this.phase_.kind === 'checked' || this.choice !== before)) this.invalidate();
  }

  get busy(): boolean {
    return this.phase_.kind === 'checking' || this.phase_.kind === 'running';
  }

  // Every change of the choice throws a check away: the admin confirms what was checked, nothing else.
  // While the CLI works the inputs are disabled; a change arriving anyway is refused (false).

  /**
   * Another source shows its own list: a mirror's is read by the CLI (startMirrorList), the
   * backup directory's is there. The same mirror again reads it again only after a failure
   * (the admin attached the disk meanwhile).
   */
  setSource(mirror: string | null): boolean {
    if (this.busy) return false;
    if (mirror !== null && mirror === this.choice.source && this.listing && !(this.listing.result && 'problem' in this.listing.result)) return true;
    this.choice = { ...this.choice, source: mirror };
    this.listing = mirror === null ? null : { name: mirror, seq: ++this.listSeq, started: false, result: null };
    this.reselect();
    this.invalidate();
    return true;
  }

  /**
   * The mirror list to read now, or null: none wanted, already started, or another `list` still
   * runs (a superseded one: the CLI's lock allows one at a time). The window runs
   * readMirrorList(name) and hands the result to onMirrorList(seq, …).
   */
  startMirrorList(): { seq: number; name: string } | null {
    const l = this.listing;
    if (!l || l.started || this.listsRunning > 0) return null;
    l.started = true;
    this.listsRunning++;
    return { seq: l.seq, name: l.name };
  }

  /** A `list --mirror` ended: shown if it is still the wanted one, otherwise ignored (false). */
  onMirrorList(seq: number, result: MirrorList): boolean {
    this.listsRunning = Math.max(0, this.listsRunning - 1);
    if (!this.listing || this.listing.seq !== seq) return false;
    this.listing.result = result;
    if (!this.busy) {
      this.reselect();
      this.invalidate();
    }
    return true;
  }

  /** After the list changed: the chosen backup stays chosen if it is in it, else the newest. */
  private reselect(): void {
    const list = this.backups;
    const b = list.find((x) => x.id === this.choice.backupId) ?? list[0];
    // While a list is read the choice is kept (nothing to show, nothing to check).
    if (!b) return;
    const kept = b.id === this.choice.backupId ? b.components.filter((c) => this.choice.components.includes(c.name)) : [];
    this.choice = { ...this.choice, backupId: b.id, components: (kept.length ? kept : b.components).map((c) => c.name) };
  }

  /** A newly chosen backup starts with all its components checked. */
  selectBackup(id: string | null): boolean {
    if (this.busy) return false;
    const b = this.backups.find((x) => x.id === id);
    this.choice = { ...this.choice, backupId: b ? b.id : null, components: b ? b.components.map((c) => c.name) : [] };
    this.invalidate();
    return true;
  }

  setComponent(name: string, on: boolean): boolean {
    const b = this.selectedBackup();
    if (this.busy || !b) return false;
    const set = new Set(this.choice.components);
    if (on) set.add(name);
    else set.delete(name);
    this.choice = { ...this.choice, components: b.components.map((c) => c.name).filter((n) => set.has(n)) };
    this.invalidate();
    return true;
  }

  setOption(option: 'deleteNewerFiles' | 'dropPrevious', on: boolean): boolean {
    if (this.busy) return false;
    this.choice = { ...this.choice, [option]: on };
    this.invalidate();
    return true;
  }

  setConfirmed(on: boolean): boolean {
    if (this.phase_.kind !== 'checked') return false;
    this.phase_ = { ...this.phase_, confirmed: on };
    return true;
  }

  private invalidate(): void {
    this.phase_ = { kind: 'idle' };
    this.plan = null;
  }

  /** "Prüfen…": the dry run's argv, or null when nothing (complete) is chosen or the CLI already works. */
  startCheck(): string[] | null {
    const argv = this.busy || this.listsRunning > 0 ? null : cliArgs(this.choice, this.selectedBackup(), 'check');
    if (!argv) return null;
    this.resetRun();
    this.phase_ = { kind: 'checking', argv };
    return argv;
  }

  /** „Jetzt wiederherstellen“: only after a passed check of exactly this choice and the admin's tick. */
  startRun(): string[] | null {
    const p = this.phase_;
    if (p.kind !== 'checked' || !p.confirmed) return null;
    const argv = cliArgs(this.choice, this.selectedBackup(), 'run');
    if (!argv) return null;
    this.resetRun();
    this.phase_ = { kind: 'running', argv, planText: p.planText, cancelling: false };
    return argv;
  }

  cancelRequested(): void {
    if (this.phase_.kind === 'running') this.phase_ = { ...this.phase_, cancelling: true };
  }

  private resetRun(): void {
    this.log = [];
    this.step = '';
    this.stepBase = '';
    this.failedLine = null;
    this.plan = null;
  }

  /** One event of the CLI (check or run). */
  onEvent(e: CliEvent): void {
    if (!this.busy) return;
    if (e.type === 'restore-plan') {
      const date = new Date(String((e.plan as { backupDate?: unknown }).backupDate ?? ''));
      this.plan = { text: e.text, date };
      return;
    }
    const line = logLine(e);
    if (line !== null) this.log.push(line);
    if (e.type === 'log' && e.message.key === 'restore.run.failed') this.failedLine = e.message.text;
    if (e.type === 'log' && (e.message.key === 'restore.run.safetyStarted' || e.message.key === 'restore.run.safetyDone')) this.step = e.message.text;
    if (e.type === 'component-started') {
      // The safety backup's components come first, without the restore flag.
      const restoring = (e as { restore?: boolean }).restore === true;
      const text = t(this.lang, restoring ? 'restore.run.componentStarted' : 'run.component.started', { name: e.name, type: e.componentType });
      this.step = restoring ? text : t(this.lang, 'tray.restore.safetyStep', { step: text });
      this.stepBase = this.step;
    }
    if (e.type === 'progress' && e.name !== 'total' && e.percent !== null && this.stepBase) {
      this.step = t(this.lang, 'tray.restore.percent', { step: this.stepBase, percent: Math.round(e.percent) });
    }
  }

  /** The CLI ended: the check passed or failed, the restore is done or failed. */
  onExit(exit: RunExit): void {
    const p = this.phase_;
    const summary = exit.summary as RestoreJsonSummary | null;
    this.stepBase = '';
    if (p.kind === 'checking') {
      if (summary && summary.result !== 'failed' && this.plan) {
        this.phase_ = { kind: 'checked', argv: p.argv, planText: this.plan.text, backupDate: this.plan.date, confirmed: false };
      } else {
        this.phase_ = { kind: 'checkFailed', message: t(this.lang, 'tray.restore.checkFailed', { reason: this.reason(exit) }), planText: this.plan?.text ?? [] };
      }
    } else if (p.kind === 'running') {
      this.step = '';
      if (summary && summary.result !== 'failed') {
        const date = formatWhen(this.selectedBackup()?.date ?? new Date(NaN), this.lang);
        const warnings = summary.warnings?.length ?? 0;
        const lines = [warnings ? t(this.lang, 'tray.restore.doneWarnings', { count: warnings, date }) : t(this.lang, 'tray.restore.done', { date })];
        if (summary.keptDatabases?.length) lines.push(t(this.lang, 'tray.restore.kept', { names: summary.keptDatabases.join(', ') }));
        if (summary.safetyBackupId) lines.push(t(this.lang, 'tray.restore.safetyId', { id: summary.safetyBackupId }));
        this.phase_ = { kind: 'done', message: lines.join('\n'), warnings, planText: p.planText };
      } else {
        // The CLI's failure line already says whether anything changed and where the safety backup is.
        const message = this.failedLine ?? t(this.lang, 'tray.restore.failed', { reason: this.reason(exit) });
        this.phase_ = { kind: 'failed', message: [message, ...this.hints(summary?.error)].join('\n'), planText: p.planText };
      }
    }
  }

  /** Why the CLI failed, in its own words; a crash or a start failure said plainly. */
  private reason(exit: RunExit): string {
    const summary = exit.summary as RestoreJsonSummary | null;
    if (exit.startError) return t(this.lang, 'tray.restore.notStarted', { reason: exit.startError });
    if (summary?.error) {
      const details = (summary.details ?? []).slice(-3);
      return [summary.error.text, ...details, ...this.hints(summary.error)].join('\n');
    }
    const how = exit.signal ? `Signal ${exit.signal}` : `Exit ${exit.exitCode}`;
    return t(this.lang, 'tray.restore.crashed', { how, tail: exit.stderrTail.slice(-3).join(' ') }).trim();
  }

  /** A refused database login: where the password goes (the credentials popover is for shares only). */
  private hints(error: JsonMessage | undefined): string[] {
    if (error?.key !== 'restore.db.wrongPassword') return [];
    const p = error.params ?? {};
    const c = this.sources.databases.find((x) => x.type !== 'folder' && x.database === p.database && x.host === p.host && x.port === Number(p.port));
    const id = c ? credentialId(c) : null;
    return id ? [t(this.lang, 'tray.restore.dbPassword', { id })] : [];
  }

  view(): RestoreView {
    const p = this.phase_;
    const lang = this.lang;
    const backup = this.selectedBackup();
    const chosen = backup ? backup.components.filter((c) => this.choice.components.includes(c.name)) : [];
    const left = backup ? backup.components.filter((c) => !this.choice.components.includes(c.name)) : [];
    const partialHint =
      backup && left.length && chosen.length
        ? t(lang, 'restore.run.partial', { chosen: chosen.map((c) => c.name).join(', '), left: left.map((c) => c.name).join(', ') })
        : null;
    const confirmDate = p.kind === 'checked' && !Number.isNaN(p.backupDate.getTime()) ? formatWhen(p.backupDate, lang) : backup ? formatWhen(backup.date, lang) : '…';
    const problem = this.problem;
    const listStatus: RestoreView['listStatus'] = this.readingMirror
      ? { tone: 'pending', text: t(lang, 'tray.restore.readingMirror', { name: this.listing!.name }) }
      : problem
        ? { tone: 'error', text: problem }
        : null;
    let status: RestoreView['status'] = { tone: 'none', text: '' };
    if (backup && !chosen.length && !this.busy) status = { tone: 'error', text: t(lang, 'tray.restore.noComponent') };
    else if (p.kind === 'checking') status = { tone: 'pending', text: t(lang, 'tray.restore.checking') };
    else if (p.kind === 'checked') status = { tone: 'ok', text: t(lang, 'tray.restore.checked') };
    else if (p.kind === 'checkFailed' || p.kind === 'failed') status = { tone: 'error', text: p.message };
    else if (p.kind === 'running') status = { tone: 'pending', text: t(lang, p.cancelling ? 'tray.restore.cancelling' : 'tray.restore.running') };
    else if (p.kind === 'done') status = { tone: p.warnings ? 'warn' : 'ok', text: p.message };
    return {
      inputsEnabled: !this.busy,
      checkEnabled: !this.busy && this.listsRunning === 0 && cliArgs(this.choice, backup, 'check') !== null,
      confirmEnabled: p.kind === 'checked',
      confirmChecked: p.kind === 'checked' && p.confirmed,
      confirmText: t(lang, 'tray.restore.confirm', { date: confirmDate }),
      runEnabled: p.kind === 'checked' && p.confirmed,
      cancelEnabled: (p.kind === 'running' && !p.cancelling) || p.kind === 'checking',
      partialHint,
      mirrorHint: this.choice.source ? t(lang, 'tray.restore.mirrorListed', { name: this.choice.source }) : null,
      listStatus,
      planText: p.kind === 'idle' || p.kind === 'checking' ? [] : p.planText,
      status,
      progress: p.kind === 'running' ? this.step : '',
      log: [...this.log],
    };
  }
}
