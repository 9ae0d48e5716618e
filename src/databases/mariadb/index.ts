// MariaDB and MySQL (Elexis): mariadb-dump --single-transaction, gzip'd into <name>.sql.gz, loaded
// beside the live schema and swapped in by RENAME TABLE, the scratch restore test in schema
// praxis_verify_<id>.
import type { MariadbComponent } from '../../config/schema';
import { t } from '../../i18n';
import type { DatabaseKind, ToolSpec } from '../contract';
import { dumpMariadb, probeMariadb, type MariaServerInfo } from './dump';
import { preflightMariadb, restoreMariadb, restoreSqlFile } from './restore';
import { restoreTestMariadb } from '../../verify/restore-test';
import { mariadbDiscovery } from './discovery';

const HINT = 'macOS: brew install mariadb; Debian: apt install mariadb-client';

/** Homebrew's mariadb and mysql-client, and the MySQL installer's folder, on macOS. */
async function searchDirs(platform: string): Promise<string[]> {
  return platform === 'darwin' ? ['/opt/homebrew/opt/mariadb/bin', '/usr/local/opt/mariadb/bin', '/opt/homebrew/opt/mysql-client/bin', '/usr/local/mysql/bin'] : [];
}

const tool = (name: string, alternatives: string[]): ToolSpec => ({ name, alternatives, hint: HINT, searchDirs });

export const mariadbKind: DatabaseKind<MariadbComponent, MariaServerInfo> = {
  id: 'mariadb',
  types: ['mariadb', 'mysql'],
  label: 'MariaDB/MySQL',
  labelFor: (type) => (type === 'mysql' ? 'MySQL' : 'MariaDB'),
  defaults: { host: '127.0.0.1', port: 3306, user: 'root' },
  dumpFileName: (name) => `${name}.sql.gz`,
  tools: [tool('mariadb-dump', ['mariadb-dump', 'mysqldump']), tool('mariadb', ['mariadb', 'mysql'])],
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
    return [{ text: t(lang, 'sheet.step.mariadb', { file: `${c.name}.sql.gz` }), code: `gunzip -c "$B/${c.name}.sql.gz" | ${tools === 'linux' ? 'sudo ' : ''}mariadb` }];
  },
};
