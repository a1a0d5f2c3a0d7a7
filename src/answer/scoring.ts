/**
 * The question-set scoring rules of shared/eval (README + score.py), in TypeScript so that
 * `npm run eval` and the dev-set tests score in-process exactly as the reference scorer does:
 * facts must stand in the `lead` (at most 500 characters), a citation must name the source (and
 * the section when one is given), and an unanswerable question passes only when refused.
 */
import { LEAD_MAX_CHARS } from './types.js';

export interface QaItem {
  id: string;
  question: string;
  conversation?: string;
  answerable?: boolean;
  facts?: (string | string[])[];
  source?: string | string[];
  section?: string | string[];
}

export interface ScoredAnswer {
  question: string;
  answered: boolean;
  lead?: string;
  answer: string;
  citations: { document: string; title: string; section: string; quote: string }[];
}

export interface ScoreResult {
  passed: number;
  total: number;
  /** Facts in the lead (the rule). */
  factsOk: number;
  /** Facts anywhere in the answer (the older, looser rule), for comparison. */
  looseFactsOk: number;
  citationsOk: number;
  answerable: number;
  refusalsOk: number;
  unanswerable: number;
  passedIds: string[];
  failures: { id: string; why: string }[];
}

export function foldForScoring(s: string): string {
  return (s ?? '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[’‘]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

export function contains(hay: string, needle: string): boolean {
  const h = foldForScoring(hay);
  const n = foldForScoring(needle);
  const escaped = n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped + (/\d$/.test(n) ? '(?!\\d)' : '')).test(h);
}

const alternatives = (x: string | string[] | undefined): string[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** The `lead` field; an answer without one is read up to its first quotation or citation mark (as score.py does). */
export function leadOf(a: ScoredAnswer): string {
  if (typeof a.lead === 'string') return a.lead;
  return (a.answer ?? '').split(/«|“|\[\d+\]/)[0] ?? '';
}

export function scoreAnswers(items: readonly QaItem[], answers: readonly ScoredAnswer[]): ScoreResult {
  // By position when every question has its answer (conversations repeat "tại sao?"), else by text.
  const byQuestion = new Map(answers.map((a) => [a.question.normalize('NFC'), a]));
  const r: ScoreResult = { passed: 0, total: items.length, factsOk: 0, looseFactsOk: 0, citationsOk: 0, answerable: 0, refusalsOk: 0, unanswerable: 0, passedIds: [], failures: [] };
  const pass = (id: string) => {
    r.passed++;
    r.passedIds.push(id);
  };
  items.forEach((q, i) => {
    const a = answers.length === items.length ? answers[i] : byQuestion.get(q.question.normalize('NFC'));
    const answerable = q.answerable !== false;
    if (answerable) r.answerable++;
    else r.unanswerable++;
    if (!a) {
      r.failures.push({ id: q.id, why: 'no answer' });
      return;
    }
    if (!answerable) {
      if (a.answered === false) {
        r.refusalsOk++;
        pass(q.id);
      } else r.failures.push({ id: q.id, why: 'answered an unanswerable question' });
      return;
    }
    const lead = leadOf(a);
    const holds = (text: string) => (q.facts ?? []).every((f) => alternatives(f).some((x) => contains(text, x)));
    const factsOk = a.answered && lead.length <= LEAD_MAX_CHARS && holds(lead);
    const looseOk = a.answered && holds(a.answer ?? '');
    const sources = alternatives(q.source);
    const sections = alternatives(q.section);
    const citationOk =
      q.source === undefined ||
      (a.citations ?? []).some(
        (c) => sources.some((s) => contains(`${c.document} ${c.title}`, s)) && (q.section === undefined || sections.some((s) => contains(c.section, s))),
      );
    if (factsOk) r.factsOk++;
    if (looseOk) r.looseFactsOk++;
    if (citationOk) r.citationsOk++;
    if (factsOk && citationOk) {
      pass(q.id);
      return;
    }
    const why: string[] = [];
    if (!a.answered) why.push('refused');
    else if (lead.length > LEAD_MAX_CHARS) why.push(`lead longer than ${LEAD_MAX_CHARS} characters`);
    else if (!factsOk) why.push(`facts missing from the lead${looseOk ? ' (present further down)' : ''}`);
    if (!citationOk) why.push('citation wrong');
    r.failures.push({ id: q.id, why: why.join(', ') });
  });
  return r;
}
