// Step 6 of the first-run assistant: what the answers become on this machine. The config is
// written first (validated, atomic, .bak, never over an existing one without consent), then the
// typed passwords go to the keyring, the encrypted mirror is set up, the schedule and the tray's
// start at login are installed, and the first backup runs with its restore test. Each stage says
// what it did as an ApplyEvent; a stage that fails after the config is written makes the end
// "done with warnings" (exit 3) and says what to run by hand, because the config itself is good
// and the admin should not start over.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { App } from '../app/compose';
import { createAutostart, currentSpec } from '../autostart/create-autostart';
import type { Config } from '../config/schema';
import { writeFileAtomically } from '../config/write-file';
import { msg, type Message } from '../i18n';
import type { InstallResult } from '../schedule/scheduler';
import { runBackup } from '../backup/backup-run';
import type { SecretStore } from '../credentials/credentials';
import { ConfigError, ExitCode, PraxisError } from '../core/errors';
import { failureMessage } from '../run/failure';
import type { Reporter, RunSummary } from '../run/events';
import { VERIFICATION_FILE, type VerificationRecord } from '../backup-directory/verification';
import { toConfig } from './answers';
import type { Answers, ApplyEvent, ApplyStage, TypedPasswords } from './contracts';

export interface ApplyOptions {
  configFile: string;
  /** The admin agreed to replace an existing config (the previous one is kept as .bak). */
  overwrite: boolean;
  /** Install the schedule (answers.schedule set and not --no-schedule). */
  schedule: boolean;
  /** Run the first backup (answers.firstBackup and not --no-backup). */
  backup: boolean;
  lang: 'de' | 'en';
}

export interface ApplyPorts {
  app: App;
  emit(e: ApplyEvent): void;
  /** The reporter of the first backup (log file, progress line, --json events): the CLI's, as for `run`. */
  reporter(): Reporter;
  /** The encryption setup of a mirror (passphrase, Notfallblatt): the CLI runs `encryption setup`. True when done. */
  setupEncryption?(mirror: string): Promise<boolean>;
  signal: AbortSignal;
}

export interface ApplyResult {
  exitCode: number;
  config: Config;
  bak: string | null;
  summary: RunSummary | null;
}

/** Writes the config and sets up the rest; the config stage's refusal (exists, invalid) is thrown. */
export async function applyAnswers(answers: Answers, passwords: TypedPasswords, o: ApplyOptions, p: ApplyPorts): Promise<ApplyResult> {
  const { app, emit } = p;
  let exit: number = ExitCode.ok;
  const warn = (stage: ApplyStage, message: Message) => {
    emit({ type: 'apply-stage', stage, state: 'failed', message });
    exit = ExitCode.warnings;
  };
  const next: Message[] = [];

  // 1. The config: validated before anything touches the disk.
  emit({ type: 'apply-stage', stage: 'config', state: 'start' });
  const made = toConfig(answers);
  if (!made.config) throw new ConfigError(o.configFile, [], 'invalid', made.problems);
  if (existsSync(o.configFile) && !o.overwrite) throw new PraxisError('init.configExists', { file: o.configFile }, ExitCode.invalidInput);
  const bak = await writeFileAtomically(o.configFile, JSON.stringify(made.input, null, 2) + '\n');
  const config = made.config;
  emit({ type: 'apply-stage', stage: 'config', state: 'done', message: bak ? msg('init.apply.configWrittenBak', { file: o.configFile, bak }) : msg('init.apply.configWritten', { file: o.configFile }) });

  // 2. Typed passwords into the keyring, under the ids a run asks for.
  if (passwords.size === 0) emit({ type: 'apply-stage', stage: 'passwords', state: 'skipped' });
  else {
    emit({ type: 'apply-stage', stage: 'passwords', state: 'start' });
    try {
      const keyring = app.keyring();
      for (const [id, password] of passwords) await keyring.set(id, password);
      emit({ type: 'apply-stage', stage: 'passwords', state: 'done', message: msg('init.apply.passwordsStored', { count: passwords.size }) });
    } catch (e) {
      // The nightly run will miss it: say so and how to store it later; the first backup below still has it.
      warn('passwords', msg('init.apply.passwordsFailed', { reason: failureMessage(e) }));
      for (const id of passwords.keys()) next.push(msg('init.next.storePassword', { id }));
    }
  }

  // 3. An encrypted mirror: the existing setup (passphrase in the keyring, Notfallblatt).
  const encrypted = config.mirrors.find((m) => m.encrypt);
  if (!encrypted) emit({ type: 'apply-stage', stage: 'encryption', state: 'skipped' });
  else if (!p.setupEncryption) {
    emit({ type: 'apply-stage', stage: 'encryption', state: 'skipped', message: msg('init.apply.encryptionLater', { name: encrypted.name }) });
    next.push(msg('init.next.encryption', { name: encrypted.name, file: o.configFile }));
  } else {
    emit({ type: 'apply-stage', stage: 'encryption', state: 'start' });
    let done = false;
    try {
      done = await p.setupEncryption(encrypted.name);
    } catch (e) {
      warn('encryption', msg('init.apply.encryptionFailed', { name: encrypted.name, reason: failureMessage(e) }));
    }
    if (done) {
      emit({ type: 'apply-stage', stage: 'encryption', state: 'done', message: msg('init.apply.encryptionDone', { name: encrypted.name }) });
      next.push(msg('init.next.printSheet', { name: encrypted.name }));
    } else {
      if (exit === ExitCode.ok) warn('encryption', msg('init.apply.encryptionNotDone', { name: encrypted.name }));
      next.push(msg('init.next.encryption', { name: encrypted.name, file: o.configFile }));
    }
  }

  // 4. The schedule (systemd timer with lingering / launchd agent), as `schedule install` does it.
  if (!config.schedule || !o.schedule) emit({ type: 'apply-stage', stage: 'schedule', state: 'skipped' });
  else {
    emit({ type: 'apply-stage', stage: 'schedule', state: 'start' });
    try {
      const r: InstallResult = await app.scheduler().install({ cron: config.schedule.cron, onDiskAttach: config.schedule.onDiskAttach, configFile: o.configFile, lang: o.lang });
      for (const n of r.notes) emit({ type: 'apply-stage', stage: 'schedule', state: 'start', message: n });
      if (r.linger && r.linger.state !== 'on') warn('schedule', msg('init.apply.scheduleNoLinger', { user: r.linger.user }));
      else emit({ type: 'apply-stage', stage: 'schedule', state: 'done', message: msg('init.apply.scheduleInstalled', { files: r.files.join(', ') }) });
    } catch (e) {
      warn('schedule', msg('init.apply.scheduleFailed', { reason: failureMessage(e) }));
      next.push(msg('init.next.schedule', { file: o.configFile }));
    }
  }

  // 5. The menu-bar app at every login.
  if (!answers.trayAtLogin) emit({ type: 'apply-stage', stage: 'tray', state: 'skipped' });
  else {
    emit({ type: 'apply-stage', stage: 'tray', state: 'start' });
    try {
      const r = await createAutostart(app.platform).install(currentSpec(app.platform, o.configFile));
      for (const n of r.notes) emit({ type: 'apply-stage', stage: 'tray', state: 'start', message: n });
      if (r.warning) exit = ExitCode.warnings;
      emit({ type: 'apply-stage', stage: 'tray', state: 'done', message: msg('init.apply.trayInstalled', { files: r.files.join(', ') }) });
    } catch (e) {
      warn('tray', msg('init.apply.trayFailed', { reason: failureMessage(e) }));
    }
  }

  // 6. The first backup, with its restore test forced on: the admin leaves knowing it can be put back.
  let summary: RunSummary | null = null;
  let restoreTest: 'passed' | 'failed' | 'not run' = 'not run';
  if (!o.backup) {
    emit({ type: 'apply-stage', stage: 'backup', state: 'skipped' });
    next.unshift(msg('init.next.runBackup'));
  } else {
    emit({ type: 'apply-stage', stage: 'backup', state: 'start' });
    summary = await runBackup(
      config,
      {
        platform: app.platform,
        tools: app.tools,
        secrets: withTyped(passwords, app.secretsFor(config)),
        status: app.status,
        toolVersion: app.version,
        now: () => app.now(),
        mirrors: config.mirrors.length ? { ...app.mirrorDeps(config, o.lang), secrets: withTyped(passwords, app.secretsFor(config)) } : undefined,
        deepIndex: config.verify.deepIndex,
        verifyAfter: { restoreTest: () => true },
      },
      p.reporter(),
      p.signal,
    );
    restoreTest = await restoreTestOutcome(summary);
    if (summary.result === 'failed') {
      // Failed, or another backup holds the lock (75): the run's own exit code, as `run` would end.
      emit({ type: 'apply-stage', stage: 'backup', state: 'failed', message: summary.error });
      exit = summary.exitCode;
      // The backup itself may be complete (a copy or its check failed): then the next step is the cause, not "make the first backup".
      next.unshift(summary.path ? msg('init.next.fixThenRun', { id: summary.backupId ?? '-' }) : msg('init.next.runBackup'));
    } else {
      if (summary.exitCode !== ExitCode.ok) exit = ExitCode.warnings;
      emit({ type: 'apply-stage', stage: 'backup', state: 'done', message: msg('init.apply.backupDone', { id: summary.backupId ?? '-', dir: config.backupDir }) });
    }
  }

  if (config.mirrors.length) next.push(msg('init.next.takeDiskHome', { name: config.mirrors[0]!.name }));
  next.push(msg('init.next.status'));
  emit({ type: 'apply-summary', configFile: o.configFile, backupDir: config.backupDir, backupId: summary?.backupId ?? null, restoreTest, next });
  return { exitCode: exit, config, bak, summary };
}

/** The passwords typed in the assistant first: the first backup must not depend on the keyring having taken them. */
function withTyped(typed: TypedPasswords, inner: SecretStore): SecretStore {
  if (typed.size === 0) return inner;
  return {
    description: 'praxis-backup init',
    displayName: msg('init.typedPasswordStore'),
    get: async (id) => typed.get(id) ?? inner.get(id),
  };
}

/** What the backup's verification.json says about its restore test. */
async function restoreTestOutcome(s: RunSummary): Promise<'passed' | 'failed' | 'not run'> {
  if (!s.path) return s.error?.key === 'verify.afterBackupFailed' ? 'failed' : 'not run';
  try {
    const record = JSON.parse(await readFile(join(s.path, VERIFICATION_FILE), 'utf8')) as VerificationRecord;
    if (!record.checked.restoreTest) return 'not run';
    return record.ok ? 'passed' : 'failed';
  } catch {
    return 'not run';
  }
}
