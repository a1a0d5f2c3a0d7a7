import { canonicalNumber, fold } from '../../ingest/normalize.js';
import { lexicon } from '../../retrieval/lexicon.js';
import type { Language } from '../types.js';
import type { NumberedSource } from './sources.js';

/**
 * Checks a model reply against the sources it was given, before anything reaches a user:
 * citations must point at given sources, every figure must occur in a cited source (spelling
 * differences such as 76,28% / 76.28% and 27.023 / 27023 aside), an answer must cite at least
 * one source, and it must be about the question (so a reply obeying an instruction planted in
 * a document, "HACKED [1]", does not pass just because it carries a marker).
 */

export type Problem =
  | { kind: 'danglingCitation'; n: number }
  | { kind: 'unsupportedNumber'; number: string }
  | { kind: 'noCitation' }
  | { kind: 'offTopic' }
  | { kind: 'empty' };

export interface Verification {
  ok: boolean;
  problems: Problem[];
  /** Valid source numbers in order of first citation. */
  cited: number[];
}

/** "[1]", "[1, 2]", "[1][3]", "[2-3]" (ranges are expanded). */
const MARKER_RE = /\[(\s*\d+(?:\s*[-–,;]\s*\d+)*\s*)\]/g;

export function citationNumbers(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(MARKER_RE)) {
    for (const part of m[1]!.split(/[,;]/)) {
      const range = /^\s*(\d+)\s*[-–]\s*(\d+)\s*$/.exec(part);
      if (range) {
        const from = Number(range[1]);
        const to = Number(range[2]);
        // A wide range is not a citation anyone meant; keep its ends so they are still checked.
        if (to >= from && to - from <= 10) for (let n = from; n <= to; n++) out.push(n);
        else out.push(from, to);
      } else {
        out.push(Number(part.trim()));
      }
    }
  }
  return out;
}

export function stripMarkers(text: string): string {
  return text.replace(MARKER_RE, ' ');
}

const NUMBER_RE = /\d+(?:[.,]\d+)*/g;

/**
 * Every spelling a written number may stand for. "27.023" is 27023 in Vietnamese and 27.023 in
 * English; "27,023" the reverse; leading zeros ("09 năm") do not change the value. Comparing
 * sets of readings accepts a faithful copy in either convention and nothing else.
 */
export function numberReadings(raw: string): string[] {
  const s = raw.replace(/[.,]+$/, '');
  const readings = new Set<string>([canonicalNumber(s)]);
  if (/^\d{1,3}([.,]\d{3})+$/.test(s)) readings.add(s.replace(/[.,]/g, ''));
  if (/^\d+[.,]\d+$/.test(s)) readings.add(s.replace(',', '.'));
  const out = new Set<string>();
  for (const r of readings) {
    const [int = '', frac] = r.split('.');
    const intPart = int.replace(/^0+(?=\d)/, '');
    const fracPart = frac?.replace(/0+$/, '');
    out.add(fracPart ? `${intPart}.${fracPart}` : intPart);
  }
  return [...out];
}

export function numbersIn(text: string): string[] {
  return [...text.matchAll(NUMBER_RE)].map((m) => m[0]);
}

const WORD_RE = /[a-z0-9]+/g;

function contentWords(text: string, language: Language): Set<string> {
  const lx = lexicon();
  const stop = language === 'en' ? lx.stopwordsEn : lx.stopwordsViFolded;
  return new Set((fold(text).match(WORD_RE) ?? []).filter((w) => w.length >= 2 && !/^\d+$/.test(w) && !stop.has(w)));
}

export interface VerifyInput {
  text: string;
  sources: readonly NumberedSource[];
  /** The question as asked plus any folded terms retrieval expanded it to. */
  question: string;
  questionTerms?: readonly string[];
  language: Language;
}

export function verifyAnswer({ text, sources, question, questionTerms = [], language }: VerifyInput): Verification {
  const problems: Problem[] = [];
  if (!stripMarkers(text).trim()) return { ok: false, problems: [{ kind: 'empty' }], cited: [] };

  const cited: number[] = [];
  const dangling = new Set<number>();
  for (const n of citationNumbers(text)) {
    if (n >= 1 && n <= sources.length) {
      if (!cited.includes(n)) cited.push(n);
    } else {
      dangling.add(n);
    }
  }
  for (const n of dangling) problems.push({ kind: 'danglingCitation', n });
  if (!cited.length) problems.push({ kind: 'noCitation' });

  // Numbers are checked against the sources actually cited (with their titles and sections,
  // where report numbers and dates live), never against sources the answer does not name.
  const allowed = new Set<string>();
  for (const n of cited) {
    const s = sources[n - 1]!;
    for (const raw of numbersIn(`${s.title}\n${s.section}\n${s.text}`)) for (const r of numberReadings(raw)) allowed.add(r);
  }
  const reported = new Set<string>();
  // Without any citation every figure would be "unsupported"; the missing citation is the
  // one problem worth telling the model about.
  // List numbering ("1. …", "2) …") is layout, not a figure.
  const prose = stripMarkers(text).replace(/^\s*\d{1,2}[.)]\s+/gm, '');
  for (const raw of cited.length ? numbersIn(prose) : []) {
    const clean = raw.replace(/[.,]+$/, '');
    if (reported.has(clean)) continue;
    if (!numberReadings(clean).some((r) => allowed.has(r))) {
      reported.add(clean);
      problems.push({ kind: 'unsupportedNumber', number: clean });
    }
  }

  const asked = new Set([...contentWords(question, language), ...contentWords(question, 'vi'), ...questionTerms.flatMap((t) => t.split('_'))]);
  const said = contentWords(stripMarkers(text), language);
  if (![...said].some((w) => asked.has(w))) problems.push({ kind: 'offTopic' });

  return { ok: problems.length === 0, problems, cited };
}

/** Does the reply say "I don't know" (the refusal sentence or a paraphrase of it)? */
export function isRefusal(text: string, markers: readonly string[], refusalSentence: string): boolean {
  const f = fold(stripMarkers(text)).replace(/\s+/g, ' ').trim();
  if (!f) return false;
  const sentence = fold(refusalSentence).replace(/\s+/g, ' ').trim();
  if (f.includes(sentence.slice(0, Math.min(sentence.length, 24)))) return true;
  // A paraphrased refusal is short; a long, cited answer that mentions a gap is still an answer.
  return f.length <= 240 && citationNumbers(text).length === 0 && markers.some((m) => f.includes(fold(m)));
}
