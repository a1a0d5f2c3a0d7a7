import { randomUUID } from 'node:crypto';
import type { Language } from '../answer/types.js';
import type { QuizQuestionRecord, QuizRoundRecord, QuizScoreRecord, QuizStore } from '../state/types.js';
import type { QuizQuestion } from './types.js';

/**
 * Quiz rounds per chat: the questions asked, every participant's answers and the scores, all in
 * the state store (SQLite, or PostgreSQL shared by every replica). Nothing is kept in memory: each
 * call reads the chat's round (one row, with its latest question) and each answer is one insert,
 * so a round started on one replica can be answered, scored and ended on another.
 *
 * Answers arrive two ways and meet here: a number typed in the chat (console, Zalo, Telegram
 * without polls) goes through `answer(chatKey, …)`; a Telegram quiz poll answer only carries the
 * poll id, so the channel first reports which poll it sent for which question (`bindPoll`) and
 * then feeds `answerPoll(pollId, …)`.
 */

export interface Participant {
  id: string;
  name: string;
}

export interface RoundAnswer {
  userId: string;
  name: string;
  option: number;
  correct: boolean;
  at: number;
}

export interface AskedQuestion {
  /** 1-based number within the round. */
  n: number;
  question: QuizQuestion;
  askedAt: number;
  pollId?: string;
  revealed: boolean;
}

export interface Round {
  chatKey: string;
  /** Tells this round from the next one in the same chat (a late answer to an ended round is not scored). */
  roundId: string;
  topic: string;
  seed: string;
  lang: Language;
  startedAt: number;
  /** Questions asked so far. */
  asked: number;
  /** The latest question asked, open or revealed. */
  latest?: AskedQuestion;
}

export interface ScoreEntry {
  userId: string;
  name: string;
  correct: number;
  answered: number;
}

export type AnswerOutcome =
  | { kind: 'no-round' }
  | { kind: 'no-question' }
  | { kind: 'unknown-poll' }
  | { kind: 'out-of-range'; count: number }
  | { kind: 'already-answered'; chatKey: string; name: string; question: AskedQuestion }
  | { kind: 'recorded'; chatKey: string; name: string; correct: boolean; question: AskedQuestion };

export interface EndedRound {
  round: Round & { questions: AskedQuestion[] };
  scores: ScoreEntry[];
}

/** A round stops growing here: state stays small and a forgotten round cannot grow forever. */
export const MAX_QUESTIONS_PER_ROUND = 100;

export interface RoundsOptions {
  store: QuizStore;
  /** Rounds are kept per channel (a Telegram chat id and a Zalo one may coincide). */
  channel: string;
  now?: () => number;
}

const toAsked = (q: QuizQuestionRecord): AskedQuestion => ({
  n: q.n,
  question: q.question,
  askedAt: q.askedAtMs,
  ...(q.pollId !== undefined ? { pollId: q.pollId } : {}),
  revealed: q.revealed,
});

function toRound(r: QuizRoundRecord): Round {
  return {
    chatKey: r.chatKey,
    roundId: r.roundId,
    topic: r.topic,
    seed: r.seed,
    lang: r.lang,
    startedAt: r.startedAtMs,
    asked: r.asked,
    ...(r.latest ? { latest: toAsked(r.latest) } : {}),
  };
}

/** Most correct first; fewer attempts breaks ties (accuracy), then name for a stable order. */
function ranked(scores: readonly QuizScoreRecord[]): ScoreEntry[] {
  return scores
    .map((s) => ({ userId: s.userId, name: s.name, correct: s.correct, answered: s.answered }))
    .sort((a, b) => b.correct - a.correct || a.answered - b.answered || a.name.localeCompare(b.name));
}

/** The question typed answers go to: the latest one, while it is still open. */
export const openQuestion = (round: Round | undefined): AskedQuestion | undefined => (round?.latest && !round.latest.revealed ? round.latest : undefined);

export class Rounds {
  private readonly store: QuizStore;
  private readonly channel: string;
  private readonly now: () => number;

  constructor(options: RoundsOptions) {
    this.store = options.store;
    this.channel = options.channel;
    this.now = options.now ?? Date.now;
  }

  async get(chatKey: string): Promise<Round | undefined> {
    const r = await this.store.quizRound(this.channel, chatKey);
    return r ? toRound(r) : undefined;
  }

  /** Starts a round in the chat, or returns the one already running there (another replica may have started it). */
  async start(chatKey: string, options: { topic?: string; seed?: string; lang?: Language } = {}): Promise<Round> {
    const nowMs = this.now();
    const info = {
      chatKey,
      roundId: randomUUID(),
      topic: options.topic ?? '',
      seed: options.seed ?? `${chatKey}:${nowMs}`,
      lang: options.lang ?? 'vi',
      startedAtMs: nowMs,
    };
    return toRound(await this.store.quizStartRound(this.channel, info, nowMs));
  }

  async setTopic(chatKey: string, topic: string): Promise<void> {
    const round = await this.get(chatKey);
    if (round) await this.store.quizSetTopic(this.channel, chatKey, round.roundId, topic, this.now());
  }

  /** Keys (sentence keys and question ids) already used in the round, for the generator's `exclude`. */
  async usedKeys(chatKey: string): Promise<string[]> {
    const round = await this.get(chatKey);
    if (!round) return [];
    const questions = await this.store.quizQuestions(this.channel, chatKey, round.roundId);
    return questions.flatMap((q) => [q.question.sentenceKey, q.question.id]);
  }

  async ask(chatKey: string, question: QuizQuestion): Promise<AskedQuestion> {
    const round = await this.get(chatKey);
    if (!round) throw new Error(`no quiz round in chat ${chatKey}`);
    const asked = await this.store.quizAsk(this.channel, chatKey, round.roundId, question, this.now(), MAX_QUESTIONS_PER_ROUND);
    if (!asked) throw new Error('quiz round is full or was ended meanwhile');
    return toAsked(asked);
  }

  /** The question typed answers go to: the latest one, while it is still open. */
  async current(chatKey: string): Promise<AskedQuestion | undefined> {
    return openQuestion(await this.get(chatKey));
  }

  async markRevealed(chatKey: string, n: number): Promise<void> {
    const round = await this.get(chatKey);
    if (round) await this.store.quizReveal(this.channel, chatKey, round.roundId, n);
  }

  /** A typed answer: `option` is 0-based. One answer per participant per question; the first counts. */
  async answer(chatKey: string, who: Participant, option: number): Promise<AnswerOutcome> {
    const round = await this.get(chatKey);
    if (!round) return { kind: 'no-round' };
    const q = openQuestion(round);
    if (!q) return { kind: 'no-question' };
    return this.record(round, q, who, option, { kind: 'no-question' });
  }

  /** Remembers which Telegram poll carries which question, so poll answers can be scored. */
  async bindPoll(chatKey: string, questionId: string, pollId: string): Promise<void> {
    const round = await this.get(chatKey);
    if (!round) return;
    // The poll is sent right after its question was asked, so it is nearly always the latest.
    let n = round.latest?.question.id === questionId ? round.latest.n : undefined;
    if (n === undefined) {
      const questions = await this.store.quizQuestions(this.channel, chatKey, round.roundId);
      n = questions.find((x) => x.question.id === questionId)?.n;
    }
    if (n !== undefined) await this.store.quizBindPoll(this.channel, pollId, { chatKey, roundId: round.roundId, n });
  }

  /** The chat a bound poll belongs to (so a poll answer can be checked against that chat's access). */
  async pollChatKey(pollId: string): Promise<string | undefined> {
    return (await this.store.quizPoll(this.channel, pollId))?.chatKey;
  }

  /**
   * A Telegram poll_answer: poll id, the voter and the chosen option ids (0-based). A quiz poll
   * stays answerable after later questions are sent, so any question of the round counts.
   */
  async answerPoll(pollId: string, who: Participant, optionIds: readonly number[]): Promise<AnswerOutcome> {
    const ref = await this.store.quizPoll(this.channel, pollId);
    if (!ref) return { kind: 'unknown-poll' };
    const round = await this.get(ref.chatKey);
    if (!round || round.roundId !== ref.roundId) return { kind: 'unknown-poll' };
    const q = round.latest?.n === ref.n ? round.latest : (await this.store.quizQuestions(this.channel, ref.chatKey, ref.roundId)).map(toAsked).find((x) => x.n === ref.n);
    if (!q) return { kind: 'unknown-poll' };
    const option = optionIds[0];
    // An empty list is a retracted vote (regular polls only); a quiz answer is final.
    if (option === undefined) return { kind: 'no-question' };
    return this.record(round, q, who, option, { kind: 'unknown-poll' });
  }

  private async record(round: Round, q: AskedQuestion, who: Participant, option: number, gone: AnswerOutcome): Promise<AnswerOutcome> {
    const count = q.question.options.length;
    if (!Number.isInteger(option) || option < 0 || option >= count) return { kind: 'out-of-range', count };
    const correct = option === q.question.answer;
    const answer = { userId: who.id, name: who.name, option, correct, atMs: this.now() };
    const result = await this.store.quizAnswer(this.channel, round.chatKey, round.roundId, q.n, answer);
    switch (result.kind) {
      case 'gone':
        return gone;
      case 'already-answered':
        return { kind: 'already-answered', chatKey: round.chatKey, name: result.previous.name, question: q };
      case 'recorded':
        return { kind: 'recorded', chatKey: round.chatKey, name: who.name, correct, question: q };
    }
  }

  async scoreboard(chatKey: string): Promise<ScoreEntry[]> {
    const round = await this.get(chatKey);
    return round ? ranked(await this.store.quizScores(this.channel, chatKey, round.roundId)) : [];
  }

  /** Ends the chat's round; undefined when there is none (or another replica ended it first). */
  async end(chatKey: string): Promise<EndedRound | undefined> {
    const round = await this.get(chatKey);
    if (!round) return undefined;
    const ended = await this.store.quizEndRound(this.channel, chatKey, round.roundId);
    if (!ended) return undefined;
    return { round: { ...toRound(ended.round), questions: ended.questions.map(toAsked) }, scores: ranked(ended.scores) };
  }
}
