/**
 * The question-set scoring rules of shared/eval (README + score.py), in TypeScript so that
 * `npm run eval` and the dev-set test score in-process exactly as the reference scorer does.
 */

export interface QaItem {
  id: string;
  question: string;
  answerable?: boolean;
  facts?: (string | string[])[];
  source?: string | string[];
  section?: string | string[];
}

export interface ScoredAnswer {
  question: string;
  answered: boolean;
  answer: string;
  citations: { document: string; title: string; section: string; quote: string }[];
}

export interface ScoreResult {
  passed: number;
  total: number;
  factsOk: number;
  citationsOk: number;
  answerable: number;
  refusalsOk: number;
  unanswerable: number;
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

export function scoreAnswers(items: readonly QaItem[], answers: readonly ScoredAnswer[]): ScoreResult {
  const byQuestion = new Map(answers.map((a) => [a.question.normalize('NFC'), a]));
  const r: ScoreResult = { passed: 0, total: items.length, factsOk: 0, citationsOk: 0, answerable: 0, refusalsOk: 0, unanswerable: 0, failures: [] };
  items.forEach((q, i) => {
    const a = byQuestion.get(q.question.normalize('NFC')) ?? (answers.length === items.length ? answers[i] : undefined);
    const answerable = q.answerable !== false;
    if (answerable) r.answerable++;
    else r.unanswerable++;
    if (!a) {
      r.failures.push({ id: q.id, why: 'no answer' });
      return;
    }
    if (!answerable) {
      const ok = a.answered === false;
      if (ok) {
        r.refusalsOk++;
        r.passed++;
      } else r.failures.push({ id: q.id, why: 'answered an unanswerable question' });
      return;
    }
    const factsOk = a.answered && (q.facts ?? []).every((f) => alternatives(f).some((x) => contains(a.answer ?? '', x)));
    const sources = alternatives(q.source);
    const sections = alternatives(q.section);
    const citationOk =
      q.source === undefined ||
      (a.citations ?? []).some(
        (c) => sources.some((s) => contains(`${c.document} ${c.title}`, s)) && (q.section === undefined || sections.some((s) => contains(c.section, s))),
      );
    if (factsOk) r.factsOk++;
    if (citationOk) r.citationsOk++;
    if (factsOk && citationOk) r.passed++;
    else r.failures.push({ id: q.id, why: [factsOk ? '' : 'facts missing', citationOk ? '' : 'citation wrong'].filter(Boolean).join(', ') });
  });
  return r;
}
