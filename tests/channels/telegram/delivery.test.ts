import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { BotApiError, CallAbortedError } from '../../../src/channels/telegram/errors.js';
import { BotApiOutbound, type SendClient } from '../../../src/channels/telegram/outbound.js';
import { GLOBAL_PAUSE_CAP_MS, SendScheduler } from '../../../src/channels/telegram/sendScheduler.js';
import { MAX_TIMER_MS, Shutdown, sleep } from '../../../src/channels/telegram/sleep.js';

/**
 * Delivery waits under fake timers: Telegram's retry_after is honoured however long, but never
 * overflows Node's timer (above 2,147,483 s setTimeout fires at once: a hot loop), and stop()
 * ends any wait at once.
 */

const logger = createLogger({ level: 'silent' });
const MESSAGE = { html: 'xin chào', plain: 'xin chào', buttons: [] };

/** A Bot API that answers every sendMessage with 429 and the given retry_after. */
function rateLimited(retryAfterS: number): SendClient & { calls: number } {
  const client = {
    calls: 0,
    callOnce: async () => {
      client.calls++;
      throw new BotApiError('sendMessage', 429, 'Too Many Requests', retryAfterS);
    },
    call: async () => {
      throw new Error('not used');
    },
    downloadFile: async () => Buffer.alloc(0),
  };
  return client as unknown as SendClient & { calls: number };
}

function outbound(client: SendClient, shutdown: Shutdown): BotApiOutbound {
  const scheduler = new SendScheduler({ perChatIntervalMs: 0, groupPerMinute: 1000, globalPerSecond: 1000 });
  return new BotApiOutbound(client, scheduler, logger, 1024, { shutdown, delivery: { baseDelayMs: 10, maxDelayMs: 100 } });
}

describe('Telegram delivery waits', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('clamps a retry_after beyond what a timer holds instead of firing at once (no hot loop)', async () => {
    const client = rateLimited(3_000_000_000); // ~95 years: 3e12 ms overflows setTimeout
    const shutdown = new Shutdown();
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    const sending = outbound(client, shutdown).sendMessage(1, false, MESSAGE);
    sending.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(60_000);
    // One attempt, then one long wait: the old limit-less overflow would have fired every ms.
    expect(client.calls).toBe(1);
    expect(timeouts.mock.calls.some(([, ms]) => ms === MAX_TIMER_MS)).toBe(true);
    expect(timeouts.mock.calls.every(([, ms]) => ms === undefined || ms <= MAX_TIMER_MS)).toBe(true);
    shutdown.begin(0);
    await expect(sending).rejects.toBeInstanceOf(CallAbortedError);
    timeouts.mockRestore();
  });

  it('honours retry_after=3600 (one attempt per hour) and stops within the same tick when told', async () => {
    const client = rateLimited(3600);
    const shutdown = new Shutdown();
    const sending = outbound(client, shutdown).sendMessage(1, false, MESSAGE);
    sending.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(3_599_000);
    expect(client.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(client.calls).toBe(2);
    shutdown.begin(1000);
    await vi.advanceTimersByTimeAsync(1);
    await expect(sending).rejects.toBeInstanceOf(CallAbortedError);
    expect(client.calls).toBe(2);
  });

  it('sleep() clamps overlong delays and ends on abort', async () => {
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    const controller = new AbortController();
    let done = false;
    void sleep(1e15, controller.signal).then(() => (done = true));
    expect(timeouts.mock.calls.at(-1)?.[1]).toBe(MAX_TIMER_MS);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(done).toBe(false);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    timeouts.mockRestore();
  });

  it('a long retry_after holds the other chats only briefly (the refused chat waits it out itself)', async () => {
    const s = new SendScheduler({ perChatIntervalMs: 0, groupPerMinute: 1000, globalPerSecond: 1000 }, Date.now);
    s.pause(3_600_000);
    let at: number | undefined;
    void s.acquire('other', false).then((release) => {
      at = Date.now();
      release();
    });
    await vi.advanceTimersByTimeAsync(GLOBAL_PAUSE_CAP_MS + 1000);
    expect(at).toBeGreaterThanOrEqual(GLOBAL_PAUSE_CAP_MS);
    expect(at).toBeLessThanOrEqual(GLOBAL_PAUSE_CAP_MS + 1000);
  });

  it('a queued send gives up its wait for a slot on stop, without being booked', async () => {
    const s = new SendScheduler({ perChatIntervalMs: 60_000, groupPerMinute: 1000, globalPerSecond: 1000 }, Date.now);
    const shutdown = new Shutdown();
    (await s.acquire('a', false))();
    const second = s.acquire('a', false, shutdown.waits);
    second.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(5000);
    shutdown.begin(0);
    await vi.advanceTimersByTimeAsync(1);
    await expect(second).rejects.toBeInstanceOf(CallAbortedError);
  });
});
