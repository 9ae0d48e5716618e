// `praxis-backup restore <ID> [--from DIR | --from-mirror NAME] [--components a,b]
//   [--delete-newer-files] [--no-safety-backup] [--drop-previous] [--yes] [--dry-run] [--json]`
// (--dry-run: every check and the overview, nothing changed; the tray shows it before asking)
// `praxis-backup restore --sql FILE --database NAME [--drop-previous] [--yes]`
// Thin: parse, talk to the admin (a terminal) or require --yes, call the engine.
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { CommandNotify } from '../../alerting/command-notify';
import { loadConfig } from '../../config/load';
import type { DatabaseComponent } from '../../config/schema';
import { render, t, type Lang } from '../../i18n';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { clientsText, runRestore, type RestoreInteraction, type RestorePlan } from '../../restore/restore-run';
import { runSqlRestore, sqlFileComponents, type SqlRestoreInteraction } from '../../restore/restore-sql';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { ask, mirrorPassphraseAsker, readHidden, readPassphraseStdin } from '../terminal';
import { notifyPorts, runReporter, withCancel } from './run-support';

/**
 * The overview. `warnings`: false on the terminal, where each warning was printed as it was found,
 * just above (said once); the tray and --json get them in the overview's text.
 */
export function planText(lang: Lang, plan: RestorePlan, warnings = true): string[] {
  const locale = lang === 'de' ? 'de-DE' : 'en-GB';
  const date = plan.backupDate.toLocaleString(locale, { dateStyle: 'full', timeStyle: 'short' });
  const lines = [t(lang, 'restore.plan.header', { id: plan.backupId, date, dir: plan.sourceDir })];
  for (const c of plan.components) {
    lines.push(t(lang, 'restore.plan.component', { name: c.name, target: c.target }));
    if (c.notInBackup && c.notInBackup.count > 0) {
      lines.push(
        c.deletes
          ? t(lang, 'restore.plan.newerDeleted', { count: c.notInBackup.count, first: c.notInBackup.first.join(', ') + (c.notInBackup.count > c.notInBackup.first.length ? ', …' : '') })
          : t(lang, 'restore.plan.newerKept', { count: c.notInBackup.count }),
      );
    }
  }
  if (warnings) for (const w of plan.warnings) lines.push(`⚠ ${render(lang, w)}`);
  if (plan.clients.length) lines.push(t(lang, 'restore.plan.clients', { clients: clientsText(plan.clients) }));
  lines.push(t(lang, 'restore.plan.lost', { date }));
  lines.push(t(lang, plan.safetyBackup ? 'restore.plan.safety' : 'restore.plan.noSafety'));
  return lines;
}

function interaction(out: Out, yes: boolean): RestoreInteraction {
  const tty = !!process.stdin.isTTY && !out.json;
  return {
    showPlan: async (plan) => {
      for (const l of planText(out.lang, plan, false)) out.text(l);
      if (out.json) out.data({ type: 'restore-plan', plan, text: planText(out.lang, plan) });
    },
    confirm: async (plan) => {
      for (const l of planText(out.lang, plan, false)) out.text(l);
      if (out.json) out.data({ type: 'restore-plan', plan, text: planText(out.lang, plan) });
      if (yes) return true;
      if (!tty) throw new PraxisError('restore.needsYes', {}, ExitCode.invalidInput);
      const answer = (await ask(t(out.lang, 'restore.plan.ask'))).trim().toLowerCase();
      return answer === t(out.lang, 'restore.plan.yes');
    },
    password: async (c: DatabaseComponent, why) => {
      if (!tty) return null;
      const q = why === 'wrong' ? t(out.lang, 'restore.passwordWrong') : t(out.lang, 'restore.passwordAsk', { user: c.user, target: `${c.database}@${c.host}:${c.port}` });
      const p = await readHidden(q);
      return p ? p : null;
    },
    clientsConnected: async (list) => {
      out.text(t(out.lang, 'restore.plan.clients', { clients: clientsText(list) }));
      if (!tty) return false;
      const answer = (await ask(t(out.lang, 'restore.clientsAsk'))).trim().toLowerCase();
      return answer === '';
    },
  };
}

/** `restore --sql`: the overview is said here, in the admin's language; the flow is the engine's. */
function sqlInteraction(out: Out, yes: boolean, io: RestoreInteraction): SqlRestoreInteraction {
  return {
    password: io.password,
    confirmSql: async (o) => {
      const locale = out.lang === 'de' ? 'de-DE' : 'en-GB';
      const date = o.fileDate.toLocaleString(locale, { dateStyle: 'full', timeStyle: 'short' });
      const c = o.component;
      const lines = [
        t(out.lang, 'restore.sqlPlan', { file: o.file, database: c.database, host: c.host, port: c.port }),
        t(out.lang, o.dropPrevious ? 'restore.sqlPlanDrop' : 'restore.sqlPlanKeep', { database: c.database }),
        t(out.lang, 'restore.plan.lost', { date }),
      ];
      for (const l of lines) out.text(l);
      if (out.json) out.data({ type: 'restore-plan', plan: { file: o.file, database: c.database }, text: lines });
      if (yes) return true;
      if (!process.stdin.isTTY || out.json) throw new PraxisError('restore.needsYes', {}, ExitCode.invalidInput);
      return (await ask(t(out.lang, 'restore.plan.ask'))).trim().toLowerCase() === t(out.lang, 'restore.plan.yes');
    },
  };
}

export async function restoreCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand(
    'restore',
    argv,
    {
      from: { type: 'string' },
      'from-mirror': { type: 'string' },
      'passphrase-stdin': { type: 'boolean', default: false },
      components: { type: 'string' },
      'delete-newer-files': { type: 'boolean', default: false },
      'no-safety-backup': { type: 'boolean', default: false },
      'drop-previous': { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      sql: { type: 'string' },
      database: { type: 'string' },
    },
    1,
  );
  if (values.from && values['from-mirror']) throw new UsageError('--from and --from-mirror cannot be used together', 'restore');
  const configFile = values.config ? resolve(values.config) : app.paths.configFile;
  const config = await loadConfig(configFile);
  const reporter = runReporter(app, out, 'restore');
  const io = interaction(out, values.yes);
  // A failed restore is said off the machine at once (issue 14); a dry run changes nothing and says
  // nothing. Made once the arguments are checked: a typing error must not wait for a mail server.
  const notifier = () => new CommandNotify(notifyPorts(app, config), config, 'restore', reporter, { silent: values['dry-run'] });

  if (values.sql !== undefined) {
    if (positionals.length) throw new UsageError('restore --sql takes no backup ID', 'restore');
    if (!values.database) throw new PraxisError('restore.sqlNeedsDatabase', {}, ExitCode.invalidInput);
    const loadable = sqlFileComponents(config.components);
    const c = loadable.find((x) => x.database === values.database);
    if (!c) {
      const known = loadable.map((x) => x.database);
      throw new PraxisError('restore.sqlNoComponent', { database: values.database, known: known.join(', ') || '—' }, ExitCode.invalidInput);
    }
    const notify = notifier();
    const summary = await withCancel((signal) =>
      runSqlRestore(c, resolve(values.sql!), values['drop-previous'], { platform: app.platform, tools: app.tools, secrets: app.secretsFor(config) }, sqlInteraction(out, values.yes, io), reporter, signal),
    );
    if (summary.error && !out.json) out.text(render(out.lang, summary.error));
    await notify.finish(summary);
    return summary.exitCode;
  }

  const id = positionals[0];
  if (!id) throw new PraxisError('restore.needsId', {}, ExitCode.invalidInput);
  // An encrypted mirror on a new machine: the passphrase from the emergency sheet, piped in (never
  // an argument; stdin is then used up: confirmations need --yes), or typed at the prompt.
  const passphrase = values['passphrase-stdin'] && values['from-mirror'] ? await readPassphraseStdin(values['from-mirror']) : undefined;
  if (values['passphrase-stdin'] && !values['from-mirror']) throw new UsageError('--passphrase-stdin goes with --from-mirror', 'restore');
  const notify = notifier();
  const summary = await withCancel((signal) =>
    runRestore(
      config,
      {
        id,
        from: values.from ? resolve(values.from) : undefined,
        fromMirror: values['from-mirror'],
        passphrase,
        components: values.components?.split(',').map((s) => s.trim()).filter(Boolean),
        deleteNewerFiles: values['delete-newer-files'],
        safetyBackup: !values['no-safety-backup'],
        dropPrevious: values['drop-previous'],
        planOnly: values['dry-run'],
      },
      {
        platform: app.platform,
        tools: app.tools,
        secrets: app.secretsFor(config),
        status: app.status,
        toolVersion: app.version,
        mirrorDeps: config.mirrors.length ? { ...app.mirrorDeps(config, out.lang), askPassphrase: mirrorPassphraseAsker(out.lang, !out.json) } : undefined,
      },
      io,
      reporter,
      signal,
    ),
  );
  if (summary.result === 'failed') {
    for (const d of summary.details ?? []) out.text(`  ${d}`);
    if (!out.json && summary.error) out.text(render(out.lang, summary.error));
  }
  await notify.finish(summary);
  return summary.exitCode;
}
