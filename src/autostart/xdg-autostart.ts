// XdgAutostart: the Autostart port on Linux desktops. Three things, all per user, no root:
// - $XDG_CONFIG_HOME/autostart/praxis-backup.desktop: the session starts the app at login
//   (Desktop Application Autostart Specification; GNOME, KDE, Xfce, LXQt … read it);
// - $XDG_DATA_HOME/applications/praxis-backup.desktop: the app in the desktop's menu, to start it
//   again after „Beenden“ without a terminal;
// - the icon in the user's hicolor theme, 22x22 and 22x22@2 (the two sizes of assets/tray that
//   hicolor's index.theme lists), named `Icon=praxis-backup` without a path or extension as the
//   Desktop Entry spec prefers: themes may replace it, and no path into the installation goes stale.
import { existsSync, readFileSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { t, type Message } from '../i18n';
import { ExitCode, PraxisError } from '../core/errors';
import { trayArgv, WRITTEN_BY, type Autostart, type AutostartFile, type AutostartResult, type AutostartSpec, type AutostartStatus, type RemoveResult } from './autostart';
import { execLine, parseDesktopEntry, renderDesktopEntry, splitExec, type DesktopEntry } from './desktop-entry';
import { installFile, pruneEmptyParents } from './install-file';
import { findUpwards } from './tray-program';

export const DESKTOP_ID = 'praxis-backup';
/** The icon sizes and their assets; the .deb (scripts/package-deb.ts) installs the same into /usr/share/icons. */
export const ICON_SOURCES = [
  { dir: '22x22', asset: 'ok.png' },
  { dir: '22x22@2', asset: 'ok@2x.png' },
];

/** XDG base directories; a relative value is invalid and ignored (Base Directory Specification). */
export function xdgDirs(env: NodeJS.ProcessEnv, home: string): { configHome: string; dataHome: string } {
  const abs = (v: string | undefined) => (v && isAbsolute(v) ? v : undefined);
  return { configHome: abs(env.XDG_CONFIG_HOME) ?? join(home, '.config'), dataHome: abs(env.XDG_DATA_HOME) ?? join(home, '.local', 'share') };
}

export interface XdgAutostartDeps {
  env: NodeJS.ProcessEnv;
  home: string;
  /** assets/tray of this installation (the icons); found upwards from this file by default. */
  assets?: string;
}

export class XdgAutostart implements Autostart {
  readonly kind = 'xdg' as const;
  readonly autostartFile: string;
  readonly menuFile: string;
  private readonly dataHome: string;
  private readonly configHome: string;

  constructor(private readonly deps: XdgAutostartDeps) {
    const { configHome, dataHome } = xdgDirs(deps.env, deps.home);
    this.configHome = configHome;
    this.dataHome = dataHome;
    this.autostartFile = join(configHome, 'autostart', `${DESKTOP_ID}.desktop`);
    this.menuFile = join(dataHome, 'applications', `${DESKTOP_ID}.desktop`);
  }

  iconFile(dir: string): string {
    return join(this.dataHome, 'icons', 'hicolor', dir, 'apps', `${DESKTOP_ID}.png`);
  }

  private assetsDir(): string {
    const dir = this.deps.assets ?? findUpwards(dirname(fileURLToPath(import.meta.url)), join('assets', 'tray'));
    if (!dir || !existsSync(dir)) throw new PraxisError('autostart.assetsMissing', {}, ExitCode.failed);
    return dir;
  }

  /** The two desktop entries' text: both languages in the file, the desktop shows the session's. */
  render(spec: AutostartSpec): { autostart: string; menu: string } {
    const both = (key: 'autostart.entry.genericName' | 'autostart.entry.comment' | 'autostart.entry.keywords') => ({ en: t('en', key), de: t('de', key) });
    const generic = both('autostart.entry.genericName');
    const comment = both('autostart.entry.comment');
    const keywords = both('autostart.entry.keywords');
    const entry: DesktopEntry = {
      Type: 'Application',
      // 1.4, not 1.5: Debian 12's desktop-file-validate (0.26) rejects 1.5 as unknown, and no key
      // of 1.5 (SingleMainWindow) is used here.
      Version: '1.4',
      Name: 'Praxis-Backup',
      'Name[de]': 'Praxis-Backup',
      GenericName: generic.en,
      'GenericName[de]': generic.de,
      Comment: comment.en,
      'Comment[de]': comment.de,
      Icon: DESKTOP_ID,
      Exec: execLine(trayArgv(spec)),
      Terminal: 'false',
      StartupNotify: 'false',
      Categories: 'Utility;Archiving;',
      Keywords: keywords.en,
      'Keywords[de]': keywords.de,
      [WRITTEN_BY]: 'praxis-backup tray install',
    };
    const why = ['Written by „praxis-backup tray install“; „praxis-backup tray remove“ deletes it.'];
    return {
      // Hidden=true or X-GNOME-Autostart-enabled=false is how desktops switch an entry off; install switches it on.
      autostart: renderDesktopEntry({ ...entry, 'X-GNOME-Autostart-enabled': 'true' }, why),
      menu: renderDesktopEntry(entry, why),
    };
  }

  async install(spec: AutostartSpec): Promise<AutostartResult> {
    for (const p of [spec.program.runtime, spec.program.tray, ...(spec.configFile ? [spec.configFile] : [])]) {
      if (!isAbsolute(p)) throw new PraxisError('autostart.notAbsolute', { path: p }, ExitCode.invalidInput);
    }
    const assets = this.assetsDir();
    const text = this.render(spec);
    const files: string[] = [];
    // Icon first, menu entry next, autostart last: a login in between never meets an entry without its icon.
    for (const { dir, asset } of ICON_SOURCES) {
      await installFile(this.iconFile(dir), await readFile(join(assets, asset)));
      files.push(this.iconFile(dir));
    }
    await installFile(this.menuFile, text.menu);
    files.push(this.menuFile);
    await installFile(this.autostartFile, text.autostart);
    files.push(this.autostartFile);
    return { files, notes: [{ key: 'autostart.xdg.nextLogin' }], warning: false };
  }

  isInstalled(): boolean {
    return existsSync(this.autostartFile);
  }

  async remove(): Promise<RemoveResult> {
    const removed: string[] = [];
    const kept: string[] = [];
    for (const [file, base] of [[this.autostartFile, this.configHome], [this.menuFile, this.dataHome]] as const) {
      if (!existsSync(file)) continue;
      // Ours only: a file someone else put at this path (e.g. by hand) is not ours to delete.
      if (parseDesktopEntry(readFileSync(file, 'utf8'))?.[WRITTEN_BY] === undefined) {
        kept.push(file);
        continue;
      }
      await unlink(file);
      await pruneEmptyParents(file, base);
      removed.push(file);
    }
    for (const { dir } of ICON_SOURCES) {
      const file = this.iconFile(dir);
      if (!existsSync(file)) continue;
      await unlink(file);
      await pruneEmptyParents(file, this.dataHome);
      removed.push(file);
    }
    const notes: Message[] = kept.map((path) => ({ key: 'autostart.keptForeign', params: { path } }));
    if (!removed.length && !kept.length) notes.push({ key: 'autostart.notInstalled' });
    // Nothing to stop on Linux: an app the session started keeps running until „Beenden“ or logout.
    else if (removed.includes(this.autostartFile)) notes.push({ key: 'autostart.xdg.stillRunning' });
    return { removed, kept, notes };
  }

  async status(spec: AutostartSpec | null): Promise<AutostartStatus> {
    const text = spec ? this.render(spec) : null;
    const assets = spec ? this.assetsDir() : null;
    const entryFile = (role: 'autostart' | 'menu', path: string, expected: string | null): AutostartFile => {
      if (!existsSync(path)) return { role, path, installed: false, current: false, missing: [] };
      const content = readFileSync(path, 'utf8');
      const e = parseDesktopEntry(content) ?? {};
      const argv = splitExec(e.Exec ?? '');
      const script = argv.slice(1).find((a) => !a.startsWith('-'));
      const missing = [argv[0], script].filter((p): p is string => !!p && !existsSync(p));
      const disabled = e.Hidden === 'true' || e['X-GNOME-Autostart-enabled'] === 'false';
      return { role, path, installed: true, current: content === expected, missing, ...(role === 'autostart' ? { disabled } : {}) };
    };
    const files: AutostartFile[] = [entryFile('autostart', this.autostartFile, text?.autostart ?? null), entryFile('menu', this.menuFile, text?.menu ?? null)];
    for (const { dir, asset } of ICON_SOURCES) {
      const path = this.iconFile(dir);
      const installed = existsSync(path);
      const current = installed && !!assets && readFileSync(path).equals(readFileSync(join(assets, asset)));
      files.push({ role: 'icon', path, installed, current, missing: [] });
    }
    const installedEntry = existsSync(this.autostartFile) ? parseDesktopEntry(readFileSync(this.autostartFile, 'utf8')) : null;
    return {
      kind: 'xdg',
      installed: files.every((f) => f.installed),
      files,
      loaded: null,
      argv: installedEntry?.Exec ? splitExec(installedEntry.Exec) : null,
    };
  }
}
