import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKnowledgeBase } from '../../../src/bot/index.js';
import { startTelegram } from '../../../src/channels/telegram/index.js';
import { FakeBotApi } from './fakeBotApi.js';
import { captureLogger, FAST_TUNING, startHarness, testConfig, TOKEN, USER, waitFor, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Telegram transport faults', () => {
  it('honours 429 retry_after and delivers exactly once', async () => {
    h = await startHarness();
    const { api } = h;
    api.injectFault('sendMessage', { type: '429', retryAfterS: 1 });
    api.privateText(USER, '/nguon');
    await waitFor(() => api.sentMessages().length === 1, 'delivery after 429');
    const attempts = api.callsOf('sendMessage', true);
    expect(attempts.map((c) => c.fault ?? 'ok')).toEqual(['429', 'ok']);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(h.log.lines.join('')).toContain('"errorCode":429');
  });

  it('holds other chats back while a 429 retry_after is running', async () => {
    h = await startHarness();
    const { api } = h;
    api.injectFault('sendMessage', { type: '429', retryAfterS: 1 });
    api.privateText(USER, '/nguon');
    await waitFor(() => api.callsOf('sendMessage', true).length === 1, 'first (refused) send');
    api.privateText({ id: 777, first_name: 'B' }, '/nguon');
    await waitFor(() => api.sentMessages().length === 2, 'both delivered');
    const [refused, ...rest] = api.callsOf('sendMessage', true);
    for (const c of rest) expect(c.at - refused!.at).toBeGreaterThanOrEqual(900);
  });

  it('retries 5xx, dropped connections and slow responses on every call', async () => {
    h = await startHarness({ tuning: { retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 6, requestTimeoutMs: 400 } } });
    const { api } = h;
    api.injectFault('getUpdates', { type: '5xx', status: 502 });
    api.injectFault('getUpdates', { type: 'drop' });
    api.injectFault('sendMessage', { type: '5xx', status: 500 }, 2);
    api.injectFault('sendMessage', { type: 'drop' });
    // Slower than the request timeout: the client gives up on it and retries.
    api.injectFault('sendMessage', { type: 'slow', delayMs: 800 });
    api.privateText(USER, 'Kon Tum thực hiện mô hình ra sao?');
    api.privateText(USER, '/nguon');
    await waitFor(() => api.sentMessages().length >= 2, 'both replies', 10_000);
    await new Promise((r) => setTimeout(r, 900));
    const sent = api.sentMessages();
    // The timed-out slow call may also have reached the server: that is the inherent
    // at-least-once cost of a timeout; order is still preserved and nothing is lost.
    const texts = sent.map((m) => (m.text.includes('86/102') ? 'answer' : m.text.includes('Các tài liệu') ? 'sources' : 'other'));
    expect(texts.filter((t) => t === 'answer').length).toBeGreaterThanOrEqual(1);
    expect(texts.at(-1)).toBe('sources');
    expect(texts.indexOf('answer')).toBeLessThan(texts.indexOf('sources'));
    const log = h.log.lines.join('');
    expect(log).toContain('"layer":"bot-api"');
    expect(log).toContain('"layer":"network"');
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(TOKEN.split(':')[1]!);
  });

  it('a slow response within the timeout is simply waited for', async () => {
    h = await startHarness();
    const { api } = h;
    api.injectFault('sendMessage', { type: 'slow', delayMs: 300 });
    api.privateText(USER, '/nguon');
    await waitFor(() => api.sentMessages().length === 1, 'slow delivery');
    await new Promise((r) => setTimeout(r, 100));
    expect(api.callsOf('sendMessage', true)).toHaveLength(1);
  });

  it('keeps polling when a handler fails', async () => {
    h = await startHarness();
    const { api, kb } = h;
    const original = kb.ask.bind(kb);
    let calls = 0;
    kb.ask = async (q, hist) => {
      calls++;
      if (calls === 1) throw new Error('index exploded');
      return original(q, hist);
    };
    api.privateText(USER, 'Kon Tum 1?');
    api.privateText(USER, 'Kon Tum 2?');
    await waitFor(() => api.sentMessages().length === 2, 'two replies');
    expect(api.sentMessages()[0]!.text).toContain('có lỗi');
    expect(api.sentMessages()[1]!.text).toContain('86/102');
  });

  it('fails start-up with a classified Bot API error, without the token, when the token is wrong', async () => {
    const api = await FakeBotApi.start('111111:WrongTokenWrongTokenWrongToken');
    const stateDir = await mkdtemp(join(tmpdir(), 'tg-bad-'));
    const log = captureLogger();
    try {
      const started = startTelegram({
        config: testConfig(stateDir, api.url),
        knowledge: new FakeKnowledgeBase(),
        logger: log.logger,
        tuning: FAST_TUNING,
      });
      await expect(started).rejects.toMatchObject({ layer: 'bot-api', method: 'getMe', errorCode: 401 });
      await started.catch((err: Error) => expect(err.message).not.toContain(TOKEN));
    } finally {
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
