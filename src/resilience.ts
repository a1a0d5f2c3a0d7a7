import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  type CircuitBreakerPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';

/**
 * One resilience vocabulary for every outbound call (Bot APIs, file downloads, the LLM path):
 * retries with jittered exponential backoff on cockatiel, a server-imposed wait (Telegram's 429
 * `retry_after`) taking precedence over the computed one, an optional deadline per attempt, and
 * an optional circuit breaker that fails fast while a dependency is down.
 */

export interface RetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Which failures are worth another attempt (5xx, 429, network); others are thrown at once. */
  isRetryable: (err: Error) => boolean;
  /** A wait the server asked for; it replaces the backoff for that attempt. */
  serverDelayMs?: (err: Error) => number | undefined;
  onRetry?: (info: { err: Error; attempt: number; delayMs: number }) => void;
  /** Tests pass a fixed source; production uses Math.random. */
  random?: () => number;
  /**
   * Deadline of one attempt. The attempt's signal is aborted, and the attempt is abandoned even
   * when the callee ignores its signal; it fails with CallTimeoutError (retryable if
   * `isRetryable` says so).
   */
  attemptTimeoutMs?: number;
}

export class CallTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`call timed out after ${timeoutMs} ms`);
    this.name = 'CallTimeoutError';
  }
}

/** `fn` under a deadline; a parent abort stays an abort, only the deadline becomes CallTimeoutError. */
function withDeadline<T>(fn: (signal: AbortSignal) => Promise<T>, timeoutMs: number | undefined): (signal: AbortSignal) => Promise<T> {
  if (timeoutMs === undefined) return fn;
  const policy = timeout(timeoutMs, TimeoutStrategy.Aggressive);
  return async (parent) => {
    try {
      return await policy.execute(({ signal }) => fn(signal), parent);
    } catch (err) {
      if (err instanceof TaskCancelledError && !parent.aborted) throw new CallTimeoutError(timeoutMs);
      throw err;
    }
  };
}

/** "Full jitter": uniform in [base·2^(n-1) / 2, base·2^(n-1)], capped; spreads retries of many callers. */
export function jitteredBackoffMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export class RetryAborted extends Error {
  constructor() {
    super('retry aborted');
    this.name = 'RetryAborted';
  }
}

/** Runs `fn` with retries; the signal aborts both the attempt and the wait between attempts. */
export async function withRetry<T>(fn: (signal: AbortSignal) => Promise<T>, options: RetryOptions, signal?: AbortSignal): Promise<T> {
  const random = options.random ?? Math.random;
  const guarded = withDeadline(fn, options.attemptTimeoutMs);
  const delayFor = (ctx: IRetryBackoffContext<unknown>): number => {
    const err = 'error' in ctx.result ? ctx.result.error : undefined;
    const server = err ? options.serverDelayMs?.(err) : undefined;
    return server ?? jitteredBackoffMs(ctx.attempt, options.baseDelayMs, options.maxDelayMs, random);
  };
  const policy = retry(
    handleWhen((err) => options.isRetryable(err)),
    { maxAttempts: Math.max(0, options.maxAttempts - 1), backoff: new DelegateBackoff(delayFor) },
  );
  let attempt = 0;
  const listener = policy.onRetry((reason) => {
    attempt++;
    if ('error' in reason) options.onRetry?.({ err: reason.error, attempt, delayMs: reason.delay });
  });
  // cockatiel's wait between attempts does not end on abort; race it, and refuse further attempts.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new RetryAborted());
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const run = policy.execute(({ signal: attemptSignal }) => {
    if (signal?.aborted) throw new RetryAborted();
    return guarded(attemptSignal);
  }, signal);
  run.catch(() => undefined);
  try {
    return await Promise.race([run, aborted]);
  } catch (err) {
    if (err instanceof TaskCancelledError || signal?.aborted) throw new RetryAborted();
    throw err;
  } finally {
    listener.dispose();
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs: number;
  isFailure?: (err: Error) => boolean;
}

/** A circuit breaker: after `failures` consecutive failures, calls fail fast with BrokenCircuitError. */
export function createBreaker(options: BreakerOptions): CircuitBreakerPolicy {
  return circuitBreaker(handleWhen(options.isFailure ?? (() => true)), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.failures),
  });
}

export { BrokenCircuitError, CircuitState, type CircuitBreakerPolicy };
