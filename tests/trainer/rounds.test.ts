import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationCore, FakeKnowledgeBase, loadMessages, type IncomingMessage, type Reply } from '../../src/bot/index.js';
import { Trainer } from '../../src/trainer/commands.js';
import { withTrainerMessages } from '../../src/trainer/messages.js';
import { generateQuiz } from '../../src/trainer/quiz.js';
import type { TrainerReply } from '../../src/trainer/render.js';
import { Rounds } from '../../src/trainer/rounds.js';
import { openStateStore, type StateStore } from '../../src/state/index.js';
import { useCorpus } from './helpers.js';

const corpus = useCorpus();

let dir: string;
const stores: StateStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rounds-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** The SQLite store under `stateDir` (what npm start opens), closed after the test. */
async function openStore(stateDir = dir): Promise<StateStore> {
  const store = await openStateStore({ stateDir, importLegacy: false });
  stores.push(store);
  return store;
}

const text = (replies: Reply[]) => replies.flatMap((r) => r.blocks.map((b) => b.text)).join('\n');

describe('Rounds', () => {
  it('keeps the scoreboard across a restart (the SQLite store closed and opened again)', async () => {
    const [q1, q2] = generateQuiz(corpus.snapshot, { count: 2, seed: 5 }).questions;
    const first = await openStore();
    const a = new Rounds({ store: first, channel: 'console' });
    await a.start('chat1', { topic: '', seed: 's' });
    await a.ask('chat1', q1!);
    expect(await a.answer('chat1', { id: 'u1', name: 'Lan' }, q1!.answer)).toMatchObject({ kind: 'recorded', correct: true });
    expect(await a.answer('chat1', { id: 'u2', name: 'Minh' }, (q1!.answer + 1) % q1!.options.length)).toMatchObject({ kind: 'recorded', correct: false });
    // One answer per participant per question.
    expect(await a.answer('chat1', { id: 'u1', name: 'Lan' }, 0)).toMatchObject({ kind: 'already-answered' });
    expect(await a.answer('chat1', { id: 'u3', name: 'Hà' }, 9)).toMatchObject({ kind: 'out-of-range' });
    await a.ask('chat1', q2!);
    await a.bindPoll('chat1', q2!.id, 'poll-77');
    // Another channel's chat of the same id has no round.
    expect(await new Rounds({ store: first, channel: 'zalo' }).get('chat1')).toBeUndefined();
    await first.close();

    const b = new Rounds({ store: await openStore(), channel: 'console' });
    expect(await b.scoreboard('chat1')).toEqual([
      { userId: 'u1', name: 'Lan', correct: 1, answered: 1 },
      { userId: 'u2', name: 'Minh', correct: 0, answered: 1 },
    ]);
    // A Telegram poll answer after the restart still finds its chat and question.
    expect(await b.answerPoll('poll-77', { id: 'u2', name: 'Minh' }, [q2!.answer])).toMatchObject({ kind: 'recorded', chatKey: 'chat1', correct: true });
    expect(await b.answerPoll('poll-unknown', { id: 'u2', name: 'Minh' }, [0])).toEqual({ kind: 'unknown-poll' });
    expect((await b.scoreboard('chat1')).map((s) => [s.name, s.correct])).toEqual([
      ['Lan', 1],
      ['Minh', 1],
    ]);
    const ended = await b.end('chat1');
    expect(ended?.round.questions).toHaveLength(2);
    expect(ended?.scores.map((s) => s.userId)).toEqual(['u1', 'u2']);
    // Ended once: a second /ketthuc finds nothing.
    expect(await b.end('chat1')).toBeUndefined();
    const c = new Rounds({ store: await openStore(), channel: 'console' });
    expect(await c.get('chat1')).toBeUndefined();
    expect(await c.answerPoll('poll-77', { id: 'u3', name: 'Hà' }, [0])).toEqual({ kind: 'unknown-poll' });
  });
});

let nextId = 1;
function msg(partial: Partial<IncomingMessage>): IncomingMessage {
  return { channel: 'console', chatId: 'c1', chatType: 'private', userId: 'u1', userName: 'Lan', messageId: String(nextId++), kind: 'text', addressedToBot: true, ...partial };
}

describe('trainer commands on the conversation core', () => {
  async function setup(stateDir = dir) {
    const trainer = await Trainer.create({ snapshot: () => corpus.snapshot, store: await openStore(stateDir), channel: 'console', now: () => 1_700_000_000_000 });
    const core = await ConversationCore.create({
      knowledge: new FakeKnowledgeBase(),
      channel: 'console',
      registry: trainer.registry(),
      messages: withTrainerMessages(loadMessages()),
      rateLimitPerMinute: 0,
    });
    // What the lead wires into the core: a bare number is offered to the trainer first.
    const send = async (m: IncomingMessage): Promise<Reply[]> => (await trainer.interceptMessage(m)) ?? core.handleMessage(m);
    return { trainer, core, send };
  }

  it('runs a private round: question, numbered answer with cited reveal, score, end', async () => {
    const { send, core } = await setup();
    const asked = (await send(msg({ text: '/kiemtra An Giang' }))) as TrainerReply[];
    const question = asked.at(-1)!;
    expect(text(asked)).toMatch(/Câu 1/);
    expect(text(asked)).toMatch(/Trả lời bằng số/);
    expect(question.quizPoll?.type).toBe('quiz');
    expect(question.quizPoll!.question.length).toBeLessThanOrEqual(300);

    const right = question.quizPoll!.correctOptionId + 1;
    const answered = await send(msg({ text: String(right) }));
    expect(text(answered)).toMatch(/trả lời đúng/);
    expect(answered[0]!.citations).toHaveLength(1);
    expect(text(answered)).toContain(answered[0]!.citations[0]!.quote);

    // The question is closed after the reveal; the next number gets a hint, not a second score.
    expect(text(await send(msg({ text: '1' })))).toMatch(/\/kiemtra/);

    const next = (await send(msg({ text: '/quiz' }))) as TrainerReply[];
    expect(next.at(-1)!.quizPoll).toBeDefined();
    expect(text(await send(msg({ text: '/diem' })))).toMatch(/Lan: 1\/1/);
    const end = await send(msg({ text: '/ketthuc' }));
    expect(text(end)).toMatch(/Kết thúc vòng trắc nghiệm/);
    expect(text(end)).toMatch(/Đáp án câu 2/);
    expect(text(await send(msg({ text: '/diem' })))).toMatch(/Chưa có vòng/);
    // Outside a round a number is an ordinary question for the core.
    expect(await (await setup(await mkdtemp(join(dir, 'other-')))).trainer.interceptMessage(msg({ text: '2', chatId: 'other' }))).toBeUndefined();
    await core.flush();
  });

  it('hides answers in groups until the next question and accepts Telegram poll answers', async () => {
    const { send, trainer } = await setup();
    const group = (p: Partial<IncomingMessage>) => msg({ chatId: 'g1', chatType: 'group', ...p });
    const first = (await send(group({ text: '/kiemtra 381-BC/TU' }))) as TrainerReply[];
    const poll = first.at(-1)!.quizPoll!;
    const recorded = await send(group({ text: '1', userId: 'u7', userName: 'Tú' }));
    expect(text(recorded)).toMatch(/Đã ghi nhận câu trả lời của Tú/);
    expect(text(recorded)).not.toMatch(/Đáp án/);

    await trainer.bindPoll('g1', poll.questionId, 'P1');
    const viaPoll = await trainer.handlePollAnswer({ pollId: 'P1', userId: 'u8', userName: 'Nam', optionIds: [poll.correctOptionId] });
    expect(viaPoll.chatKey).toBe('g1');
    expect(viaPoll.outcome).toMatchObject({ kind: 'recorded', correct: true });

    const second = await send(group({ text: '/kiemtra' }));
    expect(text(second)).toMatch(/Đáp án câu 1/);
    expect(text(second)).toMatch(/Câu 2/);
    const board = text(await send(group({ text: '/diem' })));
    expect(board).toMatch(/Nam: 1\/1/);
  });

  it('explains unknown topics and shows help lines with examples', async () => {
    const { send, trainer, core } = await setup();
    expect(text(await send(msg({ text: '/kiemtra Hà Nội' })))).toMatch(/Không tìm thấy chủ đề «Hà Nội»/);
    const help = text(await send(msg({ text: '/trogiup' })));
    expect(help).toMatch(/\/kiemtra \(\/quiz\) — Câu hỏi trắc nghiệm/);
    expect(help).toMatch(/\/sosanh \(\/compare\)/);
    expect(core.commandMenu('vi').map((c) => c.command)).toEqual(expect.arrayContaining(['kiemtra', 'diem', 'ketthuc', 'tomtat', 'sosanh']));
    expect(trainer.helpLines('vi')).toHaveLength(6);
    for (const line of trainer.helpLines('vi')) expect(line).toMatch(/ví dụ/);
  });

  it('answers /tomtat and /sosanh through the core', async () => {
    const { send } = await setup();
    expect(text(await send(msg({ text: '/tomtat' })))).toMatch(/Bạn muốn tóm tắt văn bản nào/);
    expect(text(await send(msg({ text: '/tomtat 381-BC/TU' })))).toMatch(/Tóm tắt: Báo cáo 381-BC\/TU/);
    const cmp = await send(msg({ text: '/sosanh An Giang | Kon Tum: bí thư đồng thời là chủ tịch' }));
    expect(text(cmp)).toMatch(/119\/156 xã, phường, thị trấn/);
    expect(text(cmp)).toMatch(/không có số liệu/);
    expect(text(await send(msg({ text: '/sosanh An Giang' })))).toMatch(/Cách dùng/);
  });
});
