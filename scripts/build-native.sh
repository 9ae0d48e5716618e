#!/usr/bin/env bash
# Builds Praxis-Backup's native Node addons from source. setup.sh installs npm packages with
# --ignore-scripts, so no addon is built yet and no dependency has tried to download anything;
# prebuilt binaries (github.com) and Qt (download.qt.io) are not used on Linux.
#
#   keytar            `npm rebuild keytar` (its install script, building with node-gyp against
#                     libsecret-1) -> node_modules/keytar/build/Release/keytar.node
#   @nodegui/nodegui  cmake-js compile against the system Qt 6 (QT_INSTALL_DIR=/usr), cached
#                     outside the clone -> node_modules/@nodegui/nodegui/build/Release/nodegui_core.node
#                     (the ONLY file the package loads at runtime: dist/lib/utils/addon.js requires
#                     ../../../build/Release/nodegui_core.node; it links Qt from the system paths)
#   qode shim         native/qode-shim/qode-shim.cc -> build/native/qode-shim.node (lets the
#                     nodegui addon load under plain node, see that file)
# @nodegui/qode's postinstall (a download from GitHub) never runs on Linux.
#
# Measured on Debian 12, 2 cores, 23 GB RAM, Node 20.20.2, Qt 6.4.2, nodegui 0.74.2 (2026-11-24):
#   nodegui compile (cache miss)       268 s idle machine (416 s with other builds running);
#                                      149 steps, 2 jobs, ~1.1 GB RAM above idle, largest cc1plus
#                                      0.7 GB; addon 11.6 MB, build dir 47 MB
#   nodegui from cache (cache hit)     0.6 s for the whole script (copy + load check)
#   keytar build                       4-5 s
#   qode shim build                    0.05 s (15.9 KB)
#   whole script, nothing to do        0.5 s (most of it the load check)
#   .ci/run on a fresh clone           7.5 min with an empty cache, 47 s with the cache (incl. tests)
#
# Cache: ${PRAXIS_BACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/praxis-backup}/nodegui-<key>/
#   key = <nodegui version>-qt<Qt version>-abi<process.versions.modules>-<arch>, e.g.
#   nodegui-0.74.2-qt6.4.2-abi115-x64. Delete the directory to force a recompile. The addon
#   finds Qt in the system library paths (its RUNPATH is relative and irrelevant for /usr), so a
#   cached copy works in a clone at any path (tested). QT_INSTALL_DIR=<dir> builds against
#   another Qt 6 (default /usr); its version comes from <dir>/bin/qmake6 when that exists.
#
# macOS: qode is NodeGui's supported runtime there. The packages' own install scripts run as
# NodeGui intends (they fetch Qt, the prebuilt addon and qode; this needs github.com and
# download.qt.io); no shim, no cache.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

say() { printf '[build-native] %s\n' "$*"; }
die() { printf '[build-native] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

[[ -d node_modules ]] || die "node_modules is missing: run scripts/setup.sh (or npm ci --ignore-scripts) first"

# `node -e` code runs as CommonJS (package.json has "type": "module"), resolving from the repo root.
nodecjs() { node --input-type=commonjs -e "$@"; }

NODEGUI_DIR=node_modules/@nodegui/nodegui
NODEGUI_ADDON=$NODEGUI_DIR/build/Release/nodegui_core.node
KEYTAR_ADDON=node_modules/keytar/build/Release/keytar.node

# node-gyp needs Node's headers and downloads them from nodejs.org unless told where they are.
# Node's official, NodeSource and Homebrew builds ship them in <prefix>/include/node.
if [[ -z ${npm_config_nodedir:-} ]]; then
  node_prefix=$(nodecjs "process.stdout.write(require('path').resolve(process.execPath, '..', '..'))")
  if [[ -f $node_prefix/include/node/common.gypi ]]; then
    export npm_config_nodedir=$node_prefix
  else
    say "warning: no Node headers in $node_prefix/include/node; node-gyp will try to download them"
  fi
fi

# `npm rebuild` runs the package's install scripts, but does nothing at all (and still reports
# "rebuilt dependencies successfully") when ignore-scripts is set in an npmrc or the environment:
# force it off. That `npm ci --ignore-scripts` was used for the install is not remembered anywhere.
# Without --foreground-scripts npm keeps the build output to itself unless the build fails.
npm_rebuild() { npm rebuild "$@" --ignore-scripts=false --no-audit --no-fund --no-update-notifier; }

build_macos() {
  local qode
  qode=$(nodecjs "process.stdout.write(require('@nodegui/qode').qodePath)")
  if [[ -f $KEYTAR_ADDON && -f $NODEGUI_ADDON && -x $qode ]]; then
    say "keytar, nodegui and qode already built"
    return
  fi
  say "macOS: running the install scripts of keytar, @nodegui/nodegui and @nodegui/qode"
  npm_rebuild keytar @nodegui/nodegui @nodegui/qode
  [[ -f $KEYTAR_ADDON && -f $NODEGUI_ADDON && -x $qode ]] || die "an addon or qode is missing after npm rebuild"
}

build_keytar() {
  if [[ -f $KEYTAR_ADDON ]] && nodecjs "require('keytar')" 2>/dev/null; then
    say "keytar: built"
    return
  fi
  local t0; t0=$(now)
  say "keytar: building from source (node-gyp, libsecret-1)"
  # build-from-source: prebuild-install gives up at once instead of trying github.com first.
  npm_config_build_from_source=true npm_rebuild keytar
  [[ -f $KEYTAR_ADDON ]] || die "npm rebuild keytar did not produce $KEYTAR_ADDON"
  nodecjs "require('keytar')" || die "keytar was built but does not load"
  say "keytar: built in $(( $(now) - t0 )) s"
}

qt_version() {
  if [[ -n ${QT_INSTALL_DIR:-} && -x $QT_INSTALL_DIR/bin/qmake6 ]]; then
    "$QT_INSTALL_DIR/bin/qmake6" -query QT_VERSION
  elif command -v qmake6 >/dev/null; then
    qmake6 -query QT_VERSION
  elif pkg-config --exists Qt6Core 2>/dev/null; then
    pkg-config --modversion Qt6Core
  else
    die "Qt 6 not found (Debian: apt-get install qt6-base-dev qt6-svg-dev; scripts/setup.sh does it)"
  fi
}

build_nodegui() {
  local version qt abi_arch key cache_root cache stamp t0
  version=$(nodecjs "process.stdout.write(require('@nodegui/nodegui/package.json').version)")
  qt=$(qt_version)
  abi_arch=$(nodecjs "process.stdout.write('abi' + process.versions.modules + '-' + process.arch)")
  key="$version-qt$qt-$abi_arch"
  cache_root=${PRAXIS_BACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/praxis-backup}
  cache=$cache_root/nodegui-$key
  stamp=$NODEGUI_DIR/build/Release/praxis-build-key

  if [[ -f $NODEGUI_ADDON && -f $stamp && "$(cat "$stamp")" == "$key" ]]; then
    say "nodegui: built ($key)"
    return
  fi

  if [[ -f $cache/nodegui_core.node ]]; then
    say "nodegui: from cache $cache"
    mkdir -p "$NODEGUI_DIR/build/Release"
    cp -f "$cache/nodegui_core.node" "$NODEGUI_ADDON.tmp"
    mv -f "$NODEGUI_ADDON.tmp" "$NODEGUI_ADDON"
    printf '%s\n' "$key" >"$stamp"
    NODEGUI_FROM_CACHE=$cache
    return
  fi

  # Not through `npm rebuild @nodegui/nodegui`: its install script first fetches a prebuilt addon
  # from GitHub, which where GitHub is reachable would be one built for NodeGui's own Qt 6.10
  # ("miniqt"), not for the system Qt. cmake-js with the package's napi_versions uses the
  # node-api-headers package, so nothing is downloaded. Takes minutes; RAM grows with the jobs
  # (one per core; ~0.7 GB for the largest compiler process).
  t0=$(now)
  say "nodegui: compiling $version against Qt $qt (several minutes; cache: $cache)"
  local cmakejs jobs
  cmakejs=$(nodecjs "process.stdout.write(require.resolve('cmake-js/bin/cmake-js', { paths: [require('path').resolve('$NODEGUI_DIR')] }))")
  jobs=$(nproc 2>/dev/null || echo 2)
  rm -f "$stamp"
  mkdir -p build/native
  local log=$ROOT/build/native/nodegui-compile.log
  say "nodegui: compiler output goes to $log"
  if ! (
    cd "$NODEGUI_DIR"
    QT_INSTALL_DIR=${QT_INSTALL_DIR:-/usr} CMAKE_BUILD_PARALLEL_LEVEL=$jobs node "$cmakejs" compile --log-level warn
  ) >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    die "nodegui compile failed, see above and $log (are qt6-base-dev and qt6-svg-dev installed?)"
  fi
  [[ -f $NODEGUI_ADDON ]] || die "cmake-js finished but $NODEGUI_ADDON is missing"
  printf '%s\n' "$key" >"$stamp"
  say "nodegui: compiled in $(( $(now) - t0 )) s"

  # Fill the cache atomically (another run may be filling it at the same time).
  mkdir -p "$cache_root"
  local tmp; tmp=$(mktemp -d "$cache_root/.nodegui-$key.XXXXXX")
  chmod 755 "$tmp"
  cp "$NODEGUI_ADDON" "$tmp/nodegui_core.node"
  printf 'key %s\nbuilt %s\nfrom %s\n' "$key" "$(date -u +%FT%TZ)" "$ROOT" >"$tmp/BUILD-INFO"
  if mv -T "$tmp" "$cache" 2>/dev/null; then
    say "nodegui: cached in $cache"
  else
    rm -rf "$tmp"
  fi
}

SHIM_SRC=native/qode-shim/qode-shim.cc
SHIM_OUT=build/native/qode-shim.node

build_qode_shim() {
  local include
  include=$(nodecjs "
    const path = require('path');
    const from = [process.cwd(), path.dirname(require.resolve('cmake-js/package.json'))];
    process.stdout.write(require(require.resolve('node-api-headers', { paths: from })).include_dir);")
  if [[ -f $SHIM_OUT && $SHIM_OUT -nt $SHIM_SRC && $SHIM_OUT -nt $include/node_api.h ]]; then
    say "qode shim: built"
    return
  fi
  mkdir -p "$(dirname "$SHIM_OUT")"
  ${CXX:-g++} -std=c++17 -shared -fPIC -O2 -Wall -Wextra -I"$include" -o "$SHIM_OUT.tmp" "$SHIM_SRC"
  mv -f "$SHIM_OUT.tmp" "$SHIM_OUT"
  say "qode shim: built $SHIM_OUT"
}

# Loads what was built the way the app will: shim first (RTLD_GLOBAL), then nodegui. Qt's
# "offscreen" platform plugin needs no display.
NODEGUI_FROM_CACHE=
verify_nodegui_loads() {
  local out
  if ! out=$(QT_QPA_PLATFORM=offscreen SHIM="$ROOT/$SHIM_OUT" node --input-type=module -e "
    import os from 'node:os';
    import { createRequire } from 'node:module';
    const shim = { exports: {} };
    process.dlopen(shim, process.env.SHIM, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL);
    const { QApplication } = createRequire(import.meta.url)('@nodegui/nodegui');
    if (!QApplication.instance() || !shim.exports.runLoopInjected()) throw new Error('Qt did not initialise');
    process.exit(0);
  " 2>&1); then
    printf '%s\n' "$out" >&2
    [[ -z $NODEGUI_FROM_CACHE ]] || say "the addon came from the cache: delete $NODEGUI_FROM_CACHE to recompile"
    die "@nodegui/nodegui does not load under node with the qode shim"
  fi
  say "nodegui: loads under node with the qode shim"
}

case "$(uname -s)" in
  Darwin)
    build_macos
    ;;
  *)
    build_keytar
    build_qode_shim
    build_nodegui
    verify_nodegui_loads
    ;;
esac
