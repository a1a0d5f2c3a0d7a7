import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Update } from 'telegraf/types';
import { loadMessages, type Reply } from '../../../src/bot/index.js';
import { escapeHtml, renderReply } from '../../../src/channels/telegram/format.js';
import { SendScheduler } from '../../../src/channels/telegram/sendScheduler.js';
import { mapUpdate, updateChatKey } from '../../../src/channels/telegram/updates.js';
import { secretMatches } from '../../../src/channels/telegram/webhook.js';
import { BotApiError, BotNetworkError } from '../../../src/channels/telegram/errors.js';
import { classifyError } from '../../../src/channels/telegram/classify.js';
import { TelegramError } from 'telegraf';

const messages = loadMessages();

function reply(partial: Partial<Reply>): Reply {
  return { language: 'vi', blocks: [], citations: [], buttons: [], ...partial };
}

function wellFormed(html: string): boolean {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)(b|i|blockquote|pre)>/g)) {
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]!);
  }
  const stripped = html.replace(/<\/?(b|i|blockquote|pre)>/g, '');
  return stack.length === 0 && !/[<>]/.test(stripped) && !/&(?!amp;|lt;|gt;)/.test(stripped);
}

describe('Telegram HTML rendering', () => {
  it('escapes <, > and & everywhere', () => {
    expect(escapeHtml('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    const [m] = renderReply(
      reply({
        blocks: [{ kind: 'heading', text: 'Tiêu đề <x>' }, { kind: 'quote', text: 'A & B' }],
        citations: [{ n: 1, title: 'T <1>', section: 'S & s', quote: 'q' }],
        buttons: [{ label: 'b', data: 'cite:1:1' }],
      }),
      messages,
    );
    expect(m?.html).toBe('<b>Tiêu đề &lt;x&gt;</b>\n\n<blockquote>A &amp; B</blockquote>\n\n<b>Nguồn:</b>\n[1] T &lt;1&gt; — S &amp; s');
    expect(m?.buttons).toEqual([[{ text: 'b', callback_data: 'cite:1:1' }]]);
  });

  it('splits oversized single blocks (even without spaces) into well-formed parts', () => {
    const blocks = [
      { kind: 'quote' as const, text: '<&>'.repeat(3000) },
      { kind: 'paragraph' as const, text: 'Câu một. '.repeat(900) },
      { kind: 'heading' as const, text: 'x'.repeat(5000) },
    ];
    const parts = renderReply(reply({ blocks, replyToMessageId: '7', buttons: [{ label: 'b', data: 'd' }] }), messages);
    expect(parts.length).toBeGreaterThan(4);
    for (const p of parts) {
      expect(p.html.length).toBeLessThanOrEqual(4096);
      expect(wellFormed(p.html)).toBe(true);
    }
    expect(parts.map((p) => p.html.replace(/<\/?(b|blockquote)>/g, '').replace(/\s+/g, '')).join('')).toBe(
      blocks.map((b) => escapeHtml(b.text).replace(/\s+/g, '')).join(''),
    );
    expect(parts[0]?.replyToMessageId).toBe(7);
    expect(parts.slice(1).every((p) => p.replyToMessageId === undefined)).toBe(true);
    expect(parts.at(-1)?.buttons).toHaveLength(1);
    expect(parts.slice(0, -1).every((p) => p.buttons.length === 0)).toBe(true);
  });
});

describe('SendScheduler', () => {
  // Fake timers drive both the scheduler's clock and its sleeps: no real waiting.
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());
  const fakeSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const maxInAnyWindow = (times: number[], windowMs: number) =>
    Math.max(0, ...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));

  it('spaces messages per chat from the end of the previous send, without dropping', async () => {
    const s = new SendScheduler({ perChatIntervalMs: 30, groupPerMinute: 1000, globalPerSecond: 1000 }, Date.now, fakeSleep);
    const sentAt: number[] = [];
    const send = (chat: string) => s.run(chat, false, async () => void sentAt.push(Date.now()));
    await send('a');
    await vi.advanceTimersByTimeAsync(10);
    const second = send('a');
    const other = send('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(sentAt).toEqual([0, 10]); // 'b' is not held by 'a'
    await vi.advanceTimersByTimeAsync(25);
    await Promise.all([second, other]);
    expect(sentAt).toEqual([0, 10, 30]);
  });

  it('blocks a group that used up its per-minute budget until the window moves', async () => {
    const s = new SendScheduler({ perChatIntervalMs: 0, groupPerMinute: 2, globalPerSecond: 1000 }, Date.now, fakeSleep);
    await s.run('g', true, async () => undefined);
    await s.run('g', true, async () => undefined);
    let done = false;
    const third = s.run('g', true, async () => (done = true));
    await vi.advanceTimersByTimeAsync(59_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await third;
    expect(done).toBe(true);
  });

  it('a stall between booking and sending lets no more than the global budget out in any second', async () => {
    const s = new SendScheduler({ perChatIntervalMs: 0, groupPerMinute: 1000, globalPerSecond: 3 }, Date.now, fakeSleep);
    const sentAt: number[] = [];
    let endStall = (): void => undefined;
    const stall = new Promise<void>((r) => (endStall = r));
    await vi.advanceTimersByTimeAsync(900);
    // Booked at 900, but the requests only go out when the stall ends at 1900.
    const stalled = ['a', 'b', 'c'].map((chat) =>
      s.run(chat, false, async () => {
        await stall;
        sentAt.push(Date.now());
      }),
    );
    await vi.advanceTimersByTimeAsync(1000);
    // A second's worth of bookings later: their window from 900 has passed, their sends have not happened.
    const later = ['d', 'e', 'f'].map((chat) => s.run(chat, false, async () => void sentAt.push(Date.now())));
    await vi.advanceTimersByTimeAsync(0);
    endStall();
    await vi.advanceTimersByTimeAsync(2000);
    await Promise.all([...stalled, ...later]);
    expect(sentAt).toHaveLength(6);
    expect(maxInAnyWindow(sentAt, 1000)).toBeLessThanOrEqual(3);
    // No slower than needed: the later three go as soon as the stalled ones leave the window.
    expect(sentAt.slice(3)).toEqual([2900, 2900, 2900]);
  });

  it('keeps a full budget blocked while its sends are still in flight', async () => {
    const s = new SendScheduler({ perChatIntervalMs: 0, groupPerMinute: 1000, globalPerSecond: 2 }, Date.now, fakeSleep);
    let finish = (): void => undefined;
    const slow = new Promise<void>((r) => (finish = r));
    const inFlight = ['a', 'b'].map((chat) => s.run(chat, false, () => slow));
    let thirdAt: number | undefined;
    const third = s.run('c', false, async () => void (thirdAt = Date.now()));
    await vi.advanceTimersByTimeAsync(5000);
    expect(thirdAt).toBeUndefined();
    finish();
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all([...inFlight, third]);
    expect(thirdAt).toBe(6000);
  });
});

describe('update mapping', () => {
  const bot = { id: 99, username: 'TroLyBot' };
  const noFetch = async () => Buffer.alloc(0);
  const group = { id: -5, type: 'supergroup' as const, title: 'g' };
  const from = { id: 1, is_bot: false, first_name: 'A' };

  it('strips the mention and marks the message addressed', () => {
    const u = {
      update_id: 1,
      message: { message_id: 1, date: 0, chat: group, from, text: 'Chào @trolybot, Kon Tum?', entities: [{ type: 'mention', offset: 5, length: 9 }] },
    } as unknown as Update;
    const m = mapUpdate(u, bot, noFetch);
    expect(m.type === 'message' && m.message).toMatchObject({ addressedToBot: true, text: 'Chào , Kon Tum?', chatType: 'group' });
  });

  it('ignores commands addressed to another bot and keeps ours', () => {
    const mk = (text: string) =>
      ({
        update_id: 1,
        message: { message_id: 1, date: 0, chat: group, from, text, entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] },
      }) as unknown as Update;
    expect(mapUpdate(mk('/hoi@OtherBot x'), bot, noFetch).type).toBe('ignored');
    const ours = mapUpdate(mk('/hoi@TroLyBot x'), bot, noFetch);
    expect(ours.type === 'message' && ours.message.text).toBe('/hoi x');
  });

  it('does not address plain group chatter', () => {
    const u = { update_id: 1, message: { message_id: 1, date: 0, chat: group, from, text: 'hello' } } as unknown as Update;
    const m = mapUpdate(u, bot, noFetch);
    expect(m.type === 'message' && m.message.addressedToBot).toBe(false);
  });
});

describe('transport helpers', () => {
  it('compares webhook secrets exactly', () => {
    expect(secretMatches('abc', 'abc')).toBe(true);
    expect(secretMatches('abd', 'abc')).toBe(false);
    expect(secretMatches('abcd', 'abc')).toBe(false);
    expect(secretMatches(undefined, 'abc')).toBe(false);
  });

  it('classifies errors by layer', () => {
    const api = classifyError(new TelegramError({ error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 3 } }), 'sendMessage');
    expect(api).toBeInstanceOf(BotApiError);
    expect(api).toMatchObject({ method: 'sendMessage', errorCode: 429, retryAfterS: 3, retryable: true });
    const refused = classifyError(new TelegramError({ error_code: 403, description: 'Forbidden: bot was blocked by the user' }), 'sendMessage');
    expect(refused.retryable).toBe(false);
    const net = classifyError(Object.assign(new Error('request to http://x/bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ/getMe failed'), { code: 'ECONNRESET' }), 'getMe');
    expect(net).toBeInstanceOf(BotNetworkError);
    expect(net).toMatchObject({ code: 'ECONNRESET', retryable: true });
    expect(net.message).not.toContain('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  });
});

describe('Telegram poll answers', () => {
  const bot = { id: 1, username: 'TroLyBaoCaoBot' };
  const noFiles = async () => Buffer.alloc(0);
  const vote = (extra: Record<string, unknown>) => ({ update_id: 9, poll_answer: { poll_id: 'P7', option_ids: [2], ...extra } }) as unknown as Update;

  it('maps a vote to a poll answer event for scoring', () => {
    expect(mapUpdate(vote({ user: { id: 42, is_bot: false, first_name: 'Lan' } }), bot, noFiles)).toEqual({
      type: 'poll-answer',
      event: { pollId: 'P7', userId: '42', userName: 'Lan', optionIds: [2] },
    });
    // A vote cast on behalf of a chat (anonymous admin) cannot be scored for a person.
    expect(mapUpdate(vote({ voter_chat: { id: -5, type: 'supergroup' }, user: { id: 136817688, is_bot: true, first_name: 'Channel' } }), bot, noFiles).type).toBe('ignored');
    expect(mapUpdate(vote({}), bot, noFiles).type).toBe('ignored');
  });

  it('orders a vote with the messages of the chat its poll was sent to', () => {
    const u = vote({ user: { id: 42, is_bot: false, first_name: 'Lan' } });
    expect(updateChatKey(u, (id) => (id === 'P7' ? '-100123' : undefined))).toBe('-100123');
    expect(updateChatKey(u, () => undefined)).toBe('poll:P7');
    expect(updateChatKey(u)).toBe('poll:P7');
  });
});
