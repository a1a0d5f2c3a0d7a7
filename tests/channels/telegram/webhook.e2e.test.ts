import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, USER, waitFor, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SECRET = 'webhook-secret-0123456789';

function update(updateId: number, text: string) {
  return {
    update_id: updateId,
    message: { message_id: updateId, date: 0, chat: { id: USER.id, type: 'private' }, from: { is_bot: false, ...USER }, text },
  };
}

describe('Telegram webhook mode', () => {
  it('registers the webhook with a secret and accepts only correctly signed, bounded, new updates', async () => {
    h = await startHarness({
      env: {
        TELEGRAM_WEBHOOK_URL: 'https://bot.example.test/telegram',
        TELEGRAM_WEBHOOK_PORT: '0',
        TELEGRAM_WEBHOOK_PATH: '/telegram',
        TELEGRAM_WEBHOOK_SECRET: SECRET,
      },
      tuning: { webhookMaxBodyBytes: 4096 },
    });
    const { api, bot } = h;
    expect(bot.mode).toBe('webhook');
    expect(api.webhook).toEqual({ url: 'https://bot.example.test/telegram', secret_token: SECRET });
    expect(api.callsOf('getUpdates')).toHaveLength(0);
    const setWebhook = api.callsOf('setWebhook')[0]!;
    expect(setWebhook.params.allowed_updates).toEqual(['message', 'callback_query', 'poll_answer']);

    const url = `http://127.0.0.1:${bot.webhookPort}/telegram`;
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    expect((await post(JSON.stringify(update(1, '/nguon')))).status).toBe(401);
    expect((await post(JSON.stringify(update(1, '/nguon')), { 'x-telegram-bot-api-secret-token': 'wrong' })).status).toBe(401);
    expect((await post(JSON.stringify(update(1, '/nguon')), { 'x-telegram-bot-api-secret-token': `${SECRET}x` })).status).toBe(401);
    const huge = JSON.stringify(update(2, `Kon Tum ${'x'.repeat(10_000)}`));
    expect((await post(huge, { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(413);
    expect((await post('not json', { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${bot.webhookPort}/other`, { method: 'POST', body: '{}' })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    expect(api.sentMessages()).toHaveLength(0);

    const ok = JSON.stringify(update(3, 'Kon Tum thực hiện mô hình thế nào?'));
    expect((await post(ok, { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(200);
    // Telegram redelivers when unsure; the same update_id must not be answered twice.
    expect((await post(ok, { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(200);
    await waitFor(() => api.sentMessages().length === 1, 'webhook answer');
    await new Promise((r) => setTimeout(r, 150));
    expect((await post(ok, { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(api.sentMessages()).toHaveLength(1);
    expect(api.sentMessages()[0]!.text).toContain('86/102');
    expect(h.kb.asks).toHaveLength(1);
    expect(h.log.lines.join('')).not.toContain(SECRET);
  });
});
