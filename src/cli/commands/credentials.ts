// `praxis-backup credentials set|list|delete|test`: passwords in the Keychain / Secret Service.
// Thin: parse, read the password, call the credentials service, print. A password is read from
// stdin (piped), or typed at a prompt without echo (terminal) — never taken from an argument.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from '../../app/compose';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { render, t, type Lang } from '../../i18n';
import { configuredIds, parseCredentialId } from '../../services/credentials-service';
import { ExitCode, PraxisError, UsageError } from '../../services/errors';
import { parseCommand } from '../args';
import type { Out } from '../output';

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
  if (!stdin.isTTY) return fromPipe(stdin);
  const first = await readHidden(t(lang, 'credentials.prompt', { id }));
  if (first === null) throw new PraxisError('credentials.cancelled');
  if (first === '') throw new PraxisError('credentials.emptyPassword', {}, ExitCode.invalidInput);
  const second = await readHidden(t(lang, 'credentials.promptAgain'));
  if (second === null) throw new PraxisError('credentials.cancelled');
  if (first !== second) throw new PraxisError('credentials.mismatch', {}, ExitCode.invalidInput);
  return first;
}

/** Everything on stdin, one trailing line break removed (`echo pw |`, a file with a final newline). */
async function fromPipe(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new PraxisError('credentials.emptyPassword', {}, ExitCode.invalidInput);
  if (/[\r\n]/.test(text)) throw new PraxisError('credentials.multiLine', {}, ExitCode.invalidInput);
  return text;
}

/**
 * A prompt on stderr and the terminal in raw mode, so the terminal does not echo and we print
 * nothing for the typed characters either. null = Ctrl-C / Ctrl-D on an empty line.
 */
function readHidden(prompt: string): Promise<string | null> {
  const stdin = process.stdin;
  // Raw mode first, prompt second: whatever is typed once the prompt shows is never echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  const restore = () => stdin.isTTY && stdin.setRawMode(false);
  process.once('exit', restore);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolvePassword) => {
    let value: string[] = [];
    const finish = (v: string | null) => {
      stdin.removeListener('data', onData);
      restore();
      process.removeListener('exit', restore);
      stdin.pause();
      process.stderr.write('\n');
      resolvePassword(v);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(value.join(''));
        if (ch === '\u0003') return finish(null); // Ctrl-C: raw mode turns it into a character
        if (ch === '\u0004') {
          if (value.length === 0) return finish(null);
          continue;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch === '\u0015') value = []; // Ctrl-U
        else if (ch === '\u001b') return; // an escape sequence (arrow keys): drop the rest of it
        else if (ch >= ' ') value.push(ch);
      }
    };
    stdin.on('data', onData);
  });
}
