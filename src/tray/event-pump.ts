// Pumps Qt's events from Node's loop when NodeGui runs under plain Node (see qt-loader.ts): Qt's
// own loop never runs, so nothing is drawn and no click arrives unless processEvents() is called.
//
// Why adaptive: a 10 ms timer costs about 0.75 % of a core for an app that sits in the menu bar
// all day (nodegui-linux.md). While the admin interacts (menu open, a window shown) or a run is
// followed, 16 ms keeps the UI fluid; when nothing happens, 100 ms is still quick enough for a
// click on the tray icon to open the menu without a noticeable delay.
export interface Pumpable {
  processEvents(): void;
}

export const ACTIVE_MS = 16;
export const IDLE_MS = 100;

export class EventPump {
  private timer: NodeJS.Timeout | null = null;
  private interval = IDLE_MS;
  /** Reasons for the fast rate ("menu", "settings-window", "run"): fast while any is held. */
  private readonly holders = new Set<string>();

  constructor(private readonly app: Pumpable) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Switch to the fast rate while `reason` holds; release(reason) when it is over. */
  hold(reason: string): void {
    this.holders.add(reason);
    this.update();
  }

  release(reason: string): void {
    this.holders.delete(reason);
    this.update();
  }

  /** One turn now, outside the rhythm: hands Qt's queued requests (a tray icon just shown) to the X server at once. */
  processNow(): void {
    this.app.processEvents();
  }

  get currentIntervalMs(): number {
    return this.interval;
  }

  private update(): void {
    const want = this.holders.size ? ACTIVE_MS : IDLE_MS;
    if (want === this.interval && this.timer) return;
    this.interval = want;
    if (this.timer) this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.app.processEvents(), this.interval);
  }
}
