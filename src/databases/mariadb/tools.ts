// MariaDB's (and MySQL's) client programs and where the usual installs keep them: the locator reads
// these (process/tool-locator.ts) and the kind's code asks for them by these specs, so a test's own
// locator finds them the same way as the app's.
import type { ToolSpec } from '../contract';

const HINT = 'macOS: brew install mariadb; Debian: apt install mariadb-client';

/** Homebrew's mariadb and mysql-client, and the MySQL installer's folder, on macOS. */
async function searchDirs(platform: string): Promise<string[]> {
  return platform === 'darwin' ? ['/opt/homebrew/opt/mariadb/bin', '/usr/local/opt/mariadb/bin', '/opt/homebrew/opt/mysql-client/bin', '/usr/local/mysql/bin'] : [];
}

const tool = (name: string, alternatives: string[]): ToolSpec => ({ name, alternatives, hint: HINT, searchDirs });

export const MARIADB_DUMP = tool('mariadb-dump', ['mariadb-dump', 'mysqldump']);
/** The SQL client: `mariadb`, or `mysql` where only MySQL's client is installed. */
export const MARIADB = tool('mariadb', ['mariadb', 'mysql']);
