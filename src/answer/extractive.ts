import { fold, normalizeText } from '../ingest/normalize.js';
import { sectionLabel } from '../ingest/structure.js';
import type { Chunk } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import { buildChunkView, coverage, focusInHeading, type ChunkView, type RetrievedChunk } from '../retrieval/hybrid.js';
import { asksForDuration, DATE_RE, unitVariants, figureMatches, sentenceFigures, unitNearNumber, unitAfterNumber } from '../retrieval/figures.js';
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

const DOC_NUMBER_RE = /\d+[-/][A-ZĐ]+(?:[-/][A-ZĐ0-9]+)+/u;



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

/** Function words that never end a figure phrase (compared accented: "từ" ≠ "tú"). */
const TRAILING_FILLER = new Set(['và', 'của', 'cho', 'được', 'với', 'để', 'mà', 'thì', 'là', 'có', 'trong', 'tại', 'ở', 'đến', 'từ', 'về', 'như', 'hoặc', 'đã', 'sẽ', 'qua', 'so', 'trên', 'dưới']);

/**
 * The figure a count question asks for, as the source words it: "119/156 xã, phường, thị trấn
 * (đạt 76,28%)". The number is the one whose neighbourhood shares most with the question (its
 * unit first); the phrase runs to the last unit word, plus a parenthesis that follows.
 */
export function figurePhrase(sentence: string, unitTokens: readonly string[], docNumber = false, questionTokens: readonly string[] = []): string | undefined {
  if (docNumber) return DOC_NUMBER_RE.exec(sentence)?.[0];
  const matches = figureMatches(sentence, { keepDurations: asksForDuration(unitTokens) });
  if (!matches.length) return undefined;
  const units = new Set(unitVariants(unitTokens).flat());
  const question = new Set(questionTokens);
  const foldedWords = (text: string) => fold(text).match(/[a-z]+/g) ?? [];
  let chosen = matches[0]!;
  let bestScore = -1;
  for (const m of matches) {
    const after = foldedWords(sentence.slice(m.index! + m[0].length)).slice(0, 6);
    const before = foldedWords(sentence.slice(0, m.index!)).slice(-8);
    let score = 0;
    const variants = unitVariants(unitTokens).filter((v) => v.length);
    if (variants.some((v) => v.slice(0, 2).every((u, k) => after[k] === u))) score += 3.5;
    else if (variants.some((v) => after.slice(0, 3).includes(v[0]!))) score += 3;
    else if (variants.some((v) => before.slice(-6).includes(v[0]!))) score += 1.5;
    score += [...after, ...before].filter((w) => question.has(w)).length * 0.25;
    if (score > bestScore) {
      bestScore = score;
      chosen = m;
    }
  }
  const rest = sentence.slice(chosen.index!);
  const wordRe = /\S+/g;
  const spans: { end: number; word: string }[] = [];
  for (let m = wordRe.exec(rest); m && spans.length < 12; m = wordRe.exec(rest)) spans.push({ end: m.index + m[0].length, word: m[0] });
  let endIdx = -1;
  if (units.size) {
    // Run through the unit words; a comma ends the run unless a unit word follows it ("xã, phường, thị trấn").
    const isUnit = (i: number) => Boolean(spans[i] && fold(spans[i]!.word).match(/[a-z]+/g)?.some((w) => units.has(w)));
    for (let i = 1; i < spans.length && i <= 10; i++) {
      // Another figure starts another quantity ("698 tổ chức cơ sở đảng với 1.908 tổ chức đảng").
      if (/^\d/.test(spans[i]!.word)) break;
      if (isUnit(i)) endIdx = i;
      if (/[,;:.]$/.test(spans[i]!.word) && !isUnit(i + 1)) break;
    }
  }
  if (endIdx < 0) {
    // No unit words: stop at the first clause punctuation, keeping at least two words.
    endIdx = Math.min(spans.length - 1, 5);
    for (let i = 1; i < spans.length && i <= 5; i++) {
      if (/[,;:.]$/.test(spans[i]!.word)) {
        endIdx = i;
        break;
      }
    }
  }
  let end = spans[endIdx]?.end ?? rest.length;
  const paren = /^\s*\([^)]{1,60}\)/.exec(rest.slice(end).replace(/^[,]/, ''));
  if (paren && !/[.;]$/.test(rest.slice(0, end))) end += paren[0].length + (rest.slice(end).startsWith(',') ? 1 : 0);
  let words = rest.slice(0, end).replace(/[;:.,]+$/, '').trim().split(' ');
  while (words.length > 1 && TRAILING_FILLER.has(normalizeText(words[words.length - 1]!).toLowerCase().replace(/[;:.,]+$/, ''))) words = words.slice(0, -1);
  const phrase = words.join(' ').replace(/[;:.,]+$/, '');
  return phrase || undefined;
}

/** A person's name: a run of capitalised words that is not a place or an office ("Võ Thị Ánh Xuân"). */
function personName(sentence: string, places: ReadonlySet<string>): string | undefined {
  const OFFICE = new Set(['bi', 'thu', 'chu', 'tich', 'tinh', 'uy', 'huyen', 'dang', 'ban', 'pho', 'truong', 'giam', 'doc', 'dong', 'chi', 'ong', 'ba', 'uy', 'vien']);
  for (const m of sentence.matchAll(/(?:\p{Lu}[\p{Ll}\p{M}]*\s+)+\p{Lu}[\p{Ll}\p{M}]*/gu)) {
    let words = m[0].split(/\s+/);
    let folded = words.map((w) => fold(w));
    // Drop a leading office or place: "Tỉnh ủy An Giang Võ Thị Ánh Xuân" → "Võ Thị Ánh Xuân".
    let changed = true;
    while (changed && words.length) {
      changed = false;
      for (let len = Math.min(4, words.length); len >= 2; len--) {
        if (places.has(folded.slice(0, len).join(' '))) {
          words = words.slice(len);
          folded = folded.slice(len);
          changed = true;
          break;
        }
      }
      if (!changed && words.length && OFFICE.has(folded[0]!)) {
        words = words.slice(1);
        folded = folded.slice(1);
        changed = true;
      }
    }
    if (words.length >= 3) return words.join(' ');
  }
  return undefined;
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

export function scoreSentences(
  query: AnalyzedQuery,
  retrieved: readonly RetrievedChunk[],
  documentTerms: (id: string) => Set<string>,
  places: ReadonlySet<string>,
  view: (chunk: Chunk) => ChunkView = buildChunkView,
): EvidenceSentence[] {
  const top = retrieved.slice(0, query.wantsFigure ? 12 : 8);
  const best = top[0]?.score ?? 1;
  const out: EvidenceSentence[] = [];
  for (const r of top) {
    const m = r.chunk.metadata;
    const v = view(r.chunk);
    const docTerms = documentTerms(m.documentId);
    let previousFolded = '';
    let previousTerms = new Set<string>();
    for (const sentence of v.sentences) {
      const { text, terms: own } = sentence;
      // What the previous sentence said (the subject, the place) counts as context, at document credit.
      const secondary = new Set([...docTerms, ...previousTerms]);
      previousTerms = own;
      // "… huyện Châu Phú cho biết, … Đến nay, 13/13 xã của huyện …": the place is often named one sentence earlier.
      const nearby = `${previousFolded} ${sentence.folded}`;
      previousFolded = sentence.folded;
      const withContext = new Set([...own, ...v.contextTerms]);
      const cov = 0.7 * coverage(query.groups, withContext, secondary) + 0.3 * coverage(query.groups, own, secondary);
      const numbers = sentenceFigures(text, { keepDurations: asksForDuration(query.unitTokens) });
      let factor = 1;
      if (query.intent === 'when') factor *= DATE_RE.test(text) ? 1.5 : 0.6;
      if (query.intent === 'why' && /\b(nguyen nhan|do|vi|boi|nen|dan den|la do)\b/.test(sentence.folded)) factor *= 1.2;
      else if (query.wantsFigure && query.intent !== 'docnumber') {
        factor *= numbers.length ? 1.25 : 0.55;
        if (numbers.length && query.unitTokens.length) {
          const direct = unitAfterNumber(text, query.unitTokens);
          if (direct) factor *= direct === 2 ? 1.6 : 1.45;
          else if (unitNearNumber(text, query.unitTokens)) factor *= 1.15;
          if (statesTotal(text, query.unitTokens)) factor *= 1.2;
        }
      }
      if (query.intent === 'docnumber') factor *= DOC_NUMBER_RE.test(text) ? 1.6 : 0.6;
      if (query.intent === 'who') factor *= personName(text, places) ? 1.4 : 0.8;
      if (query.entities.length) {
        const hits = query.entities.filter((e) => (e.kind === 'document' ? nearby.replace(/\s+/g, '') : nearby).includes(e.folded)).length;
        factor *= 1 + (0.2 * hits) / query.entities.length;
      }
      // A sentence from a passage about another place is not evidence (same guard as retrieval).
      factor *= 0.25 + 0.75 * r.entityMatch;
      // Very short fragments rarely answer anything on their own.
      if (text.length < 25) factor *= 0.6;
      const score = (0.7 * cov + 0.3 * (r.score / best)) * factor;
      out.push({ chunk: r.chunk, text, start: sentence.start, score, coverage: cov, hasNumber: numbers.length > 0 });
    }
  }
  return out.sort((a, b) => b.score - a.score);
}

/**
 * "Nguyên nhân … là gì?", "What were the weaknesses …": when a top passage sits in a section whose
 * heading names what is asked, the answer is that section's opening points, in order.
 */
/** "tổng số đảng viên … lên 26.773": a sentence that states the total of the unit asked about. */
function statesTotal(text: string, unitTokens: readonly string[]): boolean {
  if (!unitTokens.length || !sentenceFigures(text).length) return false;
  const f = fold(text);
  return unitVariants(unitTokens).some((v) => new RegExp(`\\btong so (cac )?${v.slice(0, 2).join(' ')}\\b`).test(f));
}

function walkFocusedSection(
  query: AnalyzedQuery,
  retrieved: readonly RetrievedChunk[],
  snapshot: IndexSnapshot,
  view: (chunk: Chunk) => ChunkView,
): EvidenceSentence[] | undefined {
  const best = retrieved[0];
  const hit = retrieved.slice(0, 3).find((r) => r.chunk.metadata.kind === 'body' && focusInHeading(query.groups, r.chunk) === 'leaf');
  if (!best || !hit || hit.score < 0.8 * best.score || hit.coverage < MIN_COVERAGE) return undefined;
  const label = hit.chunk.metadata.sectionPath.join(' › ');
  const doc = snapshot.documentById.get(hit.chunk.metadata.documentId);
  const sectionChunks = (doc?.chunks ?? []).filter((c) => c.metadata.kind === 'body' && c.metadata.sectionPath.join(' › ') === label);
  const all = sectionChunks.flatMap((c, ci) => view(c).sentences.map((sentence, si) => ({ c, sentence, order: ci * 10_000 + si })));
  const toEvidence = (x: (typeof all)[number]): EvidenceSentence => ({
    chunk: x.c,
    text: x.sentence.text,
    start: x.sentence.start,
    score: hit.score,
    coverage: hit.coverage,
    hasNumber: false,
  });
  // "Hạn chế của việc lấy phiếu tín nhiệm": the points of the section about the rest of the question first.
  const entityLabels = new Set(query.entities.map((e) => e.text));
  const others = query.groups.filter((g) => !g.focus && !entityLabels.has(g.label));
  if (others.length) {
    const specific = all
      .map((x) => ({ x, cov: coverage(others, x.sentence.terms) }))
      .filter((y) => y.cov >= 0.5)
      .sort((a, b) => b.cov - a.cov)
      .slice(0, 3)
      .sort((a, b) => a.x.order - b.x.order);
    if (specific.length) {
      // The section's opening point usually states its gist: keep it in front of the specific ones.
      const first = all[0]!;
      const picked = specific.map((y) => y.x);
      if (!picked.includes(first)) picked.unshift(first);
      return picked.slice(0, 4).map(toEvidence);
    }
  }
  const out: EvidenceSentence[] = [];
  let chars = 0;
  for (const x of all) {
    if (out.length >= 4 || chars > 900) break;
    out.push(toEvidence(x));
    chars += x.sentence.text.length;
  }
  return out.length ? out : undefined;
}

export interface ComposeInput {
  query: AnalyzedQuery;
  retrieved: readonly RetrievedChunk[];
  snapshot: IndexSnapshot;
  documentTerms: (documentId: string) => Set<string>;
  view?: (chunk: Chunk) => ChunkView;
}

export function refusal(query: AnalyzedQuery, kind: 'refused' | 'invalid'): Answer {
  const text = render(query.language, kind);
  return { question: query.raw, answered: false, kind, language: query.language, lead: text, text, citations: [], via: 'extractive' };
}

export function composeExtractive({ query, retrieved, snapshot, documentTerms, view }: ComposeInput): Answer {
  const lang = query.language;
  const base = { question: query.raw, language: lang, via: 'extractive' as const };
  if (query.injection) return refusal(query, 'refused');
  if (query.unknownEntities.length) {
    return {
      ...base,
      answered: false,
      kind: 'unknown_entity',
      ...leadAndText(render(lang, 'unknownEntity', { entity: query.unknownEntities.map((e) => e.text).join(', ') })),
      citations: [],
    };
  }
  const notFound: Answer = { ...base, answered: false, kind: 'not_found', ...leadAndText(render(lang, 'notFound', {})), citations: [] };
  const top = retrieved[0];
  if (!top || top.coverage < MIN_COVERAGE || top.entityMatch < 0.5) return notFound;
  // Scattered syllables are not evidence: some passage among the best must share a phrase.
  if (!retrieved.slice(0, 3).some((r) => r.phraseEvidence) && !query.entities.some((e) => e.kind === 'document')) return notFound;

  let sentences = scoreSentences(query, retrieved, documentTerms, snapshot.names.places, view);
  // "Bao nhiêu đầu mối?" answered with figures that count something else would be an invented
  // answer: for counts, only sentences whose figures carry the asked unit can lead.
  if (query.intent === 'count' && query.unitTokens.length) {
    const carriesUnit = (x: EvidenceSentence) => x.hasNumber && (unitAfterNumber(x.text, query.unitTokens) > 0 || unitNearNumber(x.text, query.unitTokens));
    const withUnit = sentences.filter(carriesUnit);
    sentences = [...withUnit, ...sentences.filter((x) => !carriesUnit(x))];
    if (!withUnit.length) return notFound;
  }
  const s1 = sentences[0];
  if (!s1 || s1.coverage < MIN_SENTENCE_COVERAGE) return notFound;

  let chosen: EvidenceSentence[] = [s1];
  let conflict = false;
  const sectionWalk = !query.wantsFigure && query.intent !== 'who' ? walkFocusedSection(query, retrieved, snapshot, view ?? buildChunkView) : undefined;
  if (sectionWalk) {
    chosen = sectionWalk;
  } else if (query.wantsFigure) {
    // Other figures for the same thing from other passages: complements, or counts that
    // disagree (another date, another report). Both are shown with their sources.
    const unitOk = (s: EvidenceSentence) => !query.unitTokens.length || unitNearNumber(s.text, query.unitTokens);
    for (const s of sentences.slice(1)) {
      if (chosen.length >= 3) break;
      if (chosen.some((c) => c.text === s.text) || !s.hasNumber || !unitOk(s)) continue;
      // Close in score, or as close to the question and stating the same unit outright (another
      // report, another date: "27.023" here, "26.773 … đến tháng 12-2017" there).
      const sameQuantity = statesTotal(s.text, query.unitTokens) && s.coverage >= 0.85 * s1.coverage;
      if (!(s.score >= 0.75 * s1.score || (sameQuantity && s.score >= 0.4 * s1.score)) || s.coverage < MIN_SENTENCE_COVERAGE) continue;
      chosen.push(s);
    }
    const n1 = new Set(sentenceFigures(s1.text));
    conflict = query.unitTokens.length > 0 && unitOk(s1) && chosen.slice(1).some((s) => !sentenceFigures(s.text).some((n) => n1.has(n)));
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
  // The corpus spelling first: questions are often typed without accents or capitals.
  const subjectText = subjectEntity
    ? (displayOf(s1.text, subjectEntity.folded) ??
      displayOf(snapshot.documentById.get(s1.chunk.metadata.documentId)?.meta.title ?? '', subjectEntity.folded) ??
      displayOf(s1.chunk.text, subjectEntity.folded) ??
      displayOf(query.normalized, subjectEntity.folded))
    : undefined;
  const subject = subjectText ? `${subjectText}: ` : '';
  if (query.intent === 'when') {
    const date = DATE_RE.exec(s1.text)?.[0];
    if (date) lead = render(lang, 'figureLead', { subject, figure: date });
  } else if (query.intent === 'docnumber') {
    const fig = figurePhrase(s1.text, [], true);
    if (fig) lead = render(lang, 'docNumberLead', { subject, figure: fig });
  } else if (query.wantsFigure) {
    const fig = figurePhrase(s1.text, query.unitTokens, false, query.tokens);
    if (fig) lead = render(lang, 'figureLead', { subject, figure: fig });
  } else if (query.intent === 'who') {
    const name = personName(s1.text, snapshot.names.places);
    if (name) lead = render(lang, 'whoLead', { name });
  }
  const parts = [lead, lines.join('\n'), conflict ? render(lang, 'conflict') : ''].filter(Boolean);
  return { ...base, answered: true, kind: 'answer', lead, text: parts.join('\n\n'), citations };
}

/** A refusal's lead is the refusal itself. */
function leadAndText(text: string): { lead: string; text: string } {
  return { lead: text, text };
}
