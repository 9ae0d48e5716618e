// `praxis-backup credentials set|list|delete|test`: passwords in the Keychain / Secret Service.
// Thin: parse, read the password, call the credentials service, print. A password is read from
// stdin (piped), or typed at a prompt without echo (terminal) — never taken from an argument.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { render, t, type Lang } from '../../i18n';
import { configuredIds, parseCredentialId } from '../../credentials/credentials-service';
import { ExitCode, PraxisError, UsageError } from '../../core/errors';
import { parseCommand } from '../args';
import type { Out } from '../output';
import { readHidden, readStdin } from '../terminal';

const SUBCOMMANDS = ['set', 'list', 'delete', 'test'] as const;

export async function credentialsCommand(app: App, argv: string[], out: Out): Promise<number> {
  // Before the parser: its messages would repeat an option's value ("--password=…") nowhere, but
  // a password given as an option must be refused as clearly as one given as an argument.
  if (argv.some((a) => /^--?(password|passwd|pass|pw)(=|$)/i.test(a))) throw new PraxisError('credentials.passwordAsArgument', {}, ExitCode.invalidInput);
  // Positionals are counted here, not by parseCommand, whose message would quote the extra one.
  const { values, positionals } = parseCommand('credentials', argv, { user: { type: 'string' } }, Number.MAX_SAFE_INTEGER);
  const [sub, id, ...extra] = positionals;
  if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(sub ? `unknown sub-command "${sub}" (set, list, delete, test)` : 'credentials needs a sub-command: set, list, delete or test', 'credentials');
  }
  if (sub === 'set' && extra.length) throw new PraxisError('credentials.passwordAsArgument', {}, ExitCode.invalidInput);
  if (extra.length || (sub === 'list' && id !== undefined)) throw new UsageError(`credentials ${sub}: too many arguments`, 'credentials');
  if (sub !== 'list' && !id) throw new UsageError(`credentials ${sub} needs the credential id, e.g. smb://praxis@nas.local/backup`, 'credentials');
  if (values.user !== undefined && sub !== 'set') throw new UsageError('--user only goes with credentials set', 'credentials');

  const service = app.credentials();
  const store = service.storeName;

  if (sub === 'list') {
    const entries = await service.list();
    if (out.json) out.data({ store: service.storeDescription, credentials: entries });
    else if (entries.length === 0) out.print(t(out.lang, 'credentials.listEmpty', { store }));
    else {
      out.print(t(out.lang, 'credentials.listHeader', { store }));
      for (const e of entries) out.print(`  ${e.kind.padEnd(9)} ${(e.user || '—').padEnd(16)} ${e.id}`);
    }
    return ExitCode.ok;
  }

  const config = await configFor(app, values.config);
  if (sub === 'set') {
    // The id is checked before asking for the password: nobody types it twice for a typo.
    const ref = parseCredentialId(id!, values.user);
    const password = await readPassword(ref.id, out.lang);
    await service.set(ref.id, password);
    const text = t(out.lang, 'credentials.stored', { id: ref.id, store });
    if (out.json) out.data({ stored: true, id: ref.id, store: service.storeDescription, text });
    else out.print(text);
    noteUse(out, config, ref.id);
    return ExitCode.ok;
  }
  if (sub === 'delete') {
    const ref = await service.delete(id!);
    const text = t(out.lang, 'credentials.deleted', { id: ref.id, store });
    if (out.json) out.data({ deleted: true, id: ref.id, text });
    else out.print(text);
    return ExitCode.ok;
  }
  const result = await service.test(id!, config?.config ?? null);
  const text = render(out.lang, result.message);
  if (out.json) out.data({ ok: true, id: result.id, kind: result.kind, usedBy: result.usedBy, text });
  else out.print(text);
  noteUse(out, config, result.id);
  return ExitCode.ok;
}

/** The config, when one is given or the default exists: only to say which component uses an id. */
async function configFor(app: App, option: string | undefined): Promise<{ file: string; config: Config } | null> {
  if (option) {
    const file = resolve(option);
    return { file, config: await loadConfig(file) };
  }
  if (!existsSync(app.paths.configFile)) return null;
  // The default config being broken must not keep anybody from storing a password.
  return loadConfig(app.paths.configFile).then(
    (config) => ({ file: app.paths.configFile, config }),
    () => null,
  );
}

function noteUse(out: Out, cfg: { file: string; config: Config } | null, id: string): void {
  if (!cfg) return;
  const ids = configuredIds(cfg.config);
  const user = ids.find((c) => c.id === id);
  if (user) out.text(t(out.lang, 'credentials.usedBy', { name: user.name, file: cfg.file }));
  else out.text(t(out.lang, 'credentials.unusedId', { id, file: cfg.file, known: ids.map((c) => c.id).join(', ') || '—' }));
}

// ---- reading the password ----------------------------------------------------------------------

async function readPassword(id: string, lang: Lang): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return fromPipe();
  const first = await readHidden(t(lang, 'credentials.prompt', { id }));
  if (first === null) throw new PraxisError('credentials.cancelled');
  if (first === '') throw new PraxisError('credentials.emptyPassword', {}, ExitCode.invalidInput);
  const second = await readHidden(t(lang, 'credentials.promptAgain'));
  if (second === null) throw new PraxisError('credentials.cancelled');
  if (first !== second) throw new PraxisError('credentials.mismatch', {}, ExitCode.invalidInput);
  return first;
}

/** Everything on stdin, one trailing line break removed (`echo pw |`, a file with a final newline). */
async function fromPipe(): Promise<string> {
  const text = (await readStdin()).replace(/\r?\n$/, '');
  if (text === '') throw new PraxisError('credentials.emptyPassword', {}, ExitCode.invalidInput);
  if (/[\r\n]/.test(text)) throw new PraxisError('credentials.multiLine', {}, ExitCode.invalidInput);
  return text;
}
