// NodeGui in a test process: a private Xvfb display, the qode shim, the addon, and the same
// adaptive event pump the app uses. Import @nodegui/nodegui only through this (dynamically, after
// startQt()), never statically in a test file: the shim must be loaded first.
import { prepareQt } from '../../src/tray/qt-loader';
import { EventPump } from '../../src/tray/event-pump';
import { startDisplay, type TestDisplay } from './display';
import { registerCleanup, runCleanups, waitUntil } from './temp';

export type NodeGui = typeof import('@nodegui/nodegui');

export interface TestQt {
  qt: NodeGui;
  display: TestDisplay;
  pump: EventPump;
  /** Let Qt process events for a while (layout, painting) before a screenshot or an assertion. */
  settle(ms?: number): Promise<void>;
  /** Lets Qt work until `check` holds; throws naming `what` after `ms`. */
  until(what: string, check: () => boolean, ms?: number): Promise<void>;
  /**
   * A real mouse click (xdotool), as the admin does it: in the middle of a button; on a checkbox's
   * box (its widget may be as wide as its column, but only the box and its text take a click).
   */
  click(widget: ClickableWidget): Promise<void>;
}

/** What click() needs of a widget (any QWidget). */
export interface ClickableWidget {
  mapToGlobal(p: any): { x(): number; y(): number };
  width(): number;
  height(): number;
  inherits(c: string): boolean;
  isEnabled?(): boolean;
  addEventListener?(signal: 'clicked', fn: () => void): void;
  removeEventListener?(signal: 'clicked', fn: () => void): void;
}

let current: TestQt | null = null;

/** One QApplication per process: the first call starts the display and loads Qt, later ones reuse it. */
export async function startQt(opts: { tray?: boolean } = {}): Promise<TestQt> {
  if (current) return current;
  const display = await startDisplay(opts);
  Object.assign(process.env, display.env);
  prepareQt();
  const qt: NodeGui = await import('@nodegui/nodegui');
  const app = qt.QApplication.instance();
  app.setQuitOnLastWindowClosed(false);
  const pump = new EventPump(app);
  pump.hold('test');
  pump.start();
  // The pump's timer keeps the process alive: call runCleanups() in the suite's after hook.
  registerCleanup(() => pump.stop(), { label: 'Qt event pump', sync: () => pump.stop() });
  const settle = async (ms = 300) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      app.processEvents();
      await new Promise((r) => setTimeout(r, 15));
    }
  };
  // Letting Node tear down on its own with Qt objects alive aborts in NodeGui's finalizers
  // ("terminate called after throwing an instance of 'Napi::Error'", exit 134), which the test
  // runner would count as a failure. So once the tests are done: clean up, then exit explicitly,
  // keeping uvu's exit code. (The app quits with process.exit too.)
  process.once('beforeExit', () => {
    void runCleanups().finally(() => process.exit(process.exitCode ?? 0));
  });
  const until = async (what: string, check: () => boolean, ms = 30_000) => {
    if (!(await waitUntil(async () => (await settle(50), check()), ms))) throw new Error(`timed out waiting for: ${what}`);
  };
  const click = async (widget: ClickableWidget) => {
    const x = widget.inherits('QCheckBox') ? 8 : Math.floor(widget.width() / 2);
    const p = widget.mapToGlobal(new qt.QPoint(x, Math.floor(widget.height() / 2)));
    // An enabled button says when the click arrived (its clicked signal): wait for that rather
    // than for a fixed time, which a loaded machine (Xvfb, Qt's event thread) can overrun.
    const button = widget.inherits('QAbstractButton') && widget.isEnabled?.() ? widget : null;
    let clicked = false;
    const onClicked = () => (clicked = true);
    button?.addEventListener?.('clicked', onClicked);
    try {
      await display.xdotool(['mousemove', String(p.x()), String(p.y()), 'click', '1']);
      if (button) await until('the click on the button', () => clicked, 60_000);
      await settle(150);
    } finally {
      try {
        button?.removeEventListener?.('clicked', onClicked);
      } catch {
        /* the click closed the window: the button is gone */
      }
    }
  };
  current = { qt, display, pump, settle, until, click };
  return current;
}
