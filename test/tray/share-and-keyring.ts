// What both credentials tests stand on: a real smbd with the share's password, a private
// gnome-keyring that keytar in THIS process talks to, and a config whose smb mirrors point at them.
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startKeyring, type TestKeyring } from '../helpers/keyring';
import { startSamba, type SambaServer } from '../helpers/samba';

export interface ShareAndKeyring {
  kr: TestKeyring;
  smb: SambaServer;
  configFile: string;
}

/**
 * Starts both and points process.env at the keyring (its HOME and bus; DISPLAY, if a Qt test set
 * one, is kept). The config's first mirror is the real share (`firstUrl` may add a sub path), the
 * second one a NAS that does not exist, so the form has a choice.
 */
export async function startShareAndKeyring(password: string, mirrors: { firstUrl?: (url: string) => string; second: string }): Promise<ShareAndKeyring> {
  const [kr, smb] = await Promise.all([startKeyring(), startSamba({ password })]);
  const { DISPLAY } = process.env;
  Object.assign(process.env, kr.env, DISPLAY ? { DISPLAY } : {});
  const dir = join(kr.env.XDG_CONFIG_HOME!, 'praxis-backup');
  const configFile = join(dir, 'config.json');
  await mkdir(dir, { recursive: true });
  await writeFile(configFile, JSON.stringify({
    backupDir: join(kr.home, 'backups'),
    components: [{ name: 'files', type: 'folder', path: join(kr.home, 'files') }],
    mirrors: [
      { name: 'nas', type: 'smb', url: mirrors.firstUrl?.(smb.url) ?? smb.url, user: smb.user, mode: 'latest' },
      { name: 'zweit-nas', type: 'smb', url: mirrors.second, user: 'admin' },
    ],
  }));
  return { kr, smb, configFile };
}

/** Files below dir that contain the secret in plain text (the encrypted keyring file must not). */
export function filesHolding(dir: string, secret: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => readFileSync(f).includes(Buffer.from(secret)));
}
