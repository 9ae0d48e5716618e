// What a test peer (the SMTP server, the HTTP recorder) has received, and a wait for it that
// resolves on arrival instead of a guessed sleep.

export class Arrivals<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();
  constructor(private readonly what: string) {}

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once at least n items arrived; rejects after timeoutMs (a hang guard, not a timing assertion). */
  waitFor(n: number, timeoutMs: number): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.items.length < n) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.items.slice());
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.what}: expected ${n}, got ${this.items.length} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
