// The one switch for tests that can only be proven on a Mac (real diskutil/hdiutil, launchctl, the
// Keychain, Apple's openrsync). On any other system each such test is registered with uvu's
// test.skip, never run and never passed, and the file prints one marker line with how many it
// skipped for that reason; scripts/run-tests.mjs reads the marker and shows the sum as
// "skipped (needs macOS): N" in the closing line (uvu's own summary says only "Skipped: N").
//
// Use macTest(suite) in place of suite itself for every test of a darwin-only file, and
// macHooks(suite, before, after) for its hooks: uvu runs hooks even when all tests are skipped,
// and a before hook that calls hdiutil on Linux would fail the file.
import type { Test } from 'uvu';

export const ON_MAC = process.platform === 'darwin';

/** Must match MAC_SKIP_MARKER in scripts/run-tests.mjs. */
export const markerLine = (n: number) => `[needs macOS] skipped ${n}`;

let skipped = 0;
let announced = false;

function announce(): void {
  if (announced) return;
  announced = true;
  // At exit, after uvu's summary: the count is complete then, and the line is easy to find.
  process.on('exit', () => {
    if (skipped > 0) process.stdout.write(`${markerLine(skipped)} (${process.platform}: these tests run only on macOS)\n`);
  });
}

type Handler = Parameters<Test>[1];

/** suite(name, fn) on a Mac; suite.skip(name, fn) elsewhere, counted for the marker. */
export function macTest(suite: Test): (name: string, fn: Handler) => void {
  return (name, fn) => {
    if (ON_MAC) {
      suite(name, fn);
      return;
    }
    announce();
    skipped++;
    suite.skip(name, fn);
  };
}

/** Hooks that only make sense on a Mac: registered there, left out elsewhere. */
export function macHooks(suite: Test, before?: () => unknown, after?: () => unknown): void {
  if (!ON_MAC) return;
  if (before) suite.before(async () => void (await before()));
  if (after) suite.after(async () => void (await after()));
}

/**
 * Tests that change the logged-in user's own macOS state for a while (the default keychain, agents
 * under the product's real launchd labels de.praxis-backup.*): on a CI runner (CI is set) or when
 * PRAXIS_BACKUP_TEST_MAC_SYSTEM=1 says this Mac may be used so. On a developer's Mac without that,
 * they are ordinary skips (with the reason printed once), so `npm test` never boots out the
 * developer's own tray agent. Off a Mac: skipped as "needs macOS" like every other test here.
 */
export const MAC_SYSTEM_ALLOWED = ON_MAC && (!!process.env.CI || process.env.PRAXIS_BACKUP_TEST_MAC_SYSTEM === '1');

export function macSystemTest(suite: Test, what: string): (name: string, fn: Handler) => void {
  if (!ON_MAC || MAC_SYSTEM_ALLOWED) return macTest(suite);
  process.stdout.write(`(skipped: ${what} changes this Mac's user state; set PRAXIS_BACKUP_TEST_MAC_SYSTEM=1 to run it here)\n`);
  return (name, fn) => suite.skip(name, fn);
}

/** macHooks for a macSystemTest file: only where its tests run. */
export function macSystemHooks(suite: Test, before?: () => unknown, after?: () => unknown): void {
  if (MAC_SYSTEM_ALLOWED) macHooks(suite, before, after);
}
