import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY } from '../../../src/channels/telegram/client.js';
import { FakeBotApi } from './fakeBotApi.js';
import { startHarness, TOKEN, USER, waitFor, type Harness } from './helpers.js';

/**
 * Start-up never blocks answering: only getMe comes before polling. A Bot API server that answers
 * setMyCommands with 500 (third-party emulators do) once delayed the first answer by over a minute
 * while the menu was retried with growing delays.
 */
describe('Telegram start-up', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers the first question within seconds while setMyCommands keeps failing with 500', async () => {
    const api = await FakeBotApi.start(TOKEN);
    api.injectFault('setMyCommands', { type: '5xx', status: 500 }, 1000);
    const startedAt = Date.now();
    // Production retry policy: 8 attempts with backoff up to 30 s, i.e. a minute of retries.
    h = await startHarness({ api, tuning: { retry: { ...DEFAULT_RETRY, requestTimeoutMs: 2000 } } });
    expect(Date.now() - startedAt).toBeLessThan(3000);
    api.privateText(USER, 'Kon Tum có bao nhiêu xã?');
    await waitFor(() => api.sentMessages(USER.id).length === 1, 'the first answer', 5000);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    // The menu was attempted, failed, and is still being retried in the background.
    expect(api.callsOf('setMyCommands', true).length).toBeGreaterThanOrEqual(1);
    expect(api.callsOf('setMyCommands')).toHaveLength(0);
  });

  it('retries the menu later and registers it once the server accepts it', async () => {
    const api = await FakeBotApi.start(TOKEN);
    // Fails the first round of attempts (3 with this policy), then recovers.
    api.injectFault('setMyCommands', { type: '5xx', status: 500 }, 3);
    h = await startHarness({
      api,
      tuning: { retry: { baseDelayMs: 10, maxDelayMs: 20, maxAttempts: 3, requestTimeoutMs: 1000 }, housekeepingRetryMs: 200 },
    });
    api.privateText(USER, 'Kon Tum có bao nhiêu xã?');
    await waitFor(() => api.sentMessages(USER.id).length === 1, 'the answer', 5000);
    await waitFor(() => api.callsOf('setMyCommands').length === 2, 'vi and en menus registered on the second round', 5000);
    expect(api.callsOf('setMyCommands', true).length).toBe(5);
    expect(h.log.lines.join('\n')).toContain('background task failed; will retry');
  });
});
