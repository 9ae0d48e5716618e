// PostgreSQL (tomedo): pg_dump -Fc into <name>.pgdump, pg_restore beside the live database and a
// swap of names, the scratch restore test in database praxis_verify_<id>.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PostgresComponent } from '../../config/schema';
import { t } from '../../i18n';
import { sq } from '../common/shell-quote';
import type { DatabaseKind, ToolSpec } from '../contract';
import { dumpPostgres, probePostgres, type PgServerInfo } from './dump';
import { preflightPostgres, restorePostgres } from './restore';
import { restoreTestPostgres } from '../../verify/restore-test';
import { postgresDiscovery } from './discovery';

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

export const postgresKind: DatabaseKind<PostgresComponent, PgServerInfo> = {
  id: 'postgres',
  types: ['postgres'],
  label: 'PostgreSQL',
  labelFor: () => 'PostgreSQL',
  defaults: { host: 'localhost', port: 5432, user: 'postgres' },
  dumpFileName: (name) => `${name}.pgdump`,
  tools: [tool('pg_dump'), tool('psql'), tool('pg_restore')],
  login: {
    means: { key: 'login.means.postgres', params: {} },
    toolFile: { key: 'login.toolFile.postgres', params: {} },
    ignored: (file) => ({ key: 'login.ignored.pgpass', params: { file } }),
  },
  probe: probePostgres,
  dump: dumpPostgres,
  preflight: preflightPostgres,
  restore: restorePostgres,
  restoreTest: restoreTestPostgres,
  discovery: postgresDiscovery,
  byHandSteps(lang, c, tools) {
    const sudo = tools === 'linux' ? 'sudo -u postgres ' : '';
    const db = sq(c.database ?? c.name);
    return [{
      text: t(lang, 'sheet.step.postgres', { file: `${c.name}.pgdump` }),
      code: `${sudo}createdb ${db}\n${sudo}pg_restore --no-owner -d ${db} "$B/${c.name}.pgdump"`,
    }];
  },
};
