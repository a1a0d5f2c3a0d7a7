import { afterEach, describe, expect, it } from 'vitest';
import { FakeZaloApi, textUpdate } from '../channels/zalo/fakeZaloApi.js';
import { startHarness, TOKEN, type Harness } from '../channels/zalo/harness.js';
import { ChaosProxy } from './chaosProxy.js';
import { collectUnhandledRejections } from '../helpers.js';

/**
 * Drill: a hostile Zalo Bot API, all at once — a 429 storm, proxy 5xx pages, dropped
 * connections, malformed JSON bodies, calls slower than the client timeout. The bot must not
 * crash, must keep polling, and every question must be answered.
 *
 * Covered elsewhere, not repeated: single 429 / long 5xx outage / drops / unreachable at start
 * (tests/channels/zalo/polling.e2e.test.ts), replay after a crash (dedup.e2e.test.ts), and a real
 * kill -9 mid-batch (tests/drills/zaloKill.test.ts).
 */

let h: Harness | undefined;
let proxy: ChaosProxy | undefined;
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  h = undefined;
  proxy = undefined;
});

describe('drill: Zalo Bot API storm', () => {
  it('survives 429 storms, 5xx, drops, malformed JSON and timeouts, and answers every question', async () => {
    const api = await new FakeZaloApi({ token: TOKEN, emptyPollHoldMs: 15 }).start();
    proxy = await ChaosProxy.start(api.url);
    const unhandled = collectUnhandledRejections();
    h = await startHarness({ api, env: { ZALO_API_ROOT: proxy.url }, tuning: { requestTimeoutMs: 500, quotaMinDelayMs: 30 } });
    await api.waitFor(() => api.callsOf('getUpdates').length >= 1, 5000, 'first poll');
    api.failNext('getUpdates', { kind: 'api', errorCode: 429, description: 'Too many requests' }, 8);
    api.failNext('getUpdates', { kind: 'http', status: 502 }, 3);
    api.failNext('getUpdates', { kind: 'drop' });
    proxy.malformed('getUpdates', 3);
    api.failNext('sendMessage', { kind: 'api', errorCode: 429 }, 3);
    api.failNext('sendMessage', { kind: 'http', status: 503 }, 2);
    api.failNext('sendMessage', { kind: 'delay', ms: 900 });
    proxy.malformed('sendMessage', 2);

    const users = Array.from({ length: 6 }, (_, i) => `u-storm-${i}`);
    for (const u of users) api.push(textUpdate({ text: 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?', userId: u }));
    await api.waitFor(() => users.every((u) => api.textsTo(u).length >= 1), 40_000, 'every question answered');

    expect(api.callsOf('getUpdates').filter((c) => c.outcome === 'api 429')).toHaveLength(8);
    expect(proxy.corrupted.filter((c) => c.method === 'getUpdates')).toHaveLength(3);
    expect(proxy.corrupted.filter((c) => c.method === 'sendMessage')).toHaveLength(2);
    // Nothing lost; at most the one send that outlived the client timeout arrives twice.
    const extra = users.reduce((n, u) => n + api.textsTo(u).length - 1, 0);
    console.log(
      [
        'scenario | messages | lost | duplicated',
        `429 x8 + 502 x3 + drop + 3 corrupt bodies on getUpdates; 429 x3, 503 x2, a 900 ms send, 2 corrupt bodies on sendMessage | ${users.length} | ${users.filter((u) => api.textsTo(u).length === 0).length} | ${extra}`,
      ].join('\n'),
    );
    expect(extra).toBeLessThanOrEqual(1);
    // Still polling after the storm.
    api.push(textUpdate({ text: 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?', userId: 'u-after' }));
    await api.waitFor(() => api.textsTo('u-after').length === 1, 10_000, 'answer after the storm');
    expect(unhandled).toEqual([]);
  }, 60_000);
});
