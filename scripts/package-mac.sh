#!/usr/bin/env bash
# Builds Praxis-Backup.app and a .dmg with it, on a Mac (after scripts/setup.sh, which on macOS lets
# @nodegui/qode and @nodegui/nodegui install as they intend). NOT RUN ON A MAC YET: written from
# Apple's and NodeGui's documented behaviour; see docs/macos-packaging.md for what is verified.
#
#   scripts/package-mac.sh [--out DIR] [--no-build] [--no-dmg] [--qode PATH]
#   scripts/package-mac.sh --dry-run --out DIR [--qode PATH]    (any system, e.g. Linux)
#
# The bundle (the layout of @nodegui/packer — qode in Contents/MacOS, the app under
# Contents/Resources, Qt frameworks placed by macdeployqt — with our own launchers):
#   Praxis-Backup.app/Contents/
#     Info.plist                 written by packaging/macos/write-info-plist.mjs (LSUIElement, version)
#     MacOS/Praxis-Backup        launcher (CFBundleExecutable): exec qode Resources/app/dist/tray.js
#     MacOS/qode                 NodeGui's runtime (node + Qt's event loop)
#     Resources/AppIcon.icns     from packaging/macos/AppIcon.png (sips + iconutil)
#     Resources/bin/praxis-backup  launcher for the CLI: exec qode Resources/app/dist/cli.js
#     Resources/app/             package.json, dist/, assets/tray/ (the menu-bar template icons),
#                                docs/ (the handbook for „Hilfe…“), node_modules/ (production only)
#     Frameworks/, PlugIns/      Qt, copied in by macdeployqt
#
# --dry-run builds that directory tree (without node_modules, the .icns and Qt) and writes Info.plist
# and the launchers, then prints every Mac-only command (npm, sips, iconutil, macdeployqt, codesign,
# hdiutil) instead of running it, so test/package/mac-bundle.test.ts checks the layout on Linux.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"

say() { printf '[package-mac] %s\n' "$*"; }
die() { printf '[package-mac] ERROR: %s\n' "$*" >&2; exit "${2:-1}"; }

out="$root/build/macos"
dry=0 build=1 dmg=1 qode=""
while (( $# )); do
  case "$1" in
    --out) [[ $# -ge 2 ]] || die "--out needs a directory" 2; out=$2; shift 2 ;;
    --qode) [[ $# -ge 2 ]] || die "--qode needs the path of a qode binary" 2; qode=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --no-build) build=0; shift ;;
    --no-dmg) dmg=0; shift ;;
    -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" 2 ;;
  esac
done
if (( !dry )) && [[ "$(uname -s)" != Darwin ]]; then
  die "this builds a macOS app and needs a Mac (codesign, iconutil, hdiutil); on $(uname -s) use --dry-run" 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

# Runs a command, or in a dry run prints it (shell-quoted, so it can be pasted) and goes on.
mac() {
  if (( dry )); then
    printf '[dry-run] would run:'; printf ' %q' "$@"; printf '\n'
  else
    say "$*"
    "$@"
  fi
}

version=$(node -p "require('./package.json').version")
name=Praxis-Backup
app="$out/$name.app"
contents="$app/Contents"
res="$contents/Resources"
appdir="$res/app"

if (( build )); then mac npm run build --silent; fi
[[ -f dist/cli.js && -f dist/tray.js ]] || die "dist/cli.js or dist/tray.js is missing: run npm run build first"

say "bundle $app (version $version)"
rm -rf "$app"
mkdir -p "$contents/MacOS" "$res/bin" "$appdir/assets"

# --- the app: the built code, the tray's icons, the handbook, package.json (the CLI reads its own
# version from the bundle, but npm prune below and `npm ls` need it)
cp -R dist "$appdir/dist"
cp -R assets/tray "$appdir/assets/tray"
cp -R docs "$appdir/docs"
cp package.json package-lock.json "$appdir/"

# --- production node_modules with the native addons as setup.sh built them for this Mac (keytar,
# NodeGui, node-mac-permissions); dev tools pruned. qode's own copy is dropped: it is in MacOS/.
if (( dry )); then
  mac cp -R node_modules "$appdir/node_modules"
  mac npm prune --omit=dev --prefix "$appdir"
  mac rm -rf "$appdir/node_modules/@nodegui/qode/binaries"
else
  cp -R node_modules "$appdir/node_modules"
  npm prune --omit=dev --prefix "$appdir"
  rm -rf "$appdir/node_modules/@nodegui/qode/binaries"
fi

# --- qode, where @nodegui/qode's install script puts it (src/autostart/tray-program.ts findQode)
qode=${qode:-$root/node_modules/@nodegui/qode/binaries/qode}
if [[ -f "$qode" ]]; then
  cp "$qode" "$contents/MacOS/qode"
  chmod 755 "$contents/MacOS/qode"
elif (( dry )); then
  say "no qode at $qode (normal off a Mac: its install script was not run); Contents/MacOS/qode left out"
else
  die "qode not found at $qode: run scripts/setup.sh on this Mac (it lets @nodegui/qode install)"
fi

# --- launchers (packaging/macos/launcher.sh explains why scripts and not qode.json)
cp packaging/macos/launcher.sh "$contents/MacOS/$name"
sed 's/^ENTRY=tray\.js$/ENTRY=cli.js/' packaging/macos/launcher.sh > "$res/bin/praxis-backup"
chmod 755 "$contents/MacOS/$name" "$res/bin/praxis-backup"
grep -q '^ENTRY=cli\.js$' "$res/bin/praxis-backup" || die "packaging/macos/launcher.sh lost its ENTRY=tray.js line"

# --- Info.plist
node packaging/macos/write-info-plist.mjs --base assets/Info.plist --version "$version" \
  --executable "$name" --icon AppIcon --out "$contents/Info.plist"
mac plutil -lint "$contents/Info.plist"

# --- the app icon: the .iconset sizes iconutil expects, from the 1024 px PNG
iconset="$out/AppIcon.iconset"
rm -rf "$iconset"
mkdir -p "$iconset"
for px in 16 32 128 256 512; do
  mac sips -z "$px" "$px" packaging/macos/AppIcon.png --out "$iconset/icon_${px}x${px}.png"
  mac sips -z $((px * 2)) $((px * 2)) packaging/macos/AppIcon.png --out "$iconset/icon_${px}x${px}@2x.png"
done
mac iconutil -c icns "$iconset" -o "$res/AppIcon.icns"
if (( !dry )); then rm -rf "$iconset"; fi

# --- Qt into the bundle, as @nodegui/packer does: macdeployqt copies the frameworks and plugins the
# NodeGui addon links against into Frameworks/ and PlugIns/ and points the addon at them.
qt_home=$(node -p "try { require('@nodegui/nodegui/config/qtConfig.js').qtHome } catch { '' }" 2>/dev/null || true)
addon="$appdir/node_modules/@nodegui/nodegui/build/Release/nodegui_core.node"
mac "${qt_home:-QT_HOME}/bin/macdeployqt" "$app" -verbose=1 "-libpath=${qt_home:-QT_HOME}/lib" "-executable=$addon"

# --- ad-hoc signature: inside out (native addons and dylibs first, then the bundle), because
# `codesign --deep` does not sign Mach-O files under Contents/Resources. Ad hoc ("-"): no Apple
# developer identity; Gatekeeper will ask once (right-click → Öffnen), and every rebuild has a new
# signature, so Keychain "Immer erlauben" and Full Disk Access must be given again after an update.
if (( dry )); then
  mac find "$app" '(' -name '*.node' -o -name '*.dylib' ')' -type f -exec codesign --force --sign - '{}' ';'
else
  find "$app" '(' -name '*.node' -o -name '*.dylib' ')' -type f -exec codesign --force --sign - '{}' ';'
fi
mac codesign --force --deep --sign - --identifier de.praxis-backup.app "$app"
mac codesign --verify --deep --strict --verbose=2 "$app"

# --- the .dmg: the app and a link to /Applications, compressed (UDZO). hdiutil create fails now and
# then on CI runners (actions/runner-images#7522: a race with XProtect), so it is tried 5 times.
if (( dmg )); then
  stage="$out/dmg-root"
  dmgfile="$out/$name-$version.dmg"
  if (( dry )); then
    mac ditto "$app" "$stage/$name.app"
    mac ln -s /Applications "$stage/Applications"
    mac hdiutil create -volname "$name $version" -srcfolder "$stage" -ov -format UDZO "$dmgfile"
    mac hdiutil verify "$dmgfile"
  else
    rm -rf "$stage" && mkdir -p "$stage"
    ditto "$app" "$stage/$name.app"
    ln -s /Applications "$stage/Applications"
    for attempt in 1 2 3 4 5; do
      if hdiutil create -volname "$name $version" -srcfolder "$stage" -ov -format UDZO "$dmgfile"; then break; fi
      (( attempt < 5 )) || die "hdiutil create failed 5 times"
      say "hdiutil create failed (attempt $attempt), trying again in 2 s"
      sleep 2
    done
    hdiutil verify "$dmgfile"
    rm -rf "$stage"
    say "disk image: $dmgfile"
  fi
fi
say "app: $app"
