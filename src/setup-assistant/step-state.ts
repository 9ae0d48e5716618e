// What each step of the first-run assistant shows: plain data that SetupAssistant (assistant.ts)
// returns and both front ends render — the terminal (init-dialog.ts) and the tray's window.
import type { Config } from '../config/schema';
import type { Volume } from '../core/volumes';
import type { Message } from '../i18n';
import type { ConfigProblem } from '../core/errors';
import type { Answers, BackupDirCandidate, DatabaseAnswer, FolderAnswer, FolderFacts, FoundServer, MirrorAnswer } from './contracts';

/** One thing to fix ('error': the step cannot be finished) or to know ('warning'), naming the answer's field ("folders[1].path"). */
export interface StepProblem {
  field: string;
  level: 'error' | 'warning';
  message: Message;
}

export interface DatabasesStep {
  id: 'databases';
  /** Everything discovery found, including servers that want a password ('password') or failed (problem set). */
  servers: FoundServer[];
  /** The practice databases on servers we could list (every one named like tomedo/elexis, else the biggest non-system one); [] when none. */
  proposal: DatabaseAnswer[];
  answer: DatabaseAnswer[];
  problems: StepProblem[];
}

export interface FoldersStep {
  id: 'folders';
  answer: FolderAnswer[];
  /** Facts per answered folder, same order as `answer` (size, files, where it lives). */
  facts: FolderFacts[];
  problems: StepProblem[];
}

export interface BackupDirStep {
  id: 'backupDir';
  /** One backup: the chosen databases' sizes plus the folders' bytes. */
  estimateBytes: number;
  /** estimate × 1.1 (tomedo's 10 % reserve). */
  neededBytes: number;
  candidates: BackupDirCandidate[];
  /** The first local candidate with room, or null. */
  proposal: string | null;
  answer: string;
  /** What is known about the answered directory (free space of its disk, location), null before it was looked at. */
  chosen: BackupDirCandidate | null;
  problems: StepProblem[];
}

export interface MirrorStep {
  id: 'mirror';
  /** External disks with a UUID (what a mirror can reference). */
  disks: Volume[];
  proposal: MirrorAnswer | null;
  answer: MirrorAnswer | null;
  problems: StepProblem[];
}

export interface ScheduleStep {
  id: 'schedule';
  proposal: string;
  answer: string | null;
  /** „Mo–Fr um 03:15“ in the model's language; null when no schedule or no simple wording (show the expression). */
  words: string | null;
  /** The next runs after the injected clock's now, in the injected time zone. */
  nextRuns: Date[];
  problems: StepProblem[];
}

export interface FinishStep {
  id: 'finish';
  answers: Answers;
  /** The config the answers make, validated by the config schema; null while a problem is left. */
  config: Config | null;
  /** Every step's errors and warnings, plus the schema's own problems (path = the config's field). */
  problems: StepProblem[];
  configProblems: ConfigProblem[];
}

export type StepState = DatabasesStep | FoldersStep | BackupDirStep | MirrorStep | ScheduleStep | FinishStep;
