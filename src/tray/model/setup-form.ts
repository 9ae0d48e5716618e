// The tray's first-start window without Qt: which page shows what, and what a click does. The steps
// themselves, their proposals and problems are the assistant's (src/setup-assistant/assistant.ts),
// the same model `praxis-backup init` walks; this adapter only adds what a window needs on top:
// which page is shown, what is being looked up right now (discovery is slow: the window must say
// so and not take clicks meanwhile), texts for the widgets, the hand-over to the CLI (answers file
// 0600, typed passwords into the keyring first, never into the file) and the CLI's events folded
// into a progress page.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes, render, t, type Lang, type Message, type MessageKey } from '../../i18n';
import { SetupAssistant, STEP_IDS, type StepProblem, type StepId } from '../../setup-assistant/assistant';
import type { ApplyStage, DatabaseKindId, Discovery, FoundServer, Location } from '../../setup-assistant/contracts';
import { discoverableKinds, type ProbeTarget } from '../../setup-assistant/discover/server-places';
import { kindById } from '../../databases/registry';
import { componentNameFrom, DEFAULT_SCHEDULE } from '../../setup-assistant/proposals';
import type { JsonMessage } from './run-events';
import { formatRun } from './settings-form';

export type Tone = 'none' | 'pending' | 'ok' | 'warn' | 'error';
export interface Line {
  text: string;
  tone: Tone;
}

export type FolderRole = 'data' | 'program';
export const FOLDER_ROLES: readonly FolderRole[] = ['data', 'program'];

/** The schedule's day choices, as cron's weekday field: what practices actually pick. */
export const SCHEDULE_DAYS = ['1-5', '1-6', '*'] as const;
export type ScheduleDays = (typeof SCHEDULE_DAYS)[number];

/** The order apply works in (apply.ts), for the progress page's list. */
export const APPLY_STAGES: readonly ApplyStage[] = ['config', 'passwords', 'encryption', 'schedule', 'tray', 'backup'];
export type StageState = 'waiting' | 'start' | 'done' | 'skipped' | 'failed';

export interface DatabaseRow {
  /** kind://host:port/database: what the window's checkbox stands for. */
  id: string;
  text: string;
  checked: boolean;
}

export interface SetupFormOptions {
  lang: Lang;
  discovery: Discovery;
  /** The clock of the schedule's next runs (tests inject one). */
  now: () => Date;
  timeZone?: string;
  /** Stores a password typed for a database server in the keyring (the tray's credentials service). */
  storePassword(id: string, password: string): Promise<void>;
  /** Where the answers file goes (default: the system's temp folder). */
  tmpDir?: string;
}

/** What the CLI run of `init --answers` has reported so far. */
export interface ApplyProgress {
  stages: Record<ApplyStage, { state: StageState; text: string | null }>;
  /** The first backup's overall percent (components done plus the current one's own progress). */
  percent: number | null;
  /** „Sichere tomedo (postgres) …“ */
  current: string | null;
  log: string[];
  summary: { configFile: string; backupDir: string; backupId: string | null; restoreTest: 'passed' | 'failed' | 'not run'; next: string[] } | null;
}

export type Phase =
  | { kind: 'steps' }
  | { kind: 'storing' }
  | { kind: 'applying' }
  | { kind: 'done'; exitCode: number | null; error: string | null };

const serverKey = (s: { kind: string; host: string; port: number }) => `${s.kind}://${s.host}:${s.port}`;
/** A kind's name for people ("PostgreSQL", "MariaDB/MySQL"), from the registry. */
const kindName = (id: DatabaseKindId) => kindById(id)?.label ?? id;
const LOCATION_KEY: Record<Location, MessageKey> = { local: 'setupWindow.location.local', network: 'setupWindow.location.network', removable: 'setupWindow.location.removable' };
const STAGE_KEY: Record<ApplyStage, MessageKey> = {
  config: 'setupWindow.stage.config',
  passwords: 'setupWindow.stage.passwords',
  encryption: 'setupWindow.stage.encryption',
  schedule: 'setupWindow.stage.schedule',
  tray: 'setupWindow.stage.tray',
  backup: 'setupWindow.stage.backup',
};
const STEP_KEY: Record<StepId, MessageKey> = {
  databases: 'setupWindow.step.databases',
  folders: 'setupWindow.step.folders',
  backupDir: 'setupWindow.step.backupDir',
  mirror: 'setupWindow.step.mirror',
  schedule: 'setupWindow.step.schedule',
  finish: 'setupWindow.step.finish',
};
const INTRO_KEY: Record<StepId, MessageKey> = {
  databases: 'setupWindow.intro.databases',
  folders: 'setupWindow.intro.folders',
  backupDir: 'setupWindow.intro.backupDir',
  mirror: 'setupWindow.intro.mirror',
  schedule: 'setupWindow.intro.schedule',
  finish: 'setupWindow.intro.finish',
};

/** A message of the CLI's --json output ({key, params, text}) or of the model ({key, params}), in the window's language. */
function messageText(lang: Lang, m: JsonMessage | Message | undefined | null): string | null {
  if (!m) return null;
  if ('text' in m && typeof m.text === 'string') return m.text;
  return render(lang, m as Message);
}

export class SetupForm {
  readonly assistant: SetupAssistant;
  private index = 0;
  /** What is being looked up now (shown, inputs disabled), or null. */
  private busyText: string | null = null;
  private discovered = new Set<StepId>();
  /** The folder fields as typed, and which of them were looked up (facts shown). */
  private paths: Record<FolderRole, string> = { data: '', program: '' };
  private lookedUp: Record<FolderRole, string> = { data: '', program: '' };
  private scheduleOn = true;
  private days: ScheduleDays = '1-5';
  private time = '03:15';
  private ownProblem: Line | null = null;
  private loginProblem: string | null = null;
  phase: Phase = { kind: 'steps' };
  progress: ApplyProgress = emptyProgress();
  /** The answers file handed to the CLI, removed when it is done. */
  answersFile: string | null = null;

  constructor(private readonly o: SetupFormOptions) {
    this.assistant = new SetupAssistant({ discovery: o.discovery, now: o.now, timeZone: o.timeZone, lang: o.lang });
    const [m, h] = DEFAULT_SCHEDULE.split(' ');
    this.time = `${h!.padStart(2, '0')}:${m!.padStart(2, '0')}`;
  }

  get step(): StepId {
    return STEP_IDS[this.index]!;
  }

  get stepIndex(): number {
    return this.index;
  }

  get busy(): boolean {
    return this.busyText !== null || this.phase.kind === 'storing' || this.phase.kind === 'applying';
  }

  private tr(key: MessageKey, params?: Record<string, string | number | Message>): string {
    return t(this.o.lang, key, params);
  }

  /** Runs a lookup with its text shown; one at a time (a click during one is ignored by the window). */
  private async lookUp<T>(key: MessageKey, work: () => Promise<T>): Promise<T | null> {
    this.busyText = this.tr(key);
    try {
      return await work();
    } catch (e) {
      this.ownProblem = { tone: 'error', text: this.tr('setupWindow.lookupFailed', { reason: String((e as Error)?.message ?? e) }) };
      return null;
    } finally {
      this.busyText = null;
    }
  }

  /** What the page needs when it is shown: the servers, the places for the backup, the disks. Once per step, except the disks (plugged in meanwhile). */
  async enter(): Promise<void> {
    const step = this.step;
    this.ownProblem = null;
    if (step === 'databases' && !this.discovered.has(step)) {
      await this.lookUp('setupWindow.busy.servers', () => this.assistant.discoverDatabases());
      this.discovered.add(step);
    } else if (step === 'backupDir') {
      // Judged against the estimate of what was chosen so far: again when that changed.
      await this.lookUp('setupWindow.busy.backupDirs', () => this.assistant.discoverBackupDirs());
    } else if (step === 'mirror') {
      await this.lookUp('setupWindow.busy.disks', () => this.assistant.discoverDisks());
    }
  }

  // ---- step 1 -------------------------------------------------------------------------------

  /** „Erneut suchen“: a server started or a disk plugged in after the page was shown. */
  async searchAgain(): Promise<void> {
    if (this.busy) return;
    this.ownProblem = null;
    if (this.step === 'databases') {
      this.loginProblem = null;
      await this.lookUp('setupWindow.busy.servers', () => this.assistant.discoverDatabases());
    } else if (this.step === 'mirror') await this.lookUp('setupWindow.busy.disks', () => this.assistant.discoverDisks());
  }

  /** One row per database that can be backed up (non-system, on a server that let us in). */
  databaseRows(): DatabaseRow[] {
    const s = this.assistant.databases();
    const chosen = new Set(s.answer.map((a) => `${serverKey(a)}/${a.database}`));
    const rows: DatabaseRow[] = [];
    for (const server of s.servers) {
      if (server.login !== 'none') continue;
      for (const d of server.databases) {
        if (d.system) continue;
        const id = `${serverKey(server)}/${d.name}`;
        rows.push({
          id,
          text: this.tr('setupWindow.db.row', { database: d.name, kind: kindName(server.kind), where: server.where, size: formatBytes(d.sizeBytes, this.o.lang) }),
          checked: chosen.has(id),
        });
      }
    }
    return rows;
  }

  /** Ticks or unticks a database (the row's id). */
  setDatabase(id: string, on: boolean): void {
    const s = this.assistant.databases();
    const others = s.answer.filter((a) => `${serverKey(a)}/${a.database}` !== id);
    if (!on) return this.assistant.setDatabases(others);
    const server = s.servers.find((x) => id.startsWith(serverKey(x) + '/'));
    if (!server) return;
    // Without this row first, so that answerFor names the new component uniquely among the rest.
    this.assistant.setDatabases(others);
    this.assistant.setDatabases([...others, this.assistant.answerFor(server, id.slice(serverKey(server).length + 1))]);
  }

  /** The server whose password is asked next (the first that still wants one), or null. */
  passwordServer(): FoundServer | null {
    return this.assistant.databases().servers.find((s) => s.login === 'password') ?? null;
  }

  /** Lists the asking server's databases with the typed password; the proposal is made again. */
  async logIn(password: string): Promise<boolean> {
    const server = this.passwordServer();
    if (!server || !password) return false;
    const ok = await this.lookUp('setupWindow.busy.login', () => this.assistant.logIn(server, password));
    this.loginProblem = ok ? null : this.tr('setupWindow.db.loginFailed', { where: server.where, user: server.user });
    return ok === true;
  }

  // ---- step 2 -------------------------------------------------------------------------------

  folderPath(role: FolderRole): string {
    return this.paths[role];
  }

  /** Typed: remembered; looked up when the field is left, chosen in the folder dialog, or on „Weiter“. */
  setFolderPath(role: FolderRole, path: string): void {
    this.paths[role] = path;
  }

  /** Looks up the folders as they are typed now (size, files, where they live). */
  async lookUpFolders(): Promise<void> {
    if (FOLDER_ROLES.every((r) => this.paths[r].trim() === this.lookedUp[r])) return;
    const taken = this.assistant.databases().answer.map((d) => d.name);
    const answers = FOLDER_ROLES.filter((r) => this.paths[r].trim() !== '').map((role) => {
      const path = this.paths[role].trim().replace(/(.)\/+$/, '$1');
      const last = path.split('/').pop() ?? '';
      const name = componentNameFrom(last, taken, role === 'program' ? 'program' : 'files');
      taken.push(name);
      return { name, path, role };
    });
    const snapshot = { ...this.paths };
    const done = await this.lookUp('setupWindow.busy.folder', () => this.assistant.setFolders(answers));
    if (done) for (const r of FOLDER_ROLES) this.lookedUp[r] = snapshot[r].trim();
  }

  /** „1,2 GB in 3456 Dateien – lokale Festplatte (ext4)“ for a looked-up folder; null before. */
  folderFacts(role: FolderRole): Line | null {
    const s = this.assistant.folders();
    const i = s.answer.findIndex((a) => a.role === role);
    const facts = s.facts[i];
    if (i < 0 || !facts || this.lookedUp[role] !== this.paths[role].trim()) return null;
    if (!facts.exists) return { tone: 'error', text: this.tr('setupWindow.folder.missing') };
    const where = this.tr(LOCATION_KEY[facts.location]) + (facts.fileSystem ? ` (${facts.fileSystem})` : '');
    const text = this.tr('setupWindow.folder.facts', { size: formatBytes(facts.bytes, this.o.lang), files: facts.files.toLocaleString(this.o.lang === 'de' ? 'de-DE' : 'en-GB'), where });
    return { tone: facts.location === 'local' ? 'ok' : 'warn', text };
  }

  // ---- step 3 -------------------------------------------------------------------------------

  estimateText(): string {
    const s = this.assistant.backupDir();
    return this.tr('setupWindow.backupDir.estimate', { size: formatBytes(s.estimateBytes, this.o.lang), needed: formatBytes(s.neededBytes, this.o.lang) });
  }

  backupDirRows(): { path: string; text: string }[] {
    return this.assistant.backupDir().candidates.map((c) => ({
      path: c.path,
      text: this.tr(c.fits ? 'setupWindow.backupDir.row' : 'setupWindow.backupDir.rowTooSmall', {
        path: c.path,
        free: formatBytes(c.freeBytes, this.o.lang),
        total: formatBytes(c.totalBytes, this.o.lang),
        where: this.tr(LOCATION_KEY[c.location]),
      }),
    }));
  }

  get backupDir(): string {
    return this.assistant.backupDir().answer;
  }

  /** A candidate or a typed/chosen folder: its disk's free space from the nearest folder that exists. */
  async setBackupDir(path: string): Promise<void> {
    const p = path.trim();
    if (p === this.assistant.backupDir().answer && this.assistant.backupDir().chosen) return;
    await this.lookUp('setupWindow.busy.folder', () => this.assistant.setBackupDir(p));
  }

  // ---- step 4 -------------------------------------------------------------------------------

  mirrorRows(): { uuid: string | null; text: string }[] {
    const none = { uuid: null, text: this.tr('setupWindow.mirror.noneRow') };
    return [
      none,
      ...this.assistant.mirror().disks.map((d) => ({
        uuid: d.uuid,
        text: this.tr('setupWindow.mirror.row', { label: d.label ?? this.tr('setupWindow.mirror.noLabel'), size: formatBytes(d.sizeBytes, this.o.lang), uuid: d.uuid ?? '' }),
      })),
    ];
  }

  get mirrorUuid(): string | null {
    return this.assistant.mirror().answer?.uuid ?? null;
  }

  get encrypt(): boolean {
    return this.assistant.mirror().answer?.encrypt ?? false;
  }

  setMirror(uuid: string | null): void {
    const disk = this.assistant.mirror().disks.find((d) => d.uuid === uuid);
    const before = this.assistant.mirror().answer;
    this.assistant.setMirror(disk ? { name: before?.name ?? 'usb', uuid: disk.uuid!, label: disk.label, encrypt: before?.encrypt ?? true } : null);
  }

  setEncrypt(on: boolean): void {
    const m = this.assistant.mirror().answer;
    if (m) this.assistant.setMirror({ ...m, encrypt: on });
  }

  // ---- step 5 -------------------------------------------------------------------------------

  get schedule(): { on: boolean; days: ScheduleDays; time: string } {
    return { on: this.scheduleOn, days: this.days, time: this.time };
  }

  /** The switch, the days and „HH:MM“: the cron expression the model checks (Mo–Fr 03:15 = "15 3 * * 1-5"). */
  setSchedule(change: Partial<{ on: boolean; days: ScheduleDays; time: string }>): void {
    if (change.on !== undefined) this.scheduleOn = change.on;
    if (change.days !== undefined) this.days = change.days;
    if (change.time !== undefined) this.time = change.time;
    const m = /^\s*(\d{1,2})[:.](\d{2})\s*$/.exec(this.time);
    const valid = m && Number(m[1]) < 24 && Number(m[2]) < 60;
    this.ownProblem = this.scheduleOn && !valid ? { tone: 'error', text: this.tr('setupWindow.schedule.badTime', { time: this.time }) } : null;
    if (!this.scheduleOn) this.assistant.setSchedule(null);
    else if (valid) this.assistant.setSchedule(`${Number(m[2])} ${Number(m[1])} * * ${this.days}`);
  }

  scheduleText(): { words: string; runs: string[] } {
    const s = this.assistant.schedule();
    if (s.answer === null) return { words: this.tr('setupWindow.schedule.off'), runs: [] };
    const words = s.words ? this.tr('schedule.described', { text: s.words, cron: s.answer }) : this.tr('schedule.raw', { cron: s.answer });
    return { words, runs: s.nextRuns.map((d) => formatRun(d, this.o.lang)) };
  }

  get trayAtLogin(): boolean {
    return this.assistant.answers().trayAtLogin;
  }

  get firstBackup(): boolean {
    return this.assistant.answers().firstBackup;
  }

  // ---- step 6 -------------------------------------------------------------------------------

  /** What will be set up, one line each, in the admin's words. */
  summary(): string[] {
    const a = this.assistant.answers();
    const lines: string[] = [];
    for (const d of a.databases) lines.push(this.tr('setupWindow.summary.database', { database: d.database, kind: kindName(d.kind), host: d.host, port: d.port, login: this.tr(d.password === 'keyring' ? 'setupWindow.summary.keyring' : 'setupWindow.summary.noPassword') }));
    if (!a.databases.length) lines.push(this.tr('setupWindow.summary.noDatabase'));
    for (const f of a.folders) lines.push(this.tr(f.role === 'program' ? 'setupWindow.summary.program' : 'setupWindow.summary.folder', { path: f.path }));
    lines.push(this.tr('setupWindow.summary.backupDir', { path: a.backupDir }));
    lines.push(a.mirror ? this.tr(a.mirror.encrypt ? 'setupWindow.summary.mirrorEncrypted' : 'setupWindow.summary.mirror', { label: a.mirror.label ?? a.mirror.uuid }) : this.tr('setupWindow.summary.noMirror'));
    lines.push(a.schedule ? this.tr('setupWindow.summary.schedule', { words: this.scheduleText().words }) : this.tr('setupWindow.schedule.off'));
    return lines;
  }

  // ---- the page -----------------------------------------------------------------------------

  /** The step's problems (the model's, in the admin's words) plus this window's own. */
  problems(step: StepId = this.step): Line[] {
    // Before the servers were looked for, „none found“ would be a false statement.
    if (step === 'databases' && !this.discovered.has('databases')) return [];
    const state = this.assistant.step(step);
    const own: Line[] = [];
    if (this.ownProblem && (step === this.step)) own.push(this.ownProblem);
    if (step === 'databases' && this.loginProblem) own.push({ tone: 'error', text: this.loginProblem });
    const of = (p: StepProblem): Line => ({ tone: p.level === 'error' ? 'error' : 'warn', text: render(this.o.lang, p.message) });
    let list = state.problems;
    // The finish page lists every step's warnings; errors there are the schema's (config problems).
    if (step === 'finish' && 'configProblems' in state) own.push(...state.configProblems.map((p) => ({ tone: 'error' as Tone, text: render(this.o.lang, { key: p.key, params: { ...p.params, path: p.path } } as Message) })));
    if (step === 'databases') list = list.filter((p) => !(this.passwordServer() && p.message.key === 'init.db.needsPassword'));
    return [...own, ...list.map(of)];
  }

  heading(): string {
    return this.tr('setupWindow.heading', { n: this.index + 1, count: STEP_IDS.length, step: this.tr(STEP_KEY[this.step]) });
  }

  intro(): string {
    return this.tr(INTRO_KEY[this.step]);
  }

  /** „Suche Datenbankserver …“ while a lookup runs, else null. */
  get busyLine(): string | null {
    return this.busyText;
  }

  /** Steps as „1 Datenbank › 2 Ordner › …“ with the current one marked. */
  stepNames(): { text: string; current: boolean; done: boolean }[] {
    return STEP_IDS.map((id, i) => ({ text: `${i + 1} ${this.tr(STEP_KEY[id])}`, current: i === this.index, done: i < this.index }));
  }

  get canBack(): boolean {
    return this.index > 0 && !this.busy && this.phase.kind === 'steps';
  }

  /** „Weiter“ while this step has no error (warnings are allowed: they are on the finish page again). */
  get canNext(): boolean {
    if (this.busy || this.phase.kind !== 'steps') return false;
    if (this.ownProblem?.tone === 'error') return false;
    // A folder typed but not looked up yet: „Weiter“ looks it up first (and stays if it is wrong).
    if (this.step === 'folders' && FOLDER_ROLES.some((r) => this.paths[r].trim() !== this.lookedUp[r])) return true;
    if (this.step === 'finish') return this.assistant.finish().config !== null;
    return !this.assistant.step(this.step).problems.some((p) => p.level === 'error');
  }

  async next(): Promise<boolean> {
    if (this.step === 'folders') await this.lookUpFolders();
    if (!this.canNext || this.step === 'finish') return false;
    this.index++;
    await this.enter();
    return true;
  }

  back(): boolean {
    if (!this.canBack) return false;
    this.index--;
    this.ownProblem = null;
    return true;
  }

  // ---- the hand-over to the CLI -------------------------------------------------------------

  /**
   * Stores the typed passwords in the keyring, writes the answers (no password in them) to a file
   * only this user can read, and returns `init`'s argv for the RunLauncher; null (phase 'done' with
   * the reason) when the keyring refused: the nightly run would then not find the password.
   */
  async prepareApply(): Promise<string[] | null> {
    const finish = this.assistant.finish();
    if (!finish.config || this.phase.kind !== 'steps') return null;
    this.phase = { kind: 'storing' };
    this.progress = emptyProgress();
    const passwords = this.assistant.typedPasswords();
    try {
      for (const [id, password] of passwords) await this.o.storePassword(id, password);
      // The CLI gets none of them, so it says „skipped“ for this stage: it was done here.
      if (passwords.size) this.progress.stages.passwords = { state: 'done', text: this.tr('setupWindow.stage.passwordsStored', { count: passwords.size }) };
    } catch (e) {
      this.phase = { kind: 'done', exitCode: null, error: this.tr('setupWindow.keyringFailed', { reason: String((e as Error)?.message ?? e) }) };
      return null;
    }
    const dir = this.o.tmpDir ?? tmpdir();
    await mkdir(dir, { recursive: true });
    const file = join(dir, `praxis-backup-answers-${process.pid}-${randomBytes(6).toString('hex')}.json`);
    // 'wx': a file planted under this name by someone else is never written through.
    await writeFile(file, JSON.stringify(finish.answers, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    this.answersFile = file;
    this.phase = { kind: 'applying' };
    return ['init', '--answers', file, '--yes'];
  }

  /** One JSON line of the CLI: an apply stage, the first backup's own events, the summary. */
  onEvent(e: { type: string; [k: string]: unknown }): void {
    const p = this.progress;
    const lang = this.o.lang;
    switch (e.type) {
      case 'apply-stage': {
        const stage = e.stage as ApplyStage;
        if (stage === 'passwords' && e.state === 'skipped' && p.stages.passwords.state === 'done') break;
        const text = messageText(lang, e.message as JsonMessage | undefined);
        const was = p.stages[stage];
        p.stages[stage] = { state: e.state as StageState, text: text ?? was?.text ?? null };
        if (text) p.log.push(text);
        break;
      }
      case 'apply-summary':
        p.summary = {
          configFile: String(e.configFile),
          backupDir: String(e.backupDir),
          backupId: (e.backupId as string | null) ?? null,
          restoreTest: e.restoreTest as 'passed' | 'failed' | 'not run',
          next: ((e.next as (JsonMessage | Message)[]) ?? []).map((m) => messageText(lang, m) ?? ''),
        };
        break;
      case 'started':
        p.percent = 0;
        this.components = (e.components as string[]) ?? [];
        this.done = 0;
        break;
      case 'component-started':
        p.current = this.tr('setupWindow.progress.component', { name: String(e.name) });
        break;
      case 'component-finished':
        this.done++;
        if (this.components.length) p.percent = Math.min(100, (100 * this.done) / this.components.length);
        break;
      case 'progress': {
        const name = String(e.name);
        if (name === 'total' || name.startsWith('mirror:') || !this.components.length) break;
        p.percent = Math.min(100, (100 * (this.done + Number(e.percent) / 100)) / this.components.length);
        break;
      }
      case 'log':
      case 'warning': {
        const text = messageText(lang, e.message as JsonMessage);
        if (text) p.log.push(text);
        break;
      }
      case 'finished': {
        const s = e.summary as { result?: string } | undefined;
        if (s?.result !== 'failed') p.percent = 100;
        break;
      }
    }
  }
  private components: string[] = [];
  private done = 0;

  /** The CLI ended: the page says how, and the answers file is gone. */
  async onExit(exit: { exitCode: number | null; startError?: string; stderrTail: string[] }): Promise<void> {
    const error = exit.startError ?? (exit.exitCode === 0 || exit.exitCode === 3 ? null : exit.stderrTail.filter(Boolean).slice(-3).join('\n') || this.tr('setupWindow.result.failedNoReason', { code: String(exit.exitCode) }));
    this.phase = { kind: 'done', exitCode: exit.exitCode, error };
    if (this.answersFile) await rm(this.answersFile, { force: true });
    this.answersFile = null;
  }

  /** The result line of the progress page. */
  resultLine(): Line | null {
    const ph = this.phase;
    if (ph.kind === 'storing') return { tone: 'pending', text: this.tr('setupWindow.result.storing') };
    if (ph.kind === 'applying') return { tone: 'pending', text: this.tr('setupWindow.result.running') };
    if (ph.kind !== 'done') return null;
    if (ph.error) return { tone: 'error', text: this.tr('setupWindow.result.failed', { reason: ph.error }) };
    const s = this.progress.summary;
    const tone: Tone = ph.exitCode === 0 && s?.restoreTest !== 'failed' ? 'ok' : 'warn';
    return { tone, text: this.tr(tone === 'ok' ? 'setupWindow.result.ok' : 'setupWindow.result.warnings') };
  }

  /** The summary's lines: what was saved where, and what to do next. */
  resultDetails(): string[] {
    const s = this.progress.summary;
    if (!s) return [];
    const lines = [this.tr('setupWindow.result.config', { file: s.configFile }), this.tr('setupWindow.result.backupDir', { dir: s.backupDir })];
    if (s.backupId) lines.push(this.tr('setupWindow.result.backup', { id: s.backupId }));
    lines.push(this.tr(s.restoreTest === 'passed' ? 'setupWindow.result.restorePassed' : s.restoreTest === 'failed' ? 'setupWindow.result.restoreFailed' : 'setupWindow.result.restoreNotRun'));
    if (s.next.length) lines.push(this.tr('setupWindow.result.next'), ...s.next.map((n) => `• ${n}`));
    return lines;
  }

  /** The encrypted mirror whose Notfallblatt is to be printed now: once its encryption was set up. */
  sheetMirror(): string | null {
    const m = this.assistant.answers().mirror;
    return this.phase.kind === 'done' && m?.encrypt && this.progress.stages.encryption.state === 'done' ? m.name : null;
  }

  stageLines(): Line[] {
    const mark: Record<StageState, string> = { waiting: '○', start: '…', done: '✓', skipped: '–', failed: '✗' };
    const tone: Record<StageState, Tone> = { waiting: 'none', start: 'pending', done: 'ok', skipped: 'none', failed: 'warn' };
    return APPLY_STAGES.map((stage) => {
      const s = this.progress.stages[stage];
      const label = this.tr(STAGE_KEY[stage]);
      return { tone: tone[s.state], text: `${mark[s.state]} ${label}${s.text ? ` – ${s.text}` : s.state === 'skipped' ? ` – ${this.tr('setupWindow.stage.skipped')}` : ''}` };
    });
  }
}

function emptyProgress(): ApplyProgress {
  const stages = Object.fromEntries(APPLY_STAGES.map((s) => [s, { state: 'waiting' as StageState, text: null }])) as ApplyProgress['stages'];
  return { stages, percent: null, current: null, log: [], summary: null };
}

/**
 * Extra places for discovery to knock at, from PRAXIS_BACKUP_DISCOVER_<KIND ID> (_POSTGRES, _MARIADB, …:
 * comma-separated HOST:PORT or socket paths, as `init --<kind id>` takes them): a server on another
 * port, and the tests' servers on their random ports. Unreadable entries are left out.
 */
export function discoveryExtrasFromEnv(env: NodeJS.ProcessEnv, parse: (text: string) => ProbeTarget | null): Partial<Record<DatabaseKindId, ProbeTarget[]>> {
  const out: Partial<Record<DatabaseKindId, ProbeTarget[]>> = {};
  for (const { id } of discoverableKinds()) {
    const name = `PRAXIS_BACKUP_DISCOVER_${id.toUpperCase()}`;
    const targets = (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(parse).filter((x): x is ProbeTarget => x !== null);
    if (targets.length) out[id] = targets;
  }
  return out;
}
