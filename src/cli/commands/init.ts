// `praxis-backup init`: the first-run assistant on a terminal (issue 15). Interactive when stdin
// is a terminal; `--yes` accepts every proposal (scripts); `--answers FILE` takes the answers the
// tray's first-start window wrote (it runs `init --answers F --yes --json` and reads the events).
// The steps and proposals are the shared model's (src/setup-assistant/assistant.ts); the dialog
// is init-dialog.ts; writing and installing is src/setup-assistant/apply.ts.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { App } from '../../app/compose';
import { render, t } from '../../i18n';
import { passwordEnvVar } from '../../credentials/credentials';
import { ConfigError, ExitCode, PraxisError, UsageError } from '../../core/errors';
import { parseAnswers } from '../../setup-assistant/answers';
import { applyAnswers } from '../../setup-assistant/apply';
import { createDiscovery, parseProbeTarget, type ProbeTarget } from '../../setup-assistant/discover/create-discovery';
import { discoverableKinds } from '../../setup-assistant/discover/server-places';
import { SetupAssistant, type FinishStep, type StepProblem } from '../../setup-assistant/assistant';
import type { Answers, ApplyEvent, DatabaseKindId, Discovery, TypedPasswords } from '../../setup-assistant/contracts';
import { parseCommand } from '../args';
import { messageJson, type Out } from '../output';
import { ask } from '../terminal';
import { runDialog, type Preset } from './init-dialog';
import { encryptionCommand } from './encryption';
import { runReporter, withCancel } from './run-support';

/** `--<kind id> HOST:PORT` (--postgres, --mariadb, …): one per kind the assistant can look for. */
const PLACE_OPTIONS: Record<string, { type: 'string'; multiple: true }> = Object.fromEntries(
  discoverableKinds().map((k) => [k.id, { type: 'string', multiple: true }] as const),
);

const OPTIONS = {
  yes: { type: 'boolean', short: 'y', default: false },
  answers: { type: 'string' },
  ...PLACE_OPTIONS,
  'backup-dir': { type: 'string' },
  folder: { type: 'string', multiple: true },
  'program-folder': { type: 'string', multiple: true },
  'no-schedule': { type: 'boolean', default: false },
  'no-backup': { type: 'boolean', default: false },
  'no-tray': { type: 'boolean', default: false },
  'no-encrypt': { type: 'boolean', default: false },
  disk: { type: 'string' },
  'no-mirror': { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
} as const;

/** --<kind id> (--postgres, --mariadb, …): HOST:PORT, [v6]:PORT, USER@HOST:PORT or a socket path; a bad one is exit 2 naming the option. */
function probeTargets(option: DatabaseKindId, raw: string[] | undefined): ProbeTarget[] {
  return (raw ?? []).map((r) => {
    const target = parseProbeTarget(r);
    if (!target) throw new UsageError(`--${option} must be HOST:PORT, USER@HOST:PORT or a socket path (e.g. localhost:5433), got "${r}"`, 'init');
    return target;
  });
}

function absolute(option: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!isAbsolute(raw)) throw new UsageError(`--${option} must be an absolute path, got "${raw}"`, 'init');
  return resolve(raw);
}

export async function initCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values } = parseCommand('init', argv, OPTIONS);
  const places = Object.fromEntries(discoverableKinds().map((k) => [k.id, probeTargets(k.id, (values as Record<string, unknown>)[k.id] as string[] | undefined)]));
  const backupDir = absolute('backup-dir', values['backup-dir']);
  const folders = (values.folder ?? []).map((f) => absolute('folder', f)!);
  const programFolders = (values['program-folder'] ?? []).map((f) => absolute('program-folder', f)!);
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const interactive = !values.yes && !values.answers && !out.json && process.stdin.isTTY === true;
  if (!interactive && !values.yes && !values.answers) throw new PraxisError('init.needsYes', {}, ExitCode.invalidInput);

  // An existing config is never replaced silently: asked on a terminal, --force in scripts (--yes alone is not consent).
  let overwrite = values.force;
  if (existsSync(configFile) && !overwrite) {
    if (!interactive) throw new PraxisError('init.configExists', { file: configFile }, ExitCode.invalidInput);
    const a = (await ask(`${t(out.lang, 'init.ask.overwrite', { file: configFile })} `)).trim().toLowerCase();
    if (!['j', 'ja', 'y', 'yes'].includes(a)) {
      out.text(t(out.lang, 'init.keptConfig', { file: configFile }));
      return ExitCode.invalidInput;
    }
    overwrite = true;
  }

  let answers: Answers;
  let passwords: TypedPasswords = new Map();
  if (values.answers) {
    const given = await readAnswersFile(resolve(values.answers));
    if (backupDir) given.backupDir = backupDir;
    // Judged by the same model as typed answers: a missing folder or a backup directory on a USB disk is refused here too.
    const assistant = new SetupAssistant({ discovery: makeDiscovery(app, places), now: () => app.now(), lang: out.lang, keyringReachable: () => keyringAnswers(app) });
    const fin = await withCancel((signal) => assistant.loadAnswers(given, signal));
    refuseErrors(out, fin);
    answers = assistant.answers();
  } else {
    const assistant = new SetupAssistant({ discovery: makeDiscovery(app, places), now: () => app.now(), lang: out.lang, keyringReachable: () => keyringAnswers(app) });
    // Ctrl-C at a question pauses readline and leaves its promise unsettled, so the process just
    // ends: say so and end as failed (nothing is written before the last question is answered).
    const abandoned = () => {
      out.text(t(out.lang, 'init.cancelled'));
      process.exitCode = ExitCode.failed;
    };
    process.once('exit', abandoned);
    const chosen = await withCancel(async (signal) => {
      if (interactive) return runDialog(assistant, out, signal, { backupDir, folders, programFolders });
      return acceptProposals(assistant, out, signal, { backupDir, folders, programFolders, encrypt: !values['no-encrypt'], disk: values['no-mirror'] ? null : (values.disk ?? 'proposal') });
    }).finally(() => process.removeListener('exit', abandoned));
    if (!chosen) {
      out.text(t(out.lang, 'init.cancelled'));
      return ExitCode.failed;
    }
    answers = assistant.answers();
    passwords = assistant.typedPasswords();
  }
  if (values['no-tray']) answers.trayAtLogin = false;
  if (values['no-encrypt'] && answers.mirror) answers.mirror.encrypt = false;

  const result = await withCancel((signal) =>
    applyAnswers(
      answers,
      passwords,
      { configFile, overwrite, schedule: !values['no-schedule'] && answers.schedule !== null, backup: !values['no-backup'] && answers.firstBackup, lang: out.lang },
      {
        app,
        emit: (e) => printEvent(out, e),
        reporter: () => runReporter(app, out, 'run'),
        setupEncryption: async (name) => (await encryptionCommand(app, ['setup', name, '--config', configFile, ...(interactive ? [] : ['--yes'])], out)) === ExitCode.ok,
        signal,
      },
    ),
  );
  return result.exitCode;
}

/** The answers file of the tray window: JSON in the format of contracts.ts; anything else is exit 2 naming the file and field. */
async function readAnswersFile(file: string): Promise<Answers> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PraxisError('init.answersMissing', { file }, ExitCode.invalidInput);
    throw new ConfigError(file, [(e as Error).message], 'badJson');
  }
  const r = parseAnswers(json);
  if (!r.answers) throw new ConfigError(file, [], 'invalid', r.problems);
  return r.answers;
}

/**
 * Whether the keyring answers now: an encrypted disk's passphrase is read from it by every copy, so
 * where it cannot be reached (a server with nobody logged in) the assistant proposes no encryption.
 */
async function keyringAnswers(app: App): Promise<boolean> {
  if (process.env.PRAXIS_BACKUP_KEYRING === 'off') return false;
  try {
    await app.keyring().get('praxis-backup://keyring-probe');
    return true;
  } catch {
    return false;
  }
}

/** Discovery with the extra places of --<kind id>. */
function makeDiscovery(app: App, extra: Record<DatabaseKindId, ProbeTarget[]>): Discovery {
  return createDiscovery({ platform: app.platform, tools: app.tools, volumes: app.volumes(), extra });
}

/**
 * --yes: every proposal as it is. A server that asks for a password gets it from
 * PRAXIS_BACKUP_PASSWORD_POSTGRES / _MARIADB (a script's way to type it once); without, its
 * databases are left out and the step says so. Errors left at the end are exit 2, each named.
 */
async function acceptProposals(a: SetupAssistant, out: Out, signal: AbortSignal, p: Preset & { encrypt: boolean; disk: string | null }): Promise<true> {
  const found = await a.discoverDatabases(signal);
  for (const s of found.servers) {
    if (s.login !== 'password') continue;
    const password = process.env[passwordEnvVar(s.kind)];
    if (password) await a.logIn(s, password, signal);
  }
  await a.setFolders([...p.folders.map((f) => a.folderFor(f, 'data')), ...p.programFolders.map((f) => a.folderFor(f, 'program'))], signal);
  await a.discoverBackupDirs(signal);
  if (p.backupDir) await a.setBackupDir(p.backupDir);
  const m = await a.discoverDisks(signal);
  if (p.disk === null) a.setMirror(null);
  else if (p.disk !== 'proposal') {
    // --disk UUID: that disk, which must be attached (a script names the one it means when several are).
    const d = m.disks.find((x) => x.uuid!.toLowerCase() === p.disk!.toLowerCase());
    if (!d) throw new UsageError(`--disk ${p.disk}: no attached external disk has this UUID (praxis-backup volumes lists them)`, 'init');
    // Encrypted as proposed: not where the keyring cannot be reached (the proposal then says why).
    a.setMirror({ name: 'usb', uuid: d.uuid!, label: d.label, encrypt: p.encrypt && (m.proposal?.encrypt ?? true) });
  } else if (m.answer && !p.encrypt) a.setMirror({ ...m.answer, encrypt: false });
  refuseErrors(out, a.finish());
  return true;
}

/** Warnings are said; errors (each naming its field) end init with exit 2 before anything is written. */
function refuseErrors(out: Out, fin: FinishStep): void {
  for (const pr of fin.problems.filter((x) => x.level === 'warning')) printProblem(out, pr);
  const errors = fin.problems.filter((x) => x.level === 'error');
  if (errors.length || !fin.config) {
    for (const pr of errors) printProblem(out, pr);
    if (!errors.length) throw new ConfigError('(init)', [], 'invalid', fin.configProblems);
    throw new PraxisError('init.notReady', { count: errors.length }, ExitCode.invalidInput);
  }
}

export function printProblem(out: Out, p: StepProblem): void {
  const text = t(out.lang, p.level === 'error' ? 'init.problem.error' : 'init.problem.warning', { field: p.field, message: p.message });
  if (out.json) out.data({ type: 'init-problem', field: p.field, level: p.level, message: messageJson(out.lang, p.message) });
  else out.text(text);
}

/** Apply's events: a line each on a terminal (stderr), JSON lines with --json (the tray reads them). */
function printEvent(out: Out, e: ApplyEvent): void {
  if (out.json) {
    out.data(e.type === 'apply-stage' ? { ...e, message: e.message ? messageJson(out.lang, e.message) : undefined } : { ...e, next: e.next.map((n) => messageJson(out.lang, n)) });
    return;
  }
  if (e.type === 'apply-stage') {
    if (e.message) out.text(render(out.lang, e.message));
    return;
  }
  out.print('');
  out.print(t(out.lang, 'init.summary.config', { file: e.configFile }));
  out.print(t(out.lang, 'init.summary.backupDir', { dir: e.backupDir }));
  if (e.backupId) out.print(t(out.lang, `init.summary.restoreTest.${e.restoreTest === 'not run' ? 'notRun' : e.restoreTest}`, { id: e.backupId }));
  out.print(t(out.lang, 'init.summary.next'));
  for (const n of e.next) out.print(`  - ${render(out.lang, n)}`);
}
