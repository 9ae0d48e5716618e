// Streams a child's output to a file while computing its sha256 and size on the way, so a dump of
// any size is never held in memory and never read twice.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface WrittenFile {
  bytes: number;
  sha256: string;
}

export interface StreamToFileOptions {
  gzip?: boolean;
  /** Sees every chunk of the source as it is (before gzip), e.g. to count a dump's rows on the way. */
  observe?: (chunk: Buffer) => void;
  /** The bytes written so far, after every chunk (the dump's progress). */
  onBytes?: (bytes: number) => void;
}

export async function streamToFile(src: Readable, path: string, opts: StreamToFileOptions = {}): Promise<WrittenFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  const onBytes = opts.onBytes;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      cb(null, chunk);
    },
  });
  // 'wx': never overwrite; 0600: a dump holds every patient's record.
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const observe = opts.observe;
  const seen = observe
    ? new Transform({
        transform(chunk: Buffer, _enc, cb) {
          try {
            observe(chunk);
          } catch (e) {
            return cb(e as Error);
          }
          cb(null, chunk);
        },
      })
    : null;
  if (seen && opts.gzip) await pipeline(src, seen, createGzip({ level: 6 }), tap, out);
  else if (seen) await pipeline(src, seen, tap, out);
  else if (opts.gzip) await pipeline(src, createGzip({ level: 6 }), tap, out);
  else await pipeline(src, tap, out);
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
