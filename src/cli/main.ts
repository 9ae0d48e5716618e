#!/usr/bin/env node
// praxis-backup command line. Thin: picks the command, hands it the composed app, maps errors to
// the documented exit codes.
import pkg from '../../package.json' with { type: 'json' };
import { compose } from '../app/compose';
import { detectLang, t } from '../i18n';
import { ExitCode } from '../core/errors';
import { credentialsCommand } from './commands/credentials';
import { encryptionCommand } from './commands/encryption';
import { initCommand } from './commands/init';
import { conceptCommand } from './commands/concept';
import { emergencySheetCommand } from './commands/emergency-sheet';
import { listCommand } from './commands/list';
import { mirrorCommand } from './commands/mirror';
import { notifyCommand } from './commands/notify';
import { offsiteCommand } from './commands/offsite';
import { reportCommand } from './commands/report';
import { restoreCommand } from './commands/restore';
import { retentionCommand } from './commands/retention';
import { volumesCommand } from './commands/volumes';
import { runCommand } from './commands/run';
import { scheduleCommand } from './commands/schedule';
import { statusCommand } from './commands/status';
import { trayCommand } from './commands/tray';
import { verifyCommand } from './commands/verify';
import { makeOut, reportError, type Out } from './output';

type Command = (app: ReturnType<typeof compose>, argv: string[], out: Out) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  init: initCommand,
  run: runCommand,
  mirror: mirrorCommand,
  list: listCommand,
  status: statusCommand,
  volumes: volumesCommand,
  schedule: scheduleCommand,
  tray: trayCommand,
  credentials: credentialsCommand,
  restore: restoreCommand,
  verify: verifyCommand,
  notify: notifyCommand,
  'emergency-sheet': emergencySheetCommand,
  concept: conceptCommand,
  encryption: encryptionCommand,
  offsite: offsiteCommand,
  report: reportCommand,
  retention: retentionCommand,
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
  const fn = COMMANDS[command];
  if (!fn) {
    out.text(
      LATER.includes(command)
        ? t(lang, 'cli.notYet', { command })
        : t(lang, 'cli.unknownCommand', { command, known: Object.keys(COMMANDS).join(', ') }),
    );
    return ExitCode.invalidInput;
  }
  try {
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
