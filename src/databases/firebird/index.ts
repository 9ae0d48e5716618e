// Firebird (indamed MEDICAL OFFICE): gbak -b into <name>.fbk while the practice works, restored by
// the server itself beside the live database file and swapped in by renaming files (restore.ts),
// the scratch restore test in praxis_verify_<id>.fdb beside the live file (restore-test.ts).
// The password reaches the tools as ISC_USER / ISC_PASSWORD in their environment only: Firebird's
// tools read no password file (connection.ts).
import type { FirebirdComponent } from '../../config/schema';
import { t } from '../../i18n';
import { sq } from '../common/shell-quote';
import type { DatabaseKind } from '../contract';
import { firebirdDiscovery } from './discovery';
import { dumpFirebird, probeFirebird, type FbServerInfo } from './dump';
import { preflightFirebird, restoreFirebird } from './restore';
import { restoreTestFirebird } from './restore-test';
import { FB_TOOLS, MAC_BIN } from './tools';

export const firebirdKind: DatabaseKind<FirebirdComponent, FbServerInfo> = {
  id: 'firebird',
  types: ['firebird'],
  label: 'Firebird',
  labelFor: () => 'Firebird',
  defaults: { host: 'localhost', port: 3050, user: 'SYSDBA' },
  databaseIsPath: true,
  dumpFileName: (name) => `${name}.fbk`,
  tools: Object.values(FB_TOOLS),
  login: {
    means: { key: 'login.means.firebird', params: {} },
    toolFile: { key: 'login.toolFile.firebird', params: {} },
    ignored: (file) => ({ key: 'login.ignored.firebird', params: { file } }),
  },
  probe: probeFirebird,
  dump: dumpFirebird,
  preflight: preflightFirebird,
  restore: restoreFirebird,
  restoreTest: restoreTestFirebird,
  byHandSteps(lang, c, tools) {
    const gbak = tools === 'darwin' ? `${MAC_BIN}/gbak` : 'gbak';
    const target = sq(`localhost:${c.database ?? t(lang, 'sheet.firebird.databasePlaceholder')}`);
    return [{
      text: t(lang, 'sheet.step.firebird', { file: `${c.name}.fbk` }),
      code: `export ISC_USER=SYSDBA ISC_PASSWORD='${t(lang, 'sheet.firebird.passwordPlaceholder')}'\n${gbak} -c -v "$B/${c.name}.fbk" ${target}`,
    }];
  },
  discovery: firebirdDiscovery,
};
