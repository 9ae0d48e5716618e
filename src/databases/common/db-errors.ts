// How a failed database step reaches the admin, the same for PostgreSQL and MariaDB: the
// server's own words and the database it tried. A cancel stays a cancel, and a disk that ran full
// while the dump was written is passed on for the run to report as "disk full".
import { CommandError } from '../../process/runner';
import { PraxisError } from '../../core/errors';

interface Db {
  name: string;
  database: string;
  host: string;
  port: number;
  user: string;
}

function passThrough(e: unknown): void {
  if (e instanceof CommandError && e.reason === 'stdout-consumer') throw e.cause; // e.g. ENOSPC
  if (e instanceof CommandError && e.reason === 'cancelled') throw e;
}

export function connectFailed(e: unknown, c: Db, serverMessage: string): never {
  passThrough(e);
  throw new PraxisError('error.dbConnect', { database: c.database, host: c.host, port: c.port, user: c.user, message: serverMessage });
}

export function dumpFailed(e: unknown, c: Db, serverMessage: string): never {
  passThrough(e);
  throw new PraxisError('error.dbDump', { database: c.database, name: c.name, message: serverMessage });
}
