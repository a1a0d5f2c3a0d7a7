import { afterEach, describe, expect, it } from 'vitest';
import { nonTextUpdate, textUpdate } from './fakeZaloApi.js';
import { delay, startHarness, TOKEN, type Harness } from './harness.js';

const QUESTION = 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?';

describe('Zalo access control, message kinds and groups', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('explains briefly that only text is understood, for every non-text event', async () => {
    h = await startHarness();
    const { api } = h;
    const events = ['message.image.received', 'message.sticker.received', 'message.voice.received', 'message.unsupported.received', 'message.something.new'];
    events.forEach((e, i) => api.push(nonTextUpdate(e, { userId: `u-kind-${i}` })));
    // A payload without a message (protected accounts) has no one to answer and must not break anything.
    api.push({ event_name: 'message.unsupported.received' });
    for (let i = 0; i < events.length; i++) {
      await api.waitFor(() => api.textsTo(`u-kind-${i}`).length === 1, 5000, `reply to ${events[i]}`);
      const text = api.textsTo(`u-kind-${i}`)[0] ?? '';
      expect(text).toContain('chỉ đọc được tin nhắn chữ');
      expect(text.length).toBeLessThan(400);
    }
    expect(h.knowledge.asks).toHaveLength(0);
  });

  it('serves allow-listed users and admins, and refuses others once', async () => {
    h = await startHarness({ env: { ZALO_ALLOWED_USERS: 'u-bob', ZALO_ADMIN_USERS: 'u-admin' } });
    const { api } = h;
    api.push(textUpdate({ text: QUESTION, userId: 'u-bob' }));
    api.push(textUpdate({ text: QUESTION, userId: 'u-admin' }));
    api.push(textUpdate({ text: QUESTION, userId: 'u-eve' }));
    api.push(textUpdate({ text: 'hỏi lần nữa', userId: 'u-eve' }));
    await api.waitFor(
      () => api.textsTo('u-bob').length === 1 && api.textsTo('u-admin').length === 1 && api.textsTo('u-eve').length === 1,
      5000,
      'three replies',
    );
    await delay(100);
    expect(api.textsTo('u-bob')[0]).toContain('Nguồn:');
    expect(api.textsTo('u-admin')[0]).toContain('Nguồn:');
    expect(api.textsTo('u-eve')).toHaveLength(1);
    expect(api.textsTo('u-eve')[0]).toContain('chỉ phục vụ các thành viên được cấp quyền');
    expect(h.knowledge.asks).toHaveLength(2);
  });

  it('allows whole chats through ZALO_ALLOWED_CHATS', async () => {
    h = await startHarness({ env: { ZALO_ALLOWED_CHATS: 'g-team' } });
    const { api } = h;
    api.push(textUpdate({ text: `@Trợ lý Báo cáo ${QUESTION}`, chatId: 'g-team', userId: 'u-member', chatType: 'GROUP' }));
    await api.waitFor(() => api.textsTo('g-team').length === 1, 5000, 'group answer');
    expect(api.textsTo('g-team')[0]).toContain('Nguồn:');
  });

  it('in groups answers only when mentioned, replied to, or given a command', async () => {
    h = await startHarness();
    const { api } = h;
    await api.waitFor(() => api.callsOf('getMe').some((c) => c.outcome === 'ok'), 5000, 'getMe');
    const group = { chatId: 'g-1', chatType: 'GROUP' as const };
    api.push(textUpdate({ ...group, text: QUESTION, userId: 'u-a', messageId: 'g-plain' }));
    api.push(textUpdate({ ...group, text: `@Trợ lý Báo cáo ${QUESTION}`, userId: 'u-b', messageId: 'g-mention' }));
    const reply = textUpdate({ ...group, text: 'còn An Giang thì sao?', userId: 'u-c', messageId: 'g-reply' });
    (reply.message as Record<string, unknown>).reply_to_message = { from: { id: '1459232241454765289', is_bot: true } };
    api.push(reply);
    api.push(textUpdate({ ...group, text: '/nguon', userId: 'u-d', messageId: 'g-cmd' }));
    await api.waitFor(() => api.textsTo('g-1').length === 3, 5000, 'three group replies');
    await delay(100);
    expect(api.textsTo('g-1')).toHaveLength(3);
    // The mention is stripped before the question reaches the core.
    expect(h.knowledge.asks.map((a) => a.question)).toEqual([QUESTION, 'còn An Giang thì sao?']);
  });

  it('applies RATE_LIMIT_PER_MINUTE per user', async () => {
    h = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '2' } });
    const { api } = h;
    for (let i = 0; i < 4; i++) api.push(textUpdate({ text: `${QUESTION} (${i})`, userId: 'u-fast' }));
    api.push(textUpdate({ text: QUESTION, userId: 'u-calm' }));
    await api.waitFor(() => api.textsTo('u-fast').length === 3 && api.textsTo('u-calm').length === 1, 5000, 'replies');
    await delay(100);
    const texts = api.textsTo('u-fast');
    expect(texts).toHaveLength(3);
    expect(texts[2]).toContain('Bạn gửi hơi nhanh');
    expect(h.knowledge.asks.filter((a) => a.question.startsWith(QUESTION + ' ('))).toHaveLength(2);
  });

  it('ignores messages from bots', async () => {
    h = await startHarness();
    const { api } = h;
    const fromBot = textUpdate({ text: QUESTION, userId: 'u-otherbot' });
    ((fromBot.message as Record<string, unknown>).from as Record<string, unknown>).is_bot = true;
    api.push(fromBot);
    api.push(textUpdate({ text: '/nguon', userId: 'u-human' }));
    await api.waitFor(() => api.textsTo('u-human').length === 1, 5000, 'human answer');
    expect(api.textsTo('u-otherbot')).toEqual([]);
  });
});

describe('Zalo token hygiene', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('never writes the token to the logs, whatever fails', async () => {
    h = await startHarness({
      beforeStart: (api) => {
        api.failNext('getMe', { kind: 'drop' }, 2);
        api.failNext('deleteWebhook', { kind: 'http', status: 500, body: `oops /bot${TOKEN}/deleteWebhook` }, 1);
      },
    });
    const { api, logs } = h;
    api.failNext('getUpdates', { kind: 'drop' }, 2);
    api.failNext('getUpdates', { kind: 'http', status: 502 }, 2);
    api.failNext('sendMessage', { kind: 'api', errorCode: 400, description: `bad request for bot${TOKEN}` }, 1);
    api.failNext('sendChatAction', { kind: 'drop' }, 1);
    api.push(textUpdate({ text: QUESTION, userId: 'u-logs' }));
    api.push(textUpdate({ text: '/nguon', userId: 'u-logs' }));
    await api.waitFor(() => api.textsTo('u-logs').length >= 1, 5000, 'an answer');
    await h.stopChannel();

    const text = logs.text();
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(text).toContain('network error');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(TOKEN.split(':')[1] ?? 'x');
    expect(text).not.toContain(encodeURIComponent(TOKEN));
  });
});
