import type { IndexSnapshot } from '../index/store.js';
import type { RetrievedChunk } from '../retrieval/hybrid.js';
import type { AnalyzedQuery } from '../retrieval/query.js';
import type { Answer, ConversationTurn } from './types.js';

/** An optional answer writer (the LLM path) that may replace the extractive answer's wording, never its evidence. */
export interface AnswerGenerator {
  /** Returns a verified answer, or undefined to keep the extractive one. */
  generate(input: { query: AnalyzedQuery; retrieved: readonly RetrievedChunk[]; extractive: Answer; snapshot: IndexSnapshot }): Promise<Answer | undefined>;
  /** Rewrites a follow-up into a standalone question, or undefined to use the rules. */
  rewriteFollowUp?(question: string, history: readonly ConversationTurn[]): Promise<string | undefined>;
}
