// The Discovery of contracts.ts: what is on this machine, for `praxis-backup init` and the tray's
// first-start window. The caller (a composition root: the CLI's or the tray's app) hands in the
// platform, the tool locator and the Volumes port; everything that depends on this machine's
// layout can be pointed elsewhere, so tests see only their own servers, folders and disks.
import { homedir, userInfo } from 'node:os';
import type { Volumes } from '../../core/volumes';
import type { Platform } from '../../platform/paths';
import type { ToolLocator } from '../../process/tool-locator';
import type { DatabaseKindId, Discovery } from '../contracts';
import { backupDirCandidates } from './backup-dir';
import { findServers, listDatabases } from './database-servers';
import { externalDisks } from './external-disks';
import { folderFacts } from './folder-facts';
import { mountTableFor, type MountTable } from './mount-location';
import type { ProbeTarget } from './server-places';

export type { ProbeTarget };

export interface DiscoveryOptions {
  platform: Platform;
  tools: ToolLocator;
  volumes: Volumes;
  /**
   * More places to knock at, by kind id (`init --postgres HOST:PORT --mariadb HOST:PORT`): a server
   * on another port or host. A host starting with "/" is a socket, as the kind takes it
   * (KindDiscovery.socketPlace). Nothing answering there is reported ('failed').
   */
  extra?: Partial<Record<DatabaseKindId, ProbeTarget[]>>;
  /** Knock at the default ports and sockets (5432, 3306, /run/postgresql, /run/mysqld/…). Default true. */
  defaultPlaces?: boolean;
  /** Prefix of the system paths searched for sockets and data folders (/run/postgresql, /var/lib/postgresql, /opt/homebrew/var …). Default "/". */
  fsRoot?: string;
  /** The admin's home (Postgres.app's data folders, ~/Praxis-Backup). Default $HOME. */
  home?: string;
  /** The logged-in user, proposed on macOS (Homebrew, Postgres.app). Default: this process's user. */
  loginUser?: string;
  /** Running as root (Linux: /var/backups/praxis-backup). Default: the effective uid is 0. */
  isRoot?: boolean;
  /** Backup directory proposals instead of the conventional one (tests: a tmpfs of known size). */
  backupPlaces?: string[];
  /** Also propose the biggest internal disks' mount points for the backup directory. Default true. */
  scanDisks?: boolean;
  /** What is mounted where. Default: /proc/self/mountinfo (Linux), mount(8) (macOS). */
  mountTable?: MountTable;
}

export function createDiscovery(opts: DiscoveryOptions): Discovery {
  const home = opts.home ?? process.env.HOME ?? homedir();
  const deps = {
    platform: opts.platform,
    tools: opts.tools,
    defaults: opts.defaultPlaces ?? true,
    extra: opts.extra ?? {},
    roots: { fsRoot: opts.fsRoot ?? '/', home },
    loginUser: opts.loginUser ?? userInfo().username,
  };
  const table = opts.mountTable ?? mountTableFor(opts.platform);
  const volumes = () => opts.volumes.list();
  return {
    findServers: (signal) => findServers(deps, signal),
    listDatabases: (server, password, signal) => listDatabases(deps, server, password, signal),
    folderFacts: (path, signal) => folderFacts(path, table, volumes, signal),
    backupDirCandidates: (estimate, signal) =>
      backupDirCandidates(
        {
          platform: opts.platform,
          isRoot: opts.isRoot ?? process.getuid?.() === 0,
          home,
          ...(opts.backupPlaces ? { places: opts.backupPlaces } : {}),
          scanMounts: opts.scanDisks ?? true,
          table,
          volumes,
        },
        estimate,
        signal,
      ),
    externalDisks: (signal) => externalDisks(opts.volumes, signal),
  };
}

/** `HOST:PORT`, `[::1]:PORT`, `USER@HOST:PORT` or a socket path (`/run/postgresql`, `/tmp/mysql.sock`), as `init --postgres/--mariadb` take it; null when it is none of these. */
export function parseProbeTarget(text: string): ProbeTarget | null {
  const at = text.lastIndexOf('@');
  const user = at > 0 ? text.slice(0, at) : undefined;
  const rest = at > 0 ? text.slice(at + 1) : text;
  const withUser = (t: ProbeTarget): ProbeTarget => (user ? { ...t, user } : t);
  if (rest.startsWith('/')) return withUser({ host: rest });
  const m = /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(rest);
  if (!m) return null;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  return withUser({ host: (m[1] ?? m[2])!, ...(port !== undefined ? { port } : {}) });
}
