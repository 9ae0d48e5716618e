#!/usr/bin/env bash
# Sets up a machine to build and test Praxis-Backup, from a fresh clone, without questions:
#   1. system packages (Debian/Ubuntu: apt-get; macOS: prints the Homebrew line, installs nothing),
#   2. npm packages (`npm ci --ignore-scripts`: no install script of any dependency runs, so
#      nothing tries to download from GitHub or download.qt.io),
#   3. the native addons, built from source (scripts/build-native.sh: keytar, NodeGui, qode shim),
#   4. dist/cli.js (`npm run build`).
# Idempotent: a second run checks, finds everything there and takes a few seconds.
#
# Usage: bash scripts/setup.sh        (as root, or as a user with sudo, on Linux)
#
# Debian's postgresql and mariadb-server packages come with system services; Praxis-Backup does
# not use them (the tests start their own servers in temp dirs, on their own ports). When this
# script installs packages and the machine has no /usr/sbin/policy-rc.d, it puts one in place for
# the duration of apt-get that denies service starts, so apt starts no daemons (and a container
# without an init system does not fail in the packages' postinst); it is removed afterwards.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# What the code, the tests and the native builds need, and why:
APT_PACKAGES=(
  postgresql mariadb-server mariadb-client   # pg_dump/pg_restore/initdb, mariadb-dump/mariadbd for real test servers
  rsync gzip                                 # copying with --link-dest, .sql.gz dumps
  e2fsprogs util-linux procps psmisc         # mkfs.ext4/losetup/mount/lsblk for loop-device disks, ps/pkill/fuser
  qt6-base-dev qt6-svg-dev                   # Qt 6 that @nodegui/nodegui is compiled against
  build-essential cmake ninja-build pkg-config  # compilers and cmake-js/node-gyp tooling
  libsecret-1-dev gnome-keyring libsecret-tools dbus-x11  # keytar build + Secret Service in tests
  xvfb trayer xdotool imagemagick x11-apps x11-utils  # headless tray tests: X server, tray host, clicks, screenshots, xdpyinfo/xwininfo
  samba smbclient                            # an SMB share to mirror onto in tests
  gocryptfs fuse3                            # encrypted mirrors on Linux (issue 8): cipher folder + FUSE mount, tested for real
  poppler-utils                              # pdftotext/pdftoppm: the tests read and screenshot the PDF reports (issue 14)
  desktop-file-utils                         # desktop-file-validate: the tests check the autostart and menu entries (issue 15)
  lintian dpkg-dev binutils                  # npm run package:deb: lintian checks the .deb, dpkg-shlibdeps computes Depends, strip (issue 15)
  firebird3.0-server firebird3.0-utils       # a real Firebird 3 server and gbak for the third database kind's tests (issue 16; test/helpers/firebird.ts)
  restic rclone openssh-server               # off-site copies (issue 17): restic itself; `rclone serve restic --append-only` and sshd as the tests' REST and SFTP repositories on 127.0.0.1
  acl attr                                   # setfacl/getfacl, setfattr/getfattr: the metadata-fidelity test builds and compares ACLs and xattrs (issue 19)
)

install_debian_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] || missing+=("$p")
  done
  if (( ${#missing[@]} == 0 )); then
    say "apt: all ${#APT_PACKAGES[@]} packages installed"
    return
  fi
  say "apt: missing ${missing[*]}"

  local sudo=()
  if (( EUID != 0 )); then
    if command -v sudo >/dev/null; then
      sudo=(sudo)
    else
      printf '[setup] Not root and no sudo. As root, run:\n  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y %s\nthen run this script again.\n' "${missing[*]}" >&2
      exit 1
    fi
  fi

  local policy=/usr/sbin/policy-rc.d added_policy=
  if [[ ! -e $policy ]]; then
    "${sudo[@]}" sh -c "printf '#!/bin/sh\n# temporary, from praxis-backup scripts/setup.sh: no service starts during apt-get\nexit 101\n' > $policy && chmod 755 $policy"
    added_policy=1
    # shellcheck disable=SC2064  # expand now: remove exactly what we added, even on failure
    trap "${sudo[*]} rm -f $policy" EXIT
  fi

  say "apt: apt-get update"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  say "apt: installing ${#missing[@]} packages"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null

  if [[ -n $added_policy ]]; then
    "${sudo[@]}" rm -f "$policy"
    trap - EXIT
  fi
}

print_macos_hint() {
  cat <<'EOF'
[setup] macOS: this script installs nothing system-wide. If something is missing, run:
          brew install rsync restic postgresql@16 mariadb cmake ninja pkg-config
          xcode-select --install          (compilers, if not there yet)
        NodeGui runs under qode on macOS (its supported runtime). build-native.sh lets
        @nodegui/nodegui and @nodegui/qode install as they intend (Qt, prebuilt addon and qode are
        downloaded; needs github.com and download.qt.io). qode then is
        node_modules/@nodegui/qode/binaries/qode; start the tray app with it, not with node.
EOF
}

case "$(uname -s)" in
  Linux)
    if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
      install_debian_packages
    else
      say "not a Debian-like system: install the equivalents of these yourself: ${APT_PACKAGES[*]}"
    fi
    ;;
  Darwin) print_macos_hint ;;
  *) die "unsupported system $(uname -s)" ;;
esac

command -v node >/dev/null || die "node is not installed (Node 20 or newer is needed)"
command -v npm >/dev/null || die "npm is not installed"

# npm packages: only when node_modules is missing or older than the lock file. --ignore-scripts
# keeps every dependency's install script from running (@nodegui/qode's postinstall would download
# from GitHub and fail the whole install); build-native.sh builds what needs building.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "npm ci"
  npm ci --ignore-scripts --no-audit --no-fund
else
  say "npm: node_modules up to date with package-lock.json"
fi

bash scripts/build-native.sh

say "npm run build"
npm run build --silent

version() { # name, command...: first line of the tool's version output, or "missing"
  local name=$1; shift
  if command -v "$1" >/dev/null; then
    printf '  %-13s %s\n' "$name" "$("$@" 2>&1 | head -n1)"
  else
    printf '  %-13s missing\n' "$name"
  fi
}
say "tools:"
version node node --version
version npm npm --version
version rsync rsync --version
version pg_dump pg_dump --version
version mariadb-dump mariadb-dump --version
say "done"
