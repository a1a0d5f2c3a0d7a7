import { afterEach, describe, expect, it } from 'vitest';
import { publicWebhookUrl } from '../../../src/channels/zalo/index.js';
import { secretMatches } from '../../../src/channels/zalo/webhook.js';
import { textUpdate } from './fakeZaloApi.js';
import { delay, startHarness, type Harness } from './harness.js';

const SECRET = 'webhook-secret-0123456789';
const QUESTION = 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?';

async function post(h: Harness, body: unknown, headers: Record<string, string> = {}, path = '/zalo-hook'): Promise<Response> {
  return fetch(`http://127.0.0.1:${h.channel.webhookPort}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('Zalo webhook end to end', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const env = {
    ZALO_WEBHOOK_URL: 'https://bot.example.vn',
    ZALO_WEBHOOK_PORT: '0',
    ZALO_WEBHOOK_PATH: '/zalo-hook',
    ZALO_WEBHOOK_SECRET: SECRET,
  };

  it('registers the webhook with the secret and never polls', async () => {
    h = await startHarness({ env });
    const { api } = h;
    await api.waitFor(() => api.callsOf('setWebhook').length === 1, 5000, 'setWebhook');
    expect(h.channel.mode).toBe('webhook');
    expect(api.callsOf('setWebhook')[0]?.body).toEqual({ url: 'https://bot.example.vn/zalo-hook', secret_token: SECRET });
    await delay(50);
    expect(api.callsOf('getUpdates')).toHaveLength(0);
  });

  it('rejects a wrong or missing secret and answers nothing', async () => {
    h = await startHarness({ env });
    const wrong = await post(h, textUpdate({ text: QUESTION, userId: 'u-evil' }), { 'X-Bot-Api-Secret-Token': 'webhook-secret-0123456780' });
    expect(wrong.status).toBe(401);
    const missing = await post(h, textUpdate({ text: QUESTION, userId: 'u-evil' }));
    expect(missing.status).toBe(401);
    await delay(100);
    expect(h.api.textsTo('u-evil')).toEqual([]);
    expect(h.knowledge.asks).toHaveLength(0);
  });

  it('accepts the right secret with wrapped and unwrapped bodies', async () => {
    h = await startHarness({ env });
    const { api } = h;
    const r1 = await post(h, { ok: true, result: textUpdate({ text: QUESTION, userId: 'u-wrapped' }) }, { 'X-Bot-Api-Secret-Token': SECRET });
    expect(r1.status).toBe(200);
    expect(await r1.json()).toEqual({ ok: true });
    const r2 = await post(h, textUpdate({ text: '/nguon', userId: 'u-bare' }), { 'x-bot-api-secret-token': SECRET });
    expect(r2.status).toBe(200);
    await api.waitFor(() => api.textsTo('u-wrapped').length === 1 && api.textsTo('u-bare').length === 1, 5000, 'both answers');
    expect(api.textsTo('u-wrapped')[0]).toContain('Nguồn:');
    expect(api.textsTo('u-bare')[0]).toContain('381-BC/TU');
  });

  it('answers 200 before the (slow) answer is produced', async () => {
    h = await startHarness({ env, knowledge: { askDelayMs: 400 } });
    const res = await post(h, textUpdate({ text: QUESTION, userId: 'u-slow' }), { 'X-Bot-Api-Secret-Token': SECRET });
    expect(res.status).toBe(200);
    // The acknowledgement did not wait for the answer.
    expect(h.api.textsTo('u-slow')).toEqual([]);
    await h.api.waitFor(() => h?.api.textsTo('u-slow').length === 1, 5000, 'the slow answer');
  });

  it('answers a redelivered message once', async () => {
    h = await startHarness({ env });
    const update = textUpdate({ text: QUESTION, userId: 'u-twice', messageId: 'dup-webhook-1' });
    const headers = { 'X-Bot-Api-Secret-Token': SECRET };
    const [a, b] = await Promise.all([post(h, update, headers), post(h, { ok: true, result: update }, headers)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await h.api.waitFor(() => h?.api.textsTo('u-twice').length === 1, 5000, 'the answer');
    await post(h, update, headers);
    await delay(100);
    expect(h.api.textsTo('u-twice')).toHaveLength(1);
    expect(h.knowledge.asks).toHaveLength(1);
  });

  it('refuses oversized bodies, bad JSON, other paths and methods', async () => {
    h = await startHarness({ env, tuning: { webhookMaxBodyBytes: 2048 } });
    const headers = { 'X-Bot-Api-Secret-Token': SECRET };
    const big = textUpdate({ text: 'x'.repeat(5000), userId: 'u-big' });
    expect((await post(h, big, headers)).status).toBe(413);
    expect((await post(h, '{not json', headers)).status).toBe(400);
    expect((await post(h, textUpdate({ text: 'hi' }), headers, '/other')).status).toBe(404);
    const get = await fetch(`http://127.0.0.1:${h.channel.webhookPort}/zalo-hook`);
    expect(get.status).toBe(405);
    // Bodies that are not updates are acknowledged (so Zalo stops retrying) and ignored.
    expect((await post(h, { ok: true, result: { event_name: 'message.unsupported.received' } }, headers)).status).toBe(200);
    await delay(50);
    expect(h.api.sent).toEqual([]);
  });

  it('retries setWebhook through an outage', async () => {
    h = await startHarness({
      env,
      beforeStart: (api) => api.failNext('setWebhook', { kind: 'http', status: 503 }, 3),
    });
    await h.api.waitFor(() => h?.api.callsOf('setWebhook').some((c) => c.outcome === 'ok') === true, 5000, 'setWebhook ok');
    expect(h.api.callsOf('setWebhook')).toHaveLength(4);
  });

  it('refuses to start with a secret Zalo would reject', async () => {
    await expect(startHarness({ env: { ...env, ZALO_WEBHOOK_SECRET: 'short' } })).rejects.toThrow(/8–256/);
  });
});

describe('webhook helpers', () => {
  it('builds the public URL from base and path', () => {
    expect(publicWebhookUrl('https://a.vn', '/zalo')).toBe('https://a.vn/zalo');
    expect(publicWebhookUrl('https://a.vn/zalo', '/zalo')).toBe('https://a.vn/zalo');
    expect(publicWebhookUrl('https://a.vn/bots/', '/zalo')).toBe('https://a.vn/bots/zalo');
  });

  it('compares secrets exactly', () => {
    expect(secretMatches('abcdefgh', 'abcdefgh')).toBe(true);
    expect(secretMatches('abcdefgH', 'abcdefgh')).toBe(false);
    expect(secretMatches('abcdefgh1', 'abcdefgh')).toBe(false);
    expect(secretMatches(undefined, 'abcdefgh')).toBe(false);
  });
});
