import { afterEach, describe, expect, it } from 'vitest';
import { GROUP_ID, OTHER, startHarness, USER, waitFor, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Telegram groups', () => {
  it('answers only when mentioned, replied to, or asked with /hoi — and replies to the asking message', async () => {
    h = await startHarness();
    const { api, kb } = h;
    const bot = api.bot;
    api.groupText(GROUP_ID, USER, 'Kon Tum có bao nhiêu xã thực hiện mô hình?');
    api.groupText(GROUP_ID, OTHER, '/hoi@SomeOtherBot Kon Tum?');
    api.pushUpdate(api.message({ chat: { id: GROUP_ID, type: 'supergroup' }, from: USER, extra: { photo: [{ file_id: 'p' }] } }));
    // A bare command that is not ours may belong to another bot in the group.
    api.groupText(GROUP_ID, OTHER, '/weather Hà Nội');
    // A marker that is answered, so we know everything before it was processed.
    api.groupText(GROUP_ID, USER, '/nguon');
    await waitFor(() => api.sentMessages(GROUP_ID).length === 1, 'marker');
    expect(kb.asks).toHaveLength(0);

    const mentionId = api.groupText(GROUP_ID, USER, `@${bot.username} Kon Tum có bao nhiêu xã thực hiện mô hình?`);
    await waitFor(() => api.sentMessages(GROUP_ID).length === 2, 'mention answer');
    expect(kb.asks.at(-1)?.question).toBe('Kon Tum có bao nhiêu xã thực hiện mô hình?');
    const mentionMsg = api.sentMessages(GROUP_ID)[1]!;
    expect(mentionMsg.text).toContain('86/102');
    expect(mentionId).toBeGreaterThan(0);
    expect((mentionMsg.params.reply_parameters as { message_id: number }).message_id).toBeTypeOf('number');

    api.groupText(GROUP_ID, OTHER, 'còn An Giang thì sao?', {
      reply_to_message: { message_id: 1, date: 0, chat: { id: GROUP_ID, type: 'supergroup' }, from: { id: bot.id, is_bot: true, first_name: 'bot' }, text: 'x' },
    });
    await waitFor(() => api.sentMessages(GROUP_ID).length === 3, 'reply answer');
    expect(kb.asks.at(-1)?.question).toBe('còn An Giang thì sao?');
    // The group's history is shared, so the follow-up sees the previous question.
    expect(kb.asks.at(-1)?.history.length).toBe(1);

    api.groupText(GROUP_ID, OTHER, `/hoi@${bot.username} An Giang đạt kết quả gì?`);
    await waitFor(() => api.sentMessages(GROUP_ID).length === 4, '/hoi answer');
    expect(api.sentMessages(GROUP_ID)[3]!.text).toContain('An Giang');
    expect(kb.asks).toHaveLength(3);

    // A mention alone gets the usage hint; an explicit "/unknown@bot" gets the unknown-command hint.
    api.groupText(GROUP_ID, USER, `@${bot.username}`);
    await waitFor(() => api.sentMessages(GROUP_ID).length === 5, 'usage');
    expect(api.sentMessages(GROUP_ID)[4]!.text).toContain('/hoi');
    api.groupText(GROUP_ID, USER, `/weather@${bot.username}`);
    await waitFor(() => api.sentMessages(GROUP_ID).length === 6, 'unknown');
    expect(api.sentMessages(GROUP_ID)[5]!.text).toContain('/weather');
  });
});
