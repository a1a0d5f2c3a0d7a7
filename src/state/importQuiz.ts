import { z } from 'zod';
import type { QuizQuestion } from '../trainer/types.js';
import type { QuizRoundImport, StateStore } from './types.js';

/**
 * The quiz part of the one-time JSON import: `<channel>-quiz.json`, which earlier versions
 * rewrote whole on every answer ({ rounds: { chatKey: Round }, polls: { pollId: { chatKey,
 * questionId } } }), becomes rows of the store. A round that does not parse is skipped, not
 * guessed at; the rest of the file is still imported.
 */

const LegacyAnswer = z.object({
  userId: z.string(),
  name: z.string().catch(''),
  option: z.number().int().nonnegative(),
  correct: z.boolean(),
  at: z.number().catch(0),
});

/** Only what scoring and de-duplication read is checked; the rest of the question is kept as it was. */
const LegacyQuestion = z.looseObject({
  id: z.string(),
  text: z.string(),
  options: z.array(z.string()).min(2),
  answer: z.number().int().nonnegative(),
  sentenceKey: z.string(),
});

const LegacyAsked = z.object({
  n: z.number().int().positive(),
  question: LegacyQuestion,
  askedAt: z.number().catch(0),
  pollId: z.string().optional().catch(undefined),
  revealed: z.boolean().catch(false),
  answers: z.array(LegacyAnswer).catch([]),
});

const LegacyRound = z.object({
  topic: z.string().catch(''),
  seed: z.string(),
  lang: z.enum(['vi', 'en']).catch('vi'),
  startedAt: z.number().catch(0),
  questions: z.array(LegacyAsked).max(1000),
});

const LegacyPoll = z.object({ chatKey: z.string(), questionId: z.string() });

const LegacyQuizFile = z.object({
  rounds: z.record(z.string(), z.unknown()).catch({}),
  polls: z.record(z.string(), z.unknown()).catch({}),
});

export interface QuizImportCount {
  rounds: number;
  /** Rounds that did not parse, or that a live round of the same chat kept out. */
  skipped: number;
}

function toImport(chatKey: string, round: z.infer<typeof LegacyRound>, polls: Map<string, string[]>): QuizRoundImport {
  const questions = round.questions.map((q) => ({
    n: q.n,
    // The generator wrote it; the fields the trainer relies on were checked above.
    question: q.question as unknown as QuizQuestion,
    askedAtMs: q.askedAt,
    ...(q.pollId !== undefined ? { pollId: q.pollId } : {}),
    revealed: q.revealed,
    answers: q.answers.map((a) => ({ userId: a.userId, name: a.name, option: a.option, correct: a.correct, atMs: a.at })),
  }));
  const byQuestionId = new Map(questions.map((q) => [q.question.id, q.n]));
  const roundPolls = [...polls.entries()].flatMap(([questionId, pollIds]) => {
    const n = byQuestionId.get(questionId);
    return n === undefined ? [] : pollIds.map((pollId) => ({ pollId, n }));
  });
  return {
    // Deterministic, so importing the same file again (a crash before the rename) replaces it.
    round: { chatKey, roundId: `legacy:${chatKey}:${round.startedAt}`, topic: round.topic, seed: round.seed, lang: round.lang, startedAtMs: round.startedAt },
    questions,
    polls: roundPolls,
  };
}

/** Poll ids per chat and question id. */
function pollsByChat(raw: Record<string, unknown>): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const [pollId, value] of Object.entries(raw)) {
    const ref = LegacyPoll.safeParse(value);
    if (!ref.success) continue;
    const chat = out.get(ref.data.chatKey) ?? new Map<string, string[]>();
    chat.set(ref.data.questionId, [...(chat.get(ref.data.questionId) ?? []), pollId]);
    out.set(ref.data.chatKey, chat);
  }
  return out;
}

export async function importLegacyQuiz(store: StateStore, channel: string, data: unknown, nowMs: number): Promise<QuizImportCount> {
  const file = LegacyQuizFile.safeParse(data);
  if (!file.success) return { rounds: 0, skipped: 0 };
  const polls = pollsByChat(file.data.polls);
  const count: QuizImportCount = { rounds: 0, skipped: 0 };
  for (const [chatKey, raw] of Object.entries(file.data.rounds)) {
    const round = LegacyRound.safeParse(raw);
    const imported = round.success && (await store.quizImportRound(channel, toImport(chatKey, round.data, polls.get(chatKey) ?? new Map()), nowMs));
    if (imported) count.rounds++;
    else count.skipped++;
  }
  return count;
}
