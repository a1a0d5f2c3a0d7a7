import { fold } from '../ingest/normalize.js';
import { analyzeQuery, type QueryContext } from '../retrieval/query.js';
import { displayOf } from './extractive.js';
import { followUpKindOf } from '../retrieval/intents.js';
import { shortDocumentLabel, shortSectionLabel } from './labels.js';
import { render } from './templates.js';
import type { Answer, ConversationTurn, Language } from './types.js';
import type { IndexSnapshot } from '../index/store.js';

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
  return words <= 9 && (FOLLOW_UP_START.test(f) || FOLLOW_UP_END.test(f) || followUpKindOf(f) !== undefined);
}

/** The last turn that was answered: a follow-up refers to what the user was told. */
function lastAnswered(history: readonly ConversationTurn[]): ConversationTurn | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.answer.answered) return history[i];
  return undefined;
}

/** The question without its asking words: "Mô hình … còn những hạn chế gì?" → "mô hình … còn những hạn chế". */
function topicOf(question: string): string {
  return question
    .trim()
    .replace(/[?？!.\s]+$/u, '')
    .replace(/\s+(là gì|là ai|gì|nào|ra sao|thế nào|như thế nào|bao nhiêu|không|chưa)$/iu, '')
    .replace(/^\p{Lu}/u, (c) => c.toLowerCase());
}

/**
 * "nguồn nào?" after an answer: the sources of that answer, named short (document and section),
 * with its citations. Undefined when the previous turn cited nothing.
 */
export function sourcesAnswer(question: string, history: readonly ConversationTurn[], snapshot: IndexSnapshot, language: Language): Answer | undefined {
  if (followUpKindOf(fold(question)) !== 'source') return undefined;
  const prev = lastAnswered(history);
  if (!prev || !prev.answer.citations.length) return undefined;
  const seen = new Set<string>();
  const items: string[] = [];
  for (const c of prev.answer.citations) {
    const meta = snapshot.documentById.get(c.document)?.meta;
    const item = render(language, 'sourceItem', { doc: meta ? shortDocumentLabel(meta, language) : c.title, section: shortSectionLabel(c.section, language) }).replace(/, $/, '');
    if (seen.has(item)) continue;
    seen.add(item);
    items.push(item);
  }
  const lead = render(language, 'sourceLead', { sources: items.slice(0, 3).join('; ') });
  return { ...prev.answer, question, language, lead, text: lead, answered: true, kind: 'answer' };
}

export function resolveFollowUp(question: string, history: readonly ConversationTurn[], ctx: QueryContext): string {
  const kind = followUpKindOf(fold(question));
  const answered = lastAnswered(history);
  if (kind && answered) {
    const previous = answered.resolvedQuestion;
    // The previous answer already knows its language: no need to analyse its question again.
    const english = answered.answer.language === 'en';
    switch (kind) {
      // "tại sao?": the causes of what was just said, in the same place and topic.
      case 'why':
        return english ? `What are the causes of ${topicOf(previous)}?` : `Nguyên nhân của ${topicOf(previous)} là gì?`;
      case 'more':
      case 'source':
        return previous;
      case 'year': {
        const year = /(19|20)\d{2}/.exec(question)?.[0] ?? '';
        return /(19|20)\d{2}/.test(previous) ? previous.replace(/(19|20)\d{2}/, year) : `${previous.replace(/[?\s]+$/, '')} năm ${year}?`;
      }
    }
  }
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
