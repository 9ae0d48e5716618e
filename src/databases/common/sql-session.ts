// A long-lived SQL client (psql, mariadb) fed statement by statement through its stdin, for the
// row counts taken beside a dump: the transaction must stay open while another child (pg_dump,
// mariadb-dump) runs, and its answers are needed before that child can start (the snapshot id).
// One process through the runner, so cancel, redaction and the process-group kill stay its job.
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { run, type CommandPlan, type RunResult } from '../../process/runner';

export class SqlSession {
  private readonly feed = new PassThrough();
  private readonly lines: string[] = [];
  private readonly stop = new AbortController();
  private waiters: (() => void)[] = [];
  private exited = false;
  private failure: unknown;
  private readonly finished: Promise<RunResult | undefined>;
  private readonly unlink: () => void;
  private readonly label: string;

  /** Starts the client. Aborting `signal` (the run's cancel) kills it like any other child. */
  constructor(plan: CommandPlan, signal: AbortSignal) {
    this.label = plan.label;
    const onAbort = () => this.stop.abort();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => signal.removeEventListener('abort', onAbort);
    this.finished = run(plan, {
      stdin: this.feed,
      signal: this.stop.signal,
      onStdoutLine: (l) => {
        this.lines.push(l);
        this.wake();
      },
    }).then(
      (r) => r,
      (e: unknown) => {
        this.failure = e;
        return undefined;
      },
    );
    void this.finished.then(() => {
      this.exited = true;
      this.unlink();
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Sends statements, then a marker query, and resolves with the output lines before the marker. */
  async query(statements: string): Promise<string[]> {
    const marker = `praxis-backup:${randomUUID()}`;
    this.feed.write(`${statements}\nSELECT '${marker}';\n`);
    for (;;) {
      const at = this.lines.indexOf(marker);
      if (at >= 0) return this.lines.splice(0, at + 1).slice(0, at);
      if (this.exited) {
        // The client stopped (ON_ERROR_STOP, a lost connection, a kill): the runner's error says why.
        throw this.failure ?? new Error(`${this.label} ended before answering`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends the last statements, closes stdin and waits for a clean exit. */
  async close(statements: string): Promise<void> {
    this.feed.end(`${statements}\n`);
    await this.finished;
    if (this.failure) throw this.failure;
  }

  /** Ends the client now (its open transaction is rolled back by the server). Never throws. */
  async kill(): Promise<void> {
    this.stop.abort();
    this.feed.end();
    await this.finished;
  }
}
