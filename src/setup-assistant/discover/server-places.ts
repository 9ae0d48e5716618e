// Where database servers are looked for: for each kind with a discovery facet (contract.ts:
// KindDiscovery), its default TCP place (kind.defaults) and the sockets of each platform's usual
// installs, plus places the admin names (`init --<kind> HOST:PORT`, a server on another port or
// host; the tests' servers on random ports). Knocking is cheap — a TCP connect, a stat of the
// socket — so the kind's client only starts where something is there.
import { connect } from 'node:net';
import type { AnyDatabaseKind, KindDiscovery, Place } from '../../databases/contract';
import { KINDS } from '../../databases/registry';
import type { Platform } from '../../platform/paths';
import type { DatabaseKindId } from '../contracts';

export type { Place };

/** A kind the assistant can look for. */
export type DiscoverableKind = AnyDatabaseKind & { discovery: KindDiscovery };

/** The kinds with a discovery facet, in the registry's order (the order servers are shown in). */
export function discoverableKinds(): DiscoverableKind[] {
  return KINDS.filter((k): k is DiscoverableKind => k.discovery !== undefined);
}

/** A place the admin named: host and port, or a socket path (what the kind takes: socketPlace). */
export interface ProbeTarget {
  host: string;
  port?: number;
  /** Log in as this user instead of the ones proposed for the kind. */
  user?: string;
}

export interface Candidate extends Place {
  /** Named by the admin: nothing answering there is reported, not left out. */
  explicit: boolean;
  user?: string;
}

function tcp(kind: DatabaseKindId, host: string, port: number, explicit: boolean, user?: string): Candidate {
  const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { kind, host, port, via: 'tcp', where: shown, explicit, ...(user ? { user } : {}) };
}

/** `fsRoot`: prefix of the default socket places ("/" for real; tests hand in a folder of their own). */
export async function candidates(
  platform: Platform,
  defaults: boolean,
  extra: Partial<Record<DatabaseKindId, ProbeTarget[]>>,
  fsRoot = '/',
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const kind of discoverableKinds()) {
    const { host, port } = kind.defaults;
    if (defaults) out.push(tcp(kind.id, host, port, false));
    for (const t of extra[kind.id] ?? []) {
      const user = t.user ? { user: t.user } : {};
      out.push(t.host.startsWith('/') ? { ...kind.discovery.socketPlace(t.host, t.port), explicit: true, ...user } : tcp(kind.id, t.host, t.port ?? port, true, t.user));
    }
    if (!defaults) continue;
    for (const s of await kind.discovery.defaultSockets(platform, fsRoot)) out.push({ ...s, explicit: false });
  }
  return out;
}

/**
 * Does anything answer there? A connect, closed at once: TCP, or the socket (a socket file left by
 * a server that crashed is still there, and refuses).
 */
export async function answers(p: Place, signal: AbortSignal, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = p.via === 'socket' ? connect({ path: p.socketFile ?? p.where }) : connect({ host: p.host, port: p.port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(ok);
    };
    const onAbort = () => done(false);
    // A firewall that drops packets answers with silence: after timeoutMs it counts as nobody.
    const timer = setTimeout(() => done(false), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
