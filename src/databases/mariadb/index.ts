// MariaDB and MySQL (Elexis): mariadb-dump --single-transaction, gzip'd into <name>.sql.gz, loaded
// beside the live schema and swapped in by RENAME TABLE, the scratch restore test in schema
// praxis_verify_<id>.
import type { MariadbComponent } from '../../config/schema';
import { t } from '../../i18n';
import type { DatabaseKind } from '../contract';
import { MARIADB, MARIADB_DUMP } from './tools';
import { dumpMariadb, mariaDumpFileName, probeMariadb, type MariaServerInfo } from './dump';
import { preflightMariadb, restoreMariadb, restoreSqlFile } from './restore';
import { restoreTestMariadb } from './restore-test';
import { mariadbDiscovery } from './discovery';

export const mariadbKind: DatabaseKind<MariadbComponent, MariaServerInfo> = {
  id: 'mariadb',
  types: ['mariadb', 'mysql'],
  label: 'MariaDB/MySQL',
  labelFor: (type) => (type === 'mysql' ? 'MySQL' : 'MariaDB'),
  defaults: { host: '127.0.0.1', port: 3306, user: 'root' },
  exampleDatabase: 'elexis',
  dumpFileName: mariaDumpFileName,
  tools: [MARIADB_DUMP, MARIADB],
  login: {
    means: { key: 'login.means.mariadb', params: {} },
    toolFile: { key: 'login.toolFile.mariadb', params: {} },
    ignored: (file) => ({ key: 'login.ignored.mycnf', params: { file } }),
  },
  probe: probeMariadb,
  dump: dumpMariadb,
  preflight: preflightMariadb,
  restore: restoreMariadb,
  restoreTest: restoreTestMariadb,
  discovery: mariadbDiscovery,
  restoreSqlFile,
  byHandSteps(lang, c, tools) {
    return [{ text: t(lang, 'sheet.step.mariadb', { file: mariaDumpFileName(c.name) }), code: `gunzip -c "$B/${mariaDumpFileName(c.name)}" | ${tools === 'linux' ? 'sudo ' : ''}mariadb` }];
  },
};
