// The contract's rule for every kind's dump (contract.ts): a dump file exists under its name only
// when the whole dump succeeded — including what a kind does after the tool ended (PostgreSQL's
// row counts and COMMIT in the dump's snapshot). A cancel ends a dump tool's output like a normal
// end, so without this the half file would stay beside the manifest-to-be, looking whole.
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Lets `write` fill `<dir>/<file>.partial`, renames it to `<dir>/<file>` on success, removes it on every way out that throws. */
export async function asWholeDumpFile<T>(dir: string, file: string, write: (partialPath: string) => Promise<T>): Promise<T> {
  const partial = join(dir, `${file}.partial`);
  try {
    const result = await write(partial);
    await rename(partial, join(dir, file));
    return result;
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}
