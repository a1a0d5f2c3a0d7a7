import type { Logger } from 'pino';

export interface BackgroundTaskOptions {
  logger?: Logger;
  /** Wait before the next try after a failure. */
  retryAfterMs: number;
  /** Give up after this many tries (housekeeping is a convenience). */
  maxAttempts?: number;
}

/**
 * Start-up housekeeping (command menus, webhook registration checks) that must never delay
 * answering: runs once in the background, and on failure again after `retryAfterMs`, until it
 * succeeds, gives up, or the channel stops. The signal aborts an attempt in flight on stop.
 */
export class BackgroundTask {
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private attempts = 0;
  private done = false;
  /** Settles when the current attempt ends (tests wait on it). */
  running: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly work: (signal: AbortSignal) => Promise<void>,
    private readonly options: BackgroundTaskOptions,
  ) {}

  get succeeded(): boolean {
    return this.done;
  }

  start(): void {
    this.running = this.attempt();
  }

  private async attempt(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.attempts++;
    try {
      await this.work(this.abort.signal);
      this.done = true;
      if (this.attempts > 1) this.options.logger?.info({ task: this.name, attempts: this.attempts }, 'background task succeeded');
    } catch (err) {
      if (this.abort.signal.aborted) return;
      const giveUp = this.attempts >= (this.options.maxAttempts ?? 10);
      this.options.logger?.warn(
        { task: this.name, attempt: this.attempts, err: err instanceof Error ? err.message : String(err), retryInMs: giveUp ? undefined : this.options.retryAfterMs },
        giveUp ? 'background task failed; giving up' : 'background task failed; will retry',
      );
      if (giveUp) return;
      this.timer = setTimeout(() => {
        this.running = this.attempt();
      }, this.options.retryAfterMs);
      this.timer.unref();
    }
  }

  stop(): void {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
  }
}
