// What the e2e tests of issue 14 share: a practice with a folder to back up, its config with the
// test SMTP server as `notify.email` (STARTTLS, its self-signed certificate accepted explicitly, AUTH
// as its test user; the password comes from PRAXIS_BACKUP_PASSWORD_SMTP, never the config), and
// the CLI's environment: own HOME, no keyring, no desktop notifications, the practice's zone.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliEnv } from '../helpers/cli';
import { createSampleFiles } from '../helpers/sample-practice';
import type { TestSmtp } from '../helpers/smtp-server';
import { makeTempDir } from '../helpers/temp';

export function emailConfig(smtp: TestSmtp) {
  return { host: '127.0.0.1', port: smtp.port, tls: 'starttls', user: smtp.user, from: 'praxis@example.test', to: ['it@example.test'], allowSelfSigned: true };
}

export interface NotifyPractice {
  root: string;
  /** The folder backed up (component „befunde“ unless the config says otherwise). */
  files: string;
  config: string;
  env: Record<string, string>;
  stateDir: string;
}

export async function notifyPractice(
  prefix: string,
  o: { config: (dirs: { root: string; files: string }) => Record<string, unknown>; env?: Record<string, string>; files?: number; folder?: boolean },
): Promise<NotifyPractice> {
  const root = await makeTempDir(prefix);
  const files = join(root, 'files');
  if (o.folder !== false) await createSampleFiles(files, { files: o.files ?? 5 });
  const config = join(root, 'config.json');
  await writeFile(config, JSON.stringify({ backupDir: join(root, 'backups'), components: [{ name: 'befunde', type: 'folder', path: files }], ...o.config({ root, files }) }));
  const { env, stateDir } = await cliEnv(root, { PRAXIS_BACKUP_KEYRING: 'off', PRAXIS_BACKUP_NOTIFY: 'none', TZ: 'Europe/Berlin', ...o.env });
  return { root, files, config, env, stateDir };
}
