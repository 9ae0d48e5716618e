// The progress of a database dump: bytes written and the speed, never a percent. pg_dump -Fc and
// mariadb-dump | gzip write compressed output whose final size is known only at the end (the
// database's own size says little about it), so a percent would be a guess. The numbers are what
// shows, on a terminal and in the tray, that a long dump is moving. The Reporter sends at most one
// event a second; the first chunk always gets one.
import type { Reporter } from '../../run/events';

export function dumpProgress(reporter: Reporter, name: string, now: () => number = () => performance.now()): (bytes: number) => void {
  const started = now();
  return (bytes) => {
    const seconds = (now() - started) / 1000;
    reporter.progress(name, null, 'dump', { bytes, ...(seconds >= 1 ? { bytesPerSecond: Math.round(bytes / seconds) } : {}) });
  };
}
