/**
 * Node's timers hold a signed 32-bit millisecond count: a longer delay (a 429 `retry_after`
 * above 2,147,483 s) fires after 1 ms instead, which turns a wait into a hot loop. Every wait in
 * this channel goes through clampDelayMs.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function clampDelayMs(delayMs: number): number {
  if (Number.isNaN(delayMs) || delayMs <= 0) return 0;
  return Math.min(delayMs, MAX_TIMER_MS);
}

/** Resolves after delayMs (clamped), or early (without throwing) when the signal aborts. */
export function sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || delayMs <= 0) return resolve();
    const timer = setTimeout(done, clampDelayMs(delayMs));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The channel's stop, in two steps. `waits` aborts at once: no retry wait, rate-limit pause or
 * queue slot outlives stop(), however long Telegram asked us to wait. `requests` aborts after a
 * grace period: a send already on the wire is given the chance to be answered, because cutting
 * it may leave a message Telegram delivered but we never recorded (a duplicate after restart).
 */
export class Shutdown {
  private readonly waitsController = new AbortController();
  private readonly requestsController = new AbortController();

  get waits(): AbortSignal {
    return this.waitsController.signal;
  }

  get requests(): AbortSignal {
    return this.requestsController.signal;
  }

  get stopping(): boolean {
    return this.waitsController.signal.aborted;
  }

  begin(graceMs: number): void {
    if (this.stopping) return;
    this.waitsController.abort();
    const timer = setTimeout(() => this.requestsController.abort(), clampDelayMs(graceMs));
    timer.unref();
  }
}
