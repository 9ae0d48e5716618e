// The module hook of uvu-hook-errors.mjs (runs on Node's loader thread).
const BEFORE = 'for (hook of before) await hook(state);';
const LOUD = `try { ${BEFORE} } catch (err) { process.stderr.write('\\n  ✘ a test.before hook threw: ' + ((err && err.stack) || err) + '\\n'); throw err; }`;

export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!/\/uvu\/dist\/index\.mjs$/.test(url) || loaded.source == null) return loaded;
  const source = String(loaded.source);
  return source.includes(BEFORE) ? { ...loaded, source: source.replace(BEFORE, LOUD) } : loaded;
}
