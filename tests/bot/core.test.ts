import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE, SqliteDriver } from '../../src/state/index.js';
import {
  CommandRegistry,
  ConversationCore,
  FakeKnowledgeBase,
  MESSAGE_KEYS,
  type ConversationCoreOptions,
  type IncomingMessage,
  type Reply,
} from '../../src/bot/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'core-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

let nextId = 1;
function msg(partial: Partial<IncomingMessage>): IncomingMessage {
  return {
    channel: 'console',
    chatId: 'c1',
    chatType: 'private',
    userId: 'u1',
    messageId: String(nextId++),
    kind: 'text',
    addressedToBot: true,
    ...partial,
  };
}

function text(replies: Reply[]): string {
  return replies.flatMap((r) => r.blocks.map((b) => b.text)).join('\n');
}

async function makeCore(extra: Partial<ConversationCoreOptions> = {}, kb = new FakeKnowledgeBase()) {
  const core = await ConversationCore.create({ knowledge: kb, channel: 'console', stateDir: dir, rateLimitPerMinute: 100, ...extra });
  return { core, kb };
}

describe('ConversationCore', () => {
  it('answers a private question with numbered citations and buttons', async () => {
    const { core } = await makeCore();
    let working = 0;
    const [reply, ...rest] = await core.handleMessage(msg({ text: 'Mô hình bí thư đồng thời chủ tịch xã?' }), {
      working: () => working++,
    });
    expect(rest).toHaveLength(0);
    expect(working).toBe(1);
    expect(reply?.language).toBe('vi');
    expect(reply?.citations.map((c) => c.n)).toEqual([1, 2]);
    expect(reply?.citations[0]?.title).toContain('381-BC/TU');
    expect(reply?.buttons.map((b) => b.data)).toEqual(['cite:1:1', 'cite:1:2']);
    expect(reply?.replyToMessageId).toBeDefined();
  });

  it('gives no citations when the reports do not answer', async () => {
    const { core } = await makeCore();
    const [reply] = await core.handleMessage(msg({ text: 'Giá vàng hôm nay?' }));
    expect(reply?.citations).toEqual([]);
    expect(reply?.buttons).toEqual([]);
    expect(text([reply!])).toContain('không đề cập');
  });

  it('answers in the language of the answer', async () => {
    const { core } = await makeCore();
    const [reply] = await core.handleMessage(msg({ text: 'What did the commune secretary model achieve?' }));
    expect(reply?.language).toBe('en');
  });

  it('passes the conversation history so follow-ups work, keeping the last 5 turns', async () => {
    const { core, kb } = await makeCore();
    for (let i = 0; i < 7; i++) await core.handleMessage(msg({ text: `Kon Tum câu ${i}` }));
    await core.handleMessage(msg({ text: 'còn An Giang thì sao?' }));
    const last = kb.asks.at(-1)!;
    expect(last.history).toHaveLength(5);
    expect(last.history.at(-1)?.question).toBe('Kon Tum câu 6');
  });

  it('in groups answers only when addressed or via /hoi', async () => {
    const { core, kb } = await makeCore();
    expect(await core.handleMessage(msg({ chatType: 'group', addressedToBot: false, text: 'Kon Tum?' }))).toEqual([]);
    expect(await core.handleMessage(msg({ chatType: 'group', addressedToBot: false, kind: 'photo' }))).toEqual([]);
    expect(kb.asks).toHaveLength(0);
    const viaMention = await core.handleMessage(msg({ chatType: 'group', addressedToBot: true, text: 'Kon Tum?' }));
    expect(viaMention[0]?.citations.length).toBeGreaterThan(0);
    const viaCommand = await core.handleMessage(msg({ chatType: 'group', addressedToBot: false, text: '/hoi Kon Tum?' }));
    expect(viaCommand[0]?.citations.length).toBeGreaterThan(0);
    expect(kb.asks).toHaveLength(2);
    const usage = await core.handleMessage(msg({ chatType: 'group', addressedToBot: false, text: '/hoi' }));
    expect(text(usage)).toContain('/hoi');
  });

  it('lists sources with number, issuer, date and section count', async () => {
    const { core } = await makeCore();
    for (const cmd of ['/nguon', '/sources']) {
      const replies = await core.handleMessage(msg({ text: cmd }));
      const t = text(replies);
      expect(t).toContain('381-BC/TU');
      expect(t).toContain('Tỉnh ủy Kon Tum');
      expect(t).toContain('2019-03-20');
      expect(t).toMatch(/12 (mục|sections)/);
      expect(t).toMatch(/(người ký|signed by): Y Mửi/);
    }
    // Commands answer in Vietnamese whatever alias was typed, unless the user writes in English.
    expect((await core.handleMessage(msg({ text: '/sources' })))[0]?.language).toBe('vi');
    expect((await core.handleMessage(msg({ text: '/sources what are the documents' })))[0]?.language).toBe('en');
  });

  it('/trichdan N and the citation buttons show the full passage; state survives a restart', async () => {
    const { core } = await makeCore();
    expect(text(await core.handleMessage(msg({ text: '/trichdan 1' })))).toContain('Chưa có câu trả lời');
    await core.handleMessage(msg({ text: 'Kon Tum?' }));
    const cite = await core.handleMessage(msg({ text: '/trichdan 2' }));
    expect(cite[0]?.blocks.some((b) => b.kind === 'quote' && b.text.includes('<cấp ủy> & chính quyền'))).toBe(true);
    expect(text(await core.handleMessage(msg({ text: '/trichdan 9' })))).toContain('2 nguồn');
    expect(text(await core.handleMessage(msg({ text: '/cite x' })))).toContain('/trichdan N');
    await core.flush();

    const { core: again } = await makeCore();
    const viaButton = await again.handleCallback({ channel: 'console', chatId: 'c1', chatType: 'private', userId: 'u1', data: 'cite:1:1' });
    expect(text(viaButton)).toContain('86/102 xã');
    expect(text(viaButton)).toContain('Số lượng cán bộ giảm < 5%');
    const stale = await again.handleCallback({ channel: 'console', chatId: 'c1', chatType: 'private', userId: 'u1', data: 'cite:99:1' });
    expect(text(stale)).toContain('câu trả lời cũ');
    // One row per chat in the SQLite state under STATE_DIR.
    const db = new SqliteDriver(join(dir, SQLITE_FILE));
    expect(await db.all(`SELECT chat_key FROM chats WHERE channel = 'console'`)).toEqual([{ chat_key: 'c1' }]);
    await db.close();
  });

  it('refuses users outside the allow-lists once, then stays silent, without touching the documents', async () => {
    const { core, kb } = await makeCore({ access: { allowedChats: ['c9'], allowedUsers: ['u9'], admins: ['admin'] } });
    const first = await core.handleMessage(msg({ text: 'Kon Tum?' }));
    expect(text(first)).toContain('chỉ phục vụ');
    expect(first[0]?.citations).toEqual([]);
    expect(await core.handleMessage(msg({ text: '/nguon' }))).toEqual([]);
    expect(kb.asks).toHaveLength(0);
    expect((await core.handleMessage(msg({ userId: 'u9', text: 'Kon Tum?' })))[0]?.citations.length).toBe(2);
    expect((await core.handleMessage(msg({ chatId: 'c9', userId: 'x', text: 'Kon Tum?' })))[0]?.citations.length).toBe(2);
    expect((await core.handleMessage(msg({ userId: 'admin', text: 'Kon Tum?' })))[0]?.citations.length).toBe(2);
    expect(core.isOpenToEveryone).toBe(false);
  });

  it('rate-limits per user with a friendly wait, told once', async () => {
    let now = 1_000_000;
    const { core } = await makeCore({ rateLimitPerMinute: 2, now: () => now });
    await core.handleMessage(msg({ text: 'Kon Tum 1' }));
    await core.handleMessage(msg({ text: 'Kon Tum 2' }));
    const limited = await core.handleMessage(msg({ text: 'Kon Tum 3' }));
    expect(text(limited)).toMatch(/vui lòng đợi 60 giây/);
    expect(await core.handleMessage(msg({ text: 'Kon Tum 4' }))).toEqual([]);
    expect((await core.handleMessage(msg({ userId: 'u2', text: 'Kon Tum' })))[0]?.citations.length).toBe(2);
    now += 61_000;
    expect((await core.handleMessage(msg({ text: 'Kon Tum 5' })))[0]?.citations.length).toBe(2);
  });

  it('handles unusable input politely', async () => {
    const { core, kb } = await makeCore({ maxQuestionChars: 50 });
    expect(text(await core.handleMessage(msg({ text: 'x'.repeat(51) })))).toContain('dài quá (51 ký tự, tối đa 50)');
    expect(text(await core.handleMessage(msg({ text: '😀😀 ?!…' })))).toContain('chưa hiểu');
    for (const kind of ['photo', 'sticker', 'voice', 'location', 'other'] as const) {
      expect(text(await core.handleMessage(msg({ kind, text: undefined })))).toContain('chỉ đọc được tin nhắn chữ');
    }
    expect(text(await core.handleMessage(msg({ text: '/khongco' })))).toContain('/khongco');
    expect(kb.asks).toHaveLength(0);
  });

  it('lets admins upload documents and reload; others are told politely', async () => {
    const { core, kb } = await makeCore({ access: { allowedChats: [], allowedUsers: [], admins: ['admin'] }, maxUploadBytes: 100 });
    let downloads = 0;
    const doc = (fileName: string, content: string, sizeBytes = content.length) => ({
      fileName,
      sizeBytes,
      download: async () => {
        downloads++;
        return Buffer.from(content);
      },
    });
    expect(text(await core.handleMessage(msg({ kind: 'document', document: doc('a.docx', 'x') })))).toContain('chỉ quản trị viên mới được thêm tài liệu');
    expect(downloads).toBe(0);
    const admin = { userId: 'admin', kind: 'document' as const };
    expect(text(await core.handleMessage(msg({ ...admin, document: doc('a.exe', 'x') })))).toContain('.docx, .doc, .pdf, .txt, .md');
    expect(text(await core.handleMessage(msg({ ...admin, document: doc('big.pdf', 'x', 101) })))).toContain('quá lớn');
    expect(text(await core.handleMessage(msg({ ...admin, document: doc('bomb.docx', 'PK') })))).toContain('zip bomb');
    const ok = text(await core.handleMessage(msg({ ...admin, document: doc('../../bao-cao-moi.txt', 'Nội dung') })));
    expect(ok).toContain('Đã thêm tài liệu bao-cao-moi.txt');
    expect(kb.added).toEqual([{ fileName: 'bao-cao-moi.txt', bytes: Buffer.byteLength('Nội dung') }]);
    expect(text(await core.handleMessage(msg({ text: '/reload' })))).toContain('Chỉ quản trị viên');
    expect(kb.reloads).toBe(0);
    expect(text(await core.handleMessage(msg({ userId: 'admin', text: '/reload' })))).toContain('Đã nạp lại');
    expect(kb.reloads).toBe(1);
  });

  it('exposes a command menu and accepts registered extension commands', async () => {
    const registry = new CommandRegistry().register({
      names: { vi: 'kiemtra', en: 'quiz' },
      descriptionKey: 'cmd.quiz',
      async run({ lang, services }) {
        return [services.notice(lang, `quiz ${lang}`)];
      },
    });
    registry.registerCallback({
      prefix: 'quiz',
      async run({ args, services, lang }) {
        return [services.notice(lang, `answer ${args}`)];
      },
    });
    expect(() => registry.registerCallback({ prefix: 'cite', run: async () => [] })).toThrow();
    const { core } = await makeCore({ registry });
    const pressed = await core.handleCallback({ channel: 'console', chatId: 'c1', chatType: 'private', userId: 'u1', data: 'quiz:3:B' });
    expect(text(pressed)).toBe('answer 3:B');
    expect(await core.handleCallback({ channel: 'console', chatId: 'c1', chatType: 'private', userId: 'u1', data: 'nope:1' })).toEqual([]);
    expect(core.commandMenu('vi').map((c) => c.command)).toEqual(['start', 'trogiup', 'hoi', 'nguon', 'trichdan', 'kiemtra']);
    expect(core.commandMenu('en').map((c) => c.command)).toEqual(['start', 'help', 'ask', 'sources', 'cite', 'quiz']);
    expect(text(await core.handleMessage(msg({ text: '/quiz' })))).toBe('quiz vi');
    expect(text(await core.handleMessage(msg({ text: '/kiemtra@SomeBot' })))).toBe('quiz vi');
    const help = text(await core.handleMessage(msg({ text: '/trogiup' })));
    expect(help).toContain('/trichdan (/cite)');
    expect(help).not.toContain('/reload');
  });

  it('has every message key in both languages', async () => {
    for (const lang of ['vi', 'en']) {
      const table = JSON.parse(await readFile(fileURLToPath(new URL(`../../prompts/bot.${lang}.json`, import.meta.url)), 'utf8')) as Record<string, string>;
      expect(MESSAGE_KEYS.filter((k) => !(k in table))).toEqual([]);
    }
  });
});
