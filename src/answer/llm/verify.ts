import { canonicalNumber, fold } from '../../ingest/normalize.js';
import type { Language } from '../types.js';
import { contradictions, type ExtractiveFacts } from './contradiction.js';
import type { NumberedSource } from './sources.js';
import { contentWords, isSupported, passageWords, replySentences, sentenceSupport } from './support.js';
import { urlOccursIn, urlsIn, withoutUrls } from './urls.js';

/**
 * Checks a model reply against the sources it was given, before anything reaches a user:
 * - citations must point at given sources, and an answer must cite at least one;
 * - every figure must occur in a cited source (76,28% / 76.28% and 27.023 / 27023 alike);
 * - every link must occur in a cited source;
 * - every sentence must be supported by the source it cites (content-word overlap, support.ts);
 * - it must be about the question, so "HACKED [1]" does not pass just because it has a marker;
 * - it must not contradict the extractive answer (contradiction.ts).
 * A reply obeying an instruction planted in a document fails at least one of these.
 *
 * An unsupported sentence fails the whole reply rather than being dropped: a model that wrote
 * one sentence its source does not hold is the model that followed the document, and the rest
 * of its reply is no more trustworthy; cutting sentences would also leave markers and the lead
 * out of step. The repair request names the sentence, and the extractive answer is there if the
 * repair fails too.
 */

export type { ExtractiveFacts } from './contradiction.js';

export type Problem =
  | { kind: 'danglingCitation'; n: number }
  | { kind: 'unsupportedNumber'; number: string }
  | { kind: 'unsupportedUrl'; url: string }
  | { kind: 'unsupportedSentence'; sentence: string; sources: number[] }
  | { kind: 'contradictsExtractive'; sentence: string; expected: string }
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

export interface VerifyInput {
  text: string;
  sources: readonly NumberedSource[];
  /** The question as asked plus any folded terms retrieval expanded it to. */
  question: string;
  questionTerms?: readonly string[];
  language: Language;
  /** What the extractive path answered; without it, contradictions are not checked. */
  extractive?: ExtractiveFacts;
}

/** Title, section and passage: report numbers, dates and links live in all three. */
const sourceText = (s: NumberedSource): string => `${s.title}\n${s.section}\n${s.text}`;

export function verifyAnswer(input: VerifyInput): Verification {
  const { text, sources, question, questionTerms = [] } = input;
  if (!stripMarkers(text).trim()) return { ok: false, problems: [{ kind: 'empty' }], cited: [] };

  const problems: Problem[] = [];
  const cited = citedSources(text, sources.length, problems);
  const citedTexts = cited.map((n) => sourceText(sources[n - 1]!));
  // Without any citation every figure, link and sentence would be "unsupported"; the missing
  // citation is the one problem worth telling the model about.
  if (cited.length) {
    for (const url of new Set(urlsIn(text))) if (!urlOccursIn(url, citedTexts)) problems.push({ kind: 'unsupportedUrl', url });
    problems.push(...unsupportedNumbers(text, citedTexts));
  }

  const asked = new Set([...contentWords(question), ...questionTerms.flatMap((t) => t.split('_'))]);
  const said = contentWords(withoutUrls(stripMarkers(text)));
  if (![...said].some((w) => asked.has(w))) problems.push({ kind: 'offTopic' });

  if (cited.length) problems.push(...unsupportedSentences(input, cited, asked));
  if (input.extractive) {
    const sentences = replySentences(withoutUrls(stripMarkers(text)));
    for (const c of contradictions(sentences, input.extractive, asked, numberReadings)) problems.push({ kind: 'contradictsExtractive', ...c });
  }
  return { ok: problems.length === 0, problems, cited };
}

/** Valid source numbers in order of first citation; dangling ones and a missing citation are problems. */
function citedSources(text: string, count: number, problems: Problem[]): number[] {
  const cited: number[] = [];
  const dangling = new Set<number>();
  for (const n of citationNumbers(text)) {
    if (n >= 1 && n <= count) {
      if (!cited.includes(n)) cited.push(n);
    } else {
      dangling.add(n);
    }
  }
  for (const n of dangling) problems.push({ kind: 'danglingCitation', n });
  if (!cited.length) problems.push({ kind: 'noCitation' });
  return cited;
}

/** Figures are checked against the sources actually cited, never against sources the answer does not name. */
function unsupportedNumbers(text: string, citedTexts: readonly string[]): Problem[] {
  const allowed = new Set<string>();
  for (const t of citedTexts) for (const raw of numbersIn(t)) for (const r of numberReadings(raw)) allowed.add(r);
  const reported = new Set<string>();
  const problems: Problem[] = [];
  // List numbering ("1. …", "2) …") is layout, not a figure; a link's digits are the link's.
  const prose = withoutUrls(stripMarkers(text)).replace(/^\s*\d{1,2}[.)]\s+/gm, '');
  for (const raw of numbersIn(prose)) {
    const clean = raw.replace(/[.,]+$/, '');
    if (reported.has(clean)) continue;
    if (!numberReadings(clean).some((r) => allowed.has(r))) {
      reported.add(clean);
      problems.push({ kind: 'unsupportedNumber', number: clean });
    }
  }
  return problems;
}

/**
 * Each sentence against the sources it cites: its own markers, else its paragraph's (a marker at
 * the end of a paragraph covers it), else every source the reply cites.
 */
function unsupportedSentences({ text, sources, language }: VerifyInput, cited: readonly number[], asked: ReadonlySet<string>): Problem[] {
  const valid = (ns: number[]) => [...new Set(ns.filter((n) => n >= 1 && n <= sources.length))];
  const wordsOf = new Map<number, Set<string>>();
  const words = (n: number) => {
    let w = wordsOf.get(n);
    if (!w) wordsOf.set(n, (w = passageWords(sourceText(sources[n - 1]!))));
    return w;
  };
  const problems: Problem[] = [];
  const paragraphs = withoutUrls(text).split(/\n\s*\n/);
  const sentences = replySentences(withoutUrls(text));
  for (const s of sentences) {
    const own = valid(citationNumbers(s.text));
    const inParagraph = valid(citationNumbers(paragraphs[s.paragraph] ?? ''));
    const backing = own.length ? own : inParagraph.length ? inParagraph : [...cited];
    const pool = new Set(backing.flatMap((n) => [...words(n)]));
    const support = sentenceSupport(stripMarkers(s.text), pool, asked, language);
    if (!isSupported(support)) problems.push({ kind: 'unsupportedSentence', sentence: stripMarkers(s.text).replace(/\s+/g, ' ').replace(/\s([.,;:!?])/g, '$1').trim(), sources: backing });
  }
  return problems;
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
