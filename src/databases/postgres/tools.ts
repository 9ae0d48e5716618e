// PostgreSQL's client programs and where the usual installs keep them: the locator reads these
// (process/tool-locator.ts) and the kind's code asks for them by these specs, so a test's own
// locator finds them the same way as the app's.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ToolSpec } from '../contract';

const HINT = 'macOS: brew install postgresql@16 (or Postgres.app); Debian: apt install postgresql-client';

async function subdirs(dir: string, suffix: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  // Newest version first, so that "the first that fits" prefers recent releases.
  return names.sort((a, b) => b.localeCompare(a, undefined, { numeric: true })).map((n) => join(dir, n, suffix));
}

/** Postgres.app and Homebrew's postgresql@N / libpq on macOS; Debian's versioned /usr/lib/postgresql/N/bin. */
async function searchDirs(platform: string): Promise<string[]> {
  if (platform !== 'darwin') return [...(await subdirs('/usr/lib/postgresql', 'bin')), '/usr/local/pgsql/bin'];
  const dirs = await subdirs('/Applications/Postgres.app/Contents/Versions', 'bin');
  for (const brew of ['/opt/homebrew/opt', '/usr/local/opt']) {
    const names = await readdir(brew).catch(() => [] as string[]);
    dirs.push(...names.filter((n) => /^(postgresql|libpq)(@\d+)?$/.test(n)).sort((a, b) => b.localeCompare(a, undefined, { numeric: true })).map((n) => join(brew, n, 'bin')));
  }
  return dirs;
}

const tool = (name: string): ToolSpec => ({ name, alternatives: [name], hint: HINT, searchDirs });

export const PG_DUMP = tool('pg_dump');
export const PSQL = tool('psql');
export const PG_RESTORE = tool('pg_restore');
