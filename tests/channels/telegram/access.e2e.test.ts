import { afterEach, describe, expect, it } from 'vitest';
import { OTHER, startHarness, TOKEN, USER, waitFor, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function documentUpdate(user: { id: number; first_name: string }, fileId: string, fileName: string, fileSize: number) {
  return {
    message: {
      message_id: Math.floor(Math.random() * 1e6),
      date: 0,
      chat: { id: user.id, type: 'private' },
      from: { is_bot: false, ...user },
      document: { file_id: fileId, file_unique_id: `u-${fileId}`, file_name: fileName, file_size: fileSize },
    },
  };
}

describe('Telegram access control and uploads', () => {
  it('refuses users outside the allow-list once, politely, with nothing from the documents', async () => {
    h = await startHarness({ env: { TELEGRAM_ALLOWED_USERS: String(USER.id) } });
    const { api, kb } = h;
    api.privateText(OTHER, 'Kon Tum thực hiện mô hình thế nào?');
    api.privateText(OTHER, '/nguon');
    api.privateText(USER, 'Kon Tum thực hiện mô hình thế nào?');
    await waitFor(() => api.sentMessages(USER.id).length === 1, 'allowed answer');
    await new Promise((r) => setTimeout(r, 100));
    const refused = api.sentMessages(OTHER.id);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.text).toContain('chỉ phục vụ');
    expect(refused[0]!.text).not.toContain('381');
    expect(kb.asks).toHaveLength(1);
    expect(h.log.lines.join('')).not.toContain('anyone who finds the bot');
  });

  it('warns at start when the bot is open to everyone', async () => {
    h = await startHarness();
    expect(h.log.lines.join('')).toContain('anyone who finds the bot can use it');
  });

  it('lets admins upload documents through getFile; rejects bad files; refuses non-admins', async () => {
    h = await startHarness({ env: { TELEGRAM_ADMIN_USERS: String(USER.id), MAX_UPLOAD_BYTES: '1000' } });
    const { api, kb } = h;
    api.addFile('f-ok', Buffer.from('Báo cáo mới\nNội dung.'), 'documents/file_1.txt');
    api.addFile('f-bomb', Buffer.from('PK\u0003\u0004...'), 'documents/file_2.docx');

    api.pushUpdate(documentUpdate(USER, 'f-ok', 'bao-cao-moi.txt', 30));
    await waitFor(() => api.sentMessages(USER.id).length === 1, 'upload ok');
    expect(api.sentMessages(USER.id)[0]!.text).toContain('Đã thêm tài liệu bao-cao-moi.txt');
    expect(kb.added).toEqual([{ fileName: 'bao-cao-moi.txt', bytes: Buffer.byteLength('Báo cáo mới\nNội dung.') }]);

    api.pushUpdate(documentUpdate(USER, 'f-bomb', 'bomb.docx', 10));
    await waitFor(() => api.sentMessages(USER.id).length === 2, 'upload rejected');
    expect(api.sentMessages(USER.id)[1]!.text).toContain('Không thêm được bomb.docx: tệp DOCX có dấu hiệu nén bất thường');

    const getFileBefore = api.callsOf('getFile').length;
    api.pushUpdate(documentUpdate(USER, 'f-big', 'lon.pdf', 5000));
    await waitFor(() => api.sentMessages(USER.id).length === 3, 'too large');
    expect(api.sentMessages(USER.id)[2]!.text).toContain('quá lớn');
    expect(api.callsOf('getFile').length).toBe(getFileBefore);

    api.pushUpdate(documentUpdate(OTHER, 'f-ok', 'cua-toi.docx', 30));
    await waitFor(() => api.sentMessages(OTHER.id).length === 1, 'non-admin');
    expect(api.sentMessages(OTHER.id)[0]!.text).toContain('chỉ quản trị viên mới được thêm tài liệu');
    expect(kb.added).toHaveLength(1);

    api.privateText(OTHER, '/reload');
    api.privateText(USER, '/reload');
    await waitFor(() => api.sentMessages(USER.id).length === 4, 'reload');
    expect(api.sentMessages(USER.id)[3]!.text).toContain('Đã nạp lại dữ liệu');
    expect(api.sentMessages(OTHER.id)[1]!.text).toContain('Chỉ quản trị viên');
    expect(kb.reloads).toBe(1);
  });

  it('never writes the token to the logs, whatever fails', async () => {
    h = await startHarness({
      env: { TELEGRAM_ADMIN_USERS: String(USER.id) },
      tuning: { retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2, requestTimeoutMs: 300 } },
    });
    const { api, log } = h;
    // getFile succeeds but the download (whose URL contains the token) keeps failing.
    api.addFile('f1', Buffer.from('x'), 'documents/f1.txt');
    api.injectFault('file', { type: 'drop' }, 2);
    api.pushUpdate(documentUpdate(USER, 'f1', 'a.txt', 1));
    // A getFile that is dropped on every attempt.
    api.injectFault('getFile', { type: 'drop' }, 2);
    api.pushUpdate(documentUpdate(USER, 'f1', 'b.txt', 1));
    api.injectFault('getUpdates', { type: 'drop' });
    api.injectFault('sendMessage', { type: '5xx' });
    api.privateText(USER, '/nguon');
    api.privateText(USER, '/trogiup');
    await waitFor(() => api.sentMessages(USER.id).length >= 4, 'replies', 10_000);
    expect(api.sentMessages(USER.id).filter((m) => m.text.includes('Không tải được tệp'))).toHaveLength(2);
    expect(api.callsOf('file', true).map((c) => c.fault)).toEqual(['drop', 'drop']);
    log.logger.debug({ config: h.config, url: `${api.url}/bot${TOKEN}/getMe` }, 'debug dump with secrets');
    const all = log.lines.join('');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(TOKEN.split(':')[1]!);
    expect(all).toContain('[REDACTED]');
  });
});
