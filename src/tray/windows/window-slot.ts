// The life of a tray window, shared by the log and restore windows: built on first show (widgets
// cost memory a menu-bar app does not need all day), the event pump held fast while it is open,
// raised when shown again, and let go — pump, timers, state — when it closes, whether the window
// manager, its own button or the code closed it.
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon.
import { WidgetEventTypes, type QWidget } from '@nodegui/nodegui';
import type { EventPump } from '../event-pump';

export interface WindowSlotOptions<P> {
  pump?: Pick<EventPump, 'hold' | 'release'>;
  /** The pump's hold reason (one per window). */
  reason: string;
  build(): P;
  /** After building, before the window shows: start what runs while it is open. */
  opened?(parts: P): void;
  /** After its Close event: stop what `opened` started. */
  closed(parts: P): void;
}

export class WindowSlot<P extends { window: QWidget }> {
  private current: P | null = null;

  constructor(private readonly o: WindowSlotOptions<P>) {}

  /** The widgets while open, else null. */
  get parts(): P | null {
    return this.current;
  }

  /** Builds the window if it is not open, then shows and raises it. */
  show(): P {
    let p = this.current;
    if (!p) {
      const built = this.o.build();
      built.window.addEventListener(WidgetEventTypes.Close, () => this.release(built));
      this.current = p = built;
      this.o.pump?.hold(this.o.reason);
      this.o.opened?.(built);
    }
    p.window.show();
    p.window.raise();
    p.window.activateWindow();
    return p;
  }

  close(): void {
    this.current?.window.close();
  }

  private release(p: P): void {
    if (this.current !== p) return;
    this.current = null;
    this.o.pump?.release(this.o.reason);
    this.o.closed(p);
  }
}
