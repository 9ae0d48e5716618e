#!/usr/bin/env node
// Runs every test/**/*.test.ts in its own Node process (each file starts and stops its own
// servers, so one crashing file cannot take the others down), then prints the one closing line
// CI reads: "N passed, N failed, skipped (needs macOS): N[, N skipped]". CI reads only the start
// ("N passed, N failed"); uvu's own summary is per file and not read by CI.
//
// "skipped (needs macOS)": tests that can only be proven on a Mac (test/darwin/: real diskutil,
// launchctl, Keychain, openrsync) are registered with uvu's test.skip on other systems, so they
// are counted, visibly, and never as passed. uvu's summary says only "Skipped: N", not why, so
// each such file also prints a marker line (test/darwin/needs-macos.ts, MAC_SKIP_MARKER) with how
// many of its skips are for that reason. The marker, not the folder, decides: a Mac-only file may
// skip a test for another reason too (no Homebrew rsync), and that stays an ordinary skip. The
// count is capped at uvu's own skip count, so a stray marker cannot invent skips. And a file under
// test/darwin/ that *passes* tests on another system is a defect (it would claim a Mac was proven
// here): those passes count as failures.
//
// Usage: npm test [-- PATTERN]   (PATTERN: substring of the test file path)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// Prints an error a test.before hook threw (uvu swallows it): test/helpers/uvu-hook-errors.mjs.
const HOOK_ERRORS = join(root, 'test', 'helpers', 'uvu-hook-errors.mjs');
// (A checkout without it, such as run-tests-summary.test.ts's own small project, runs without it.)
const HOOK_ERRORS_IMPORT = existsSync(HOOK_ERRORS) ? ['--import', HOOK_ERRORS] : [];
const pattern = process.argv[2] ?? '';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

// Keep in step with test/darwin/needs-macos.ts (a .mjs cannot import the .ts without tsx).
const MAC_SKIP_MARKER = /^\[needs macOS\] skipped (\d+)\b/gm;
const onMac = process.platform === 'darwin';
const isDarwinOnly = (rel) => rel.split(/[\\/]/).slice(0, 2).join('/') === 'test/darwin';

/** Of a file's skips, how many it declared as "needs macOS" (never more than uvu skipped). */
function macSkips(text, skipped) {
  let n = 0;
  for (const m of text.matchAll(MAC_SKIP_MARKER)) n += Number(m[1]);
  return Math.min(n, skipped);
}

// A test file that hangs (a server or Xvfb child keeps it alive after a failed before-hook: uvu
// swallows hook errors and then never exits) must not stall CI for its 90 minutes. Whole file:
// 20 minutes at most; after uvu has printed its summary: 60 s to exit. Then SIGTERM (the files'
// cleanup handlers stop their servers), SIGKILL 20 s later.
const FILE_TIMEOUT_MS = Number(process.env.PRAXIS_TEST_FILE_TIMEOUT_MS) || 20 * 60_000;
const EXIT_AFTER_SUMMARY_MS = Number(process.env.PRAXIS_TEST_EXIT_GRACE_MS) || 60_000;

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...HOOK_ERRORS_IMPORT, file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR },
    });
    let out = '';
    let stopped = '';
    const stop = (why) => {
      if (stopped || child.exitCode !== null) return;
      stopped = why;
      process.stdout.write(`\n[run-tests] ${why}: stopping it\n`);
      child.kill('SIGTERM');
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 20_000).unref();
    };
    const fileTimer = setTimeout(() => stop(`still running after ${Math.round(FILE_TIMEOUT_MS / 1000)} s`), FILE_TIMEOUT_MS);
    let exitTimer = null;
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
      if (!exitTimer && /Duration:/.test(stripAnsi(out))) exitTimer = setTimeout(() => stop(`summary printed but not exited after ${Math.round(EXIT_AFTER_SUMMARY_MS / 1000)} s`), EXIT_AFTER_SUMMARY_MS);
    });
    child.stderr.on('data', (d) => { process.stderr.write(d); });
    child.on('close', (code, signal) => {
      clearTimeout(fileTimer);
      if (exitTimer) clearTimeout(exitTimer);
      const text = stripAnsi(out);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        // The file crashed before uvu could summarise: count it as one failure so it is never silent.
        resolve({ passed: 0, failed: 1, skipped: 0, macSkipped: 0, crashed: stopped || `exit ${code ?? signal}` });
        return;
      }
      // uvu's Total counts the tests it ran; its skips (test.skip, or the rest beside a test.only)
      // are not in it, so failed is Total − Passed (not − Skipped as well).
      let failed = total - passed;
      const macSkipped = macSkips(text, skipped);
      if (!onMac && isDarwinOnly(relative(root, file)) && passed > 0) {
        process.stdout.write(`[run-tests] ${passed} test(s) of a macOS-only file passed on ${process.platform}: they must skip here (test/darwin/needs-macos.ts), so they count as failed\n`);
        failed += passed;
        resolve({ passed: 0, failed, skipped: skipped - macSkipped, macSkipped });
        return;
      }
      if (code !== 0 && failed === 0 && !stopped) failed = 1; // uvu said nothing failed but the process did
      if (stopped && failed === 0) failed = 1; // it finished its tests but hung: that is a defect too
      // uvu prints no error for a failed before/after hook, nor for an error it cannot format.
      const shown = (text.match(/ FAIL /g) ?? []).length;
      if (failed > shown) process.stdout.write(`[run-tests] ${failed - shown} test(s) failed without a message: most likely a test.before hook threw (its error is printed above, marked ✘, if it was that); run the file alone with node --import tsx ${relative(root, file)}\n`);
      resolve({ passed, failed, skipped: skipped - macSkipped, macSkipped, ...(stopped ? { crashed: stopped } : {}) });
    });
  });
}

const files = findTests(join(root, 'test')).filter((f) => f.includes(pattern));
let passed = 0, failed = 0, skipped = 0, macSkipped = 0;
const crashed = [];
for (const file of files) {
  const rel = relative(root, file);
  process.stdout.write(`\n▶ ${rel}\n`);
  const r = await runFile(file);
  passed += r.passed; failed += r.failed; skipped += r.skipped; macSkipped += r.macSkipped;
  if (r.failed) crashed.push(`${rel}${r.crashed ? ` (${r.crashed})` : ''}`);
}
if (crashed.length) process.stdout.write(`\nFailing files:\n  ${crashed.join('\n  ')}\n`);
if (files.length === 0) { failed = 1; process.stdout.write('No test files found.\n'); }
// Always shown, 0 on a Mac: the line itself says whether this run proved the Mac-only parts.
process.stdout.write(`\n${passed} passed, ${failed} failed, skipped (needs macOS): ${macSkipped}${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
