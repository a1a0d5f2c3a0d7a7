import { JsonStateWriter, readJsonFile } from './jsonState.js';
import type { Language } from '../answer/types.js';
import type { QuizQuestion } from './types.js';

/**
 * Quiz rounds per chat: the questions asked, every participant's answers and the scores. The
 * state is one JSON file rewritten atomically (temp file + rename, via the core's
 * JsonStateWriter), so a restart or a crash never loses or tears the scoreboard.
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
  answers: RoundAnswer[];
}

export interface Round {
  chatKey: string;
  topic: string;
  seed: string;
  lang: Language;
  startedAt: number;
  questions: AskedQuestion[];
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
  round: Round;
  scores: ScoreEntry[];
}

interface StateFile {
  version: 1;
  rounds: Record<string, Round>;
  /** Telegram poll id → where its answers belong. */
  polls: Record<string, { chatKey: string; questionId: string }>;
}

/** A round stops growing here: state stays small and a forgotten round cannot grow forever. */
export const MAX_QUESTIONS_PER_ROUND = 100;

function isRound(v: unknown): v is Round {
  if (!v || typeof v !== 'object') return false;
  const r = v as Partial<Round>;
  return typeof r.chatKey === 'string' && typeof r.seed === 'string' && Array.isArray(r.questions);
}

export class Rounds {
  private rounds = new Map<string, Round>();
  private polls = new Map<string, { chatKey: string; questionId: string }>();
  private readonly writer: JsonStateWriter | undefined;

  private constructor(
    file: string | undefined,
    private readonly now: () => number,
    onError: (err: unknown) => void,
  ) {
    this.writer = file
      ? new JsonStateWriter(
          file,
          (): StateFile => ({ version: 1, rounds: Object.fromEntries(this.rounds), polls: Object.fromEntries(this.polls) }),
          onError,
        )
      : undefined;
  }

  /** Opens (or creates) the state file; without `file` the rounds live in memory only. */
  static async open(options: { file?: string; now?: () => number; onError?: (err: unknown) => void } = {}): Promise<Rounds> {
    const store = new Rounds(options.file, options.now ?? Date.now, options.onError ?? (() => {}));
    if (options.file) {
      const raw = await readJsonFile(options.file);
      if (raw && typeof raw === 'object') {
        const data = raw as Partial<StateFile>;
        for (const [key, round] of Object.entries(data.rounds ?? {})) if (isRound(round)) store.rounds.set(key, round);
        for (const [pollId, ref] of Object.entries(data.polls ?? {})) {
          if (ref && typeof ref.chatKey === 'string' && typeof ref.questionId === 'string' && store.rounds.has(ref.chatKey)) store.polls.set(pollId, ref);
        }
      }
    }
    return store;
  }

  get(chatKey: string): Round | undefined {
    return this.rounds.get(chatKey);
  }

  async start(chatKey: string, options: { topic?: string; seed?: string; lang?: Language } = {}): Promise<Round> {
    this.dropPolls(chatKey);
    const round: Round = {
      chatKey,
      topic: options.topic ?? '',
      seed: options.seed ?? `${chatKey}:${this.now()}`,
      lang: options.lang ?? 'vi',
      startedAt: this.now(),
      questions: [],
    };
    this.rounds.set(chatKey, round);
    await this.save();
    return round;
  }

  async setTopic(chatKey: string, topic: string): Promise<void> {
    const round = this.rounds.get(chatKey);
    if (!round) return;
    round.topic = topic;
    await this.save();
  }

  /** Keys (sentence keys and question ids) already used in the round, for the generator's `exclude`. */
  usedKeys(chatKey: string): string[] {
    return (this.rounds.get(chatKey)?.questions ?? []).flatMap((q) => [q.question.sentenceKey, q.question.id]);
  }

  async ask(chatKey: string, question: QuizQuestion): Promise<AskedQuestion> {
    const round = this.rounds.get(chatKey);
    if (!round) throw new Error(`no quiz round in chat ${chatKey}`);
    if (round.questions.length >= MAX_QUESTIONS_PER_ROUND) throw new Error('quiz round is full');
    // Asking a new question closes the previous one for typed answers.
    const last = round.questions.at(-1);
    if (last) last.revealed = true;
    const asked: AskedQuestion = { n: round.questions.length + 1, question, askedAt: this.now(), revealed: false, answers: [] };
    round.questions.push(asked);
    await this.save();
    return asked;
  }

  /** The question typed answers go to: the latest one, while it is still open. */
  current(chatKey: string): AskedQuestion | undefined {
    const last = this.rounds.get(chatKey)?.questions.at(-1);
    return last && !last.revealed ? last : undefined;
  }

  async markRevealed(chatKey: string, n: number): Promise<void> {
    const q = this.rounds.get(chatKey)?.questions.find((x) => x.n === n);
    if (q && !q.revealed) {
      q.revealed = true;
      await this.save();
    }
  }

  /** A typed answer: `option` is 0-based. One answer per participant per question; the first counts. */
  async answer(chatKey: string, who: Participant, option: number): Promise<AnswerOutcome> {
    const round = this.rounds.get(chatKey);
    if (!round) return { kind: 'no-round' };
    const q = this.current(chatKey);
    if (!q) return { kind: 'no-question' };
    return this.record(round, q, who, option);
  }

  /** Remembers which Telegram poll carries which question, so poll answers can be scored. */
  async bindPoll(chatKey: string, questionId: string, pollId: string): Promise<void> {
    const q = this.rounds.get(chatKey)?.questions.find((x) => x.question.id === questionId);
    if (!q) return;
    q.pollId = pollId;
    this.polls.set(pollId, { chatKey, questionId });
    await this.save();
  }

  /** The chat a bound poll belongs to (so a poll answer can be checked against that chat's access). */
  pollChatKey(pollId: string): string | undefined {
    return this.polls.get(pollId)?.chatKey;
  }

  /**
   * A Telegram poll_answer: poll id, the voter and the chosen option ids (0-based). A quiz poll
   * stays answerable after later questions are sent, so any question of the round counts.
   */
  async answerPoll(pollId: string, who: Participant, optionIds: readonly number[]): Promise<AnswerOutcome> {
    const ref = this.polls.get(pollId);
    if (!ref) return { kind: 'unknown-poll' };
    const round = this.rounds.get(ref.chatKey);
    const q = round?.questions.find((x) => x.question.id === ref.questionId);
    if (!round || !q) return { kind: 'unknown-poll' };
    const option = optionIds[0];
    // An empty list is a retracted vote (regular polls only); a quiz answer is final.
    if (option === undefined) return { kind: 'no-question' };
    return this.record(round, q, who, option);
  }

  private async record(round: Round, q: AskedQuestion, who: Participant, option: number): Promise<AnswerOutcome> {
    const count = q.question.options.length;
    if (!Number.isInteger(option) || option < 0 || option >= count) return { kind: 'out-of-range', count };
    const previous = q.answers.find((a) => a.userId === who.id);
    if (previous) return { kind: 'already-answered', chatKey: round.chatKey, name: previous.name, question: q };
    const correct = option === q.question.answer;
    q.answers.push({ userId: who.id, name: who.name, option, correct, at: this.now() });
    await this.save();
    return { kind: 'recorded', chatKey: round.chatKey, name: who.name, correct, question: q };
  }

  scoreboard(chatKey: string): ScoreEntry[] {
    const round = this.rounds.get(chatKey);
    if (!round) return [];
    const byUser = new Map<string, ScoreEntry>();
    for (const q of round.questions) {
      for (const a of q.answers) {
        const e = byUser.get(a.userId) ?? { userId: a.userId, name: a.name, correct: 0, answered: 0 };
        e.name = a.name || e.name;
        e.answered++;
        if (a.correct) e.correct++;
        byUser.set(a.userId, e);
      }
    }
    // Most correct first; fewer attempts breaks ties (accuracy), then name for a stable order.
    return [...byUser.values()].sort((a, b) => b.correct - a.correct || a.answered - b.answered || a.name.localeCompare(b.name));
  }

  async end(chatKey: string): Promise<EndedRound | undefined> {
    const round = this.rounds.get(chatKey);
    if (!round) return undefined;
    const scores = this.scoreboard(chatKey);
    this.rounds.delete(chatKey);
    this.dropPolls(chatKey);
    await this.save();
    return { round, scores };
  }

  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  private dropPolls(chatKey: string): void {
    for (const [id, ref] of this.polls) if (ref.chatKey === chatKey) this.polls.delete(id);
  }

  private save(): Promise<void> {
    return this.writer ? this.writer.save() : Promise.resolve();
  }
}
