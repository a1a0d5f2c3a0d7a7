import { fold } from '../ingest/normalize.js';
import { analyzeQuery, type QueryContext } from '../retrieval/query.js';
import { displayOf } from './extractive.js';
import type { ConversationTurn } from './types.js';

/**
 * Rule-based follow-ups for the offline path: "còn Kon Tum thì sao?" after a question about
 * An Giang becomes the previous question with the place swapped. (With an LLM configured, the
 * model rewrites follow-ups instead.)
 */

const FOLLOW_UP_START = /^(con|the con|vay con|con ve|con o|con tai|con voi|and|what about|how about|and in|and for)\b/;
const FOLLOW_UP_END = /\b(thi sao|the nao|ra sao|thi the nao|thi co|nhu the nao)\s*\??$/;

export function isFollowUp(question: string): boolean {
  const f = fold(question).replace(/[?!.]+$/, '').trim();
  const words = f.split(/\s+/).length;
  return words <= 9 && (FOLLOW_UP_START.test(f) || FOLLOW_UP_END.test(f));
}

export function resolveFollowUp(question: string, history: readonly ConversationTurn[], ctx: QueryContext): string {
  const prev = history[history.length - 1];
  if (!prev || !isFollowUp(question)) return question;
  const current = analyzeQuery(question, ctx);
  const subject = current.entities.find((e) => e.kind !== 'document') ?? current.unknownEntities[0];
  if (!subject) return question;
  const shown = displayOf(question, subject.folded) ?? subject.text;
  const before = analyzeQuery(prev.resolvedQuestion, ctx);
  const old = before.entities.find((e) => e.kind !== 'document') ?? before.unknownEntities[0];
  const oldShown = old ? displayOf(prev.resolvedQuestion, old.folded) : undefined;
  if (oldShown) return prev.resolvedQuestion.replace(oldShown, shown);
  const base = prev.resolvedQuestion.replace(/[?\s]+$/, '');
  return current.language === 'en' ? `${base} in ${shown}?` : `${base} ở ${shown}?`;
}
