/** Sentence boundaries for Vietnamese administrative prose. */

export interface Span {
  start: number;
  end: number;
}

// Tokens that end with a period without ending the sentence.
const ABBREVIATIONS = new Set(['tp', 'tt', 'ts', 'ths', 'pgs', 'gs', 'bs', 'ks', 'th', 'q', 'p', 'v.v', 'vv', 'đ/c', 'đc', 'ông', 'bà', 'số', 'k', 'st']);

/**
 * Splits at ".", "!", "?" or "…" followed by white space and something that can start a sentence
 * (upper-case letter, digit, quote, bracket, bullet). Semicolons do not end sentences: reports
 * chain list items with them and the items only make sense together.
 */
export function splitSentences(text: string): Span[] {
  const spans: Span[] = [];
  const re = /[.!?…]+["”’)\]]*(?=\s+["“([\-–•+]?[\p{Lu}\d])/gu;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const end = m.index + m[0].length;
    const before = text.slice(start, m.index);
    const lastToken = /([\p{L}./]+)$/u.exec(before)?.[1]?.toLowerCase() ?? '';
    // "27.023" never matches (no white space after the dot); abbreviations and initials do.
    if (m[0].startsWith('.') && (ABBREVIATIONS.has(lastToken) || /^\p{Lu}$/u.test(lastToken.toUpperCase()) && lastToken.length === 1)) {
      continue;
    }
    if (text.slice(start, end).trim()) spans.push(trimSpan(text, start, end));
    start = end;
  }
  if (text.slice(start).trim()) spans.push(trimSpan(text, start, text.length));
  return spans;
}

function trimSpan(text: string, start: number, end: number): Span {
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end };
}

/** Index of the span containing `offset` (a mark right after a sentence belongs to it). */
export function spanIndexAt(spans: readonly Span[], offset: number): number {
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    const next = spans[i + 1];
    if (offset <= s.end || (next && offset < next.start)) return i;
  }
  return Math.max(0, spans.length - 1);
}
