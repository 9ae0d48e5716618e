// `praxis-backup tray install|remove|status`: the menu-bar app starts at every login (Linux: XDG
// autostart entry, menu entry and icon; macOS: a LaunchAgent). Thin: the work is in src/autostart.
import type { App } from '../../app/compose';
import { render, t } from '../../i18n';
import { trayArgv, type AutostartSpec, type AutostartStatus } from '../../autostart/autostart';
import { createAutostart, currentSpec } from '../../autostart/create-autostart';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { parseCommand } from '../args';
import { messageJson, type Out } from '../output';

const SUBCOMMANDS = ['install', 'remove', 'status'] as const;

export async function trayCommand(app: App, argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('tray', argv, { 'keep-running': { type: 'boolean' } }, 1);
  const sub = positionals[0] as (typeof SUBCOMMANDS)[number] | undefined;
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(`expected one of ${SUBCOMMANDS.join('|')}${sub ? `, got "${sub}"` : ''}`, 'tray');
  if (values.config !== undefined && sub === 'remove') throw new UsageError('--config goes with install and status, not with remove', 'tray');
  if (values['keep-running'] && sub !== 'remove') throw new UsageError('--keep-running only goes with remove', 'tray');
  const autostart = createAutostart(app.platform);

  switch (sub) {
    case 'install': {
      const spec = currentSpec(app.platform, values.config);
      const result = await autostart.install(spec);
      const command = trayArgv(spec);
      if (out.json) out.data({ installed: true, kind: autostart.kind, files: result.files, argv: command, notes: result.notes.map((n) => messageJson(out.lang, n)) });
      else {
        out.print(t(out.lang, 'autostart.installed'));
        for (const f of result.files) out.print(t(out.lang, 'autostart.file', { path: f }));
        out.print(t(out.lang, 'autostart.command', { command: command.join(' ') }));
        for (const n of result.notes) out.print(render(out.lang, n));
      }
      return result.warning ? ExitCode.warnings : ExitCode.ok;
    }
    case 'remove': {
      const result = await autostart.remove({ keepRunning: values['keep-running'] === true });
      if (out.json) out.data({ removed: result.removed, kept: result.kept, notes: result.notes.map((n) => messageJson(out.lang, n)) });
      else {
        for (const f of result.removed) out.print(t(out.lang, 'autostart.removed', { path: f }));
        for (const n of result.notes) out.print(render(out.lang, n));
      }
      return ExitCode.ok;
    }
    case 'status': {
      let spec: AutostartSpec | null = null;
      try {
        spec = currentSpec(app.platform, values.config);
      } catch (e) {
        // This installation cannot be installed (no dist/tray.js, no qode): status still reads what is there.
        if (!(e instanceof PraxisError)) throw e;
      }
      printStatus(out, await autostart.status(spec));
      return ExitCode.ok;
    }
  }
}

function printStatus(out: Out, s: AutostartStatus): void {
  const missing = [...new Set(s.files.flatMap((f) => f.missing))];
  if (out.json) {
    out.data({ ...s, missing });
    return;
  }
  const any = s.files.some((f) => f.installed);
  out.print(t(out.lang, s.installed ? 'autostart.status.installed' : any ? 'autostart.status.partial' : 'autostart.status.notInstalled'));
  if (!any) return;
  for (const f of s.files) {
    const key = !f.installed ? 'autostart.status.fileMissing' : f.current ? 'autostart.status.fileOk' : 'autostart.status.outdated';
    out.print(t(out.lang, key, { path: f.path }));
    if (f.disabled) out.print(t(out.lang, 'autostart.status.disabled'));
  }
  if (s.argv) out.print(t(out.lang, 'autostart.command', { command: s.argv.join(' ') }));
  if (s.loaded !== null) out.print(s.loaded ? t(out.lang, 'autostart.status.loaded', { state: s.state ?? '–' }) : t(out.lang, 'autostart.status.notLoaded'));
  for (const p of missing) out.print(t(out.lang, 'autostart.status.missingProgram', { path: p }));
}
