import { fold } from '../../ingest/normalize.js';
import { splitSentences } from '../../ingest/sentences.js';
import { lexicon } from '../../retrieval/lexicon.js';
import type { Language } from '../types.js';

/**
 * Is each sentence of a model reply backed by the passage it cites? Measured as content-word
 * overlap on folded text (NFC or NFD, case and diacritics do not matter, so "Chủ tịch", "chu
 * tich" and a decomposed copy all meet), with the stop words of lexicon/stopwords.json left out.
 *
 * The share is taken twice: over all the sentence's content words, and over those the question
 * does not already contain. A falsehood built from the question's own words ("mô hình bí thư …
 * đã bị đình chỉ ở An Giang") scores well on the first and is caught by the second, which
 * measures only what the sentence adds.
 */

/** A sentence is supported when at least this share of its content words occurs in its sources. */
export const MIN_SUPPORT_SHARE = 0.6;
/** Fewer content words than this ("Có.", "Chi tiết tại …") say too little to measure. */
const MIN_MEASURED_WORDS = 3;
/** The "what it adds" share is taken only when the sentence adds at least this many words. */
const MIN_NOVEL_WORDS = 2;

const WORD_RE = /[a-z0-9]+/g;

let stopwords: Set<string> | undefined;

/**
 * One folded stop set for both languages: Vietnamese single words and the syllables of stop
 * phrases (folded, so "đã" and "da" are both dropped), the folded-only list, and English. A
 * content word that folds onto a stop word ("bí" / "bị") is lost on both sides alike.
 */
function stopSet(): Set<string> {
  if (stopwords) return stopwords;
  const lx = lexicon();
  const out = new Set<string>([...lx.stopwordsViFolded, ...lx.stopwordsEn]);
  for (const w of lx.stopwordsVi) for (const t of fold(w).match(WORD_RE) ?? []) out.add(t);
  for (const phrase of [...lx.stopPhrasesVi, ...lx.stopPhrasesViFolded]) for (const w of phrase) for (const t of fold(w).match(WORD_RE) ?? []) out.add(t);
  stopwords = out;
  return out;
}

/** Folded content words: no stop words, no bare numbers (figures are checked on their own), two letters or more. */
export function contentWords(text: string): Set<string> {
  const stop = stopSet();
  return new Set((fold(text).match(WORD_RE) ?? []).filter((w) => w.length >= 2 && !/^\d+$/.test(w) && !stop.has(w)));
}

/** Every folded word of a passage (its title and section included), for membership tests. */
export function passageWords(text: string): Set<string> {
  return new Set(fold(text).match(WORD_RE) ?? []);
}

/**
 * What an English sentence says that can be checked against Vietnamese passages: glossary terms
 * (each as its Vietnamese alternatives) and proper names (capitalised, kept as they are written
 * in the reports: "An Giang"). Other English words cannot be looked up and are not counted.
 */
function checkableEnglish(sentence: string): string[][][] {
  const out: string[][][] = [];
  const lower = sentence.toLowerCase().match(/[a-z0-9'-]+/g) ?? [];
  const glossary = lexicon().glossary;
  for (let i = 0; i < lower.length; ) {
    const entry = glossary.find((g) => g.english.length && g.english.every((w, k) => lower[i + k]?.replace(/'s$/, '') === w));
    if (entry) {
      out.push(entry.vietnamese.map((v) => v.tokens));
      i += entry.english.length;
    } else {
      i++;
    }
  }
  for (const name of sentence.match(/(?<![.!?]\s|^)\b\p{Lu}[\p{L}\p{M}]+/gu) ?? []) {
    const folded = fold(name);
    if (!stopSet().has(folded)) out.push([[folded]]);
  }
  return out;
}

export interface SentenceSupport {
  /** Share of the sentence's content words found in its sources, 1 when too short to measure. */
  share: number;
  /** The same over the words the question does not contain, when there are enough of them. */
  novelShare?: number;
}

export function sentenceSupport(sentence: string, sourceWords: ReadonlySet<string>, askedWords: ReadonlySet<string>, language: Language): SentenceSupport {
  if (language === 'en') {
    const terms = checkableEnglish(sentence);
    if (terms.length < MIN_MEASURED_WORDS) return { share: 1 };
    const found = terms.filter((alternatives) => alternatives.some((tokens) => tokens.every((t) => sourceWords.has(t)))).length;
    return { share: found / terms.length };
  }
  const words = [...contentWords(sentence)];
  if (words.length < MIN_MEASURED_WORDS) return { share: 1 };
  const share = words.filter((w) => sourceWords.has(w)).length / words.length;
  const novel = words.filter((w) => !askedWords.has(w));
  if (novel.length < MIN_NOVEL_WORDS) return { share };
  return { share, novelShare: novel.filter((w) => sourceWords.has(w)).length / novel.length };
}

export const isSupported = (s: SentenceSupport): boolean => Math.min(s.share, s.novelShare ?? 1) >= MIN_SUPPORT_SHARE;

export interface ReplySentence {
  text: string;
  /** 0-based paragraph index: the first paragraph is the direct answer. */
  paragraph: number;
}

/** The reply's sentences, paragraph by paragraph (blank lines separate paragraphs). */
export function replySentences(text: string): ReplySentence[] {
  return text.split(/\n\s*\n/).flatMap((para, paragraph) =>
    para
      .split('\n')
      .flatMap((line) => splitSentences(line).map((s) => line.slice(s.start, s.end).trim()))
      .filter(Boolean)
      .map((t) => ({ text: t, paragraph })),
  );
}
