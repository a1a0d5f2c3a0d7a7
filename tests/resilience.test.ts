import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokenCircuitError, CallTimeoutError, RetryAborted, createBreaker, jitteredBackoffMs, withRetry } from '../src/resilience.js';

class Transient extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('transient');
  }
}

const base = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  isRetryable: (err: Error) => err instanceof Transient,
  serverDelayMs: (err: Error) => (err instanceof Transient ? err.retryAfterMs : undefined),
  random: () => 1,
};

describe('resilience (cockatiel, src/resilience.ts)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('jitters within [ceiling/2, ceiling] and caps the ceiling', () => {
    expect(jitteredBackoffMs(1, 100, 1000, () => 0)).toBe(50);
    expect(jitteredBackoffMs(3, 100, 1000, () => 1)).toBe(400);
    expect(jitteredBackoffMs(10, 100, 1000, () => 1)).toBe(1000);
  });

  it('retries transient failures with backoff, honouring a server-imposed wait', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new Transient(5000);
        if (calls === 2) throw new Transient();
        return 'ok';
      },
      { ...base, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    await vi.advanceTimersByTimeAsync(4999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1 + 200);
    await expect(result).resolves.toBe('ok');
    expect(delays).toEqual([5000, 200]);
  });

  it('throws a permanent failure at once and gives up after maxAttempts', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error('permanent');
      }, base),
    ).rejects.toThrow('permanent');
    expect(calls).toBe(1);
    calls = 0;
    const giveUp = withRetry(async () => {
      calls++;
      throw new Transient();
    }, base).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await giveUp).toBeInstanceOf(Transient);
    expect(calls).toBe(4);
  });

  it('stops waiting when the signal aborts', async () => {
    const ctrl = new AbortController();
    const pending = withRetry(async () => {
      throw new Transient(60_000);
    }, base, ctrl.signal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    ctrl.abort();
    await vi.advanceTimersByTimeAsync(10);
    expect(await pending).toBeInstanceOf(RetryAborted);
  });

  it('a per-attempt deadline abandons a hung attempt as CallTimeoutError (retryable); a caller abort stays RetryAborted', async () => {
    const timeouts = { ...base, isRetryable: (err: Error) => err instanceof CallTimeoutError, attemptTimeoutMs: 500 };
    const seen: AbortSignal[] = [];
    // The attempt ignores its signal: the deadline must hold anyway.
    const hung = withRetry((signal) => {
      seen.push(signal);
      return new Promise<never>(() => undefined);
    }, { ...timeouts, maxAttempts: 2 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    expect(seen[0]!.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(100 + 500);
    expect(seen).toHaveLength(2);
    const err = await hung;
    expect(err).toBeInstanceOf(CallTimeoutError);
    expect((err as CallTimeoutError).timeoutMs).toBe(500);

    const ctrl = new AbortController();
    const aborted = withRetry(() => new Promise<never>(() => undefined), timeouts, ctrl.signal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    ctrl.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect(await aborted).toBeInstanceOf(RetryAborted);
  });

  it('opens the circuit after consecutive failures and lets a trial through later', async () => {
    const breaker = createBreaker({ failures: 2, halfOpenAfterMs: 1000 });
    const fail = () => breaker.execute(async () => Promise.reject(new Error('down')));
    await expect(fail()).rejects.toThrow('down');
    await expect(fail()).rejects.toThrow('down');
    await expect(breaker.execute(async () => 'up')).rejects.toBeInstanceOf(BrokenCircuitError);
    await vi.advanceTimersByTimeAsync(1001);
    await expect(breaker.execute(async () => 'up')).resolves.toBe('up');
  });
});
