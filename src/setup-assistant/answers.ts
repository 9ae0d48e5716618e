// The assistant's answers as a config, and the answers file of `init --answers FILE` (the tray
// window writes it). The config is checked by the same schema as every config the product reads,
// so the assistant can never write one that a run would refuse.
import { z } from 'zod';
import { toProblems } from '../config/load';
import { configSchema, type Config, type DatabaseComponent } from '../config/schema';
import { credentialId } from '../credentials/credentials';
import { externalDiskMirror } from '../destinations/registry';
import type { ConfigProblem } from '../core/errors';
import type { Answers, DatabaseAnswer } from './contracts';
import { discoverableKinds } from './discover/server-places';

export interface MadeConfig {
  /** What is written to config.json: only what the admin chose, the schema's defaults left out. */
  input: Record<string, unknown>;
  /** The validated config (defaults filled in), or null when the schema refused it. */
  config: Config | null;
  /** The schema's problems, each naming the config's field ("components[0].name"). */
  problems: ConfigProblem[];
}

/** The config the answers make, validated by src/config/schema.ts. */
export function toConfig(a: Answers): MadeConfig {
  const input: Record<string, unknown> = {};
  if (a.practiceName) input.practiceName = a.practiceName;
  input.backupDir = a.backupDir;
  input.components = [
    ...a.databases.map((d) => ({ name: d.name, type: d.kind, database: d.database, host: d.host, port: d.port, user: d.user, password: d.password })),
    ...a.folders.map((f) => ({ name: f.name, type: 'folder', path: f.path, role: f.role })),
  ];
  if (a.mirror) {
    const m = externalDiskMirror(a.mirror.name, a.mirror.uuid);
    if (a.mirror.encrypt) m.encrypt = true;
    input.mirrors = [m];
  }
  if (a.schedule) input.schedule = { cron: a.schedule };
  const r = configSchema.safeParse(input);
  return r.success ? { input, config: r.data, problems: [] } : { input, config: null, problems: toProblems(r.error, input) };
}

/** The keyring id a run asks for this database's password (src/credentials/credentials.ts). */
export function credentialIdOf(d: DatabaseAnswer): string {
  // The answer's kind id is one of the config's types (answersSchema took only discoverable kinds).
  return credentialId({ name: d.name, type: d.kind, database: d.database, host: d.host, port: d.port, user: d.user, password: d.password } as DatabaseComponent)!;
}

/** An answer's kind is one the assistant can look for (the registry's kinds with a discovery facet). */
const KIND_IDS = discoverableKinds().map((k) => k.id) as [string, ...string[]];

const databaseAnswer = z
  .object({
    name: z.string(),
    kind: z.enum(KIND_IDS),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    user: z.string().min(1),
    database: z.string().min(1),
    password: z.enum(['none', 'keyring']),
  })
  .strict();

const answersSchema = z
  .object({
    version: z.literal(1),
    practiceName: z.string().optional(),
    databases: z.array(databaseAnswer),
    folders: z.array(z.object({ name: z.string(), path: z.string(), role: z.enum(['data', 'program']) }).strict()),
    backupDir: z.string(),
    mirror: z.object({ name: z.string(), uuid: z.string(), label: z.string().nullable(), encrypt: z.boolean() }).strict().nullable(),
    schedule: z.string().nullable(),
    trayAtLogin: z.boolean(),
    firstBackup: z.boolean(),
  })
  .strict();

/** Reads an answers file's JSON; throws the problems (path named) when it is not the format of contracts.ts. */
export function parseAnswers(json: unknown): { answers: Answers | null; problems: ConfigProblem[] } {
  const r = answersSchema.safeParse(json);
  return r.success ? { answers: r.data as Answers, problems: [] } : { answers: null, problems: toProblems(r.error, json) };
}
