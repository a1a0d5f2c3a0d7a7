/**
 * Capped exponential backoff with jitter. Jitter keeps several instances (or a restart loop)
 * from retrying in lockstep against an API that is already struggling.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** 0..1: fraction of each delay that is randomised. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
    this.random = options.random ?? Math.random;
  }

  /** Consecutive failures so far. */
  get failures(): number {
    return this.attempt;
  }

  /** Delay before the next attempt; each call counts one more failure. */
  nextDelayMs(minimumMs = 0): number {
    const raw = this.options.initialMs * this.factor ** this.attempt;
    this.attempt = Math.min(this.attempt + 1, 64);
    const capped = Math.min(raw, this.options.maxMs);
    const jittered = capped * (1 - this.jitter * this.random());
    return Math.max(Math.round(jittered), Math.min(minimumMs, this.options.maxMs));
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
