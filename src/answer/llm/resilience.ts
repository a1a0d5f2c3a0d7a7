/**
 * Keeping a slow or dead model endpoint from slowing the bot down: every call has a deadline,
 * transient failures are retried a bounded number of times with exponential backoff, and a
 * circuit breaker stops calling an endpoint that keeps failing. While the circuit is open the
 * generator answers "no LLM answer" at once and the extractive answer goes out unchanged.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed calls that open the circuit. */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call is let through. */
  openMs?: number;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAtMs = 0;
  private mode: CircuitState = 'closed';
  private probeInFlight = false;
  readonly failureThreshold: number;
  readonly openMs: number;
  private readonly now: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? 3);
    this.openMs = Math.max(0, options.openMs ?? 30_000);
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.mode === 'open' && this.now() - this.openedAtMs >= this.openMs) return 'half-open';
    return this.mode;
  }

  /**
   * May a call go out now? When the open period is over, exactly one caller gets a "probe"
   * ticket; everyone else keeps getting "no" until that probe succeeds or fails.
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probeInFlight) return false;
    this.mode = 'half-open';
    this.probeInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.mode = 'closed';
    this.probeInFlight = false;
  }

  onFailure(): void {
    this.failures++;
    const wasProbe = this.probeInFlight;
    this.probeInFlight = false;
    if (wasProbe || this.mode === 'half-open' || this.failures >= this.failureThreshold) {
      this.mode = 'open';
      this.openedAtMs = this.now();
    }
  }
}

export class CircuitOpenError extends Error {
  constructor() {
    super('circuit open: LLM endpoint skipped');
    this.name = 'CircuitOpenError';
  }
}

export class CallTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`LLM call timed out after ${timeoutMs} ms`);
    this.name = 'CallTimeoutError';
  }
}

export interface RetryOptions {
  /** Per-attempt deadline. */
  timeoutMs: number;
  /** Extra attempts after the first (bounded: transient errors only). */
  retries: number;
  /** First backoff; doubles per attempt, with jitter, capped by `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs?: number;
}

/** HTTP status of an error from the OpenAI SDK, the Ollama client or fetch, when it has one. */
export function errorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const record = err as Record<string, unknown>;
  for (const key of ['status', 'status_code', 'statusCode']) {
    const v = record[key];
    if (typeof v === 'number') return v;
  }
  const response = record.response;
  if (typeof response === 'object' && response !== null && typeof (response as Record<string, unknown>).status === 'number') {
    return (response as Record<string, number>).status;
  }
  return undefined;
}

/**
 * Worth another attempt: timeouts, refused or reset connections, 408/409/429 and 5xx. A 400 or
 * 401 will fail the same way again, so it is returned at once (it still counts as a failure
 * for the circuit: a misconfigured endpoint should not be asked on every question).
 */
export function isTransient(err: unknown): boolean {
  const status = errorStatus(err);
  if (status !== undefined) return status === 408 || status === 409 || status === 429 || status >= 500;
  return true;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` with a deadline per try. The signal is handed to the client so the HTTP request
 * is aborted too; the race makes the deadline hold even for a client that ignores the signal.
 */
export async function withRetries<T>(attempt: (signal: AbortSignal) => Promise<T>, options: RetryOptions): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i <= options.retries; i++) {
    if (i > 0) {
      const base = Math.min(options.backoffMs * 2 ** (i - 1), options.maxBackoffMs ?? 5_000);
      await sleep(base / 2 + Math.random() * (base / 2));
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new CallTimeoutError(options.timeoutMs));
        reject(new CallTimeoutError(options.timeoutMs));
      }, options.timeoutMs);
    });
    const work = attempt(controller.signal);
    // The losing side of the race must not surface later as an unhandled rejection.
    work.catch(() => undefined);
    deadline.catch(() => undefined);
    try {
      return await Promise.race([work, deadline]);
    } catch (err) {
      lastError = err;
      if (!isTransient(err)) break;
    } finally {
      clearTimeout(timer);
    }
  }
  throw lastError;
}
