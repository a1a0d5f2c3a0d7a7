import { fold } from '../ingest/normalize.js';
import { splitSentences } from '../ingest/sentences.js';
import { sectionLabel } from '../ingest/structure.js';
import { indexTerms } from '../index/tokenizer.js';
import type { Chunk } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import { coverage, unitNearNumber, type RetrievedChunk } from '../retrieval/hybrid.js';
import type { AnalyzedQuery } from '../retrieval/query.js';
import { render } from './templates.js';
import type { Answer, Citation } from './types.js';

/**
 * The offline answer: pick the sentences that answer, lead with the figure for counts, quote
 * faithfully, cite document and section. Nothing is generated that is not in a source, and
 * when the sources do not cover the question the answer says so.
 */

/** Minimum share of the question a passage must cover before we answer from it. */
export const MIN_COVERAGE = 0.5;
/** Minimum share for the chosen sentence (with its section heading). */
export const MIN_SENTENCE_COVERAGE = 0.4;

export interface EvidenceSentence {
  chunk: Chunk;
  text: string;
  /** Position inside the chunk, to keep document order. */
  start: number;
  score: number;
  coverage: number;
  hasNumber: boolean;
}

const NUMBER_RE = /\d+(?:[.,]\d+)*(?:\/\d+(?:[.,]\d+)*)?\s*%?/g;
const YEARISH = /^(19|20)\d{2}$/;
const DOC_NUMBER_RE = /\d+[-/][A-ZĐ]+(?:[-/][A-ZĐ0-9]+)+/u;
const TRAILING_FILLER = new Set(['va', 'cua', 'cho', 'duoc', 'voi', 'de', 'ma', 'thi', 'la', 'co', 'trong', 'tai', 'o', 'den', 'tu', 've', 'nhu', 'hoac', 'da', 'se', 'qua']);

/**
 * Figures of a sentence: numbers that are not years, dates or parts of document codes
 * ("22-NQ/TW", "26-3-2018", "Quyết định số 170/QĐ-TTg").
 */
export function figureMatches(text: string): RegExpMatchArray[] {
  return [...text.matchAll(NUMBER_RE)].filter((m) => {
    const n = m[0].trim();
    const at = m.index ?? 0;
    const after = text.slice(at + m[0].length, at + m[0].length + 3);
    const before = text.slice(Math.max(0, at - 2), at);
    if (YEARISH.test(n)) return false;
    if (/^\s*[-/]\s*[\p{Lu}Đ]/u.test(after) || /^[-/]\d/.test(after) || /\d[-/]$/.test(before) || /[\p{Lu}][-/]$/u.test(before)) return false;
    return true;
  });
}

function sentenceNumbers(text: string): string[] {
  return figureMatches(text).map((m) => m[0].trim());
}

/** The words of `text` that spell `foldedPhrase`, in their original case and accents. */
export function displayOf(text: string, foldedPhrase: string): string | undefined {
  const words = [...text.matchAll(/[\p{L}\p{M}\d][\p{L}\p{M}\d'’-]*/gu)];
  const target = foldedPhrase.split(' ');
  for (let i = 0; i + target.length <= words.length; i++) {
    if (target.every((t, k) => fold(words[i + k]![0]).replace(/['’]/g, '') === t)) {
      const first = words[i]!;
      const last = words[i + target.length - 1]!;
      return text.slice(first.index, last.index + last[0].length);
    }
  }
  return undefined;
}

/** "… có 119/156 xã, phường, thị trấn (đạt 76,28%) của …" → "119/156 xã, phường, thị trấn (đạt 76,28%)". */
export function figurePhrase(sentence: string, unitTokens: readonly string[], docNumber = false): string | undefined {
  if (docNumber) return DOC_NUMBER_RE.exec(sentence)?.[0];
  const matches = figureMatches(sentence);
  if (!matches.length) return undefined;
  const unit = unitTokens[0];
  const wordsAfter = (idx: number, n: number) => fold(sentence.slice(idx)).match(/[a-z]+/g)?.slice(0, n) ?? [];
  const wordsBefore = (idx: number, n: number) => (fold(sentence.slice(0, idx)).match(/[a-z]+/g) ?? []).slice(-n);
  let chosen = matches[0]!;
  if (unit) {
    chosen =
      matches.find((m) => wordsAfter(m.index! + m[0].length, 3).includes(unit)) ??
      matches.find((m) => wordsBefore(m.index!, 6).includes(unit)) ??
      chosen;
  }
  const start = chosen.index!;
  const rest = sentence.slice(start);
  // Up to eight words, stopping at clause punctuation; a parenthesis that opens is closed.
  const wordRe = /\S+/g;
  let end = 0;
  let words = 0;
  let depth = 0;
  for (let m = wordRe.exec(rest); m; m = wordRe.exec(rest)) {
    const w = m[0];
    depth += (w.match(/\(/g) ?? []).length - (w.match(/\)/g) ?? []).length;
    end = m.index + w.length;
    words++;
    if (depth <= 0 && (/[;:.]$/.test(w) || (words >= 3 && /,$/.test(w) && depth === 0 && !/^\s*(x|ph|th|h|t)/.test(fold(rest.slice(end)))))) break;
    if (depth <= 0 && words >= 8) break;
  }
  let phrase = rest.slice(0, end).replace(/[;:.,]+$/, '').trim();
  // Drop trailing function words ("… cho mỗi xã và" → "… cho mỗi xã").
  let parts = phrase.split(' ');
  while (parts.length > 1 && TRAILING_FILLER.has(fold(parts[parts.length - 1]!))) parts = parts.slice(0, -1);
  phrase = parts.join(' ');
  return phrase || undefined;
}

function personName(sentence: string): string | undefined {
  // Three or more capitalised words in a row that are not an office ("Võ Thị Ánh Xuân").
  const m = /(?:\p{Lu}[\p{Ll}\p{M}]*\s){2,4}\p{Lu}[\p{Ll}\p{M}]*/u.exec(sentence);
  return m?.[0];
}

export function citationFor(chunk: Chunk, snapshot: IndexSnapshot, quote: string): Citation {
  const meta = snapshot.documentById.get(chunk.metadata.documentId)?.meta;
  return {
    document: chunk.metadata.documentId,
    title: meta?.title ?? chunk.metadata.documentId,
    section: sectionLabel(chunk.metadata.sectionPath, chunk.metadata.footnote),
    quote,
    chunkId: chunk.id,
  };
}

function scoreSentences(query: AnalyzedQuery, retrieved: readonly RetrievedChunk[], documentTerms: (id: string) => Set<string>): EvidenceSentence[] {
  const top = retrieved.slice(0, 8);
  const best = top[0]?.score ?? 1;
  const out: EvidenceSentence[] = [];
  for (const r of top) {
    const m = r.chunk.metadata;
    const contextTerms = indexTerms([m.sectionPath.join(' '), m.anchorSentence ?? ''].join(' \n '));
    for (const span of splitSentences(r.chunk.text)) {
      const text = r.chunk.text.slice(span.start, span.end);
      const own = new Set(indexTerms(text));
      const withContext = new Set([...own, ...contextTerms]);
      const docTerms = documentTerms(m.documentId);
      const cov = 0.7 * coverage(query.groups, withContext, docTerms) + 0.3 * coverage(query.groups, own, docTerms);
      const numbers = sentenceNumbers(text);
      let factor = 1;
      if (query.wantsFigure && query.intent !== 'docnumber') {
        factor *= numbers.length ? 1.25 : 0.55;
        if (numbers.length && query.unitTokens.length && unitNearNumber(text, query.unitTokens)) factor *= 1.35;
      }
      if (query.intent === 'docnumber') factor *= DOC_NUMBER_RE.test(text) ? 1.6 : 0.6;
      if (query.intent === 'who') factor *= personName(text) ? 1.4 : 0.8;
      if (query.entities.length) {
        const f = fold(text);
        const hits = query.entities.filter((e) => f.replace(/\s+/g, e.kind === 'document' ? '' : ' ').includes(e.folded)).length;
        factor *= 1 + (0.2 * hits) / query.entities.length;
      }
      // Very short fragments rarely answer anything on their own.
      if (text.length < 25) factor *= 0.6;
      const score = (0.7 * cov + 0.3 * (r.score / best)) * factor;
      out.push({ chunk: r.chunk, text, start: span.start, score, coverage: cov, hasNumber: numbers.length > 0 });
    }
  }
  return out.sort((a, b) => b.score - a.score);
}

export interface ComposeInput {
  query: AnalyzedQuery;
  retrieved: readonly RetrievedChunk[];
  snapshot: IndexSnapshot;
  documentTerms: (documentId: string) => Set<string>;
}

export function documentList(snapshot: IndexSnapshot): string {
  return snapshot.documents.map((d) => d.meta.title).join('; ');
}

export function placeList(snapshot: IndexSnapshot): string {
  const places = new Map<string, string>();
  for (const p of snapshot.names.places) {
    if (places.size >= 12) break;
    // Display form from any document text.
    for (const d of snapshot.documents) {
      const shown = displayOf(d.meta.title + ' ' + (d.meta.issuer ?? '') + ' ' + d.chunks.map((c) => c.text).join(' '), p);
      if (shown) {
        places.set(p, shown);
        break;
      }
    }
  }
  return [...places.values()].join(', ');
}

export function refusal(query: AnalyzedQuery, kind: 'refused' | 'invalid'): Answer {
  return { question: query.raw, answered: false, kind, language: query.language, text: render(query.language, kind), citations: [], via: 'extractive' };
}

export function composeExtractive({ query, retrieved, snapshot, documentTerms }: ComposeInput): Answer {
  const lang = query.language;
  const base = { question: query.raw, language: lang, via: 'extractive' as const };
  if (query.injection) return refusal(query, 'refused');
  if (query.unknownEntities.length) {
    return {
      ...base,
      answered: false,
      kind: 'unknown_entity',
      text: render(lang, 'unknownEntity', { entity: query.unknownEntities.map((e) => e.text).join(', '), places: placeList(snapshot) }),
      citations: [],
    };
  }
  const notFound: Answer = { ...base, answered: false, kind: 'not_found', text: render(lang, 'notFound', { documents: documentList(snapshot) }), citations: [] };
  const top = retrieved[0];
  if (!top || top.coverage < MIN_COVERAGE || top.entityMatch < 0.5) return notFound;
  // Scattered syllables are not evidence: some passage among the best must share a phrase.
  if (!retrieved.slice(0, 3).some((r) => r.phraseEvidence) && !query.entities.some((e) => e.kind === 'document')) return notFound;

  const sentences = scoreSentences(query, retrieved, documentTerms);
  const s1 = sentences[0];
  if (!s1 || s1.coverage < MIN_SENTENCE_COVERAGE) return notFound;

  const chosen: EvidenceSentence[] = [s1];
  let conflict = false;
  if (query.wantsFigure) {
    // Other figures for the same thing from other passages: complements, or counts that
    // disagree (another date, another report). Both are shown with their sources.
    const unitOk = (s: EvidenceSentence) => !query.unitTokens.length || unitNearNumber(s.text, query.unitTokens);
    for (const s of sentences.slice(1)) {
      if (chosen.length >= 3) break;
      if (chosen.some((c) => c.chunk.id === s.chunk.id) || !s.hasNumber || !unitOk(s)) continue;
      if (s.score < 0.75 * s1.score || s.coverage < MIN_SENTENCE_COVERAGE) continue;
      chosen.push(s);
    }
    const n1 = new Set(sentenceNumbers(s1.text));
    conflict = query.unitTokens.length > 0 && unitOk(s1) && chosen.slice(1).some((s) => !sentenceNumbers(s.text).some((n) => n1.has(n)));
  } else {
    const extra = query.intent === 'who' ? 0 : 2;
    for (const s of sentences.slice(1)) {
      if (chosen.length > extra) break;
      if (s.score < 0.72 * s1.score || s.coverage < MIN_SENTENCE_COVERAGE) continue;
      if (chosen.some((c) => c.text === s.text)) continue;
      chosen.push(s);
    }
  }

  // Citations in order of first use; sentences of one passage kept in document order.
  const byChunk = new Map<string, EvidenceSentence[]>();
  for (const s of chosen) byChunk.set(s.chunk.id, [...(byChunk.get(s.chunk.id) ?? []), s]);
  const citations: Citation[] = [];
  const lines: string[] = [];
  for (const [, group] of byChunk) {
    group.sort((a, b) => a.start - b.start);
    const quote = group.map((g) => g.text).join(' ');
    citations.push(citationFor(group[0]!.chunk, snapshot, quote));
    const n = citations.length;
    lines.push(render(lang, byChunk.size > 1 || group.length > 1 ? 'evidenceBullet' : 'evidenceLine', { quote, n }));
  }

  let lead = '';
  const subjectEntity = query.entities.find((e) => e.kind !== 'document');
  const subjectText = subjectEntity ? (displayOf(query.normalized, subjectEntity.folded) ?? displayOf(s1.text, subjectEntity.folded) ?? displayOf(snapshot.documentById.get(s1.chunk.metadata.documentId)?.meta.title ?? '', subjectEntity.folded)) : undefined;
  const subject = subjectText ? `${subjectText}: ` : '';
  if (query.intent === 'docnumber') {
    const fig = figurePhrase(s1.text, [], true);
    if (fig) lead = render(lang, 'docNumberLead', { subject, figure: fig });
  } else if (query.wantsFigure) {
    const fig = figurePhrase(s1.text, query.unitTokens);
    if (fig) lead = render(lang, 'figureLead', { subject, figure: fig });
  } else if (query.intent === 'who') {
    const name = personName(s1.text);
    if (name) lead = render(lang, 'whoLead', { name });
  }
  const parts = [lead, lines.join('\n'), conflict ? render(lang, 'conflict') : ''].filter(Boolean);
  return { ...base, answered: true, kind: 'answer', text: parts.join('\n\n'), citations };
}
