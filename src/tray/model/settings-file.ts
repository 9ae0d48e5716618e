// Reading and writing config.json for the settings window. Qt-free.
//
// Writing is atomic and keeps config.json.bak: see src/config/write-file.ts (shared with
// `volumes prepare`, which writes a new disk's UUID into the config).
import { readFile } from 'node:fs/promises';

export { backupPathOf, writeFileAtomically } from '../../config/write-file';

/** The config as it is on disk, parsed but not validated: what the window starts from and keeps. */
export type RawConfig = Record<string, unknown>;

export type ReadResult =
  | { kind: 'missing' }
  | { kind: 'ok'; raw: RawConfig }
  /** Not JSON, or JSON but not an object: the window starts empty and says why; saving replaces it (the .bak keeps it). */
  | { kind: 'unreadable'; reason: string };

export async function readRawConfig(file: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', reason: (e as Error).message };
  }
  try {
    const json: unknown = JSON.parse(text);
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return { kind: 'unreadable', reason: 'not a JSON object' };
    return { kind: 'ok', raw: json as RawConfig };
  } catch (e) {
    return { kind: 'unreadable', reason: (e as Error).message };
  }
}
