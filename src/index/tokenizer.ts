import { canonicalNumber, fold, normalizeText } from '../ingest/normalize.js';

/**
 * The Vietnamese tokenizer for the lexical index. Vietnamese words are made of syllables
 * separated by spaces ("bí thư", "chủ tịch"), so single syllables are ambiguous ("thu" is in
 * "bí thư", "thu nhập", "thu hút"). Each text yields its diacritic-folded syllables plus the
 * bigrams of adjacent syllables ("bi_thu"): a phrase query then scores passages holding the
 * phrase far above passages that merely contain both syllables somewhere.
 */

const TOKEN_RE = /\d+(?:[.,]\d+)*|[a-z0-9]+/g;

/** Folded syllables and canonical numbers, in order. */
export function syllables(text: string): string[] {
  // TOKEN_RE tries the number form first, so a token starting with a digit is a number.
  return (fold(text).match(TOKEN_RE) ?? []).map((t) => (t.charCodeAt(0) <= 0x39 ? canonicalNumber(t) : t));
}

export const BIGRAM_JOINER = '_';

export function bigrams(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < tokens.length; i++) out.push(tokens[i - 1]! + BIGRAM_JOINER + tokens[i]!);
  return out;
}

/** Index-time terms: syllables and syllable bigrams. */
export function indexTerms(text: string): string[] {
  const s = syllables(text);
  return [...s, ...bigrams(s)];
}

/**
 * `new Set(indexTerms(text))`, built in one pass without the intermediate arrays: reranking
 * builds one for each of ~100 candidate passages per question.
 */
export function indexTermSet(text: string): Set<string> {
  const out = new Set<string>();
  let prev = '';
  for (const t of syllables(text)) {
    out.add(t);
    if (prev) out.add(prev + BIGRAM_JOINER + t);
    prev = t;
  }
  return out;
}

export interface WordToken {
  /** Lower-case, NFC, canonical tone placement: "ủy". */
  surface: string;
  /** Diacritic-free: "uy". */
  folded: string;
}

/**
 * Words with both their accented and folded forms, aligned. Stop-word decisions need the
 * accented form: folded "bi" is both "bị" (a function word) and "bí" (as in "bí thư").
 */
export function wordTokens(text: string): WordToken[] {
  const out: WordToken[] = [];
  for (const m of normalizeText(text).toLowerCase().matchAll(/\d+(?:[.,]\d+)*|[\p{L}\p{M}0-9]+/gu)) {
    const w = m[0];
    if (/^\d/.test(w)) {
      out.push({ surface: w, folded: canonicalNumber(w) });
      continue;
    }
    for (const f of fold(w).match(/[a-z0-9]+/g) ?? []) out.push({ surface: f === fold(w) ? w : f, folded: f });
  }
  return out;
}
