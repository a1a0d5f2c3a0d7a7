import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationCore, FakeKnowledgeBase } from '../../src/bot/index.js';
import { createLogger } from '../../src/logger.js';
import { importLegacyJson, openStateStore, PostgresDriver, type StateStore } from '../../src/state/index.js';
import { TrainerExtension } from '../../src/trainer/extension.js';
import { generateQuiz } from '../../src/trainer/quiz.js';
import { PG_URL, postgresAvailable, uniqueSchema } from '../state/pgTestDb.js';
import { useCorpus } from './helpers.js';
import { groupMessage, replyText } from '../bot/incoming.js';

/**
 * The trainer on the state store: quiz rounds shared by replicas on PostgreSQL, and the legacy
 * `<channel>-quiz.json` imported once on first start.
 */

const corpus = useCorpus();
const pgUp = await postgresAvailable();
if (!pgUp) console.warn('PostgreSQL is not reachable on 127.0.0.1:5432: the two-replica quiz test is skipped');

const text = replyText;
const group = groupMessage;

let dir: string;
const stores: StateStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainer-store-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** What one bot process builds on its store: a trainer and a core for the Telegram channel. */
async function replica(store: StateStore) {
  const extension = await TrainerExtension.create({ snapshot: () => corpus.snapshot, store, channel: 'telegram' });
  const core = await ConversationCore.create({ knowledge: new FakeKnowledgeBase(), channel: 'telegram', store, rateLimitPerMinute: 0, extension });
  return core;
}

describe.skipIf(!pgUp)('quiz rounds across replicas (PostgreSQL)', () => {
  const schema = uniqueSchema('trainer_replicas');
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await PostgresDriver.dropSchema(PG_URL, schema);
  });

  it('a round started on one replica is answered, scored and ended on the other', async () => {
    // Two processes' worth of state: separate pools on one schema, nothing shared in memory.
    const open = async () => {
      const store = await openStateStore({ stateDir: dir, databaseUrl: PG_URL, databaseSchema: schema, importLegacy: false });
      stores.push(store);
      return store;
    };
    const a = await replica(await open());
    const b = await replica(await open());

    const asked = await a.handleMessage(group({ text: '/kiemtra 381-BC/TU' }));
    const poll = asked.at(-1)!.quizPoll!;
    const right = poll.correctOptionId + 1;
    const wrong = (right % poll.options.length) + 1;
    await a.bindPoll('g1', poll.questionId, 'P1');

    // A bare number on B, which never saw the question, is still taken as an answer.
    expect(text(await b.handleMessage(group({ text: String(right), userId: 'u1', userName: 'Lan' })))).toMatch(/Đã ghi nhận câu trả lời của Lan/);
    // A vote on the poll A sent, delivered to B.
    expect(await b.pollChatKey('P1')).toBe('g1');
    await b.handlePollAnswer({ channel: 'telegram', pollId: 'P1', userId: 'u2', userName: 'Minh', optionIds: [poll.correctOptionId] });

    // Twenty members answer at once, each twice (once per replica, racing): one answer each counts.
    const members = Array.from({ length: 20 }, (_v, i) => ({ userId: `m${i}`, userName: `Thành viên ${i}` }));
    const replies = await Promise.all(
      members.flatMap((m, i) => [
        (i % 2 ? a : b).handleMessage(group({ ...m, text: String(i < 5 ? right : wrong) })),
        (i % 2 ? b : a).handleMessage(group({ ...m, text: String(right) })),
      ]),
    );
    const recorded = replies.filter((r) => /Đã ghi nhận/.test(text(r))).length;
    const refused = replies.filter((r) => /đã trả lời câu này rồi/.test(text(r))).length;
    expect(recorded).toBe(20);
    expect(refused).toBe(20);

    const boardA = text(await a.handleMessage(group({ text: '/diem' })));
    const boardB = text(await b.handleMessage(group({ text: '/diem' })));
    expect(boardA).toBe(boardB);
    expect(boardA).toMatch(/Lan: 1\/1 câu đúng/);
    expect(boardA).toMatch(/Minh: 1\/1 câu đúng/);
    const scoreLines = boardA.split('\n').filter((l) => /\d+\/\d+ câu đúng/.test(l));
    expect(scoreLines).toHaveLength(22);
    // The first answer counted, whichever replica took it; so some members score 1, some 0.
    const correct = scoreLines.filter((l) => / 1\/1 câu đúng/.test(l)).length;
    expect(correct).toBeGreaterThanOrEqual(2);

    // The next question from B closes the first (revealed); A sees B's question as the open one.
    const second = text(await b.handleMessage(group({ text: '/kiemtra' })));
    expect(second).toMatch(/Đáp án câu 1/);
    expect(second).toMatch(/Câu 2/);
    expect(text(await a.handleMessage(group({ text: '1', userId: 'u1', userName: 'Lan' })))).toMatch(/Đã ghi nhận câu trả lời của Lan/);

    // Ended on A: one summary; B then finds no round, and a late vote on the old poll is ignored.
    const end = text(await a.handleMessage(group({ text: '/ketthuc' })));
    expect(end).toMatch(/Đã hỏi 2 câu; 22 người tham gia/);
    expect(text(await b.handleMessage(group({ text: '/diem' })))).toMatch(/Chưa có vòng/);
    expect(await b.pollChatKey('P1')).toBeUndefined();

    console.log('quiz across 2 replicas (PostgreSQL)');
    console.table([{ replicas: 2, answersSent: replies.length + 2, recorded: recorded + 2, duplicatesRefused: refused, scoreboardRows: scoreLines.length, correctFirstAnswers: correct }]);
  });
});

describe('legacy <channel>-quiz.json (SQLite)', () => {
  /** The file the previous version wrote: one open round in g1, Lan answered, the question also sent as poll P-old. */
  function legacyFile(): { file: unknown; answer: number; options: number } {
    const [q] = generateQuiz(corpus.snapshot, { count: 1, seed: 3 }).questions;
    if (!q) throw new Error('the corpus gives no quiz question');
    const asked = { n: 1, question: q, askedAt: 1_700_000_000_000, pollId: 'P-old', revealed: false, answers: [{ userId: 'u1', name: 'Lan', option: q.answer, correct: true, at: 1_700_000_001_000 }] };
    const round = { chatKey: 'g1', topic: '', seed: 'g1:1', lang: 'vi', startedAt: 1_700_000_000_000, questions: [asked] };
    return { file: { version: 1, rounds: { g1: round }, polls: { 'P-old': { chatKey: 'g1', questionId: q.id } } }, answer: q.answer, options: q.options.length };
  }

  it('is imported once on first start and set aside; the round goes on where it was', async () => {
    const legacy = legacyFile();
    await writeFile(join(dir, 'telegram-quiz.json'), JSON.stringify(legacy.file));
    const store = await openStateStore({ stateDir: dir });
    stores.push(store);
    expect(await readdir(dir)).toContain('telegram-quiz.json.imported');
    expect(await readdir(dir)).not.toContain('telegram-quiz.json');

    const core = await replica(store);
    expect(text(await core.handleMessage(group({ text: '/diem' })))).toMatch(/Lan: 1\/1 câu đúng/);
    // The open question still takes answers, typed or by the old poll.
    expect(text(await core.handleMessage(group({ text: '1', userId: 'u1', userName: 'Lan' })))).toMatch(/Lan đã trả lời câu này rồi/);
    expect(text(await core.handleMessage(group({ text: String(legacy.answer + 1), userId: 'u2', userName: 'Minh' })))).toMatch(/Đã ghi nhận câu trả lời của Minh/);
    await core.handlePollAnswer({ channel: 'telegram', pollId: 'P-old', userId: 'u3', userName: 'Hà', optionIds: [(legacy.answer + 1) % legacy.options] });

    // A second start imports nothing (the file was set aside), so nothing is counted twice.
    expect(await importLegacyJson(store, dir)).toEqual({});
    await store.close();
    const again = await openStateStore({ stateDir: dir });
    stores.push(again);
    const board = text(await (await replica(again)).handleMessage(group({ text: '/diem' })));
    expect(board).toMatch(/Bảng điểm \(1 câu\)/);
    expect(board).toMatch(/Lan: 1\/1 câu đúng/);
    expect(board).toMatch(/Minh: 1\/1 câu đúng/);
    expect(board).toMatch(/Hà: 0\/1 câu đúng/);
  });

  it('a corrupt file is set aside with a warning; start-up goes on and quizzes start fresh', async () => {
    await writeFile(join(dir, 'telegram-quiz.json'), '{"version":1,"rounds":{"g1":{"chatKey":');
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    const store = await openStateStore({ stateDir: dir, logger });
    stores.push(store);
    const files = await readdir(dir);
    expect(files).toContain('telegram-quiz.json.corrupt');
    expect(files).not.toContain('telegram-quiz.json.imported');
    const warning = lines.map((l) => JSON.parse(l) as { level: number; file?: string; msg: string }).find((l) => l.file === 'telegram-quiz.json');
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toMatch(/unreadable/);

    const core = await replica(store);
    expect(text(await core.handleMessage(group({ text: '/diem' })))).toMatch(/Chưa có vòng/);
    expect(text(await core.handleMessage(group({ text: '/kiemtra' })))).toMatch(/Bắt đầu vòng trắc nghiệm/);
  });

  it('a readable file with a broken round imports the rest and warns about the one it skipped', async () => {
    const legacy = legacyFile() as { file: { rounds: Record<string, unknown> } };
    legacy.file.rounds.g2 = { chatKey: 'g2', questions: 'not a list' };
    await writeFile(join(dir, 'telegram-quiz.json'), JSON.stringify(legacy.file));
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    const store = await openStateStore({ stateDir: dir, logger });
    stores.push(store);
    expect(lines.map((l) => JSON.parse(l) as { skipped?: number }).find((l) => l.skipped !== undefined)?.skipped).toBe(1);
    const core = await replica(store);
    expect(text(await core.handleMessage(group({ text: '/diem' })))).toMatch(/Lan: 1\/1 câu đúng/);
    expect(text(await core.handleMessage(group({ chatId: 'g2', text: '/diem' })))).toMatch(/Chưa có vòng/);
  });
});
