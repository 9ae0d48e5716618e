// systemctl and loginctl as stand-ins first in PATH (this machine has no systemd): they answer as
// the real ones would and log each call's argv to calls.log beside them, so a test can see what
// `schedule install` / `init` asked of systemd (as test/schedule/linger-cli.test.ts does).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SystemdStandIns {
  /** Put first in PATH. */
  bin: string;
  /** One line per call: "systemctl --user enable --now praxis-backup.timer". */
  callsLog: string;
}

/**
 * `linger: 'yes'`: logind says the user lingers already. `'no'`: it says Linger=no until
 * `loginctl enable-linger` was called, then yes — so a test sees that lingering was requested.
 */
export function systemdStandIns(dir: string, opts: { linger?: 'yes' | 'no' } = {}): SystemdStandIns {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const linger = opts.linger ?? 'yes';
  const script = `#!/bin/sh
here="$(dirname "$0")"
echo "$(basename "$0") $*" >> "$here/calls.log"
case "$(basename "$0")" in
systemctl) case " $* " in *" show "*) printf 'LoadState=loaded\\nActiveState=active\\nUnitFileState=enabled\\n' ;; esac; exit 0 ;;
loginctl) case " $* " in
  *" show-user "*) if [ "${linger}" = yes ] || [ -e "$here/lingering" ]; then echo Linger=yes; else echo Linger=no; fi; exit 0 ;;
  *" enable-linger "*) : > "$here/lingering"; exit 0 ;;
  esac; exit 0 ;;
esac
exit 64
`;
  for (const tool of ['systemctl', 'loginctl']) {
    writeFileSync(join(bin, tool), script);
    chmodSync(join(bin, tool), 0o755);
  }
  return { bin, callsLog: join(bin, 'calls.log') };
}
