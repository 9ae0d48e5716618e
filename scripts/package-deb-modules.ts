// Which node_modules the .deb ships: the packages dist/ loads at run time and what they need at run
// time, nothing of the build. Computed, not listed: the roots are webpack.config.js's externals
// (everything else is bundled into dist/) plus the packages the app reads files from; from there the
// dependencies each package.json declares, resolved the way Node resolves them (nested
// node_modules first), minus the ones a package only needs to build or download itself.
// scripts/package-deb.ts then loads every root from the staged tree with the staged node, so a
// run-time dependency wrongly left out fails the build.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Read from their files at run time, not imported (src/report/pdf-document.ts: the PDF fonts). */
export const FILE_PACKAGES = ['dejavu-fonts-ttf'];

/**
 * Declared dependencies a package needs only for its install/build, never when it runs (checked:
 * nothing in the shipped files requires them; the staged load check proves the rest).
 */
export const BUILD_ONLY: Record<string, string[]> = {
  // install script: downloads Qt ("miniqt") / a prebuilt addon, compiles with cmake-js against the
  // headers of node-addon-api; qode is NodeGui's runtime on macOS (Linux runs node + our qode shim);
  // cross-env, manage-path, mkdirp, tar serve those scripts. dist/ requires none of them.
  '@nodegui/nodegui': ['@nodegui/artifact-installer', '@nodegui/qode', 'cmake-js', 'cross-env', 'manage-path', 'mkdirp', 'node-addon-api', 'tar'],
  // install script: prebuild-install downloads a prebuilt addon, node-addon-api is C++ headers.
  keytar: ['node-addon-api', 'prebuild-install'],
};

/**
 * Packages of which only these files are shipped: the native ones (the compiled addon and the JS
 * that loads it, not the C++ sources and the 47 MB cmake build tree), and the fonts (two of the
 * family's files are used).
 */
export const ONLY_FILES: Record<string, string[]> = {
  '@nodegui/nodegui': ['package.json', 'LICENSE', 'dist', 'build/Release/nodegui_core.node'],
  keytar: ['package.json', 'LICENSE.md', 'lib', 'build/Release/keytar.node'],
  'dejavu-fonts-ttf': ['package.json', 'LICENSE', 'ttf/DejaVuSans.ttf', 'ttf/DejaVuSans-Bold.ttf'],
};

export interface BundledPackage {
  name: string;
  /** Relative to the project root, e.g. node_modules/pdfkit or node_modules/a/node_modules/b. */
  dir: string;
  license: string;
  version: string;
}

interface PackageJson {
  name: string;
  version: string;
  license?: string | { type?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readPkg = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** The runtime roots installed here, and the ones that are not (optional, for another platform). */
export async function runtimeRoots(root: string): Promise<{ installed: string[]; absent: string[]; why: Record<string, string> }> {
  const config = (await import(pathToFileURL(join(root, 'webpack.config.js')).href)).default as { externals: Record<string, string> };
  const own = readPkg(join(root, 'package.json'));
  const names = [...Object.keys(config.externals), ...FILE_PACKAGES];
  const installed: string[] = [];
  const absent: string[] = [];
  const why: Record<string, string> = {};
  for (const name of names) {
    if (existsSync(join(root, 'node_modules', name, 'package.json'))) installed.push(name);
    else if (own.optionalDependencies?.[name]) {
      absent.push(name);
      why[name] = 'an optional dependency for another platform';
    } else throw new Error(`${name} is needed at run time but not installed in node_modules: run scripts/setup.sh`);
  }
  return { installed, absent, why };
}

/** Where Node finds `name` from a package in `fromDir` (relative to root): its own node_modules, then each parent's. */
function resolveDir(root: string, fromDir: string, name: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir === '.' ? '' : dir, 'node_modules', name);
    if (existsSync(join(root, candidate, 'package.json'))) return candidate;
    if (dir === '.' || dir === '') return null;
  }
}

/** The run-time closure of the roots, each package once (by the directory Node would load it from). */
export function runtimePackages(root: string, roots: string[]): BundledPackage[] {
  const found = new Map<string, BundledPackage>();
  const queue = roots.map((name) => ({ name, dir: join('node_modules', name), optional: false }));
  while (queue.length) {
    const { name, dir, optional } = queue.shift()!;
    if (found.has(dir)) continue;
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) {
      if (optional) continue;
      throw new Error(`${name} is missing at ${dir}`);
    }
    const pkg = readPkg(file);
    const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
    found.set(dir, { name, dir, license, version: pkg.version });
    const skip = new Set(BUILD_ONLY[name] ?? []);
    const deps = [
      ...Object.keys(pkg.dependencies ?? {}).map((d) => ({ d, optional: false })),
      ...Object.keys(pkg.optionalDependencies ?? {}).map((d) => ({ d, optional: true })),
    ];
    for (const { d, optional: opt } of deps) {
      if (skip.has(d)) continue;
      const at = resolveDir(root, dir, d);
      if (at) queue.push({ name: d, dir: at, optional: opt });
      else if (!opt) throw new Error(`${d} (needed by ${name}) is not installed: run scripts/setup.sh`);
    }
  }
  return [...found.values()].sort((a, b) => a.dir.localeCompare(b.dir));
}
