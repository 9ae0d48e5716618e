// The database kinds the engine knows, by the config's `component.type`. The only list of kinds:
// everything else asks here (contract.ts says what a kind answers).
import type { Component, DatabaseComponent } from '../config/schema';
import type { AnyDatabaseKind, ToolSpec } from './contract';
import { firebirdKind } from './firebird';
import { mariadbKind } from './mariadb';
import { postgresKind } from './postgres';

/** In the order the UI offers them. */
export const KINDS: readonly AnyDatabaseKind[] = [postgresKind, mariadbKind, firebirdKind];

const BY_TYPE = new Map<string, AnyDatabaseKind>(KINDS.flatMap((k) => k.types.map((t) => [t as string, k] as const)));

/** The component is a database of a known kind (not a folder). */
export function isDatabase(c: Pick<Component, 'type'>): c is DatabaseComponent {
  return BY_TYPE.has(c.type);
}

/** The kind of a database component or a manifest entry's type; null for folders and unknown types. */
export function kindOf(c: { type: string }): AnyDatabaseKind | null {
  return BY_TYPE.get(c.type) ?? null;
}

/** The kind of a database component; a folder here is a bug of the caller. */
export function kindFor(c: { type: string }): AnyDatabaseKind {
  const k = BY_TYPE.get(c.type);
  if (!k) throw new Error(`not a database component type: ${c.type}`);
  return k;
}

/** A kind by its id (credential id scheme, discovery). */
export function kindById(id: string): AnyDatabaseKind | null {
  return KINDS.find((k) => k.id === id) ?? null;
}

/** Every program any kind needs, for the tool locator. */
export function databaseTools(): ToolSpec[] {
  return KINDS.flatMap((k) => k.tools);
}
