/**
 * The polling loop's failure streak. The delay formula is the shared resilience module's
 * (jittered exponential, capped), so Zalo, Telegram and downloads back off alike; the poller only
 * keeps the count, because it is a loop that must run for ever rather than one call to retry.
 */

import { jitteredBackoffMs } from '../shared/resilience.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** Consecutive failures so far. */
  get failures(): number {
    return this.attempt;
  }

  /** Delay before the next attempt; each call counts one more failure. */
  nextDelayMs(minimumMs = 0): number {
    this.attempt = Math.min(this.attempt + 1, 64);
    const delayMs = jitteredBackoffMs(this.attempt, this.options.initialMs, this.options.maxMs, this.options.random);
    return Math.max(delayMs, Math.min(minimumMs, this.options.maxMs));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
