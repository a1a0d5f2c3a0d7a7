import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZaloClient } from '../../../src/channels/zalo/client.js';
import { ZaloApiError, ZaloNetworkError } from '../../../src/channels/zalo/errors.js';
import { checkUpdates, parseUpdate } from '../../../src/channels/zalo/types.js';
import { FakeZaloApi, textUpdate } from './fakeZaloApi.js';
import { TOKEN } from './harness.js';

describe('ZaloClient against the fake Bot API', () => {
  let api: FakeZaloApi;
  let client: ZaloClient;

  beforeAll(async () => {
    api = await new FakeZaloApi({ token: TOKEN, emptyPollHoldMs: 5 }).start();
    client = new ZaloClient({ token: TOKEN, apiRoot: `${api.url}/`, requestTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await api.stop();
  });

  it('calls methods with POST JSON on /bot<token>/<method> and parses results', async () => {
    const me = await client.getMe();
    expect(me.id).toBe('1459232241454765289');
    expect(me.names).toContain('Trợ lý Báo cáo');
    const sent = await client.sendMessage({ chatId: 'c1', text: 'Xin chào' });
    expect(sent.messageId).toMatch(/^sent/);
    expect(api.callsOf('sendMessage').at(-1)?.body).toEqual({ chat_id: 'c1', text: 'Xin chào' });
  });

  it('turns 408 into "no update" and returns a single update otherwise', async () => {
    await expect(client.getUpdates({ timeoutSeconds: 1 })).resolves.toEqual([]);
    api.push(textUpdate({ text: 'hỏi', messageId: 'mid-1' }));
    const [update, ...more] = await client.getUpdates({ timeoutSeconds: 1 });
    expect(more).toEqual([]);
    expect(update?.eventName).toBe('message.text.received');
    expect(update?.message?.messageId).toBe('mid-1');
    expect(api.callsOf('getUpdates').at(-1)?.body).toEqual({ timeout: '1' });
  });

  it('reads {ok:false} with HTTP 200 as an API error', async () => {
    api.failNext('sendMessage', { kind: 'api', errorCode: 429, description: 'Quota exceeded' });
    const err = await client.sendMessage({ chatId: 'c1', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZaloApiError);
    expect((err as ZaloApiError).errorCode).toBe(429);
    expect((err as ZaloApiError).isQuotaExceeded).toBe(true);
    expect((err as ZaloApiError).httpStatus).toBe(200);
  });

  it('classifies proxy 5xx pages as API errors and dropped connections as network errors, without the token', async () => {
    api.failNext('getMe', { kind: 'http', status: 502 });
    const e1 = await client.getMe().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ZaloApiError);
    expect((e1 as ZaloApiError).isServerError).toBe(true);

    api.failNext('getMe', { kind: 'drop' });
    const e2 = await client.getMe().catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ZaloNetworkError);
    expect((e2 as ZaloNetworkError).method).toBe('getMe');

    for (const e of [e1, e2] as Error[]) {
      expect(e.message).not.toContain(TOKEN);
      expect(e.message).not.toContain('/bot');
      expect(JSON.stringify(e)).not.toContain(TOKEN);
      expect(e.cause).toBeUndefined();
    }
  });

  it('reports a wrong token as unauthorized', async () => {
    const bad = new ZaloClient({ token: 'wrong-token-123456', apiRoot: api.url });
    const err = await bad.getMe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZaloApiError);
    expect((err as ZaloApiError).isUnauthorized).toBe(true);
  });

  it('refuses text over 2000 characters before calling the API', async () => {
    const before = api.callsOf('sendMessage').length;
    await expect(client.sendMessage({ chatId: 'c1', text: 'a'.repeat(2001) })).rejects.toBeInstanceOf(RangeError);
    expect(api.callsOf('sendMessage').length).toBe(before);
  });

  it('times out and reports a network error on a hung call', async () => {
    const quick = new ZaloClient({ token: TOKEN, apiRoot: api.url, requestTimeoutMs: 50 });
    api.failNext('getMe', { kind: 'delay', ms: 300 });
    const err = await quick.getMe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZaloNetworkError);
  });
});

describe('parseUpdate', () => {
  const bare = textUpdate({ text: 'Xin chào', messageId: 'm-7', userId: 'u1' });

  it('accepts bare and {ok,result}-wrapped updates', () => {
    expect(parseUpdate(bare)?.message?.text).toBe('Xin chào');
    expect(parseUpdate({ ok: true, result: bare })?.message?.messageId).toBe('m-7');
  });

  it('tolerates first_name instead of display_name, numeric ids and a missing event_name', () => {
    const u = parseUpdate({
      ok: true,
      result: { message: { chat: { id: 42, chat_type: 'PRIVATE' }, text: 'hi', message_id: 9, date: 1, from: { id: 42, first_name: 'Nguyen Van A' } } },
    });
    expect(u?.eventName).toBe('message.text.received');
    expect(u?.message?.from.displayName).toBe('Nguyen Van A');
    expect(u?.message?.chat.id).toBe('42');
    expect(u?.message?.messageId).toBe('9');
  });

  it('keeps unknown events and events without a message, rejects junk', () => {
    expect(parseUpdate({ event_name: 'message.unsupported.received' })?.message).toBeUndefined();
    expect(parseUpdate('nope')).toBeUndefined();
    expect(parseUpdate({ ok: true, result: null })).toBeUndefined();
  });

  it('reports a message without ids as malformed, naming the field and not the text', () => {
    const noIds = { event_name: 'message.text.received', message: { text: 'bí mật', chat: {}, from: {} } };
    const { updates, malformed } = checkUpdates({ ok: true, result: noIds });
    expect(updates).toEqual([]);
    expect(malformed).toHaveLength(1);
    expect(malformed[0]?.join(' ')).toMatch(/message_id|from|id/);
    expect(JSON.stringify(malformed)).not.toContain('bí mật');
    expect(checkUpdates({ event_name: 'message.reaction.received', message: { foo: 1 } }).malformed).toHaveLength(1);
  });

  it('checks each item of a list on its own', () => {
    const a = textUpdate({ text: 'một', messageId: 'l-1' });
    const b = textUpdate({ text: 'hai', messageId: 'l-2' });
    const { updates, malformed } = checkUpdates({ ok: true, result: [a, null, b, 'x'] });
    expect(updates.map((u) => u.message?.messageId)).toEqual(['l-1', 'l-2']);
    expect(malformed).toHaveLength(2);
  });
});
