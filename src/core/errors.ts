// Two kinds of error (as in restic): a PraxisError is meant for the admin and printed as its
// message in their language; anything else is a bug or an unforeseen condition and is printed
// with detail in the log.
import type { Message, MessageKey, Params } from '../i18n';

/** One problem in a config file: the field's path and a catalogue message about it. */
export interface ConfigProblem {
  path: string;
  key: MessageKey;
  params: Params;
}

/** The documented exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidInput: 2,
  warnings: 3,
  locked: 75,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class PraxisError extends Error {
  readonly message_: Message;
  constructor(
    key: MessageKey,
    params: Params = {},
    readonly exitCode: ExitCodeValue = ExitCode.failed,
    /** The tool's own last lines (redacted), shown under the message. Not named `details`: uvu reads that key. */
    readonly toolOutput: string[] = [],
  ) {
    super(`${key} ${JSON.stringify(params)}`);
    this.name = 'PraxisError';
    this.message_ = { key, params };
  }
}

/** Invalid configuration: one line per problem, each naming the field. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    /** Free text (the JSON parser's message) for notFound/badJson. Not named `details`: uvu reads that key as a string and, failing, hides the whole test file's error. */
    readonly reasons: string[],
    readonly kind: 'invalid' | 'notFound' | 'badJson' = 'invalid',
    readonly problems: ConfigProblem[] = [],
  ) {
    super(`${file}: ${kind} ${reasons.join('; ')} ${problems.map((p) => p.path).join(', ')}`);
    this.name = 'ConfigError';
  }
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
