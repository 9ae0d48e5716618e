#!/usr/bin/env node
// Runs every test/**/*.test.ts in its own Node process (each file starts and stops its own
// servers, so one crashing file cannot take the others down), then prints the one closing line
// CI reads: "N passed, N failed". uvu's own summary is per file and not read by CI.
//
// Usage: npm test [-- PATTERN]   (PATTERN: substring of the test file path)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
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

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR },
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { process.stderr.write(d); });
    child.on('close', (code, signal) => {
      const text = stripAnsi(out);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        // The file crashed before uvu could summarise: count it as one failure so it is never silent.
        resolve({ passed: 0, failed: 1, skipped: 0, crashed: `exit ${code ?? signal}` });
        return;
      }
      let failed = total - passed - skipped;
      if (code !== 0 && failed === 0) failed = 1; // uvu said nothing failed but the process did
      resolve({ passed, failed, skipped });
    });
  });
}

const files = findTests(join(root, 'test')).filter((f) => f.includes(pattern));
let passed = 0, failed = 0, skipped = 0;
const crashed = [];
for (const file of files) {
  const rel = relative(root, file);
  process.stdout.write(`\n▶ ${rel}\n`);
  const r = await runFile(file);
  passed += r.passed; failed += r.failed; skipped += r.skipped;
  if (r.failed) crashed.push(`${rel}${r.crashed ? ` (${r.crashed})` : ''}`);
}
if (crashed.length) process.stdout.write(`\nFailing files:\n  ${crashed.join('\n  ')}\n`);
if (files.length === 0) { failed = 1; process.stdout.write('No test files found.\n'); }
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
