#!/usr/bin/env node
// Writes the bundle's Contents/Info.plist for scripts/package-mac.sh, with the `plist` package (as
// the LaunchAgents are written): the fixed keys come from assets/Info.plist (bundle identifier,
// names, LSUIElement, minimum macOS), the computed ones are set here so they cannot drift:
//   CFBundleShortVersionString / CFBundleVersion  package.json's version
//   CFBundleExecutable                            the launcher in Contents/MacOS that starts the tray
//   CFBundleIconFile                              the .icns in Contents/Resources (name without .icns)
// Usage: node write-info-plist.mjs --base assets/Info.plist --version 0.1.0 --executable Praxis-Backup
//          --icon AppIcon --out Praxis-Backup.app/Contents/Info.plist
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import plist from 'plist';

const { values: o } = parseArgs({
  options: {
    base: { type: 'string' },
    version: { type: 'string' },
    executable: { type: 'string' },
    icon: { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
});
for (const k of ['base', 'version', 'executable', 'icon', 'out']) {
  if (!o[k]) {
    process.stderr.write(`write-info-plist: --${k} is missing\n`);
    process.exit(2);
  }
}
// CFBundleVersion must be one to three period-separated integers; an npm prerelease ("0.2.0-rc.1")
// would not be one, so such a version is refused here rather than written into a bundle.
if (!/^\d+(\.\d+){0,2}$/.test(o.version)) {
  process.stderr.write(`write-info-plist: version "${o.version}" is not 1 to 3 numbers separated by dots (CFBundleVersion needs that)\n`);
  process.exit(2);
}

const base = plist.parse(readFileSync(o.base, 'utf8'));
const info = {
  ...base,
  CFBundleExecutable: o.executable,
  CFBundleIconFile: o.icon,
  CFBundleInfoDictionaryVersion: '6.0',
  CFBundlePackageType: 'APPL',
  CFBundleShortVersionString: o.version,
  CFBundleVersion: o.version,
  // A menu-bar app: no Dock icon, no menu bar of its own (assets/Info.plist sets it; kept explicit).
  LSUIElement: true,
  NSHighResolutionCapable: true,
  NSPrincipalClass: 'NSApplication',
};
writeFileSync(o.out, plist.build(info) + '\n');
