import { BrokenCircuitError, CircuitState, createBreaker, withRetry, type CircuitBreakerPolicy } from '../../resilience.js';

/**
 * Keeping a slow or dead model endpoint from slowing the bot down, with the project's one
 * resilience module (src/resilience.ts, on cockatiel): every attempt has a deadline, transient
 * failures are retried a bounded number of times with jittered exponential backoff, and a
 * circuit breaker stops calling an endpoint that keeps failing. While the circuit is open the
 * generator has "no LLM answer" at once and the extractive answer goes out unchanged.
 */

export type LlmCircuitState = 'closed' | 'open' | 'half-open';

export interface LlmBreakerSettings {
  /** Consecutive failed calls (each after its retries) that open the circuit (default 3). */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call is let through (default 30 s). */
  openMs?: number;
}

export interface LlmCallOptions {
  /** Deadline of one attempt. */
  timeoutMs: number;
  /** Extra attempts after the first, for transient failures only. */
  retries: number;
  /** First backoff; doubles per attempt, with jitter, capped by `maxBackoffMs` (default 5 s). */
  backoffMs: number;
  maxBackoffMs?: number;
  /** A breaker shared with other callers of the same endpoint, or settings for a new one. */
  breaker?: CircuitBreakerPolicy | LlmBreakerSettings;
}

/** HTTP status of an error from the OpenAI SDK, the Ollama client or fetch, when it has one. */
export function errorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  for (const key of ['status', 'status_code', 'statusCode'] as const) {
    const v = (err as Partial<Record<typeof key, unknown>>)[key];
    if (typeof v === 'number') return v;
  }
  const response = (err as { response?: unknown }).response;
  if (typeof response === 'object' && response !== null) {
    const status = (response as { status?: unknown }).status;
    if (typeof status === 'number') return status;
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

const DEFAULT_FAILURE_THRESHOLD = 3;
const DEFAULT_OPEN_MS = 30_000;
const DEFAULT_MAX_BACKOFF_MS = 5_000;

/** One model call: breaker around retries around a deadline per attempt. */
export class LlmCallGuard {
  readonly breaker: CircuitBreakerPolicy;

  constructor(private readonly options: LlmCallOptions) {
    const b = options.breaker;
    this.breaker =
      b && 'execute' in b
        ? b
        : createBreaker({ failures: Math.max(1, b?.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD), halfOpenAfterMs: Math.max(0, b?.openMs ?? DEFAULT_OPEN_MS) });
  }

  get state(): LlmCircuitState {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'open';
    }
  }

  /**
   * Throws BrokenCircuitError at once while the circuit is open, and while a probe is out:
   * cockatiel would let later callers wait for the probe, and a question should not wait on an
   * endpoint that was just failing.
   */
  async run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.breaker.state === CircuitState.HalfOpen) throw new BrokenCircuitError();
    return this.breaker.execute(() =>
      withRetry(call, {
        maxAttempts: this.options.retries + 1,
        baseDelayMs: this.options.backoffMs,
        maxDelayMs: this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
        isRetryable: isTransient,
        attemptTimeoutMs: this.options.timeoutMs,
      }),
    );
  }
}

export { BrokenCircuitError };
