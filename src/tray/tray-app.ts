// The menu-bar icon and its menu: renders the Qt-free model (model/tray-state.ts) and forwards
// clicks. Everything the admin sees comes from trayView(); everything a click does is either the
// CLI (RunLauncher) or one of the windows. No engine logic here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QAction, QCursor, QIcon, QMenu, QPoint, QSystemTrayIcon, QSystemTrayIconActivationReason } from '@nodegui/nodegui';
import { FULL_DISK_ACCESS_PANE, type App } from '../app/compose';
import { claimAndSendFindings, findingsPorts, type FindingsPorts } from '../alerting/findings-notify';
import { undeliveredSince } from '../alerting/undelivered';
import { isRotation, type Config } from '../config/schema';
import { computeAlerts, missedReasonFrom, type Alert, type MissedReason } from '../alerting/alert-rules';
import { render, t, type Lang } from '../i18n';
import type { EventPump } from './event-pump';
import { finishNotification, notificationFor, type TrayNotification } from './model/notifications';
import { applyEvent, type CliEvent } from './model/run-events';
import { trayView, type MenuAction, type MenuEntry, type OwnRun, type TrayIconState, type TrayView } from './model/tray-state';
import { CommandError, run } from '../process/runner';
import { RunLauncher, type RunExit } from './run-launcher';
import { StatusWatcher, type Snapshot } from './status-watcher';
import { findManual } from './manual-path';
import { findTrayAssets } from './install-files';
import { traceTo } from './trace-file';
import type { Autostart } from '../autostart/autostart';
import { createAutostart } from '../autostart/create-autostart';
// The windows load on first use: most days nobody opens them, and the menu bar app stays smaller.
import type { CredentialsPopover } from './windows/credentials-popover';
import type { LogWindow } from './windows/log-window';
import type { RestoreWindow } from './windows/restore-window';
import type { SettingsWindow } from './windows/settings-window';
import type { DocumentExportWindow } from './windows/document-export-window';
import type { SetupWindow } from './windows/setup-window';

export interface TrayAppOptions {
  app: App;
  configFile: string;
  lang: Lang;
  pump: EventPump;
  cli: string;
  /** Test seam: every rendered view, notification and click as JSON lines (PRAXIS_BACKUP_TRAY_TRACE). */
  traceFile?: string;
  /** The icon, already shown with the neutral image by start.ts before this module was loaded. */
  tray: QSystemTrayIcon;
}

const NOTIFY_MS = 15_000;

export class TrayApp {
  private readonly tray: QSystemTrayIcon;
  private readonly menu = new QMenu();
  /** Qt must not lose these while they are shown: JS owns the wrappers. */
  private actions: QAction[] = [];
  private entries: MenuEntry[] = [];
  private readonly icons = new Map<string, QIcon>();
  private readonly assets = findTrayAssets();
  private readonly launcher: RunLauncher;
  private readonly watcher: StatusWatcher;
  private own: (OwnRun & { components?: string[]; done?: number }) | null = null;
  private snapshot: Snapshot | null = null;
  private fullDiskAccessDenied = false;
  private missedReason: MissedReason | undefined;
  /** Notices waiting in the outbox for over a day (issue 14): a finding of its own. */
  private undelivered: { count: number; since: Date } | null = null;
  private ports: { config: Config; ports: FindingsPorts } | null = null;
  private lastSchedulerCheck = 0;
  /** UUIDs of the disks attached now, for a rotating set's lines (undefined: not listed, or no set configured). */
  private attachedDisks: string[] | undefined;
  private menuOpen = false;
  /** False until the first read of config and status: no menu yet, so nothing acts on what is not known. */
  private loaded = false;
  private lastIconFile = '';
  private settings: SettingsWindow | null = null;
  private log: LogWindow | null = null;
  private credentials: CredentialsPopover | null = null;
  private restore: RestoreWindow | null = null;
  private exports: Partial<Record<'exportReport' | 'concept', DocumentExportWindow>> = {};
  private setup: SetupWindow | null = null;
  /** Reads only whether the login starts this app; changing it goes through the CLI (toggleAutostart). */
  private readonly autostart: Autostart;

  private readonly traceLine: (entry: Record<string, unknown>) => void;

  constructor(private readonly o: TrayAppOptions) {
    this.tray = o.tray;
    this.traceLine = traceTo(o.traceFile);
    this.launcher = new RunLauncher({ node: process.execPath, cli: o.cli, configFile: o.configFile, lang: o.lang });
    this.autostart = createAutostart(o.app.platform);
    this.watcher = new StatusWatcher({
      status: o.app.status,
      configFile: o.configFile,
      onChange: (s) => {
        this.snapshot = s;
        this.update();
        void this.notifyAlerts().catch(() => {});
        void this.listAttachedDisks();
      },
    });
  }

  /** The icon is up (start.ts); now config, status and disks are read and draw the real state. */
  async start(): Promise<void> {
    this.menu.addEventListener('aboutToShow', () => {
      this.menuOpen = true;
      this.o.pump.hold('menu');
      this.rebuildMenu();
      void this.listAttachedDisks(); // a disk plugged in since: its line follows in the open menu
    });
    this.menu.addEventListener('aboutToHide', () => {
      this.menuOpen = false;
      this.o.pump.release('menu');
    });
    // macOS opens the context menu on any click; Linux trays only on a right click. The admin clicks left.
    if (this.o.app.platform === 'linux') {
      this.tray.addEventListener('activated', (reason) => {
        if (reason === QSystemTrayIconActivationReason.Trigger && this.loaded) {
          const p = new QCursor().pos();
          this.menu.popup(new QPoint(p.x, p.y));
        }
      });
    }
    this.snapshot = await this.watcher.start();
    this.update();
    // Only now a menu: before the first read it could only offer actions on a state nobody knows.
    this.loaded = true;
    this.tray.setContextMenu(this.menu);
    void this.listAttachedDisks();
    // The first start without a config: the first-run assistant instead of a menu that can do nothing (issue 15).
    const firstStart = !existsSync(this.o.configFile);
    this.trace({ t: 'ready', ms: Math.round(performance.now()), firstStart });
    if (firstStart) void this.openWindow('setup').catch((e: unknown) => this.trace({ t: 'window-error', action: 'setup', message: String((e as Error)?.message ?? e) }));
    if (this.o.app.platform === 'darwin') void this.checkFullDiskAccess();
  }

  /**
   * Which disks are attached, when the config has a rotating set (a listing costs an lsblk/diskutil
   * call, so only then): „zu Hause“ or „angeschlossen“ in the menu comes from here, not from when
   * a run last saw the disk. A failed listing leaves the place unsaid.
   */
  private async listAttachedDisks(): Promise<void> {
    if (!this.snapshot?.config?.mirrors?.some(isRotation)) {
      this.attachedDisks = undefined;
      return;
    }
    const found = await this.o.app
      .volumes()
      .list()
      .then((vs) => vs.flatMap((v) => (v.uuid ? [v.uuid.toLowerCase()] : [])).sort(), () => undefined);
    if (found?.join() === this.attachedDisks?.join()) return;
    this.attachedDisks = found;
    this.update();
  }

  private alerts(): Alert[] {
    const s = this.snapshot;
    if (!s?.config) return [];
    return computeAlerts({ config: s.config, status: s.status, now: this.o.app.now(), missedReason: this.missedReason });
  }

  /** One deliverer per config the tray has loaded (its outbox serves every notice it sends). */
  private findingsPorts(config: Config): FindingsPorts {
    if (this.ports?.config !== config) this.ports = { config, ports: findingsPorts(this.o.app, config) };
    return this.ports.ports;
  }

  /**
   * Old or broken backups and missed nights: one notification a day per problem (the status file
   * remembers what was said, shared with scheduled runs). The scheduler is asked every 30 minutes
   * why a night may have been missed. What the tray claims also leaves the machine through the
   * configured channels (issue 14), and so do the weekly summary and the monthly report when due:
   * the tray is often the first to look.
   */
  private async notifyAlerts(): Promise<void> {
    if (!this.snapshot?.config) return;
    if (this.snapshot.config.schedule && Date.now() - this.lastSchedulerCheck > 30 * 60_000) {
      this.lastSchedulerCheck = Date.now();
      this.missedReason = await this.o.app.scheduler().status().then(missedReasonFrom, () => undefined);
    }
    const config = this.snapshot.config;
    const due = await claimAndSendFindings(this.findingsPorts(config), config, this.alerts(), { alerts: true });
    const waiting = undeliveredSince(this.o.app);
    if (waiting?.since.getTime() !== this.undelivered?.since.getTime() || waiting?.count !== this.undelivered?.count) {
      this.undelivered = waiting;
      this.update();
    }
    if (!due.length) return;
    const error = due.some((a) => a.severity === 'error');
    this.notify({ title: t(this.o.lang, 'alert.notify.title'), body: due.map((a) => render(this.o.lang, a.message)).join('\n'), level: error ? 'error' : 'warning' });
  }

  /** Current view from the current inputs. */
  view(): TrayView {
    const s = this.snapshot;
    return trayView({
      alerts: this.alerts(),
      lang: this.o.lang,
      now: new Date(),
      status: s?.status ?? { version: 1, running: null, destinations: {} },
      config: s?.config ?? null,
      configProblem: s?.configProblem,
      ownRun: this.own,
      fullDiskAccessDenied: this.fullDiskAccessDenied || s?.status.fullDiskAccess?.status === 'denied',
      undelivered: this.undelivered,
      restoreAvailable: true,
      autostart: this.autostart.isInstalled(),
      attachedDisks: this.attachedDisks,
    });
  }

  private update(): void {
    const v = this.view();
    this.setIcon(v.icon, v.percent);
    this.tray.setToolTip(v.tooltip);
    // An open menu follows the run: same entries → new texts in place; else rebuilt.
    if (this.menuOpen) this.refreshOpenMenu(v);
    this.trace({ t: 'view', icon: v.icon, percent: v.percent, tooltip: v.tooltip, menu: v.menu });
  }

  private iconFile(state: TrayIconState, percent?: number): string {
    const step = state === 'running' ? `running-${Math.max(0, Math.min(8, Math.floor(((percent ?? 0) / 100) * 8)))}` : state;
    // macOS: template images (black + alpha) that the menu bar tints for light and dark mode.
    return join(this.assets, this.o.app.platform === 'darwin' ? `${step}-template.png` : `${step}.png`);
  }

  private setIcon(state: TrayIconState, percent?: number): void {
    const file = this.iconFile(state, percent);
    if (file === this.lastIconFile) return;
    this.lastIconFile = file;
    let icon = this.icons.get(file);
    if (!icon) {
      icon = new QIcon(file);
      if (this.o.app.platform === 'darwin') icon.setIsMask(true);
      this.icons.set(file, icon);
    }
    this.tray.setIcon(icon);
    this.trace({ t: 'icon', state, file: file.slice(this.assets.length + 1) });
  }

  private rebuildMenu(): void {
    const v = this.view();
    this.menu.clear();
    this.actions = [];
    this.entries = v.menu;
    for (const e of v.menu) {
      if (e.kind === 'separator') {
        this.actions.push(this.menu.addSeparator());
        continue;
      }
      const a = new QAction();
      a.setText(e.kind === 'info' ? infoText(e) : e.text);
      if (e.kind === 'info') a.setEnabled(false);
      else {
        a.setEnabled(e.enabled);
        if (e.checked !== undefined) {
          a.setCheckable(true);
          a.setChecked(e.checked);
        }
        const action = e.action;
        const arg = e.arg;
        a.addEventListener('triggered', () => this.onAction(action, arg));
      }
      this.menu.addAction(a);
      this.actions.push(a);
    }
    this.trace({ t: 'menu', menu: v.menu });
  }

  private refreshOpenMenu(v: TrayView): void {
    const shape = (m: MenuEntry[]) => m.map((e) => (e.kind === 'info' ? `i:${e.id}` : e.kind === 'action' ? `a:${e.action}:${e.arg ?? ''}` : '-')).join('|');
    if (shape(v.menu) !== shape(this.entries)) {
      this.rebuildMenu();
      return;
    }
    v.menu.forEach((e, i) => {
      const a = this.actions[i];
      if (!a || e.kind === 'separator') return;
      a.setText(e.kind === 'info' ? infoText(e) : e.text);
      if (e.kind === 'action') a.setEnabled(e.enabled);
      if (e.kind === 'action' && e.checked !== undefined) a.setChecked(e.checked);
    });
    this.entries = v.menu;
  }

  private onAction(action: MenuAction, arg?: string): void {
    this.trace({ t: 'action', action, arg });
    switch (action) {
      case 'backupNow':
        return this.backupNow();
      case 'cancel':
        return this.cancel();
      case 'showLog':
      case 'credentials':
      case 'settings':
      case 'restore':
      case 'exportReport':
      case 'concept':
      case 'setup':
        void this.openWindow(action).catch((e: unknown) => this.trace({ t: 'window-error', action, message: String((e as Error)?.message ?? e) }));
        return;
      case 'fullDiskAccess':
        void this.o.app.openExternal(FULL_DISK_ACCESS_PANE).catch(() => {});
        return;
      case 'help':
        void this.openHelp();
        return;
      case 'autostart':
        void this.toggleAutostart();
        return;
      case 'emergencySheet':
        if (arg) void this.emergencySheet(arg);
        return;
      case 'quit':
        // A run started from here goes on (the runner lets it outlive us); its result lands in the status file.
        this.tray.hide();
        process.exit(0);
    }
  }

  private async openWindow(which: 'showLog' | 'credentials' | 'settings' | 'restore' | 'exportReport' | 'concept' | 'setup'): Promise<void> {
    const deps = { app: this.o.app, configFile: this.o.configFile, lang: this.o.lang, pump: this.o.pump };
    if (which === 'setup') {
      if (!this.setup) {
        const [{ SetupWindow }, { createDiscovery, parseProbeTarget }, { discoveryExtrasFromEnv }] = await Promise.all([
          import('./windows/setup-window'),
          import('../setup-assistant/discover/create-discovery'),
          import('./model/setup-form'),
        ]);
        const discovery = createDiscovery({ platform: this.o.app.platform, tools: this.o.app.tools, volumes: this.o.app.volumes(), extra: discoveryExtrasFromEnv(process.env, parseProbeTarget) });
        this.setup = new SetupWindow({ ...deps, cli: this.o.cli, discovery, trace: (e) => this.trace(e), emergencySheet: (name) => void this.emergencySheet(name) });
        // The CLI wrote the config: the menu can now back up.
        this.setup.onConfigured = () => void this.watcher.refresh();
      }
      this.setup.show();
    } else if (which === 'showLog') {
      this.log ??= new (await import('./windows/log-window')).LogWindow(deps);
      this.log.show();
    } else if (which === 'credentials') {
      // Under the tray icon: where the admin just clicked.
      const p = new QCursor().pos();
      this.credentials ??= new (await import('./windows/credentials-popover')).CredentialsPopover(deps);
      this.credentials.showAt({ x: p.x, y: p.y });
    } else if (which === 'exportReport' || which === 'concept') {
      // The CLI writes the PDF (report --month / concept); the window picks month and place and opens the file.
      const kind = which === 'exportReport' ? 'report' : 'concept';
      const win = (this.exports[which] ??= new (await import('./windows/document-export-window')).DocumentExportWindow({ ...deps, kind, cli: this.o.cli }));
      win.show();
    } else if (which === 'restore') {
      if (!this.restore) {
        this.restore = new (await import('./windows/restore-window')).RestoreWindow({ ...deps, cli: this.o.cli });
        // A restore changes what the menu should say (its safety backup, the restored state).
        this.restore.onClosed = () => void this.watcher.refresh();
      }
      this.restore.show();
    } else {
      if (!this.settings) {
        this.settings = new (await import('./windows/settings-window')).SettingsWindow({ ...deps, cli: this.o.cli });
        this.settings.onClosed = () => void this.watcher.refresh();
      }
      this.settings.show();
    }
    this.trace({ t: 'window', which });
  }

  /**
   * The CLI writes the sheet (it holds the logic and reads the passphrase from the store); the
   * tray opens the file so the admin can print it. The passphrase never passes through the tray.
   */
  private async emergencySheet(mirror: string): Promise<void> {
    const lines: string[] = [];
    try {
      await run(
        { label: 'praxis-backup emergency-sheet', file: process.execPath, args: [this.o.cli, 'emergency-sheet', mirror, '--json', '--config', this.o.configFile], env: { PRAXIS_BACKUP_LANG: this.o.lang }, inheritSecrets: true, timeoutMs: 60_000 },
        { onStdoutLine: (l) => lines.push(l) },
      );
      const file = (JSON.parse(lines.filter((l) => l.startsWith('{')).at(-1) ?? '{}') as { file?: string }).file;
      if (!file) throw new Error('no file');
      // No opener (a server without a desktop, where the sheet lands in the state dir): the sheet
      // is written all the same; the notification must then not say it was opened.
      const opened = await this.o.app.openExternal(file).then(() => true, () => false);
      this.notify({ title: t(this.o.lang, 'tray.sheet.title'), body: t(this.o.lang, opened ? 'tray.sheet.done' : 'sheet.cli.written', { file }), level: 'info' });
    } catch (e) {
      const reason = e instanceof CommandError ? e.stderrTail.filter(Boolean).at(-1) ?? e.message : String((e as Error)?.message ?? e);
      this.notify({ title: t(this.o.lang, 'tray.sheet.title'), body: t(this.o.lang, 'tray.sheet.failed', { reason }), level: 'error' });
    }
  }

  /**
   * „Bei Anmeldung starten“: `tray install` or `tray remove --keep-running` through the CLI, as a
   * terminal would (one code path, and the CLI's own message if it fails). --keep-running: on macOS a
   * bootout would end this very app. The check mark is read back from the file, not assumed.
   */
  private async toggleAutostart(): Promise<void> {
    const args = this.autostart.isInstalled() ? ['tray', 'remove', '--keep-running'] : ['tray', 'install', '--config', this.o.configFile];
    const lines: string[] = [];
    try {
      await run(
        { label: `praxis-backup ${args.slice(0, 2).join(' ')}`, file: process.execPath, args: [this.o.cli, ...args], env: { PRAXIS_BACKUP_LANG: this.o.lang }, okExitCodes: [0, 3], timeoutMs: 120_000 },
        { onStdoutLine: (l) => lines.push(l) },
      );
    } catch (e) {
      const reason = e instanceof CommandError ? e.stderrTail.filter(Boolean).at(-1) ?? e.message : String((e as Error)?.message ?? e);
      this.notify({ title: t(this.o.lang, 'tray.action.autostart'), body: reason, level: 'error' });
    }
    this.trace({ t: 'autostart', installed: this.autostart.isInstalled(), output: lines });
    this.update();
  }

  /** Opens the handbook with the desktop's opener; if that fails, the notification names the file. */
  private async openHelp(): Promise<void> {
    const file = findManual(this.o.lang);
    const failed = (reason: string) =>
      this.notify({ title: t(this.o.lang, 'tray.action.help').replace(/…$/, ''), body: t(this.o.lang, 'tray.help.failed', { reason, file: file ?? 'docs/' }), level: 'warning' });
    if (!file) return failed('docs/ not found');
    await this.o.app.openExternal(file).catch((e: unknown) => failed(String((e as Error)?.message ?? e)));
  }

  private backupNow(): void {
    if (!this.snapshot?.config) {
      this.onAction('settings');
      return;
    }
    this.own = { startedAt: new Date().toISOString(), phase: 'start' };
    const started = this.launcher.start({
      onEvent: (e) => this.onRunEvent(e),
      onExit: (exit) => this.onRunExit(exit),
    });
    if (!started) return;
    this.o.pump.hold('run');
    this.update();
  }

  private cancel(): void {
    if (this.launcher.running) {
      if (this.own) this.own = { ...this.own, cancelling: true };
      this.launcher.cancel();
    } else {
      const pid = this.snapshot?.status.running?.pid;
      if (pid) RunLauncher.cancelOther(pid);
    }
    this.update();
  }

  private onRunEvent(e: CliEvent): void {
    if (this.own) this.own = { ...applyEvent(this.own, e), cancelling: this.own.cancelling };
    const n = notificationFor(this.o.lang, e);
    if (n) this.notify(n);
    if (e.type !== 'log') this.update();
  }

  private onRunExit(exit: RunExit): void {
    this.own = null;
    this.o.pump.release('run');
    if (exit.startError && !exit.summary) {
      this.notify({ title: t(this.o.lang, 'tray.notify.failed.title'), body: t(this.o.lang, 'tray.notify.startFailed', { reason: exit.startError }), level: 'error' });
    } else {
      this.notify(finishNotification(this.o.lang, exit.summary, exit));
    }
    this.trace({ t: 'run-exit', exitCode: exit.exitCode, signal: exit.signal, result: exit.summary?.result ?? null });
    void this.watcher.refresh().catch(() => {});
  }

  private notify(n: TrayNotification): void {
    const icon = this.icons.get(this.iconFile(n.level === 'error' ? 'error' : n.level === 'warning' ? 'warning' : 'ok')) ?? new QIcon(this.iconFile(n.level === 'error' ? 'error' : n.level === 'warning' ? 'warning' : 'ok'));
    this.tray.showMessage(n.title, n.body, icon, NOTIFY_MS);
    this.trace({ t: 'notify', ...n });
  }

  private async checkFullDiskAccess(): Promise<void> {
    const fda = await this.o.app.fullDiskAccess().catch(() => null);
    this.fullDiskAccessDenied = fda?.status === 'denied';
    this.update();
  }

  private trace(obj: Record<string, unknown>): void {
    this.traceLine(obj);
  }
}

/** Menu lines cannot be coloured in a native menu: a sign in front says the tone. */
function infoText(e: Extract<MenuEntry, { kind: 'info' }>): string {
  return e.tone === 'error' ? `✗ ${e.text}` : e.tone === 'warning' ? `⚠ ${e.text}` : e.text;
}
