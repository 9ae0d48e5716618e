#!/usr/bin/env node
// praxis-backup command line. Thin: picks the command, hands it the composed app, maps errors to
// the documented exit codes.
import pkg from '../../package.json' with { type: 'json' };
import { compose } from '../app/compose';
import { detectLang, t } from '../i18n';
import { ExitCode } from '../core/errors';
import { makeOut, reportError, type Out } from './output';

type Command = (app: ReturnType<typeof compose>, argv: string[], out: Out) => Promise<number>;

// Each command is loaded when it is called, not all at start: the nightly `run` then carries none
// of the report, restore, assistant or emergency-sheet code in its heap (its memory is a goal,
// issue 19). Webpack makes a chunk of each; what they share is loaded once.
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/init')).initCommand,
  run: async () => (await import('./commands/run')).runCommand,
  mirror: async () => (await import('./commands/mirror')).mirrorCommand,
  list: async () => (await import('./commands/list')).listCommand,
  status: async () => (await import('./commands/status')).statusCommand,
  volumes: async () => (await import('./commands/volumes')).volumesCommand,
  schedule: async () => (await import('./commands/schedule')).scheduleCommand,
  tray: async () => (await import('./commands/tray')).trayCommand,
  credentials: async () => (await import('./commands/credentials')).credentialsCommand,
  restore: async () => (await import('./commands/restore')).restoreCommand,
  verify: async () => (await import('./commands/verify')).verifyCommand,
  notify: async () => (await import('./commands/notify')).notifyCommand,
  'emergency-sheet': async () => (await import('./commands/emergency-sheet')).emergencySheetCommand,
  concept: async () => (await import('./commands/concept')).conceptCommand,
  encryption: async () => (await import('./commands/encryption')).encryptionCommand,
  offsite: async () => (await import('./commands/offsite')).offsiteCommand,
  report: async () => (await import('./commands/report')).reportCommand,
  retention: async () => (await import('./commands/retention')).retentionCommand,
};
/** In DESIGN.md's contract, built by later issues. */
const LATER: string[] = [];

// The tray reads our stdout; if it goes away mid-run, the backup must still finish.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

export async function main(argv: string[]): Promise<number> {
  const lang = detectLang();
  const out = makeOut(lang, argv.includes('--json'));
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out.print(t(lang, 'cli.usage'));
    return command ? ExitCode.ok : ExitCode.invalidInput;
  }
  // The installed version alone on stdout (package.json's, bundled into dist/cli.js), for an admin and for scripts.
  if (command === '--version' || command === 'version') {
    out.print(pkg.version);
    return ExitCode.ok;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out.print(t(lang, 'cli.usage'));
    return ExitCode.ok;
  }
  const load = COMMANDS[command];
  if (!load) {
    out.text(
      LATER.includes(command)
        ? t(lang, 'cli.notYet', { command })
        : t(lang, 'cli.unknownCommand', { command, known: Object.keys(COMMANDS).join(', ') }),
    );
    return ExitCode.invalidInput;
  }
  try {
    const fn = await load();
    return await fn(compose(), rest, out);
  } catch (e) {
    return reportError(out, e);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(String((e as Error)?.stack ?? e) + '\n');
    process.exitCode = ExitCode.failed;
  },
);
