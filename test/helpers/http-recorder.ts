// A real HTTP server on 127.0.0.1 at a free port that stands in for ntfy, a webhook receiver and a
// heartbeat monitor (Healthchecks, Uptime Kuma): it records every request (method, path, query,
// headers, body), answers with a status chosen per path, or never answers at all ("hang") so a test
// can prove that a hanging endpoint does not hold a backup.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Arrivals } from './arrivals';
import { registerCleanup } from './temp';

export interface RecordedRequest {
  method: string;
  /** Path without the query ("/ping/abc/start"). */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request had been read completely (Date.now() of the test process). */
  at: number;
}

export interface HttpRecorderOptions {
  /** Status per path (exact match on the path without query); default 200. A 3xx redirects to https://127.0.0.1:1<path>. */
  status?: Record<string, number>;
  /** Paths (or '*' for all) whose requests are recorded but never answered. */
  hang?: string[];
}

export interface HttpRecorder {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Change the answers while running. */
  setStatus(path: string, status: number): void;
  setHang(paths: string[]): void;
  /** Resolves once at least n requests were recorded; rejects after timeoutMs (a hang guard only). */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Stops the server and drops every open (also hanging) connection. */
  stop(): Promise<void>;
}

export async function startHttpRecorder(opts: HttpRecorderOptions = {}): Promise<HttpRecorder> {
  const statusByPath = new Map(Object.entries(opts.status ?? {}));
  let hang = new Set(opts.hang ?? []);
  const arrivals = new Arrivals<RecordedRequest>('HTTP recorder: requests');
  const requests = arrivals.items;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      arrivals.push({
        method: req.method ?? '',
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      if (hang.has('*') || hang.has(u.pathname)) return; // never answer
      const status = statusByPath.get(u.pathname) ?? 200;
      // A 3xx points to the same path on https (the usual "use https" redirect).
      const location = status >= 300 && status < 400 ? { location: `https://127.0.0.1:1${u.pathname}` } : {};
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...location });
      res.end(status < 300 ? 'OK' : `error ${status} from test server`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  let stopped = false;

  const recorder: HttpRecorder = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setStatus: (path, status) => void statusByPath.set(path, status),
    setHang: (paths) => {
      hang = new Set(paths);
    },
    waitForRequests: (n, timeoutMs = 60_000) => arrivals.waitFor(n, timeoutMs),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  registerCleanup(() => recorder.stop(), { label: `stop HTTP recorder :${port}` });
  return recorder;
}
