#!/bin/sh
# /usr/bin/praxis-backup of the .deb: the command line program, run by the package's own Node
# runtime (Debian 12's nodejs is older than the Node 20 the app needs). `exec` so that signals
# (Ctrl-C, the tray's cancel) reach the program directly. The scheduler's units and the autostart
# entry do not go through this script: they name the runtime and dist/cli.js (dist/tray.js) directly.
exec /usr/lib/praxis-backup/bin/node /usr/lib/praxis-backup/dist/cli.js "$@"
