import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, USER, waitFor, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Telegram private chat (e2e against the fake Bot API)', () => {
  it('answers a question with HTML citations, citation buttons, typing and a reply reference', async () => {
    h = await startHarness({ kb: { askDelayMs: 150 } });
    const { api } = h;
    expect(api.callsOf('deleteWebhook')).toHaveLength(1);
    const menus = api.callsOf('setMyCommands');
    expect(menus.map((c) => c.params.language_code ?? 'default')).toEqual(['default', 'en']);
    expect((menus[0]?.params.commands as { command: string }[]).map((c) => c.command)).toContain('trichdan');

    api.privateText(USER, 'Mô hình bí thư đồng thời là chủ tịch xã đạt kết quả gì?');
    const [sent] = await waitFor(() => api.sentMessages(USER.id).length > 0 && api.sentMessages(USER.id), 'answer');
    expect(sent?.params.parse_mode).toBe('HTML');
    expect(sent?.text).toContain('86/102 xã');
    expect(sent?.text).toContain('<b>Nguồn:</b>');
    expect(sent?.text).toContain('[1] Báo cáo số 381-BC/TU');
    expect(sent?.text).toContain('[2]');
    const markup = sent?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
    expect(markup.inline_keyboard.flat().map((b) => b.callback_data)).toEqual(['cite:1:1', 'cite:1:2']);
    expect((sent?.params.reply_parameters as { message_id: number }).message_id).toBeTypeOf('number');
    expect(api.callsOf('sendChatAction').length).toBeGreaterThan(0);
    expect(api.callsOf('sendChatAction')[0]?.params.action).toBe('typing');
  });

  it('serves /start, /nguon, /trichdan and citation buttons (callback queries)', async () => {
    h = await startHarness();
    const { api } = h;
    api.privateText(USER, '/start');
    await waitFor(() => api.sentMessages().length === 1, '/start');
    expect(api.sentMessages()[0]?.text).toContain('Xin chào Lan!');

    api.privateText(USER, '/nguon');
    await waitFor(() => api.sentMessages().length === 2, '/nguon');
    const sources = api.sentMessages()[1]!.text;
    expect(sources).toContain('381-BC/TU');
    // Titles with < and & are escaped, never sent raw.
    expect(sources).toContain('An Giang &lt;nhân rộng mô hình&gt; &amp; kết quả');

    api.privateText(USER, 'Kon Tum thực hiện mô hình thế nào?');
    await waitFor(() => api.sentMessages().length === 3, 'answer');
    api.privateText(USER, '/trichdan 2');
    await waitFor(() => api.sentMessages().length === 4, '/trichdan');
    expect(api.sentMessages()[3]!.text).toContain('<blockquote>Một số nơi còn lúng túng trong phân định nhiệm vụ giữa &lt;cấp ủy&gt; &amp; chính quyền.</blockquote>');

    api.pressButton(USER, USER.id, 'cite:1:1');
    await waitFor(() => api.sentMessages().length === 5, 'button passage');
    expect(api.sentMessages()[4]!.text).toContain('Số lượng cán bộ giảm &lt; 5% &amp; chi phí');
    expect(api.callsOf('answerCallbackQuery')).toHaveLength(1);
  });

  it('splits a long answer at paragraph boundaries under 4096 chars without cutting tags', async () => {
    h = await startHarness();
    const { api } = h;
    api.privateText(USER, 'Cho tôi câu trả lời dài về tổ chức bộ máy');
    await waitFor(() => api.sentMessages().some((m) => m.text.includes('Nguồn')), 'long answer');
    const all = api.sentMessages();
    expect(all.length).toBeGreaterThan(1);
    for (const [i, m] of all.entries()) {
      expect(m.text.length).toBeLessThanOrEqual(4096);
      // Every part is well-formed: tags balanced, no stray "<" or "&".
      const stripped = m.text.replace(/<\/?(b|i|blockquote|pre)>/g, '');
      expect(stripped).not.toMatch(/[<>]/);
      expect(stripped).not.toMatch(/&(?!amp;|lt;|gt;)/);
      expect(m.text).toContain('&lt;đáng kể&gt; &amp;');
      // Paragraph boundaries: no part starts in the middle of "Đoạn N."
      if (i < all.length - 1) expect(m.params.reply_markup).toBeUndefined();
      expect(m.text.startsWith('Đoạn') || m.text.startsWith('<b>')).toBe(true);
      if (i === 0) expect(m.params.reply_parameters).toBeDefined();
      else expect(m.params.reply_parameters).toBeUndefined();
    }
    expect(all.at(-1)?.params.reply_markup).toBeDefined();
    const text = all.map((m) => m.text).join('\n\n');
    for (let n = 1; n <= 14; n++) expect(text).toContain(`Đoạn ${n}.`);
  });

  it('ignores edited messages (the original was already answered)', async () => {
    h = await startHarness();
    const { api } = h;
    const upd = api.message({ chat: { id: USER.id, type: 'private' }, from: USER, text: 'Kon Tum đã sửa?' });
    api.pushUpdate({ edited_message: { ...(upd.message as object), edit_date: 1 } });
    api.privateText(USER, '/nguon');
    await waitFor(() => api.sentMessages().length === 1, 'nguon');
    await new Promise((r) => setTimeout(r, 100));
    expect(api.sentMessages()).toHaveLength(1);
    expect(h.kb.asks).toHaveLength(0);
  });

  it('answers unsupported input politely (sticker, too long, emoji only)', async () => {
    h = await startHarness({ env: { MAX_QUESTION_CHARS: '40' } });
    const { api } = h;
    api.pushUpdate(api.message({ chat: { id: USER.id, type: 'private' }, from: USER, extra: { sticker: { file_id: 's' } } }));
    api.privateText(USER, 'Kon Tum '.repeat(10));
    api.privateText(USER, '🙂🙂🙂!!!');
    await waitFor(() => api.sentMessages().length === 3, 'three replies');
    const texts = api.sentMessages().map((m) => m.text);
    expect(texts[0]).toContain('chỉ đọc được tin nhắn chữ');
    expect(texts[1]).toContain('dài quá');
    expect(texts[2]).toContain('chưa hiểu');
  });
});
