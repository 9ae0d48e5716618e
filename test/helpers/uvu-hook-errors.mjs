// uvu swallows an error thrown by a test.before hook (its runner returns from a `finally`): the file
// then fails with "0 / N" and no message, and a flake in CI leaves nothing to go on. run-tests.mjs
// preloads this (--import): it rewrites uvu's runner as Node loads it so that such an error is
// printed with its stack, then thrown on as before. If uvu's code ever changes shape, nothing is
// rewritten and the old behaviour stays.
import { register } from 'node:module';

register('./uvu-hook-errors-loader.mjs', import.meta.url);
