import type { QuizQuestion } from '../trainer/types.js';
import type { SqlDriver, SqlQueries, SqlRow } from './sqlStore.js';
import { num, parseJson, str } from './sqlRows.js';
import type {
  QuizAnswerRecord,
  QuizAnswerResult,
  QuizPollRef,
  QuizQuestionRecord,
  QuizRoundImport,
  QuizRoundInfo,
  QuizRoundRecord,
  QuizRoundSnapshot,
  QuizScoreRecord,
  QuizStore,
} from './types.js';

/** Every table a chat's round lives in besides `quiz_round` itself. */
const ROUND_CHILDREN = ['quiz_question', 'quiz_answer', 'quiz_score', 'quiz_poll'] as const;

const ROUND_SELECT = `SELECT r.chat_key, r.round_id, r.topic, r.seed, r.lang, r.started_at_ms, r.asked,
    q.n, q.question, q.asked_at_ms, q.poll_id, q.revealed
  FROM quiz_round r LEFT JOIN quiz_question q
    ON q.channel = r.channel AND q.chat_key = r.chat_key AND q.round_id = r.round_id AND q.n = r.asked
  WHERE r.channel = ? AND r.chat_key = ?`;

function toQuestion(row: SqlRow): QuizQuestionRecord {
  const pollId = row.poll_id === null || row.poll_id === undefined ? undefined : str(row.poll_id);
  return {
    n: num(row.n),
    // Written by quizAsk from a generated question; nothing else writes the column.
    question: parseJson(row.question) as QuizQuestion,
    askedAtMs: num(row.asked_at_ms),
    ...(pollId !== undefined ? { pollId } : {}),
    revealed: num(row.revealed) !== 0,
  };
}

function toRound(row: SqlRow): QuizRoundRecord {
  const round: QuizRoundRecord = {
    chatKey: str(row.chat_key),
    roundId: str(row.round_id),
    topic: str(row.topic),
    seed: str(row.seed),
    lang: row.lang === 'en' ? 'en' : 'vi',
    startedAtMs: num(row.started_at_ms),
    asked: num(row.asked),
  };
  if (row.question !== null && row.question !== undefined) round.latest = toQuestion(row);
  return round;
}

const toScore = (row: SqlRow): QuizScoreRecord => ({ userId: str(row.user_id), name: str(row.name), correct: num(row.correct), answered: num(row.answered) });

/**
 * The QuizStore half of the SQL state store (same statements on SQLite and PostgreSQL). A typed
 * answer or poll vote is one insert keyed by (round, question, participant) — so the first answer
 * wins even when two replicas record it at once — and one score increment in the same transaction.
 */
export class SqlQuizStore implements QuizStore {
  constructor(protected readonly db: SqlDriver) {}

  async quizRound(channel: string, chatKey: string): Promise<QuizRoundRecord | undefined> {
    return this.readRound(this.db, channel, chatKey);
  }

  async quizStartRound(channel: string, info: QuizRoundInfo, nowMs: number): Promise<QuizRoundRecord> {
    return this.db.transaction(async (q) => {
      const started = await q.run(
        `INSERT INTO quiz_round (channel, chat_key, round_id, topic, seed, lang, started_at_ms, asked, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (channel, chat_key) DO NOTHING`,
        [channel, info.chatKey, info.roundId, info.topic, info.seed, info.lang, info.startedAtMs, nowMs],
      );
      // Rows of an earlier round whose header was pruned away must not leak into this one.
      if (started > 0) await this.deleteChildren(q, channel, info.chatKey);
      const round = await this.readRound(q, channel, info.chatKey);
      if (!round) throw new Error(`quiz round of chat ${info.chatKey} vanished while starting`);
      return round;
    });
  }

  async quizSetTopic(channel: string, chatKey: string, roundId: string, topic: string, nowMs: number): Promise<void> {
    await this.db.run('UPDATE quiz_round SET topic = ?, updated_at_ms = ? WHERE channel = ? AND chat_key = ? AND round_id = ?', [
      topic,
      nowMs,
      channel,
      chatKey,
      roundId,
    ]);
  }

  async quizAsk(
    channel: string,
    chatKey: string,
    roundId: string,
    question: QuizQuestion,
    nowMs: number,
    maxQuestions: number,
  ): Promise<QuizQuestionRecord | undefined> {
    return this.db.transaction(async (q) => {
      const rows = await q.all(`SELECT asked FROM quiz_round WHERE channel = ? AND chat_key = ? AND round_id = ?${this.db.forUpdate}`, [
        channel,
        chatKey,
        roundId,
      ]);
      if (!rows[0]) return undefined;
      const asked = num(rows[0].asked);
      if (asked >= maxQuestions) return undefined;
      // Asking a new question closes the previous one for typed answers.
      await q.run('UPDATE quiz_question SET revealed = 1 WHERE channel = ? AND chat_key = ? AND round_id = ? AND n = ?', [channel, chatKey, roundId, asked]);
      const record: QuizQuestionRecord = { n: asked + 1, question, askedAtMs: nowMs, revealed: false };
      await q.run('INSERT INTO quiz_question (channel, chat_key, round_id, n, question, asked_at_ms, revealed) VALUES (?, ?, ?, ?, ?, ?, 0)', [
        channel,
        chatKey,
        roundId,
        record.n,
        JSON.stringify(question),
        nowMs,
      ]);
      await q.run('UPDATE quiz_round SET asked = ?, updated_at_ms = ? WHERE channel = ? AND chat_key = ?', [record.n, nowMs, channel, chatKey]);
      return record;
    });
  }

  async quizQuestions(channel: string, chatKey: string, roundId: string): Promise<QuizQuestionRecord[]> {
    return this.readQuestions(this.db, channel, chatKey, roundId);
  }

  async quizReveal(channel: string, chatKey: string, roundId: string, n: number): Promise<void> {
    await this.db.run('UPDATE quiz_question SET revealed = 1 WHERE channel = ? AND chat_key = ? AND round_id = ? AND n = ?', [channel, chatKey, roundId, n]);
  }

  async quizAnswer(channel: string, chatKey: string, roundId: string, n: number, a: QuizAnswerRecord): Promise<QuizAnswerResult> {
    return this.db.transaction(async (q) => {
      const key = [channel, chatKey, roundId, n] as const;
      const question = await q.all('SELECT 1 AS x FROM quiz_question WHERE channel = ? AND chat_key = ? AND round_id = ? AND n = ?', key);
      if (question.length === 0) return { kind: 'gone' };
      const inserted = await q.run(
        `INSERT INTO quiz_answer (channel, chat_key, round_id, n, user_id, name, option_index, correct, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (channel, chat_key, round_id, n, user_id) DO NOTHING`,
        [...key, a.userId, a.name, a.option, a.correct ? 1 : 0, a.atMs],
      );
      if (inserted === 0) {
        const rows = await q.all(
          'SELECT user_id, name, option_index, correct, at_ms FROM quiz_answer WHERE channel = ? AND chat_key = ? AND round_id = ? AND n = ? AND user_id = ?',
          [...key, a.userId],
        );
        const row = rows[0];
        if (!row) return { kind: 'gone' };
        return {
          kind: 'already-answered',
          previous: { userId: str(row.user_id), name: str(row.name), option: num(row.option_index), correct: num(row.correct) !== 0, atMs: num(row.at_ms) },
        };
      }
      await this.addToScore(q, channel, chatKey, roundId, a);
      return { kind: 'recorded' };
    });
  }

  async quizBindPoll(channel: string, pollId: string, ref: QuizPollRef): Promise<void> {
    await this.db.transaction(async (q) => {
      await q.run(
        `INSERT INTO quiz_poll (channel, poll_id, chat_key, round_id, n) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (channel, poll_id) DO UPDATE SET chat_key = excluded.chat_key, round_id = excluded.round_id, n = excluded.n`,
        [channel, pollId, ref.chatKey, ref.roundId, ref.n],
      );
      await q.run('UPDATE quiz_question SET poll_id = ? WHERE channel = ? AND chat_key = ? AND round_id = ? AND n = ?', [
        pollId,
        channel,
        ref.chatKey,
        ref.roundId,
        ref.n,
      ]);
    });
  }

  async quizPoll(channel: string, pollId: string): Promise<QuizPollRef | undefined> {
    const rows = await this.db.all('SELECT chat_key, round_id, n FROM quiz_poll WHERE channel = ? AND poll_id = ?', [channel, pollId]);
    const row = rows[0];
    return row ? { chatKey: str(row.chat_key), roundId: str(row.round_id), n: num(row.n) } : undefined;
  }

  async quizScores(channel: string, chatKey: string, roundId: string): Promise<QuizScoreRecord[]> {
    return this.readScores(this.db, channel, chatKey, roundId);
  }

  async quizEndRound(channel: string, chatKey: string, roundId: string): Promise<QuizRoundSnapshot | undefined> {
    return this.db.transaction(async (q) => {
      // Locks the round: two replicas ending it at once give one summary, not two.
      const locked = await q.all(`SELECT asked FROM quiz_round WHERE channel = ? AND chat_key = ? AND round_id = ?${this.db.forUpdate}`, [
        channel,
        chatKey,
        roundId,
      ]);
      if (locked.length === 0) return undefined;
      const round = await this.readRound(q, channel, chatKey);
      if (!round) return undefined;
      const questions = await this.readQuestions(q, channel, chatKey, roundId);
      const scores = await this.readScores(q, channel, chatKey, roundId);
      await q.run('DELETE FROM quiz_round WHERE channel = ? AND chat_key = ?', [channel, chatKey]);
      await this.deleteChildren(q, channel, chatKey);
      return { round, questions, scores };
    });
  }

  async quizImportRound(channel: string, data: QuizRoundImport, nowMs: number): Promise<boolean> {
    const { round, questions, polls } = data;
    return this.db.transaction(async (q) => {
      const current = await q.all(`SELECT round_id FROM quiz_round WHERE channel = ? AND chat_key = ?${this.db.forUpdate}`, [channel, round.chatKey]);
      if (current[0] && str(current[0].round_id) !== round.roundId) return false;
      await q.run('DELETE FROM quiz_round WHERE channel = ? AND chat_key = ?', [channel, round.chatKey]);
      await this.deleteChildren(q, channel, round.chatKey);
      const asked = questions.reduce((m, x) => Math.max(m, x.n), 0);
      await q.run(
        `INSERT INTO quiz_round (channel, chat_key, round_id, topic, seed, lang, started_at_ms, asked, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [channel, round.chatKey, round.roundId, round.topic, round.seed, round.lang, round.startedAtMs, asked, nowMs],
      );
      const key = [channel, round.chatKey, round.roundId] as const;
      for (const x of questions) {
        await q.run('INSERT INTO quiz_question (channel, chat_key, round_id, n, question, asked_at_ms, poll_id, revealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
          ...key,
          x.n,
          JSON.stringify(x.question),
          x.askedAtMs,
          x.pollId ?? null,
          x.revealed ? 1 : 0,
        ]);
        for (const a of x.answers) {
          const inserted = await q.run(
            `INSERT INTO quiz_answer (channel, chat_key, round_id, n, user_id, name, option_index, correct, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (channel, chat_key, round_id, n, user_id) DO NOTHING`,
            [...key, x.n, a.userId, a.name, a.option, a.correct ? 1 : 0, a.atMs],
          );
          if (inserted > 0) await this.addToScore(q, channel, round.chatKey, round.roundId, a);
        }
      }
      for (const p of polls) {
        await q.run(
          `INSERT INTO quiz_poll (channel, poll_id, chat_key, round_id, n) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (channel, poll_id) DO UPDATE SET chat_key = excluded.chat_key, round_id = excluded.round_id, n = excluded.n`,
          [channel, p.pollId, ...key.slice(1), p.n],
        );
      }
      return true;
    });
  }

  /** Drops rounds idle since `beforeMs`, then whatever belonged to no round any more. */
  protected async pruneRounds(beforeMs: number): Promise<number> {
    const rounds = await this.db.run('DELETE FROM quiz_round WHERE updated_at_ms < ?', [beforeMs]);
    if (rounds > 0) {
      for (const table of ROUND_CHILDREN) {
        await this.db.run(
          `DELETE FROM ${table} WHERE NOT EXISTS (SELECT 1 FROM quiz_round r WHERE r.channel = ${table}.channel AND r.chat_key = ${table}.chat_key AND r.round_id = ${table}.round_id)`,
        );
      }
    }
    return rounds;
  }

  private async readRound(q: SqlQueries, channel: string, chatKey: string): Promise<QuizRoundRecord | undefined> {
    const rows = await q.all(ROUND_SELECT, [channel, chatKey]);
    return rows[0] ? toRound(rows[0]) : undefined;
  }

  private async readQuestions(q: SqlQueries, channel: string, chatKey: string, roundId: string): Promise<QuizQuestionRecord[]> {
    const rows = await q.all(
      'SELECT n, question, asked_at_ms, poll_id, revealed FROM quiz_question WHERE channel = ? AND chat_key = ? AND round_id = ? ORDER BY n',
      [channel, chatKey, roundId],
    );
    return rows.map(toQuestion);
  }

  private async readScores(q: SqlQueries, channel: string, chatKey: string, roundId: string): Promise<QuizScoreRecord[]> {
    const rows = await q.all('SELECT user_id, name, correct, answered FROM quiz_score WHERE channel = ? AND chat_key = ? AND round_id = ?', [
      channel,
      chatKey,
      roundId,
    ]);
    return rows.map(toScore);
  }

  private async addToScore(q: SqlQueries, channel: string, chatKey: string, roundId: string, a: QuizAnswerRecord): Promise<void> {
    // The latest non-empty display name wins, as people rename themselves mid-round.
    await q.run(
      `INSERT INTO quiz_score (channel, chat_key, round_id, user_id, name, correct, answered) VALUES (?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (channel, chat_key, round_id, user_id) DO UPDATE SET
         correct = quiz_score.correct + excluded.correct,
         answered = quiz_score.answered + 1,
         name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE quiz_score.name END`,
      [channel, chatKey, roundId, a.userId, a.name, a.correct ? 1 : 0],
    );
  }

  private async deleteChildren(q: SqlQueries, channel: string, chatKey: string): Promise<void> {
    for (const table of ROUND_CHILDREN) await q.run(`DELETE FROM ${table} WHERE channel = ? AND chat_key = ?`, [channel, chatKey]);
  }
}
