/**
 * Trainer features (issue "For trainers: quizzes, summaries and comparisons, always cited"):
 * offline quiz generation, rounds and scores, report summaries and comparisons, all built from
 * the index and quoting their sources. See commands.ts for how the chat commands are wired.
 */
export type * from './types.js';
export { generateQuiz, figureDistractors, POLL_QUESTION_MAX, POLL_OPTION_MAX, type QuizOptions, type QuizResult } from './quiz.js';
export { Rounds, MAX_QUESTIONS_PER_ROUND, openQuestion, type RoundsOptions, type AnswerOutcome, type AskedQuestion, type EndedRound, type Participant, type Round, type RoundAnswer, type ScoreEntry } from './rounds.js';
export { summarizeReport, summarizeDocument, pickDocument, sectionRef, sectionRole, SUMMARY_TEXT_BUDGET, type SummaryOptions } from './summary.js';
export { compareSides, parseCompareArgs, figureText, type ParsedCompare } from './compare.js';
export { resolveScope, topicSuggestions, type Scope, type ScopeKind } from './scope.js';
export { corpusFacts, figureKind, figureIdentity, type CorpusFacts, type FigureFact, type SentenceRec } from './facts.js';
export {
  quizPollFor,
  questionReply,
  revealReply,
  summaryReplies,
  comparisonReplies,
  replyToPlain,
  packMessages,
  POLL_LIMITS,
  MESSAGE_BUDGET,
  MAX_MESSAGES,
  type QuizPoll,
  type TrainerReply,
} from './render.js';
export { Trainer, type TrainerOptions, type PollAnswerEvent } from './commands.js';
export { TrainerExtension } from './extension.js';
export { tt, trainerTables, withTrainerMessages } from './messages.js';
