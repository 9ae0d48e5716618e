// The first-run assistant's steps as one Qt-free, terminal-free model (issue 15, steps 1–6). The
// CLI (`praxis-backup init`) and the tray's first-start window both drive this class, so they
// cannot disagree about what a good first setup is. It holds what discovery found, proposes
// answers (proposals.ts), takes the admin's answers through setters and says per step what is
// wrong or worth a warning, as catalogue messages naming the field. It never writes anything:
// apply.ts does, from `answers()` and `typedPasswords()`.
//
// Use: `await a.discoverDatabases(signal)` → `a.databases()` (servers, proposal, problems);
// `await a.logIn(server, password)` where a server asks; `a.setDatabases([...])`;
// `await a.setFolders([...])`; `await a.discoverBackupDirs()` → `a.backupDir()`; `await a.setBackupDir(p)`;
// `await a.discoverDisks()` → `a.mirror()`; `a.setMirror(m)`; `a.setSchedule(cron)` → `a.schedule()`;
// `a.finish()` → the config or its problems. Each step's state is plain data, safe to render at any time.
import { CronExpressionParser } from 'cron-parser';
import type { Volume } from '../core/volumes';
import { msg, type Lang } from '../i18n';
import { describeCron } from '../schedule/cron-describe';
import { STEP_IDS, type Answers, type BackupDirCandidate, type DatabaseAnswer, type Discovery, type FolderAnswer, type FolderFacts, type FoundServer, type MirrorAnswer, type StepId, type TypedPasswords } from './contracts';
import { credentialIdOf, toConfig } from './answers';
import { freeSpaceAt, type FreeSpace } from './free-space';
import type { BackupDirStep, DatabasesStep, FinishStep, FoldersStep, MirrorStep, ScheduleStep, StepProblem, StepState } from './step-state';
import { DEFAULT_SCHEDULE, databaseAnswer, estimateBytes, folderAnswer, mirrorDisks, proposeBackupDir, proposeMirror, proposePracticeDatabases, spaceNeeded } from './proposals';

export { STEP_IDS, type StepId };
export { toConfig, credentialIdOf };
export type { BackupDirStep, DatabasesStep, FinishStep, FoldersStep, MirrorStep, ScheduleStep, StepProblem, StepState } from './step-state';

export interface AssistantOptions {
  discovery: Discovery;
  /** The clock for "next runs" (tests inject one; the CLI passes the app's clock). */
  now: () => Date;
  /** IANA zone for the next runs; default the process's own (the CLI's; tests pass one). */
  timeZone?: string;
  lang: Lang;
  /** How many next runs to show (default 3). */
  nextRunCount?: number;
  /**
   * Whether the keyring can be reached now (absent: assumed yes, as in a desktop session). An
   * encrypted disk's passphrase lives there and every copy reads it: on a server with nobody
   * logged in (no D-Bus, no Secret Service) an encrypted mirror could never be written, so the disk
   * is then proposed unencrypted with the reason, and choosing encryption is an error, not a
   * config that fails every night.
   */
  keyringReachable?: () => Promise<boolean>;
}

const NO_SIGNAL = new AbortController().signal;

export class SetupAssistant {
  private servers: FoundServer[] = [];
  private dbAnswer: DatabaseAnswer[] = [];
  private dbProposal: DatabaseAnswer[] = [];
  private folderAnswers: FolderAnswer[] = [];
  private folderFacts: FolderFacts[] = [];
  private candidates: BackupDirCandidate[] = [];
  private candidatesFor = -1;
  private backupDirAnswer = '';
  private backupDirChosen: BackupDirCandidate | null = null;
  private disks: Volume[] = [];
  private mirrorAnswer: MirrorAnswer | null = null;
  private mirrorTouched = false;
  /** The keyring could not be reached when the disks were looked up (keyringReachable). */
  private keyringDown = false;
  private scheduleAnswer: string | null = DEFAULT_SCHEDULE;
  private passwords: TypedPasswords = new Map();
  /** Servers (kind://host:port) the admin typed a password for: their databases get "password": "keyring". */
  private typedFor = new Map<string, string>();
  private extras: Pick<Answers, 'practiceName' | 'trayAtLogin' | 'firstBackup'> = { trayAtLogin: true, firstBackup: true };

  constructor(private readonly o: AssistantOptions) {}

  /** The steps in order (contracts.ts STEP_IDS). */
  readonly steps = STEP_IDS;

  // ---- step 1: databases ------------------------------------------------------------------

  /** Finds the servers (each tried without a password) and takes the proposal as the answer. */
  async discoverDatabases(signal: AbortSignal = NO_SIGNAL): Promise<DatabasesStep> {
    const found = await this.o.discovery.findServers(signal);
    // A search again ("Erneut suchen": a server was started meanwhile) must not forget a password
    // the admin already typed: such a server is listed with it again, not shown as asking anew.
    this.servers = await Promise.all(
      found.map(async (s) => {
        const typed = this.typedFor.get(serverKey(s));
        if (s.login !== 'password' || typed === undefined) return s;
        const again = await this.o.discovery.listDatabases(s, typed, signal);
        if (again.login !== 'none') this.typedFor.delete(serverKey(s));
        return again;
      }),
    );
    this.repropose();
    return this.databases();
  }

  /**
   * The admin typed the password of a server that asked for one: lists its databases with it. On
   * success the password is kept (TypedPasswords, stored in the keyring by apply) and the proposal
   * is made again; false when the server still refuses (its problem says why).
   */
  async logIn(server: FoundServer, password: string, signal: AbortSignal = NO_SIGNAL): Promise<boolean> {
    const again = await this.o.discovery.listDatabases(server, password, signal);
    const key = serverKey(server);
    this.servers = this.servers.map((s) => (serverKey(s) === key ? again : s));
    if (!this.servers.some((s) => serverKey(s) === key)) this.servers.push(again);
    if (again.login !== 'none') return false;
    this.typedFor.set(key, password);
    this.repropose();
    return true;
  }

  private repropose(): void {
    const taken = this.folderAnswers.map((f) => f.name);
    this.dbProposal = [];
    for (const p of proposePracticeDatabases(this.servers)) {
      this.dbProposal.push(databaseAnswer(p.server, p.database.name, [...taken, ...this.dbProposal.map((d) => d.name)], this.typedFor.has(serverKey(p.server))));
    }
    this.setDatabases(this.dbProposal);
  }

  /** The databases to back up (any number; names must be unique among all components). */
  setDatabases(answer: DatabaseAnswer[]): void {
    this.dbAnswer = answer.map((a) => ({ ...a }));
    this.syncPasswords();
  }

  /** A found server's database as an answer, named uniquely (for a front end's "add" button). */
  answerFor(server: FoundServer, database: string): DatabaseAnswer {
    const taken = [...this.dbAnswer, ...this.folderAnswers].map((c) => c.name);
    return databaseAnswer(server, database, taken, this.typedFor.has(serverKey(server)));
  }

  /** Typed passwords by the credential id of each answered database on that server (what a run asks the keyring for). */
  private syncPasswords(): void {
    this.passwords = new Map();
    for (const d of this.dbAnswer) {
      const typed = this.typedFor.get(serverKey(d));
      if (typed !== undefined && d.password === 'keyring') this.passwords.set(credentialIdOf(d), typed);
    }
  }

  databases(): DatabasesStep {
    const problems: StepProblem[] = [];
    this.servers.forEach((s, i) => {
      // Warnings only: a server we cannot use is shown, the others can still be chosen.
      if (s.problem) problems.push({ field: `servers[${i}]`, level: 'warning', message: s.problem });
      else if (s.login === 'password' && !this.typedFor.has(serverKey(s))) problems.push({ field: `servers[${i}]`, level: 'warning', message: msg('init.db.needsPassword', { where: s.where, user: s.user }) });
      // A database found but not openable (a database file the server rejects) is never proposed: said here, not hidden.
      s.databases.forEach((d, j) => {
        if (d.unopenable) problems.push({ field: `servers[${i}].databases[${j}]`, level: 'warning', message: msg('discover.databaseUnopenable', { database: d.name, where: s.where, message: d.unopenable }) });
      });
    });
    // Folders alone are a valid backup: no database is worth a warning, not a refusal.
    if (this.dbAnswer.length === 0) problems.push({ field: 'databases', level: 'warning', message: msg(this.servers.length ? 'init.db.noneChosen' : 'init.db.noneFound') });
    this.dbAnswer.forEach((d, i) => problems.push(...nameProblems(`databases[${i}].name`, d.name, this.names(), i)));
    return { id: 'databases', servers: this.servers, proposal: this.dbProposal, answer: this.dbAnswer, problems };
  }

  // ---- step 2: folders --------------------------------------------------------------------

  /** The attachments and program folders; looks each one up (size, files, network/removable). */
  async setFolders(answer: FolderAnswer[], signal: AbortSignal = NO_SIGNAL): Promise<FoldersStep> {
    const facts = await Promise.all(answer.map((f) => this.o.discovery.folderFacts(f.path, signal)));
    this.folderAnswers = answer.map((a) => ({ ...a }));
    this.folderFacts = facts;
    return this.folders();
  }

  /** A folder answer for a chosen path, named after the folder and unique (for a folder chooser). */
  folderFor(path: string, role: FolderAnswer['role']): FolderAnswer {
    return folderAnswer(path, role, this.names());
  }

  folders(): FoldersStep {
    const problems: StepProblem[] = [];
    const offset = this.dbAnswer.length;
    this.folderAnswers.forEach((f, i) => {
      const field = `folders[${i}].path`;
      const facts = this.folderFacts[i];
      problems.push(...nameProblems(`folders[${i}].name`, f.name, this.names(), offset + i));
      if (!f.path.startsWith('/')) problems.push({ field, level: 'error', message: msg('init.folder.notAbsolute', { path: f.path }) });
      else if (facts && !facts.exists) problems.push({ field, level: 'error', message: msg('init.folder.missing', { path: f.path }) });
      else if (facts?.location === 'network') problems.push({ field, level: 'warning', message: msg('init.folder.network', { path: f.path, fs: facts.fileSystem ?? '?' }) });
      else if (facts?.location === 'removable') problems.push({ field, level: 'warning', message: msg('init.folder.removable', { path: f.path }) });
    });
    return { id: 'folders', answer: this.folderAnswers, facts: this.folderFacts, problems };
  }

  // ---- step 3: backup directory ---------------------------------------------------------------

  /** One backup's estimated size from the current answers. */
  estimate(): number {
    return estimateBytes(this.servers, this.dbAnswer, this.folderFacts);
  }

  /** Asks discovery for places with room for the estimate; takes the best as the answer unless one was chosen. */
  async discoverBackupDirs(signal: AbortSignal = NO_SIGNAL): Promise<BackupDirStep> {
    const estimate = this.estimate();
    this.candidates = await this.o.discovery.backupDirCandidates(estimate, signal);
    this.candidatesFor = estimate;
    const best = proposeBackupDir(this.candidates);
    if (!this.backupDirAnswer && best) {
      this.backupDirAnswer = best.path;
      this.backupDirChosen = best;
    }
    return this.backupDir();
  }

  /**
   * The admin's backup directory. Looks it up (location, free space of its disk) so that a removable
   * or network disk is refused and too little room is said before anything is written. `space`:
   * the disk's free/total bytes; when not given, those of the nearest existing folder's disk
   * (free-space.ts); null when unknown (then only the location is judged). Discovery's folder facts say where it lives.
   */
  async setBackupDir(path: string, given?: FreeSpace | null, signal: AbortSignal = NO_SIGNAL): Promise<BackupDirStep> {
    const space = given === undefined ? await freeSpaceAt(path) : given;
    this.backupDirAnswer = path;
    const known = this.candidates.find((c) => c.path === path);
    if (known) this.backupDirChosen = known;
    else if (path.startsWith('/')) {
      const facts = await this.o.discovery.folderFacts(path, signal);
      const freeBytes = space?.freeBytes ?? -1;
      this.backupDirChosen = { path, location: facts.location, freeBytes, totalBytes: space?.totalBytes ?? -1, fits: freeBytes < 0 ? true : freeBytes >= spaceNeeded(this.estimate()) };
    } else this.backupDirChosen = null;
    return this.backupDir();
  }

  backupDir(): BackupDirStep {
    const estimate = this.estimate();
    const problems: StepProblem[] = [];
    const path = this.backupDirAnswer;
    const c = this.backupDirChosen?.path === path ? this.backupDirChosen : null;
    if (!path) problems.push({ field: 'backupDir', level: 'error', message: msg('init.backupDir.none', { size: { key: 'format.bytes', params: { n: spaceNeeded(estimate) } } }) });
    else if (!path.startsWith('/')) problems.push({ field: 'backupDir', level: 'error', message: msg('init.folder.notAbsolute', { path }) });
    else if (c?.location === 'network' || c?.location === 'removable') problems.push({ field: 'backupDir', level: 'error', message: msg(c.location === 'network' ? 'init.backupDir.network' : 'init.backupDir.removable', { path }) });
    else if (c && c.freeBytes >= 0 && c.freeBytes < spaceNeeded(estimate)) {
      problems.push({ field: 'backupDir', level: 'error', message: msg('init.backupDir.tooSmall', { path, free: { key: 'format.bytes', params: { n: c.freeBytes } }, needed: { key: 'format.bytes', params: { n: spaceNeeded(estimate) } } }) });
    }
    const inside = path ? this.folderAnswers.find((f) => isInside(path, f.path) || isInside(f.path, path)) : undefined;
    if (inside) problems.push({ field: 'backupDir', level: 'error', message: msg('init.backupDir.overlaps', { path, name: inside.name }) });
    if (this.candidatesFor >= 0 && this.candidatesFor !== estimate) {
      // The answers changed after the candidates were judged: whether they fit is stale.
      problems.push({ field: 'backupDir', level: 'warning', message: msg('init.backupDir.estimateChanged') });
    }
    return {
      id: 'backupDir',
      estimateBytes: estimate,
      neededBytes: spaceNeeded(estimate),
      candidates: this.candidates,
      proposal: proposeBackupDir(this.candidates)?.path ?? null,
      answer: path,
      chosen: c,
      problems,
    };
  }

  // ---- step 4: mirror ---------------------------------------------------------------------

  /** The attached external disks; proposes the first (encrypted) unless the admin chose already. */
  async discoverDisks(signal: AbortSignal = NO_SIGNAL): Promise<MirrorStep> {
    this.disks = mirrorDisks(await this.o.discovery.externalDisks(signal));
    this.keyringDown = this.o.keyringReachable ? !(await this.o.keyringReachable()) : false;
    if (!this.mirrorTouched) this.mirrorAnswer = proposeMirror(this.disks, !this.keyringDown);
    return this.mirror();
  }

  /** The mirror disk (by UUID), or null for none. */
  setMirror(answer: MirrorAnswer | null): void {
    this.mirrorTouched = true;
    this.mirrorAnswer = answer ? { ...answer } : null;
  }

  mirror(): MirrorStep {
    const problems: StepProblem[] = [];
    const m = this.mirrorAnswer;
    if (!m) problems.push({ field: 'mirror', level: 'warning', message: msg(this.disks.length ? 'init.mirror.none' : 'init.mirror.noDisk') });
    else {
      problems.push(...nameProblems('mirror.name', m.name, [], -1));
      if (!m.uuid) problems.push({ field: 'mirror.uuid', level: 'error', message: msg('init.mirror.noUuid', { name: m.name }) });
      if (m.encrypt && this.keyringDown) problems.push({ field: 'mirror.encrypt', level: 'error', message: msg('init.mirror.encryptNeedsKeyring', { name: m.name }) });
      else if (!m.encrypt) problems.push({ field: 'mirror.encrypt', level: 'warning', message: msg(this.keyringDown ? 'init.mirror.unencryptedNoKeyring' : 'init.mirror.unencrypted', { name: m.name }) });
    }
    return { id: 'mirror', disks: this.disks, proposal: proposeMirror(this.disks, !this.keyringDown), answer: m, problems };
  }

  // ---- step 5: schedule -------------------------------------------------------------------

  /** A cron expression, or null for no schedule (backups only by hand). */
  setSchedule(cron: string | null): void {
    this.scheduleAnswer = cron === null ? null : cron.trim();
  }

  schedule(): ScheduleStep {
    const cron = this.scheduleAnswer;
    const problems: StepProblem[] = [];
    let words: string | null = null;
    let nextRuns: Date[] = [];
    if (cron === null) problems.push({ field: 'schedule', level: 'warning', message: msg('init.schedule.none') });
    else {
      try {
        const it = CronExpressionParser.parse(cron, { currentDate: this.o.now(), ...(this.o.timeZone ? { tz: this.o.timeZone } : {}) });
        nextRuns = Array.from({ length: this.o.nextRunCount ?? 3 }, () => it.next().toDate());
        words = describeCron(cron, this.o.lang);
      } catch (e) {
        problems.push({ field: 'schedule', level: 'error', message: msg('init.schedule.invalid', { cron, reason: (e as Error).message }) });
      }
      if (!problems.length) {
        const c = toConfig({ ...this.answers(), schedule: cron });
        for (const p of c.problems) if (p.path === 'schedule.cron') problems.push({ field: 'schedule', level: 'error', message: { key: p.key, params: { ...p.params, path: p.path } } });
      }
    }
    return { id: 'schedule', proposal: DEFAULT_SCHEDULE, answer: cron, words, nextRuns, problems };
  }

  // ---- step 6: finish ---------------------------------------------------------------------

  setPracticeName(name: string | undefined): void {
    this.extras.practiceName = name?.trim() || undefined;
  }
  setTrayAtLogin(on: boolean): void {
    this.extras.trayAtLogin = on;
  }
  setFirstBackup(on: boolean): void {
    this.extras.firstBackup = on;
  }

  /**
   * Takes answers made elsewhere (`init --answers FILE`: the tray window's, or a hand-written file)
   * and looks them up as if they had been given step by step: folder facts, the backup directory's
   * disk and location. Then finish() judges them exactly like answers given here.
   */
  async loadAnswers(a: Answers, signal: AbortSignal = NO_SIGNAL): Promise<FinishStep> {
    this.setDatabases(a.databases);
    await this.setFolders(a.folders, signal);
    await this.setBackupDir(a.backupDir, undefined, signal);
    this.setMirror(a.mirror);
    this.setSchedule(a.schedule);
    this.setPracticeName(a.practiceName);
    this.setTrayAtLogin(a.trayAtLogin);
    this.setFirstBackup(a.firstBackup);
    return this.finish();
  }

  /** The answers so far (serialisable: what the tray window writes for `init --answers`). */
  answers(): Answers {
    const a: Answers = {
      version: 1,
      databases: this.dbAnswer,
      folders: this.folderAnswers,
      backupDir: this.backupDirAnswer,
      mirror: this.mirrorAnswer,
      schedule: this.scheduleAnswer,
      trayAtLogin: this.extras.trayAtLogin,
      firstBackup: this.extras.firstBackup,
    };
    if (this.extras.practiceName) a.practiceName = this.extras.practiceName;
    return structuredClone(a);
  }

  /** Passwords typed for servers that asked, by credential id of each answered database (never in answers()). */
  typedPasswords(): TypedPasswords {
    return new Map(this.passwords);
  }

  /** The state of one step (for a front end that renders by id). */
  step(id: StepId): StepState {
    switch (id) {
      case 'databases':
        return this.databases();
      case 'folders':
        return this.folders();
      case 'backupDir':
        return this.backupDir();
      case 'mirror':
        return this.mirror();
      case 'schedule':
        return this.schedule();
      case 'finish':
        return this.finish();
    }
  }

  /** Every step's problems, and the config the answers make (null while an error is left). */
  finish(): FinishStep {
    const steps = [this.databases(), this.folders(), this.backupDir(), this.mirror(), this.schedule()];
    const problems = steps.flatMap((s) => s.problems);
    if (this.dbAnswer.length + this.folderAnswers.length === 0) {
      // Said in the assistant's words rather than as the schema's "components: at least one".
      problems.push({ field: 'databases', level: 'error', message: msg('init.nothingChosen') });
    }
    const answers = this.answers();
    const made = toConfig(answers);
    const hasError = problems.some((p) => p.level === 'error') || made.config === null;
    return { id: 'finish', answers, config: hasError ? null : made.config, problems, configProblems: made.problems };
  }

  private names(): string[] {
    return [...this.dbAnswer.map((d) => d.name), ...this.folderAnswers.map((f) => f.name)];
  }
}

/** One server, whatever its list of databases: kind://host:port. */
function serverKey(s: { kind: string; host: string; port: number }): string {
  return `${s.kind}://${s.host}:${s.port}`;
}

function isInside(child: string, parent: string): boolean {
  return (child.replace(/\/+$/, '') + '/').startsWith(parent.replace(/\/+$/, '') + '/');
}

/** A component name the config would refuse, or one used before it (index in `all`). */
function nameProblems(field: string, name: string, all: string[], index: number): StepProblem[] {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) return [{ field, level: 'error', message: msg('init.name.invalid', { name }) }];
  const first = all.findIndex((n) => n.toLowerCase() === name.toLowerCase());
  if (index >= 0 && first >= 0 && first < index) return [{ field, level: 'error', message: msg('init.name.duplicate', { name }) }];
  return [];
}
