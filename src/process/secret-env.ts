// Which environment variables carry a secret, and which program may still inherit one of them.
// The process runner takes them out of every child's environment (runner.ts, childEnv).

/** PRAXIS_BACKUP_PASSWORD_<NAME>: a password for one component or mirror (credentials/credentials.ts). */
export const PASSWORD_ENV_PREFIX = 'PRAXIS_BACKUP_PASSWORD_';

/**
 * Variables the tools we start read a password from: libpq (PGPASSWORD), the MariaDB/MySQL
 * clients (MYSQL_PWD), smbclient and mount.cifs (PASSWD, PASSWD_FD, PASSWD_FILE), rsync daemon
 * logins (RSYNC_PASSWORD), gocryptfs' -extpass helpers (no variable of their own: stdin).
 */
const TOOL_SECRETS = new Map<string, RegExp>([
  // libpq's programs: psql, pg_dump, pg_restore, pg_dumpall, pg_isready, createdb, dropdb, …
  ['PGPASSWORD', /^(psql|pg_[a-z_]+|createdb|dropdb)$/],
  // mariadb, mariadb-dump, mariadb-admin, mysql, mysqldump, mysqladmin, …
  ['MYSQL_PWD', /^(mariadb|mysql)(-?[a-z_-]+)?$/],
  ['PASSWD', /^(smbclient|mount\.cifs)$/],
  ['PASSWD_FD', /^(smbclient|mount\.cifs)$/],
  ['PASSWD_FILE', /^(smbclient|mount\.cifs)$/],
  ['RSYNC_PASSWORD', /^rsync$/],
  // Firebird's client library (gbak, isql/isql-fb, gfix, fbsvcmgr, nbackup, gstat).
  ['ISC_PASSWORD', /^(gbak|isql(-fb)?|gfix|fbsvcmgr|nbackup|gstat|fbstat)$/],
  // restic: the repository's password, and an address that may carry a REST login; the backends'
  // keys (S3, B2, Azure) — an off-site copy's keys must reach nothing but restic.
  ['RESTIC_PASSWORD', /^restic$/],
  ['RESTIC_REPOSITORY', /^restic$/],
  ['RESTIC_PASSWORD_COMMAND', /^restic$/],
  ['AWS_SECRET_ACCESS_KEY', /^restic$/],
  ['B2_ACCOUNT_KEY', /^restic$/],
  ['AZURE_ACCOUNT_KEY', /^restic$/],
]);

/** True for a variable whose value is a secret (or leads to one), by its name. */
export function isSecretEnvName(name: string): boolean {
  return name.startsWith(PASSWORD_ENV_PREFIX) || TOOL_SECRETS.has(name);
}

/**
 * May `program` (a file name, no directory) inherit the secret variable `name` from us? Only a
 * tool's own password variable, exported by the admin for that tool ("the tools' own means
 * apply", README), and only for that tool. Our own PRAXIS_BACKUP_PASSWORD_* never.
 */
export function inheritedSecret(program: string, name: string): boolean {
  return TOOL_SECRETS.get(name)?.test(program) ?? false;
}
