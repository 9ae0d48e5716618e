// Talking to the admin at a terminal, and reading secrets from a pipe: the one place for it, so
// every command hides typed passwords the same way. Secrets are read from stdin or typed without
// echo — never taken from an argument (argv is visible to every user in `ps`).
import { createInterface } from 'node:readline';
import { t, type Lang } from '../i18n';
import { ExitCode, PraxisError } from '../core/errors';
import { normalisePassphrase } from '../encryption/passphrase';
import { clearProgressLine } from './progress-line';

/** Lines typed (or piped) on stdin, one per question; '' once stdin has ended. The prompt goes to stderr. */
export function stdinAnswers(): { ask(prompt: string): Promise<string>; close(): void } {
  const rl = createInterface({ input: process.stdin, terminal: false });
  // Taken at once: it queues lines that arrive (piped all at once) before the next question.
  const lines = rl[Symbol.asyncIterator]();
  return {
    ask: async (prompt) => {
      clearProgressLine();
      process.stderr.write(`${prompt} `);
      const next = await lines.next();
      // A terminal echoes the typed line with its Enter; a piped answer is not shown, so end the prompt's line.
      if (!process.stdin.isTTY) process.stderr.write('\n');
      return next.done ? '' : String(next.value);
    },
    close: () => rl.close(),
  };
}

/** One visible line from the terminal (one question; several in a row: stdinAnswers, which also reads a pipe). */
export async function ask(question: string): Promise<string> {
  clearProgressLine();
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<string>((res) => rl.question(question, res));
  } finally {
    rl.close();
  }
}

/** All of stdin as text (a pipe or a file). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A prompt on stderr and the terminal in raw mode, so the terminal does not echo and we print
 * nothing for the typed characters either. null = Ctrl-C / Ctrl-D on an empty line.
 */
export function readHidden(prompt: string): Promise<string | null> {
  const stdin = process.stdin;
  clearProgressLine();
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

/** An encrypted mirror's passphrase from stdin (`--passphrase-stdin`, `encryption set-passphrase < file`): first line, in the stored form. */
export async function readPassphraseStdin(name: string): Promise<string> {
  const passphrase = normalisePassphrase((await readStdin()).split(/\r?\n/)[0] ?? '');
  if (!passphrase) throw new PraxisError('encryption.emptyPassphrase', { name }, ExitCode.invalidInput);
  return passphrase;
}

/**
 * For MirrorDeps.askPassphrase: on a terminal, the passphrase typed from the emergency sheet
 * (hidden); without one (a pipe, --json, the tray) a clear refusal naming --passphrase-stdin.
 */
export function mirrorPassphraseAsker(lang: Lang, interactive: boolean): (name: string) => Promise<string | null> {
  return async (name) => {
    if (!interactive || !process.stdin.isTTY) throw new PraxisError('mirror.crypt.askUnavailable', { name }, ExitCode.invalidInput);
    const typed = await readHidden(`${t(lang, 'encryption.passphrasePrompt', { name })} `);
    return typed === null ? null : normalisePassphrase(typed) || null;
  };
}
