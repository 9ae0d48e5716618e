// Reads and validates config.json. Never writes anything: a bad config must leave no trace.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { t, type Lang, type MessageKey, type Params } from '../i18n';
import { ConfigError, type ConfigProblem } from '../services/errors';
import { configSchema, type Config } from './schema';

export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

/** Turns zod's issues into problems that name the field and say what to do. */
export function toProblems(error: z.ZodError, input: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    const value = show(valueAt(input, issue.path));
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          problems.push({ path: formatPath([...issue.path, key]), key: 'config.problem.unknownKey', params: { key } });
        }
        break;
      case 'invalid_type':
        if (issue.received === 'undefined') problems.push({ path, key: 'config.problem.required', params: {} });
        else if (issue.expected === 'integer') problems.push({ path, key: 'config.problem.notInteger', params: {} });
        else problems.push({ path, key: 'config.problem.type', params: { expected: issue.expected, received: issue.received } });
        break;
      case 'invalid_literal':
      case 'invalid_enum_value': {
        const options = 'options' in issue ? issue.options.join(', ') : String(issue.expected);
        problems.push({ path, key: 'config.problem.enum', params: { value, options } });
        break;
      }
      case 'too_small':
        if (issue.message === 'noComponents') problems.push({ path, key: 'config.problem.noComponents', params: {} });
        else if (issue.type === 'string') problems.push({ path, key: 'config.problem.required', params: {} });
        else problems.push({ path, key: 'config.problem.tooSmall', params: { min: Number(issue.minimum) } });
        break;
      case 'too_big':
        if (issue.message === 'tooManyMirrors') problems.push({ path, key: 'config.problem.tooManyMirrors', params: {} });
        else problems.push({ path, key: 'config.problem.tooBig', params: { max: Number(issue.maximum) } });
        break;
      case 'invalid_union_discriminator':
        // zod's path already ends with the discriminator key ("components[0].type").
        problems.push({
          path,
          key: issue.message === 'mirrorType' ? 'config.problem.mirrorType' : 'config.problem.componentType',
          params: { value },
        });
        break;
      case 'invalid_union':
        // The only plain union is a mirror's volume reference: label or uuid.
        problems.push({ path, key: 'config.problem.volumeRef', params: {} });
        break;
      case 'invalid_string':
      case 'custom': {
        const params: Params = { value, ...((issue as { params?: Params }).params ?? {}) };
        const key = `config.problem.${issue.message}` as MessageKey;
        if (issue.message === 'cron') {
          problems.push({ path, key: 'config.problem.cron', params });
        } else if (issue.message === 'required') {
          problems.push({ path, key: 'config.problem.required', params: {} });
        } else if (isProblemKey(key)) {
          problems.push({ path, key, params });
        } else {
          problems.push({ path, key: 'config.problem.other', params: { message: issue.message } });
        }
        break;
      }
      default:
        problems.push({ path, key: 'config.problem.other', params: { message: issue.message } });
    }
  }
  return problems;
}

const PROBLEM_KEYS = new Set([
  'config.problem.absolute',
  'config.problem.dotdot',
  'config.problem.name',
  'config.problem.duplicate',
  'config.problem.smbUrl',
  'config.problem.overlapsBackupDir',
  'config.problem.insideComponent',
]);
function isProblemKey(k: string): k is MessageKey {
  return PROBLEM_KEYS.has(k);
}

export function renderProblem(lang: Lang, p: ConfigProblem): string {
  const params: Params = { ...p.params, path: p.path };
  if (p.key === 'config.problem.cron' && typeof params.field === 'string') {
    params.field = t(lang, `config.cronField.${params.field}` as MessageKey);
  }
  return t(lang, p.key, params);
}

/** Validates an already parsed object (the settings window will use this too). */
export function validateConfig(input: unknown, file: string): Config {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(file, [], 'invalid', toProblems(parsed.error, input));
  return parsed.data;
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(file, [], 'notFound');
    throw new ConfigError(file, [(e as Error).message], 'badJson');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [(e as Error).message], 'badJson');
  }
  return validateConfig(json, file);
}
