// Printing for the CLI: readable text on stderr (so stdout stays clean for --json), JSON lines
// on stdout. Every user-facing string comes from the catalogue.
import { renderProblem } from '../config/load';
import { render, t, type Lang, type Message } from '../i18n';
import { ConfigError, ExitCode, PraxisError, UsageError } from '../core/errors';
import type { RunSummary } from '../run/events';

export interface Out {
  lang: Lang;
  json: boolean;
  text(line: string): void; // stderr
  data(obj: unknown): void; // stdout, one JSON line
  print(line: string): void; // stdout, plain text (list, status)
}

export function makeOut(lang: Lang, json: boolean): Out {
  return {
    lang,
    json,
    text: (line) => process.stderr.write(line + '\n'),
    data: (obj) => process.stdout.write(JSON.stringify(obj) + '\n'),
    print: (line) => process.stdout.write(line + '\n'),
  };
}

export function messageJson(lang: Lang, m: Message): Record<string, unknown> {
  return { key: m.key, params: m.params ?? {}, text: render(lang, m) };
}

/** Reports an error that ends the command; returns the exit code to use. */
export function reportError(out: Out, e: unknown): number {
  if (e instanceof ConfigError) {
    const lines =
      e.kind === 'notFound'
        ? [t(out.lang, 'config.notFound', { file: e.file })]
        : e.kind === 'badJson'
          ? [t(out.lang, 'config.badJson', { file: e.file, message: e.reasons.join(' ') })]
          : [t(out.lang, 'config.invalid', { file: e.file }), ...e.problems.map((p) => `  - ${renderProblem(out.lang, p)}`)];
    for (const l of lines) out.text(l);
    if (out.json) {
      out.data({
        type: 'finished',
        summary: {
          result: 'failed',
          exitCode: ExitCode.invalidInput,
          error: { key: `config.${e.kind}`, params: { file: e.file }, text: lines.join('\n') },
          problems: e.problems.map((p) => ({ path: p.path, key: p.key, params: p.params, text: renderProblem(out.lang, p) })),
        },
      });
    }
    return ExitCode.invalidInput;
  }
  if (e instanceof UsageError) {
    out.text(t(out.lang, 'cli.badArgs', { message: e.message, command: e.command }));
    return ExitCode.invalidInput;
  }
  if (e instanceof PraxisError) {
    out.text(render(out.lang, e.message_));
    for (const d of e.toolOutput) out.text(`  ${d}`);
    return e.exitCode;
  }
  out.text(t(out.lang, 'error.unexpected', { message: (e as Error)?.stack ?? String(e) }));
  return ExitCode.failed;
}

export function summaryJson(lang: Lang, s: RunSummary): Record<string, unknown> {
  return {
    ...s,
    warnings: s.warnings.map((w) => messageJson(lang, w)),
    error: s.error ? messageJson(lang, s.error) : undefined,
  };
}
