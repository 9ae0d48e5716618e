// PostgreSQL (tomedo): pg_dump -Fc into <name>.pgdump, pg_restore beside the live database and a
// swap of names, the scratch restore test in database praxis_verify_<id>.
import type { PostgresComponent } from '../../config/schema';
import { t } from '../../i18n';
import { sq } from '../common/shell-quote';
import type { DatabaseKind } from '../contract';
import { PG_DUMP, PG_RESTORE, PSQL } from './tools';
import { dumpPostgres, pgDumpFileName, probePostgres, type PgServerInfo } from './dump';
import { preflightPostgres, restorePostgres } from './restore';
import { restoreTestPostgres } from './restore-test';
import { postgresDiscovery } from './discovery';

export const postgresKind: DatabaseKind<PostgresComponent, PgServerInfo> = {
  id: 'postgres',
  types: ['postgres'],
  label: 'PostgreSQL',
  labelFor: () => 'PostgreSQL',
  defaults: { host: 'localhost', port: 5432, user: 'postgres' },
  exampleDatabase: 'tomedo',
  dumpFileName: pgDumpFileName,
  tools: [PG_DUMP, PSQL, PG_RESTORE],
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
      text: t(lang, 'sheet.step.postgres', { file: pgDumpFileName(c.name) }),
      code: `${sudo}createdb ${db}\n${sudo}pg_restore --no-owner -d ${db} "$B/${pgDumpFileName(c.name)}"`,
    }];
  },
};
