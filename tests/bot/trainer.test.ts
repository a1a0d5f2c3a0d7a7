import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationCore, FakeKnowledgeBase, type AccessPolicy, type IncomingMessage } from '../../src/bot/index.js';
import { openStateStore, type StateStore } from '../../src/state/index.js';
import { TrainerExtension } from '../../src/trainer/extension.js';
import { useCorpus } from '../trainer/helpers.js';
import { groupMessage, replyText } from './incoming.js';

/** The trainer wired into the conversation core as an extension (what every channel does). */

const corpus = useCorpus();

let dir: string;
const stores: StateStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'core-trainer-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

const text = replyText;
const group = groupMessage;

/** One store for the core and the trainer, as npm start opens it (SQLite under STATE_DIR). */
async function setup(options: { access?: AccessPolicy } = {}) {
  const kb = new FakeKnowledgeBase();
  const store = await openStateStore({ stateDir: dir });
  stores.push(store);
  const extension = await TrainerExtension.create({ snapshot: () => corpus.snapshot, store, channel: 'telegram' });
  const core = await ConversationCore.create({
    knowledge: kb,
    channel: 'telegram',
    store,
    rateLimitPerMinute: 0,
    extension,
    ...(options.access ? { access: options.access } : {}),
  });
  return { kb, core, extension, store };
}

describe('trainer as an extension of the conversation core', () => {
  it('runs a group round: two participants answer by number, /diem shows both, /ketthuc sums up', async () => {
    const { core, kb } = await setup();
    // Commands count as addressed in groups; the round starts with a notice, then the question.
    const asked = await core.handleMessage(group({ text: '/kiemtra 381-BC/TU' }));
    expect(text(asked)).toMatch(/Bắt đầu vòng trắc nghiệm/);
    const question = asked.at(-1)!;
    expect(question.quizPoll?.type).toBe('quiz');
    expect(text([question])).toMatch(/1\) /);
    expect(text([question])).toMatch(/Trả lời bằng số/);
    const right = question.quizPoll!.correctOptionId + 1;
    const wrong = (right % question.quizPoll!.options.length) + 1;

    // Bare numbers that do not mention the bot are answers while a question is open.
    expect(text(await core.handleMessage(group({ text: String(right), userId: 'u1', userName: 'Lan' })))).toMatch(/Đã ghi nhận câu trả lời của Lan/);
    expect(text(await core.handleMessage(group({ text: `${wrong}.`, userId: 'u2', userName: 'Minh' })))).toMatch(/Đã ghi nhận câu trả lời của Minh/);
    expect(text(await core.handleMessage(group({ text: '1', userId: 'u2', userName: 'Minh' })))).toMatch(/Minh đã trả lời câu này rồi/);
    // Other group chatter is still ignored, and nothing went to the question path.
    expect(await core.handleMessage(group({ text: 'hôm nay họp lúc mấy giờ?' }))).toEqual([]);
    expect(kb.asks).toHaveLength(0);

    const board = text(await core.handleMessage(group({ text: '/diem' })));
    expect(board).toMatch(/1\. Lan: 1\/1 câu đúng/);
    expect(board).toMatch(/2\. Minh: 0\/1 câu đúng/);

    const end = text(await core.handleMessage(group({ text: '/ketthuc' })));
    expect(end).toMatch(/Đáp án câu 1/);
    expect(end).toMatch(/Kết thúc vòng trắc nghiệm/);
    expect(end).toMatch(/Đã hỏi 1 câu; 2 người tham gia/);
    expect(end).toMatch(/Dẫn đầu: Lan \(1 câu đúng\)/);

    // With the round over, a bare number in the group is chatter again.
    expect(await core.handleMessage(group({ text: '2', userId: 'u2' }))).toEqual([]);
    expect(kb.asks).toHaveLength(0);
    await core.flush();
  });

  it('refuses users outside the allow-lists: a typed number or a poll vote never scores', async () => {
    const { core, kb } = await setup({ access: { allowedChats: [], allowedUsers: ['u1', 'u2'], admins: [], usersAllowedInAnyGroup: true } });
    const asked = await core.handleMessage(group({ text: '/kiemtra' }));
    const poll = asked.at(-1)!.quizPoll!;
    const right = String(poll.correctOptionId + 1);

    const stranger = await core.handleMessage(group({ text: right, userId: 'u9', userName: 'Lạ' }));
    expect(text(stranger)).toMatch(/chỉ phục vụ các thành viên được cấp quyền/);
    // One polite refusal, then silence.
    expect(await core.handleMessage(group({ text: right, userId: 'u9', userName: 'Lạ' }))).toEqual([]);

    await core.bindPoll('g1', poll.questionId, 'P-1');
    expect(await core.pollChatKey('P-1')).toBe('g1');
    await core.handlePollAnswer({ channel: 'telegram', pollId: 'P-1', userId: 'u9', userName: 'Lạ', optionIds: [poll.correctOptionId] });
    await core.handlePollAnswer({ channel: 'telegram', pollId: 'P-1', userId: 'u2', userName: 'Minh', optionIds: [poll.correctOptionId] });
    // Votes on polls we never sent are ignored.
    await core.handlePollAnswer({ channel: 'telegram', pollId: 'P-unknown', userId: 'u1', userName: 'Lan', optionIds: [0] });

    const board = text(await core.handleMessage(group({ text: '/diem', userId: 'u1' })));
    expect(board).toMatch(/Minh: 1\/1/);
    expect(board).not.toMatch(/Lạ/);
    expect(board).not.toMatch(/Lan/);
    expect(kb.asks).toHaveLength(0);
  });

  it('in private chats reveals at once; outside a round a number is an ordinary question', async () => {
    const { core, kb } = await setup();
    const dm = (t: string): IncomingMessage => group({ chatId: 'u1', chatType: 'private', addressedToBot: true, text: t });
    await core.handleMessage(dm('2'));
    expect(kb.asks.map((a) => a.question)).toEqual(['2']);
    const asked = await core.handleMessage(dm('/kiemtra'));
    const right = asked.at(-1)!.quizPoll!.correctOptionId + 1;
    const reveal = await core.handleMessage(dm(String(right)));
    expect(text(reveal)).toMatch(/✅ Lan trả lời đúng/);
    expect(reveal[0]!.citations).toHaveLength(1);
    expect(kb.asks).toHaveLength(1);
  });

  it('lists the trainer commands with an example each in /trogiup and in the menu', async () => {
    const { core } = await setup();
    const help = text(await core.handleMessage(group({ chatType: 'private', chatId: 'u1', addressedToBot: true, text: '/trogiup' })));
    expect(help).toMatch(/Tập huấn với báo cáo/);
    for (const example of ['/kiemtra 381-BC/TU', 'ví dụ: 2', 'ví dụ: /diem', 'ví dụ: /ketthuc', 'ví dụ: /tomtat 303-BC/TU', 'ví dụ: /sosanh An Giang | Kon Tum']) {
      expect(help).toContain(example);
    }
    const en = text(await core.handleMessage(group({ chatType: 'private', chatId: 'u1', addressedToBot: true, text: '/help' })));
    // The English alias alone is not English writing: /help answers in Vietnamese too.
    expect(en).toMatch(/Tập huấn với báo cáo/);
    expect(core.commandMenu('vi').map((c) => c.command)).toEqual(expect.arrayContaining(['kiemtra', 'diem', 'ketthuc', 'tomtat', 'sosanh']));
    expect(core.commandMenu('en').map((c) => c.command)).toEqual(expect.arrayContaining(['quiz', 'score', 'endquiz', 'summary', 'compare']));
    expect(core.commandMenu('vi').find((c) => c.command === 'kiemtra')?.description).toMatch(/trắc nghiệm/);
  });

  it('keeps the scoreboard across a restart (new core, trainer and store on the same STATE_DIR)', async () => {
    const first = await setup();
    const asked = await first.core.handleMessage(group({ text: '/kiemtra' }));
    const right = String(asked.at(-1)!.quizPoll!.correctOptionId + 1);
    await first.core.handleMessage(group({ text: right, userId: 'u1', userName: 'Lan' }));
    await first.core.flush();
    await first.store.close();

    const second = await setup();
    expect(text(await second.core.handleMessage(group({ text: '/diem' })))).toMatch(/Lan: 1\/1/);
    // The open question survives too: a late answer still counts.
    expect(text(await second.core.handleMessage(group({ text: '1', userId: 'u3', userName: 'Hà' })))).toMatch(/Đã ghi nhận câu trả lời của Hà/);
  });
});
