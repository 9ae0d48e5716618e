#!/bin/sh
# The two launchers of Praxis-Backup.app; scripts/package-mac.sh copies this file twice and sets
# ENTRY in each copy:
#   Contents/MacOS/Praxis-Backup        ENTRY=tray.js  the bundle's CFBundleExecutable: what Finder,
#                                                      `open` and a login item start (the menu-bar app)
#   Contents/Resources/bin/praxis-backup ENTRY=cli.js  the command line with the bundle's runtime,
#                                                      e.g. .../praxis-backup schedule install
# (Not both in Contents/MacOS: APFS is case-insensitive by default, so Praxis-Backup and
# praxis-backup would be the same file.)
#
# Each replaces itself (exec) with the bundle's qode running dist/<ENTRY>, so the running program is
# Contents/MacOS/qode inside the bundle, and the tray spawns the CLI with that same qode
# (process.execPath): a schedule installed from the tray or with this CLI runs Contents/MacOS/qode +
# Contents/Resources/app/dist/cli.js, the binary that gets Full Disk Access.
#
# Why a script and not qode.json: qode's own start-file mechanism (qode.json "distPath") appends
# "--require <file>" to NODE_OPTIONS, which every child inherits, so each CLI the tray starts would
# load the tray again.
ENTRY=tray.js

# A symlink (/usr/local/bin/praxis-backup -> here) is followed to the bundle; macOS's sh has
# readlink without -f, hence the loop.
self=$0
while [ -L "$self" ]; do
  target=$(readlink "$self")
  case $target in
    /*) self=$target ;;
    *) self=$(dirname "$self")/$target ;;
  esac
done
# Contents/ of this bundle from either place (MacOS/ or Resources/bin/): the shortest suffix
# "/Contents/…" is cut, so a path with another "/Contents/" further up still works.
dir=$(cd "$(dirname "$self")" && pwd -P)
contents=${dir%/Contents/*}/Contents
exec "$contents/MacOS/qode" "$contents/Resources/app/dist/$ENTRY" "$@"
