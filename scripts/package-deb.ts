// `npm run package:deb`: builds praxis-backup_<version>_<arch>.deb with dpkg-deb from what the
// checkout already has: dist/ (webpack), the native addons built against Debian's Qt 6 and
// libsecret (scripts/build-native.sh) and this machine's Node runtime. Nothing is downloaded.
//
// TypeScript (run by tsx), not a shell script: the menu entry is rendered by the same code as
// `praxis-backup tray install` (src/autostart), so Exec and Icon of both agree by construction;
// the runtime node_modules are computed from webpack.config.js's externals and the packages'
// package.json files; and the copyright file is assembled from the bundled packages' own licences.
//
// Layout of the package:
//   /usr/bin/praxis-backup                      sh wrapper: exec the bundled node on dist/cli.js
//   /usr/lib/praxis-backup/bin/node             the Node runtime (the build machine's, stripped)
//   /usr/lib/praxis-backup/{dist,docs,assets/tray,build/native/qode-shim.node,package.json}
//   /usr/lib/praxis-backup/node_modules/        only what the externals need at run time
//   /usr/share/applications/praxis-backup.desktop, /usr/share/icons/hicolor/22x22{,@2}/apps/praxis-backup.png
//   /usr/share/doc/praxis-backup/{copyright,changelog.gz}, /usr/share/lintian/overrides/praxis-backup
// The app finds docs/, assets/ and build/native/ upwards from dist/ (manual-path.ts,
// tray-app.ts, qt-loader.ts), so they sit beside dist/ as in the checkout.
//
// Usage: node --import tsx scripts/package-deb.ts [--out DIR]
//   --out DIR   where the .deb goes (default build/deb); the staging tree is DIR/root
// Environment: PRAXIS_BACKUP_DEB_MAINTAINER ("Name <mail>", default: git config user.name/email),
//   PRAXIS_BACKUP_DEB_NODE (the Node binary to ship, default: the one running this script),
//   SOURCE_DATE_EPOCH (the changelog's date and the files' mtimes, default: the HEAD commit's time).
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { WRITTEN_BY } from '../src/autostart/autostart';
import { parseDesktopEntry, renderDesktopEntry } from '../src/autostart/desktop-entry';
import { TRAY_NODE_ARGS } from '../src/autostart/tray-program';
import { DESKTOP_ID, ICON_SOURCES, XdgAutostart } from '../src/autostart/xdg-autostart';
import { BUILD_ONLY, FILE_PACKAGES, ONLY_FILES, runtimeRoots, runtimePackages, type BundledPackage } from './package-deb-modules';

const ROOT = resolve(import.meta.dirname, '..');
const PREFIX = '/usr/lib/praxis-backup';
/** What the package installs, absolute: the wrapper, the scheduler and the autostart entry use these. */
export const INSTALLED = { node: `${PREFIX}/bin/node`, cli: `${PREFIX}/dist/cli.js`, tray: `${PREFIX}/dist/tray.js`, wrapper: '/usr/bin/praxis-backup' };

const NODE_LICENSE = 'LICENSE.node';
const say = (s: string) => process.stdout.write(`[package-deb] ${s}\n`);
class BuildError extends Error {}

function sh(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  try {
    return execFileSync(file, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; code?: string; status?: number };
    if (err.code === 'ENOENT') throw new BuildError(`${file} is not installed (Debian: it comes with ${TOOL_PACKAGES[file] ?? file}; scripts/setup.sh installs it)`);
    throw new BuildError(`${file} ${args.join(' ')} failed (exit ${err.status}): ${String(err.stderr ?? '').trim().slice(-2000)}`);
  }
}
const TOOL_PACKAGES: Record<string, string> = { 'dpkg-deb': 'dpkg', 'dpkg-shlibdeps': 'dpkg-dev', strip: 'binutils', git: 'git', du: 'coreutils' };

function need(path: string, fix: string): string {
  if (!existsSync(path)) throw new BuildError(`${relative(ROOT, path)} is missing: ${fix}`);
  return path;
}

function writeFile(path: string, content: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
}

function isElf(path: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
}

/** Every regular file below dir, relative. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function maintainer(): string {
  const fromEnv = process.env.PRAXIS_BACKUP_DEB_MAINTAINER;
  if (fromEnv) return fromEnv;
  const git = (key: string) => {
    try {
      return sh('git', ['config', key]).trim();
    } catch {
      return '';
    }
  };
  const name = git('user.name');
  const mail = git('user.email');
  if (!name || !mail) throw new BuildError('no maintainer: set PRAXIS_BACKUP_DEB_MAINTAINER="Name <mail>" (or git config user.name and user.email)');
  return `${name} <${mail}>`;
}

/** The build's date: SOURCE_DATE_EPOCH or the HEAD commit's, so two builds of one commit are the same. */
function buildEpoch(): { epoch: number; commit: string } {
  let commit = 'unknown';
  let epoch = Number(process.env.SOURCE_DATE_EPOCH);
  try {
    commit = sh('git', ['rev-parse', '--short=12', 'HEAD']).trim();
    if (!Number.isFinite(epoch)) epoch = Number(sh('git', ['log', '-1', '--format=%ct']).trim());
  } catch {
    /* not a git checkout: fall through */
  }
  if (!Number.isFinite(epoch)) throw new BuildError('no build date: set SOURCE_DATE_EPOCH (not a git checkout)');
  return { epoch, commit };
}

/** The package's menu entry: `tray install`'s, for the installed paths, without the mark that lets `tray remove` delete it. */
export function menuEntry(): string {
  const text = new XdgAutostart({ env: {}, home: '/nonexistent' }).render({ program: { runtime: INSTALLED.node, runtimeArgs: TRAY_NODE_ARGS, tray: INSTALLED.tray } }).menu;
  const entry = parseDesktopEntry(text)!;
  delete entry[WRITTEN_BY];
  return renderDesktopEntry(entry, ['Installed by the praxis-backup package. „praxis-backup tray install“ writes the same entry per user, with autostart.']);
}

function copyNode(stage: string): string {
  const src = process.env.PRAXIS_BACKUP_DEB_NODE || process.execPath;
  const version = sh(src, ['-p', 'process.versions.node']).trim();
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '>=20';
  const min = Number(/(\d+)/.exec(engines)?.[1] ?? 20);
  if (Number(version.split('.')[0]) < min) throw new BuildError(`${src} is Node ${version}; the app needs ${engines} (set PRAXIS_BACKUP_DEB_NODE to a newer one)`);
  const dest = join(stage, PREFIX.slice(1), 'bin', 'node');
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(src, dest);
  sh('strip', ['--strip-unneeded', dest]);
  chmodSync(dest, 0o755);
  say(`node ${version} from ${src}`);
  return version;
}

/** The Node runtime's licence text (official tarball: <prefix>/LICENSE; NodeSource: share/doc/nodejs/LICENSE). */
function nodeLicense(): string {
  const prefix = resolve(dirname(process.env.PRAXIS_BACKUP_DEB_NODE || process.execPath), '..');
  for (const p of [join(prefix, 'share', 'doc', 'nodejs', 'LICENSE'), join(prefix, 'LICENSE'), join(prefix, 'share', 'doc', 'node', 'LICENSE')]) {
    if (existsSync(p)) return readFileSync(p, 'utf8');
  }
  throw new BuildError(`Node's LICENSE file was not found below ${prefix} (needed for the copyright file)`);
}

/** Copies the runtime closure into the stage; only the run-time files of the native packages. */
function copyModules(stage: string, packages: BundledPackage[]): void {
  const dest = join(stage, PREFIX.slice(1));
  for (const p of packages) {
    const from = join(ROOT, p.dir);
    const to = join(dest, p.dir);
    const only = ONLY_FILES[p.name];
    for (const o of only ?? []) need(join(from, o), `${p.name} is not fully installed or built: run scripts/setup.sh`);
    const skipDir = new Set(['node_modules', 'test', 'tests', '__tests__', '.github', 'example', 'examples', 'types']);
    for (const rel of filesBelow(from)) {
      const parts = rel.split('/');
      if (only ? !only.some((o) => rel === o || rel.startsWith(`${o}/`)) : parts.slice(0, -1).some((d) => skipDir.has(d))) continue;
      if (/\.(d\.[cm]?ts|map|ts|markdown)$|^\.|\/\./.test(rel) || (/\.md$/i.test(rel) && !/^licen[cs]e/i.test(parts.at(-1)!))) continue;
      mkdirSync(dirname(join(to, rel)), { recursive: true });
      copyFileSync(join(from, rel), join(to, rel));
    }
  }
}

/** Modes as Debian wants them: ELF programs and the wrapper 0755, everything else 0644 (the JS runs through node, never directly). */
function normaliseModes(stage: string, executables: Set<string>): void {
  for (const e of readdirSync(stage, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isDirectory()) chmodSync(p, 0o755);
    else if (e.isFile()) chmodSync(p, executables.has(relative(stage, p)) ? 0o755 : 0o644);
  }
  chmodSync(stage, 0o755);
}

/** dpkg-shlibdeps over the package's ELF files: the Debian packages of the libraries they link. */
function shlibDepends(stage: string, elfs: string[]): string {
  const work = join(dirname(stage), 'shlibdeps');
  rmSync(work, { recursive: true, force: true });
  // dpkg-shlibdeps insists on a debian/control of a source package; it only needs the stanza names.
  writeFile(join(work, 'debian', 'control'), 'Source: praxis-backup\n\nPackage: praxis-backup\nArchitecture: any\n');
  const out = sh('dpkg-shlibdeps', ['-O', '--warnings=1', ...elfs.map((f) => `-e${join(stage, f)}`)], { cwd: work });
  const m = /^shlibs:Depends=(.*)$/m.exec(out);
  if (!m?.[1]) throw new BuildError(`dpkg-shlibdeps printed no shlibs:Depends: ${out}`);
  return m[1].trim();
}

/** The machine-readable copyright file: ours, Node's, then one paragraph per bundled npm package with its own licence text. */
function copyright(packages: BundledPackage[], pkg: { name: string; license?: string }): string {
  const header = readFileSync(join(ROOT, 'packaging', 'deb', 'copyright.in'), 'utf8').replace(/^#.*\n/gm, '');
  const indent = (text: string) =>
    text
      .replace(/\r/g, '')
      .trim()
      .split('\n')
      .map((l) => (l.trim() === '' ? ' .' : ` ${l}`))
      .join('\n');
  const parts = [header.trimEnd()];
  // Node's LICENSE holds the full texts of its bundled libraries' licences (Apache-2.0 among them,
  // which Debian wants referred to, not copied into copyright): it is shipped as a file of its own.
  parts.push(
    `Files: ${PREFIX.slice(1)}/bin/node\nCopyright: Node.js contributors and the authors of the libraries Node.js includes\nLicense: Expat and others\n` +
      ` Node.js is licensed under the MIT (Expat) licence; the libraries it includes keep their own\n licences. The complete text of all of them, as the Node.js project ships it, is in\n /usr/share/doc/praxis-backup/${NODE_LICENSE}.`,
  );
  for (const p of packages) {
    const dir = join(ROOT, p.dir);
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    const text = file ? readFileSync(join(dir, file), 'utf8') : null;
    const holder = text ? (/^.*copyright.*\d{4}.*$/im.exec(text)?.[0].replace(/^\W*copyright\s*(\(c\)|©)?\s*/i, '').trim() ?? p.name) : p.name;
    // A licence Debian ships in /usr/share/common-licenses is referred to, not repeated (Policy 12.5).
    const common = /^[A-Za-z0-9.+-]+$/.test(p.license) && existsSync(join('/usr/share/common-licenses', p.license));
    // A short name must be one word: "UNKNOWN" (png-js has no licence field) or "SEE LICENSE IN …" get a
    // name of their own; the text the package ships follows either way.
    const short = /^[A-Za-z0-9.+-]+$/.test(p.license) && p.license !== 'UNKNOWN' ? p.license : `${p.name.replace(/^@/, '').replace(/\//g, '-')}-license`;
    const body = common
      ? ` On Debian systems, the complete text of this licence is in /usr/share/common-licenses/${p.license}.`
      : text
        ? indent(text)
        : ` The package states "${p.license}" in its package.json and ships no licence file.`;
    parts.push(`Files: ${PREFIX.slice(1)}/${p.dir}/*\nCopyright: ${holder || p.name}\nLicense: ${short}\n${body}`);
  }
  return parts.join('\n\n') + '\n';
}

function md5sums(stage: string): string {
  return (
    filesBelow(stage)
      .filter((f) => !f.startsWith('DEBIAN/'))
      .map((f) => `${createHash('md5').update(readFileSync(join(stage, f))).digest('hex')}  ${f}`)
      .join('\n') + '\n'
  );
}

/** Loads every runtime root from the staged tree with the staged node, as the installed app will: a missing run-time dependency fails here, not at a practice. */
function checkStagedLoads(stage: string, roots: string[]): void {
  const base = join(stage, PREFIX.slice(1));
  const code = `
    import os from 'node:os';
    import { createRequire } from 'node:module';
    const shim = { exports: {} };
    process.dlopen(shim, process.env.SHIM, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL);
    const require = createRequire(process.env.BASE + '/dist/cli.js');
    for (const name of JSON.parse(process.env.ROOTS)) {
      const path = require.resolve(name);
      if (!path.startsWith(process.env.BASE + '/')) throw new Error(name + ' resolved outside the package: ' + path);
      await import(path);
    }
    const { QApplication } = require('@nodegui/nodegui');
    if (!QApplication.instance()) throw new Error('Qt did not initialise');
    process.exit(0);`;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', QT_QPA_PLATFORM: 'offscreen', SHIM: join(base, 'build', 'native', 'qode-shim.node'), BASE: base, ROOTS: JSON.stringify(roots) };
  sh(join(base, 'bin', 'node'), ['--input-type=module', '-e', code], { cwd: '/', env });
  say(`staged tree loads ${roots.join(', ')} with its own node`);
}

export async function buildDeb(outDir: string): Promise<string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; description: string; license?: string };
  const arch = sh('dpkg', ['--print-architecture']).trim();
  const stage = join(outDir, 'root');
  const lib = join(stage, PREFIX.slice(1));
  const built = 'run `npm run build` (and once `bash scripts/setup.sh` for the native addons)';
  for (const f of ['dist/cli.js', 'dist/tray.js', 'build/native/qode-shim.node', 'docs/handbuch.md', 'docs/manual.md', 'assets/tray/ok.png']) need(join(ROOT, f), built);

  // The app finds its files upwards from import.meta.url; a bundle that names this checkout's
  // source path (webpack's default for import.meta) would look for them here, not where it is installed.
  for (const f of readdirSync(join(ROOT, 'dist')).filter((f) => f.endsWith('.js'))) {
    if (readFileSync(join(ROOT, 'dist', f), 'utf8').includes(`file://${ROOT}/`)) throw new BuildError(`dist/${f} names this checkout (file://${ROOT}/…): run \`npm run build\` (webpack.config.js must keep import.meta as it is)`);
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  const nodeVersion = copyNode(stage);

  // The app, beside it what it finds upwards from dist/, and a package.json that makes dist/*.js ES modules.
  cpSync(join(ROOT, 'dist'), join(lib, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'docs'), join(lib, 'docs'), { recursive: true });
  cpSync(join(ROOT, 'assets', 'tray'), join(lib, 'assets', 'tray'), { recursive: true, filter: (src) => !/-template(@2x)?\.png$/.test(src) });
  writeFile(join(lib, 'build', 'native', 'qode-shim.node'), readFileSync(join(ROOT, 'build', 'native', 'qode-shim.node')));
  writeFile(join(lib, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license, private: true, type: 'module' }, null, 2) + '\n');

  const roots = await runtimeRoots(ROOT);
  const packages = runtimePackages(ROOT, roots.installed);
  for (const m of roots.absent) say(`not bundled: ${m} (not installed here: ${roots.why[m]})`);
  copyModules(stage, packages);
  say(`node_modules: ${packages.length} packages for ${roots.installed.join(', ')} (left out as build-only: ${[...new Set(Object.values(BUILD_ONLY).flat())].join(', ')})`);

  const elfs = filesBelow(stage).filter((f) => isElf(join(stage, f)));
  for (const f of elfs.filter((f) => f.endsWith('.node'))) sh('strip', ['--strip-unneeded', join(stage, f)]);

  writeFile(join(stage, INSTALLED.wrapper.slice(1)), readFileSync(join(ROOT, 'packaging', 'deb', 'praxis-backup.sh')), 0o755);
  writeFile(join(stage, 'usr', 'share', 'applications', `${DESKTOP_ID}.desktop`), menuEntry());
  for (const { dir, asset } of ICON_SOURCES) writeFile(join(stage, 'usr', 'share', 'icons', 'hicolor', dir, 'apps', `${DESKTOP_ID}.png`), readFileSync(join(ROOT, 'assets', 'tray', asset)));

  const { epoch, commit } = buildEpoch();
  const who = maintainer();
  const doc = join(stage, 'usr', 'share', 'doc', pkg.name);
  const date = sh('date', ['-u', '-R', '-d', `@${epoch}`]).trim();
  const changelog = readFileSync(join(ROOT, 'packaging', 'deb', 'changelog.in'), 'utf8').replaceAll('@VERSION@', pkg.version).replaceAll('@COMMIT@', commit).replaceAll('@MAINTAINER@', who).replaceAll('@DATE@', date);
  // A native package (the version has no Debian revision: we are upstream): changelog.gz, gzip -n style (no name, no time).
  writeFile(join(doc, 'changelog.gz'), gzipSync(changelog, { level: 9 }));
  writeFile(join(doc, 'copyright'), copyright(packages, pkg));
  writeFile(join(doc, NODE_LICENSE), nodeLicense());
  writeFile(join(stage, 'usr', 'share', 'lintian', 'overrides', pkg.name), readFileSync(join(ROOT, 'packaging', 'deb', 'lintian-overrides'), 'utf8').replace(/^#.*\n/gm, '').replace(/^\n+/, ''));

  checkStagedLoads(stage, roots.installed.filter((r) => !FILE_PACKAGES.includes(r)));

  const executables = new Set([INSTALLED.wrapper.slice(1), ...elfs.filter((f) => !f.endsWith('.node'))]);
  normaliseModes(stage, executables);
  const installedKb = Number(sh('du', ['-s', '-k', '--apparent-size', stage]).split(/\s/)[0]);
  const shlibs = shlibDepends(stage, elfs);
  const control = readFileSync(join(ROOT, 'packaging', 'deb', 'control.in'), 'utf8')
    .replace(/^#.*\n/gm, '')
    .replace('@VERSION@', pkg.version)
    .replace('@ARCH@', arch)
    .replace('@MAINTAINER@', who)
    .replace('@INSTALLED_SIZE@', String(installedKb))
    .replace('@SHLIBS@', shlibs);
  writeFile(join(stage, 'DEBIAN', 'control'), control);
  writeFile(join(stage, 'DEBIAN', 'md5sums'), md5sums(stage));
  normaliseModes(join(stage, 'DEBIAN'), new Set());
  // Same mtimes for every file: a rebuild of the same commit gives the same archive contents.
  for (const e of readdirSync(stage, { withFileTypes: true, recursive: true })) utimesSync(join(e.parentPath, e.name), epoch, epoch);

  const deb = join(outDir, `${pkg.name}_${pkg.version}_${arch}.deb`);
  // gzip -6: measured on 2 busy cores, 114 MiB installed: gzip 6 s / 41.6 MB, xz -6 (dpkg's
  // default) 59 s / 27.1 MB, zstd -19 146 s / 29.8 MB, zstd -3 2.4 s / 38.1 MB. gzip is as fast as
  // it needs to be and every dpkg reads it (zstd only dpkg >= 1.21.18). --root-owner-group: files
  // owned by root:root without fakeroot.
  const t0 = Date.now();
  sh('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stage, deb], { env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) } });
  say(`${relative(process.cwd(), deb) || deb}: ${(statSync(deb).size / 1e6).toFixed(1)} MB (installed ${(installedKb / 1024).toFixed(0)} MiB, node ${nodeVersion}, dpkg-deb ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  say(`Depends: ${/^Depends: (.*)$/m.exec(control)?.[1]}`);
  return deb;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('package-deb.ts')) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { out: { type: 'string' } }, strict: true });
  buildDeb(resolve(values.out ?? join(ROOT, 'build', 'deb'))).catch((e: unknown) => {
    process.stderr.write(`[package-deb] ERROR: ${e instanceof BuildError ? e.message : ((e as Error)?.stack ?? String(e))}\n`);
    process.exit(1);
  });
}
