// The baseline of bench/tray-bench.ts: the least a NodeGui tray icon can be under plain Node here —
// the qode shim, the addon, one QSystemTrayIcon with a one-entry menu, Qt pumped every 10 ms.
// Plain JavaScript (no tsx) so that its start-up is not slowed by a loader the app does not use.
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const shim = { exports: {} };
process.dlopen(shim, fileURLToPath(new URL('../build/native/qode-shim.node', import.meta.url)), constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL);
const qt = createRequire(import.meta.url)('@nodegui/nodegui');
const app = qt.QApplication.instance();
app.setQuitOnLastWindowClosed(false);
const tray = new qt.QSystemTrayIcon();
tray.setIcon(new qt.QIcon(fileURLToPath(new URL('../assets/tray/ok.png', import.meta.url))));
const menu = new qt.QMenu();
const action = new qt.QAction();
action.setText('Backup jetzt');
menu.addAction(action);
tray.setContextMenu(menu);
tray.show();
globalThis.keep = { tray, menu, action };
setInterval(() => app.processEvents(), 10);
process.on('SIGTERM', () => process.exit(0));
