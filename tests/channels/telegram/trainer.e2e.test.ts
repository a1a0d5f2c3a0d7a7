import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore, type StateStore } from '../../../src/state/index.js';
import { TrainerExtension } from '../../../src/trainer/extension.js';
import { useCorpus } from '../../trainer/helpers.js';
import { FakeBotApi } from './fakeBotApi.js';
import { GROUP_ID, OTHER, startHarness, TOKEN, USER, waitFor, type Harness } from './helpers.js';

/** The trainer on the Telegram channel, end to end against the fake Bot API. */

const corpus = useCorpus();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function trainer(store: StateStore): Promise<TrainerExtension> {
  return TrainerExtension.create({ snapshot: () => corpus.snapshot, store, channel: 'telegram' });
}

const storeOf = new WeakMap<Harness, StateStore>();

/** The bot and its trainer on one store under STATE_DIR, as npm start wires them. */
async function start(api: FakeBotApi, stateDir: string, env: Record<string, string> = {}): Promise<Harness> {
  const store = await openStateStore({ stateDir });
  const h = await startHarness({ api, stateDir, store, extension: await trainer(store), env });
  storeOf.set(h, store);
  return h;
}

/** Stops the bot, then closes its store (a restart reopens the SQLite file). */
async function stop(h: Harness): Promise<void> {
  await h.bot.stop();
  await storeOf.get(h)?.close();
}

interface PollParams {
  type: string;
  question: string;
  options: string[];
  correct_option_id: number;
  explanation: string;
  is_anonymous: boolean;
}

describe('Telegram trainer', () => {
  it('sends /quiz as a native quiz poll, scores poll answers, shows them in /diem, and keeps them across a restart', async () => {
    const api = await FakeBotApi.start(TOKEN);
    const stateDir = await mkdtemp(join(tmpdir(), 'tg-quiz-'));
    cleanups.push(async () => {
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
    });
    let h = await start(api, stateDir);
    cleanups.push(() => stop(h));
    const poll0 = await waitFor(() => api.callsOf('getUpdates')[0], 'first getUpdates');
    expect(poll0.params.allowed_updates).toEqual(['message', 'callback_query', 'poll_answer']);
    // The menu lists the trainer commands.
    const menu = api.callsOf('setMyCommands')[0]?.params.commands as { command: string }[];
    expect(menu.map((c) => c.command)).toEqual(expect.arrayContaining(['kiemtra', 'diem', 'ketthuc', 'tomtat', 'sosanh']));

    // The English alias alone is not English writing: the round runs in Vietnamese.
    api.privateText(USER, '/quiz 381-BC/TU');
    const [sent] = await waitFor(() => api.sentPolls(USER.id).length === 1 && api.sentPolls(USER.id), 'quiz poll');
    const poll = sent!.params as unknown as PollParams;
    expect(poll.type).toBe('quiz');
    expect(poll.is_anonymous).toBe(false);
    expect(poll.options.length).toBeGreaterThanOrEqual(2);
    expect(poll.correct_option_id).toBeGreaterThanOrEqual(0);
    expect(poll.correct_option_id).toBeLessThan(poll.options.length);
    // The explanation Telegram shows after a vote carries the citation: document and section.
    expect(poll.explanation).toMatch(/^Đáp án: .+\. Nguồn: Báo cáo số 381-BC\/TU.*, mục /);
    // The round notice goes as text; the question itself only as the poll.
    const texts = () => api.sentMessages(USER.id).map((m) => m.text);
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toMatch(/Bắt đầu vòng trắc nghiệm về «381-BC\/TU»/);
    expect(texts().join('\n')).not.toMatch(/Trả lời bằng số/);

    // A vote is scored and answered with nothing (Telegram shows right/wrong itself).
    api.pollAnswer(USER, sent!.pollId, [poll.correct_option_id]);
    api.privateText(USER, '/diem');
    await waitFor(() => texts().length === 2, '/diem');
    expect(texts()[1]).toMatch(/Lan: 1\/1 câu đúng/);
    expect(api.pendingUpdates()).toBe(0);

    // Restart on the same STATE_DIR: the scoreboard and the poll binding survive.
    await stop(h);
    h = await start(api, stateDir);
    api.pollAnswer(OTHER, sent!.pollId, [(poll.correct_option_id + 1) % poll.options.length]);
    api.privateText(USER, '/diem');
    await waitFor(() => texts().length === 3, '/diem after restart');
    // The vote from OTHER belongs to USER's private chat round, so it counts there.
    expect(texts()[2]).toMatch(/Lan: 1\/1 câu đúng/);
    expect(texts()[2]).toMatch(/Minh: 0\/1 câu đúng/);
  });

  it('in a group: poll votes from allowed users score, strangers do not; a refused poll falls back to numbered text', async () => {
    const api = await FakeBotApi.start(TOKEN);
    const stateDir = await mkdtemp(join(tmpdir(), 'tg-quiz-g-'));
    cleanups.push(async () => {
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
    });
    const h = await start(api, stateDir, { TELEGRAM_ALLOWED_USERS: `${USER.id},${OTHER.id}`, ALLOW_LISTED_USERS_IN_ANY_GROUP: 'true' });
    cleanups.push(() => stop(h));
    const STRANGER = { id: 9090, first_name: 'Lạ' };
    const texts = () => api.sentMessages(GROUP_ID).map((m) => m.text);

    api.groupText(GROUP_ID, USER, `/kiemtra@${api.bot.username}`);
    const [first] = await waitFor(() => api.sentPolls(GROUP_ID).length === 1 && api.sentPolls(GROUP_ID), 'group poll');
    const p1 = first!.params as unknown as PollParams;
    expect(p1.explanation).toMatch(/^Đáp án: .+\. Nguồn: .+, mục /);
    api.pollAnswer(USER, first!.pollId, [p1.correct_option_id]);
    api.pollAnswer(STRANGER, first!.pollId, [p1.correct_option_id]);
    api.pollAnswer(OTHER, first!.pollId, [(p1.correct_option_id + 1) % p1.options.length]);

    // Telegram refuses the next poll: the question goes out as text, answered by typing a number.
    api.injectFault('sendPoll', { type: '5xx', status: 400 });
    api.groupText(GROUP_ID, USER, '/kiemtra');
    await waitFor(() => texts().some((t) => /Trả lời bằng số/.test(t)), 'text question');
    const question = texts().find((t) => /Trả lời bằng số/.test(t))!;
    expect(question).toMatch(/Câu 2/);
    expect(question).toMatch(/\n1\) .+\n2\) /);
    // The first question was revealed (with its source) before the second was asked.
    expect(texts().join('\n')).toMatch(/Đáp án câu 1/);
    const before = texts().length;
    // Group members answer with a bare number, without mentioning the bot.
    api.groupText(GROUP_ID, OTHER, '1');
    await waitFor(() => texts().length === before + 1, 'typed answer');
    expect(texts().at(-1)).toMatch(/Đã ghi nhận câu trả lời của Minh/);

    api.groupText(GROUP_ID, USER, '/diem');
    await waitFor(() => texts().length === before + 2, '/diem');
    const board = texts().at(-1)!;
    expect(board).toMatch(/Lan: 1\/1 câu đúng/);
    expect(board).toMatch(/Minh: \d\/2 câu đúng/);
    expect(board).not.toMatch(/Lạ/);
    expect(h.kb.asks).toHaveLength(0);
  });
});
