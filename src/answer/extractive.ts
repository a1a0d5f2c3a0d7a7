import { fold } from '../ingest/normalize.js';
import { typesNamedIn } from '../ingest/documentTypes.js';
import type { FactStore } from '../ingest/facts.js';
import { sectionLabel } from '../ingest/structure.js';
import type { Chunk } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import { indexTermSet } from '../index/tokenizer.js';
import { buildChunkView, coverage, focusInHeading, type ChunkView, type RetrievedChunk } from '../retrieval/hybrid.js';
import { asksForDuration, DATE_RE, unitVariants, sentenceFigures, unitNearNumber, unitAfterNumber } from '../retrieval/figures.js';
import { intentCues, matchesAny } from '../retrieval/intents.js';
import { answerDocumentDetail, refersToCorpusDocument } from './documentDetails.js';
import { asFigureSentence, chooseFigure, chooseFigureScored, contextUnitFits, docNumberIn, figurePhrase, type FigureQuestion, type FigureSentence } from './figureLead.js';
import { shortDocumentLabel, shortSectionLabel } from './labels.js';
import { isLeadIn, listLead, sentenceLead } from './lists.js';
import type { AnalyzedQuery } from '../retrieval/query.js';
import { render } from './templates.js';
import { LEAD_MAX_CHARS, type Answer, type Citation } from './types.js';
import type { PlaceLevel } from '../ingest/places.js';

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
  /** The passage's share of the question's named entities (retrieval's entity guard), 0–1. */
  entityMatch: number;
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
    // "Báo Nam Thạch", "Sở Nội vụ Hà Sơn": an institution or a place is not a person.
    const containsPlace = folded.some((_, k) => k + 1 < folded.length && places.has(`${folded[k]} ${folded[k + 1]}`));
    if (words.length >= 3 && !containsPlace && !INSTITUTION_HEADS.has(folded[0]!)) return words.join(' ');
  }
  return undefined;
}

const ROLE_WINDOW_CHARS = 90;
const ROLE_MIN_COVERAGE = 0.8;

/** The role words of a who-question (all but the place and the asking words) stand next to the name found. */
function nameHoldsRole(query: AnalyzedQuery, sentence: string, places: ReadonlySet<string>): boolean {
  const name = personName(sentence, places);
  if (!name) return false;
  const at = sentence.indexOf(name);
  const window = sentence.slice(Math.max(0, at - ROLE_WINDOW_CHARS), at + name.length + ROLE_WINDOW_CHARS);
  const role = query.groups.filter((g) => !query.entities.some((e) => e.text === g.label));
  return !role.length || coverage(role, indexTermSet(window)) >= ROLE_MIN_COVERAGE;
}

/** First words of institutions, outlets and bodies: a capitalised run starting so names no person. */
const INSTITUTION_HEADS = new Set(['bao', 'so', 'phong', 'hoi', 'cong', 'nha', 'trung', 'truong', 'doan', 'mat', 'uy', 'vien', 'cuc', 'tong', 'van', 'ngan', 'hop', 'quy']);

export function citationFor(chunk: Chunk, snapshot: IndexSnapshot, quote: string): Citation {
  const meta = snapshot.documentById.get(chunk.metadata.documentId)?.meta;
  const section = sectionLabel(chunk.metadata.sectionPath, chunk.metadata.footnote);
  const short = shortSectionLabel(section);
  return {
    document: chunk.metadata.documentId,
    title: meta?.title ?? chunk.metadata.documentId,
    section,
    quote,
    label: meta ? `${shortDocumentLabel(meta)}${short ? `, ${short}` : ''}` : chunk.metadata.documentId,
    chunkId: chunk.id,
  };
}

/**
 * The stored facts of an evidence sentence. Text the store does not hold as one sentence (a whole
 * footnote quoted at once, a snapshot without facts) is read now by the same extractor.
 */
export function figureSentenceOf(e: { chunk: Chunk; start: number; text: string }, facts: FactStore | undefined): FigureSentence {
  const stored = facts?.sentenceAt(e.chunk.id, e.start);
  if (stored && stored.end - stored.start === e.text.length) return { text: e.text, figures: stored.figures };
  return asFigureSentence(e.text);
}

/** How well the kind of figures in a sentence fits the question: target or actual, the year asked. */
function figureContextFactor(query: AnalyzedQuery, sentence: FigureSentence, yearFactor: number, year: number | undefined): number {
  const figures = sentence.figures.filter((f) => !f.duration);
  const targets = figures.filter((f) => f.targetCue).length;
  let factor = yearFactor;
  if (figures.length && targets === figures.length) factor *= query.figureWish.target ? 1.3 : 0.7;
  else if (query.figureWish.target && targets === 0) factor *= 0.8;
  // With no year asked, the newer document is the answer ("hiện nay", or nothing said).
  if (!query.years.length && year !== undefined) factor *= 1 + Math.max(0, Math.min(10, year - 2010)) * 0.025;
  return factor;
}

function sentenceYearFactor(query: AnalyzedQuery, text: string): number {
  if (!query.years.length) return 1;
  const years = [...text.matchAll(/\b(19|20)\d{2}\b/g)].map((m) => Number(m[0]));
  if (years.some((y) => query.years.includes(y))) return 1.25;
  return years.length ? 0.8 : 0.95;
}

export function scoreSentences(
  query: AnalyzedQuery,
  retrieved: readonly RetrievedChunk[],
  documentTerms: (id: string) => Set<string>,
  places: ReadonlySet<string>,
  view: (chunk: Chunk) => ChunkView = buildChunkView,
  snapshotDates?: ReadonlyMap<string, string>,
  facts?: FactStore,
): EvidenceSentence[] {
  const top = retrieved.slice(0, query.wantsFigure ? 12 : 8);
  const best = top[0]?.score ?? 1;
  const out: EvidenceSentence[] = [];
  const docYear = (id: string) => {
    const d = snapshotDates?.get(id);
    return d ? Number(d.slice(0, 4)) : undefined;
  };
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
      const figureSentence = figureSentenceOf({ chunk: r.chunk, start: sentence.start, text }, facts);
      const keepDurations = asksForDuration(query.unitTokens);
      const numbers = figureSentence.figures.filter((f) => keepDurations || !f.duration);
      let factor = 1;
      if (query.intent === 'when') factor *= DATE_RE.test(text) ? 1.5 : 0.6;
      if (query.intent === 'why' && /\b(nguyen nhan|do|vi|boi|nen|dan den|la do)\b/.test(sentence.folded)) factor *= 1.2;
      else if (query.wantsFigure && query.intent !== 'docnumber') {
        factor *= numbers.length ? 1.25 : 0.55;
        if (numbers.length && query.unitTokens.length) {
          const direct = unitAfterNumber(text, query.unitTokens);
          if (direct) factor *= direct === 2 ? 1.6 : 1.45;
          else if (figureSentence.figures.some((f) => contextUnitFits(f, query.unitTokens))) factor *= 1.45;
          else if (unitNearNumber(text, query.unitTokens)) factor *= 1.15;
          if (statesTotal(text, query.unitTokens)) factor *= 1.2;
        }
        if (numbers.length) factor *= figureContextFactor(query, figureSentence, sentenceYearFactor(query, text), docYear(m.documentId));
      }
      // "kế hoạch số mấy": a number of the asked type (…-KH/…) answers; another type's barely does.
      if (query.intent === 'docnumber') {
        const asked = askedDocTypeCode(query);
        factor *= asked && docNumberIn(text, asked) ? 1.9 : docNumberIn(text) ? (asked ? 1.2 : 1.6) : 0.6;
      }
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
      out.push({ chunk: r.chunk, text, start: sentence.start, score, coverage: cov, hasNumber: numbers.length > 0, entityMatch: r.entityMatch });
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
    entityMatch: hit.entityMatch,
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
  // "Kế hoạch 53-KH/TU được ban hành ngày nào?" asks about a document the corpus only cites: its body answers.
  if (query.documentField && refersToCorpusDocument(query, snapshot)) {
    const detail = answerDocumentDetail(query, query.documentField, retrieved, snapshot);
    if (detail) return detail;
  }
  const notFound: Answer = { ...base, answered: false, kind: 'not_found', ...leadAndText(render(lang, 'notFound', {})), citations: [] };
  const top = retrieved[0];
  if (!top || top.coverage < MIN_COVERAGE || top.entityMatch < 0.5) return notFound;
  // Scattered syllables are not evidence: some passage among the best must share a phrase.
  if (!retrieved.slice(0, 3).some((r) => r.phraseEvidence) && !query.entities.some((e) => e.kind === 'document')) return notFound;

  let sentences = scoreSentences(query, retrieved, documentTerms, snapshot.names.places, view, documentDates(snapshot), snapshot.facts);
  // "Bao nhiêu đầu mối?" answered with figures that count something else would be an invented
  // answer: for counts, only sentences whose figures carry the asked unit can lead.
  if (query.intent === 'count' && query.unitTokens.length) {
    // "bao nhiêu đảng viên" is a count: "100% đảng viên" does not answer it (unless a share is asked).
    const counted = (x: EvidenceSentence) => (query.figureWish.percent ? x.text : x.text.replace(/\d+(?:[.,]\d+)?\s*%/g, '%'));
    // And it must be a figure of the place asked about: another place's count is no answer.
    const placeOk = (x: EvidenceSentence) => !query.entities.some((e) => e.kind !== 'document') || x.entityMatch >= 0.5;
    const carriesUnit = (x: EvidenceSentence) =>
      x.hasNumber &&
      placeOk(x) &&
      (unitAfterNumber(counted(x), query.unitTokens) > 0 ||
        unitNearNumber(counted(x), query.unitTokens) ||
        figureSentenceOf(x, snapshot.facts).figures.some((f) => contextUnitFits(f, query.unitTokens)));
    const withUnit = sentences.filter(carriesUnit);
    sentences = [...withUnit, ...sentences.filter((x) => !carriesUnit(x))];
    if (!withUnit.length) return notFound;
  }
  // "Năm 2019 … bao nhiêu?": evidence from another year is no answer, however well it matches.
  if (query.years.length === 1) {
    // Sentences of one passage share its text and section: judge those once per passage.
    const passageCovers = new Map<string, boolean>();
    sentences = sentences.filter((x) => coversAskedYear(query, x, snapshot, passageCovers));
    if (!sentences.length) return notFound;
  }
  const best = sentences[0];
  if (!best || best.coverage < MIN_SENTENCE_COVERAGE) return notFound;
  // For figures, the sentence and the figure are chosen together: a close second sentence whose
  // figure carries the unit asked beats a first one whose figures count something else.
  const s1 =
    query.intent === 'when'
      ? (sentences.slice(0, WHEN_POOL).find((x) => x.score >= WHEN_MIN_SHARE * best.score && ownDate(query, x.text)) ?? best)
      : query.wantsFigure && !query.documentField
        ? pickFigureSentence(query, sentences, best, snapshot)
        : best;
  if (s1 !== best) sentences = [s1, ...sentences.filter((x) => x !== s1)];
  // "Ai là Chủ tịch UBND tỉnh X?": a name is an answer only beside the role asked about.
  if (query.intent === 'who' && !nameHoldsRole(query, s1.text, snapshot.names.places)) return notFound;

  let chosen: EvidenceSentence[] = [s1];
  let conflict = false;
  const sectionWalk = !query.wantsFigure && query.intent !== 'who' ? walkFocusedSection(query, retrieved, snapshot, view ?? buildChunkView) : undefined;
  const leadInFollowers = !sectionWalk && (query.intent === 'list' || query.intent === 'why') ? followersOfLeadIn(query, s1, view ?? buildChunkView) : undefined;
  if (sectionWalk) {
    chosen = sectionWalk;
  } else if (leadInFollowers) {
    chosen = leadInFollowers;
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

  // "Chọn 03 xã làm thí điểm¹" with the communes in note 1: a list's items may sit in the note of its sentence.
  if (query.intent === 'list' || query.intent === 'why') {
    for (const note of anchoredFootnotes(s1, snapshot)) if (!chosen.some((c) => c.chunk.id === note.chunk.id)) chosen.splice(1, 0, note);
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

  const subjectEntity = query.entities.find((e) => e.kind !== 'document');
  // The corpus spelling first: questions are often typed without accents or capitals.
  const subjectText = subjectEntity
    ? (displayOf(s1.text, subjectEntity.folded) ??
      displayOf(snapshot.documentById.get(s1.chunk.metadata.documentId)?.meta.title ?? '', subjectEntity.folded) ??
      displayOf(s1.chunk.text, subjectEntity.folded) ??
      displayOf(query.normalized, subjectEntity.folded))
    : undefined;
  const lead = buildLead({ query, chosen, s1, snapshot, subject: subjectText ? `${subjectText}: ` : '', sectionWalk: Boolean(sectionWalk) });
  const parts = [lead, lines.join('\n'), conflict ? render(lang, 'conflict') : ''].filter(Boolean);
  return { ...base, answered: true, kind: 'answer', lead, text: parts.join('\n\n'), citations };
}

interface LeadInput {
  query: AnalyzedQuery;
  chosen: readonly EvidenceSentence[];
  s1: EvidenceSentence;
  snapshot: IndexSnapshot;
  subject: string;
  sectionWalk: boolean;
}

/**
 * A question about one year is answered only by evidence of that year: the year named in the
 * sentence or its passage as a point in time (not a date of another event, not a period's
 * bound), or a document written that year or the next.
 */
function coversAskedYear(query: AnalyzedQuery, s1: EvidenceSentence, snapshot: IndexSnapshot, passageCovers: Map<string, boolean>): boolean {
  if (query.years.length !== 1) return true;
  const year = query.years[0]!;
  const points = (text: string) =>
    text
      .replace(/\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}/g, ' ')
      .replace(/(?:tháng|quý)\s+[\dIVX]{1,4}\s*[-/]\s*(?:19|20)\d{2}/giu, ' ')
      .replace(/(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}/g, ' ')
      .replace(/\btừ\s+(?:năm\s+)?(?:19|20)\d{2}/giu, ' ');
  const mentioned = (text: string) => new RegExp(`\\b${year}\\b`).test(points(text));
  if (mentioned(s1.text)) return true;
  let passage = passageCovers.get(s1.chunk.id);
  if (passage === undefined) {
    const docYear = Number(snapshot.documentById.get(s1.chunk.metadata.documentId)?.meta.date?.slice(0, 4) ?? NaN);
    passage = mentioned(s1.chunk.text) || mentioned(s1.chunk.metadata.sectionPath.join(' ')) || docYear === year || docYear === year + 1;
    passageCovers.set(s1.chunk.id, passage);
  }
  return passage;
}

const datesCache = new WeakMap<IndexSnapshot, Map<string, string>>();
function documentDates(snapshot: IndexSnapshot): Map<string, string> {
  let m = datesCache.get(snapshot);
  if (!m) {
    m = new Map(snapshot.documents.filter((d) => d.meta.date).map((d) => [d.meta.id, d.meta.date!]));
    datesCache.set(snapshot, m);
  }
  return m;
}

const FIGURE_SENTENCE_POOL = 8;
const FIGURE_SENTENCE_MIN_SHARE = 0.7;
/** A sentence further down still competes when its figure carries the unit asked. */
const FIGURE_SENTENCE_MIN_SHARE_WITH_UNIT = 0.6;
const FIGURE_SENTENCE_MIN_SHARE_NO_FIGURE = 0.35;

/** A figure scoring this well carries the unit asked: two such figures state the same indicator. */
const SAME_INDICATOR_SCORE = 4;

function pickFigureSentence(query: AnalyzedQuery, sentences: readonly EvidenceSentence[], best: EvidenceSentence, snapshot: IndexSnapshot): EvidenceSentence {
  const q = figureQuestion(query);
  // When the best sentence holds no figure for the question (a table row of another place), sentences further down may.
  const figuresOf = (e: EvidenceSentence) => figureSentenceOf(e, snapshot.facts);
  const bestHasFigure = chooseFigureScored(figuresOf(best), q) !== undefined;
  const candidates = sentences
    .slice(0, FIGURE_SENTENCE_POOL)
    .filter((s) => s.hasNumber && s.score >= (bestHasFigure ? FIGURE_SENTENCE_MIN_SHARE_WITH_UNIT : FIGURE_SENTENCE_MIN_SHARE_NO_FIGURE) * best.score && s.coverage >= MIN_SENTENCE_COVERAGE)
    .map((s) => ({ s, fig: chooseFigureScored(figuresOf(s), q), year: Number(snapshot.documentById.get(s.chunk.metadata.documentId)?.meta.date?.slice(0, 4) ?? 0) }))
    .filter((c) => !bestHasFigure || c.s.score >= FIGURE_SENTENCE_MIN_SHARE * best.score || (query.unitTokens.length > 0 && (c.fig?.score ?? 0) >= SAME_INDICATOR_SCORE));
  // Two reports give the same indicator: with no year asked, the newer one leads (the older is named after it).
  const newest = Math.max(0, ...candidates.filter((c) => c.fig && c.fig.score >= SAME_INDICATOR_SCORE).map((c) => c.year));
  let pick = best;
  let pickScore = -Infinity;
  for (const { s, fig, year } of candidates) {
    if (!fig) continue;
    const recency = !query.years.length && newest && year === newest && fig.score >= SAME_INDICATOR_SCORE ? 2 : 0;
    const places = query.entities.filter((e) => e.kind === 'place');
    const named = places.length && places.some((p) => fold(s.text).includes(p.folded)) ? 1.5 : 0;
    const total = (s.score / best.score) * 5 + fig.score + named + recency;
    if (total > pickScore) {
      pickScore = total;
      pick = s;
    }
  }
  return pick;
}

function placeLevelOf(query: AnalyzedQuery): PlaceLevel | undefined {
  return query.entities.find((e) => e.kind === 'place' && e.level)?.level;
}

/** What a figure question wants, in the terms of the figure chooser. */
function figureQuestion(query: AnalyzedQuery): FigureQuestion {
  const level = placeLevelOf(query);
  return {
    unitTokens: query.unitTokens,
    tokens: query.tokens,
    wish: query.figureWish,
    years: query.years,
    preferRatio: query.yesNo,
    places: query.entities.filter((e) => e.kind === 'place' || e.kind === 'name').map((e) => e.folded),
    ...(level ? { placeLevel: level } : {}),
  };
}

/** "Có"/"Chưa" and the figure behind it: a full ratio (13/13) or 100% and more is yes; a negative word or a short ratio is no. */
function yesNoLead(query: AnalyzedQuery, s1: EvidenceSentence, snapshot: IndexSnapshot): string {
  const lang = query.language;
  const facts = figureSentenceOf(s1, snapshot.facts);
  const figure = query.wantsFigure ? figurePhrase(facts, figureQuestion(query)) : undefined;
  const detail = figure ?? sentenceLead(s1.text, 300);
  const raw = figure ? (chooseFigure(facts, figureQuestion(query))?.raw ?? '') : '';
  const ratio = /(\d+(?:[.,]\d+)*)\s*\/\s*(\d+(?:[.,]\d+)*)/.exec(raw);
  const percent = /(\d+(?:[.,]\d+)?)\s*%/.exec(raw);
  const num = (x: string) => Number(x.replace(/\./g, '').replace(',', '.'));
  let yes: boolean;
  if (ratio) yes = num(ratio[1]!) >= num(ratio[2]!);
  else if (percent) yes = num(percent[1]!) >= 100;
  else yes = !matchesAny(intentCues().negative, fold(s1.text));
  if (yes) return render(lang, 'yesLead', { detail });
  const asked = fold(query.normalized);
  return render(lang, 'noLead', { no: lang === 'en' ? 'No' : /\bchua\b/.test(asked) ? 'Chưa' : 'Không', detail });
}

/** Figures of other sources for the same thing: the newer document first, the older one named. */
function withOlderSources(lead: string, input: LeadInput): string {
  const { query, chosen, s1, snapshot } = input;
  const dateOf = (e: EvidenceSentence) => snapshot.documentById.get(e.chunk.metadata.documentId)?.meta.date ?? '';
  const others = chosen.filter((c) => c.chunk.metadata.documentId !== s1.chunk.metadata.documentId && dateOf(c) && dateOf(c) < dateOf(s1));
  const older = others[0];
  if (!older || query.years.length) return lead;
  const fig = figurePhrase(figureSentenceOf(older, snapshot.facts), figureQuestion(query));
  const meta = snapshot.documentById.get(older.chunk.metadata.documentId)?.meta;
  if (!fig || !meta || lead.includes(fig)) return lead;
  const extended = `${lead.replace(/\.$/, '')}; ${render(query.language, 'olderSource', { doc: shortDocumentLabel(meta, query.language), figure: fig })}`;
  return extended.length <= LEAD_MAX_CHARS ? extended : lead;
}

function buildLead(input: LeadInput): string {
  const { query, chosen, s1, subject } = input;
  const lang = query.language;
  let lead = '';
  if (query.yesNo) {
    lead = yesNoLead(query, s1, input.snapshot);
  } else if (query.intent === 'when') {
    const date = dateFor(query, s1.text);
    if (date) lead = render(lang, 'figureLead', { subject, figure: date });
  } else if (query.intent === 'docnumber') {
    const fig = docNumberIn(s1.text, askedDocTypeCode(query)) ?? docNumberIn(s1.text);
    if (fig) lead = render(lang, 'docNumberLead', { subject, figure: fig });
  } else if (query.wantsFigure) {
    const fig = figurePhrase(figureSentenceOf(s1, input.snapshot.facts), figureQuestion(query));
    if (fig) lead = withOlderSources(render(lang, 'figureLead', { subject, figure: fig }), input);
  } else if (query.intent === 'who') {
    const name = personName(s1.text, input.snapshot.names.places);
    if (name) lead = render(lang, 'whoLead', { name });
  } else if (query.intent === 'list' || query.intent === 'why' || input.sectionWalk) {
    const focusWords = focusWordsOf(query);
    const items = listLead({ sentences: chosen.map((c) => c.text), wantsNames: query.intent === 'list' && asksForNames(query), focusWords });
    if (items) lead = render(lang, 'listLead', { items });
  }
  // Whatever the kind, the first line answers: the best sentence itself when nothing finer applies.
  if (!lead) lead = sentenceLead(s1.text);
  return lead.length <= LEAD_MAX_CHARS ? lead : sentenceLead(lead, LEAD_MAX_CHARS - 1);
}

/** "những đơn vị nào", "xã nào", "which communes": the answer is a list of names. */
function asksForNames(query: AnalyzedQuery): boolean {
  const f = fold(query.normalized);
  return /\b(don vi|dia phuong|xa|huyen|tinh|phuong|thi tran|thon|ban|to chuc|co quan|noi)( [a-z]+)? nao\b/.test(f) || /\bwhich (units?|communes?|districts?|provinces?|localities|places|villages?)\b/.test(f);
}

/** The code of the document type a "số mấy" question names ("kế hoạch" → KH). */
function askedDocTypeCode(query: AnalyzedQuery): string | undefined {
  const f = fold(query.normalized);
  return typesNamedIn(f)[0]?.codes[0];
}

const LEAD_IN_FOLLOWERS = 4;

/** "Huyện Kim Khê thực hiện từ tháng 01-2019; huyện Đá Bia … từ tháng 10-2022": the date of the clause naming the place asked. */
function dateFor(query: AnalyzedQuery, sentence: string): string | undefined {
  return ownDate(query, sentence) ?? DATE_RE.exec(sentence)?.[0];
}

/** How far down the evidence a when-question looks for the date of the place it names. */
const WHEN_POOL = 6;
/** …and how far below the best sentence one that dates the place itself may stand. */
const WHEN_MIN_SHARE = 0.25;

/** The date in the clause that names the question's place, if the question names one and a clause does. */
function ownDate(query: AnalyzedQuery, sentence: string): string | undefined {
  const places = query.entities.filter((e) => e.kind === 'place' || e.kind === 'name').map((e) => e.folded);
  if (!places.length) return undefined;
  for (const m of sentence.matchAll(new RegExp(DATE_RE.source, 'giu'))) {
    const clause = fold(sentence.slice(0, m.index ?? 0).split(';').pop() ?? '');
    const at = Math.max(...places.map((p) => clause.lastIndexOf(p)));
    // The place is the date's own when no other date stands between them.
    if (at >= 0 && !/\d{4}/.test(clause.slice(at))) return m[0];
  }
  return undefined;
}

/** The footnotes anchored in a sentence, as evidence of their own. */
function anchoredFootnotes(sentence: EvidenceSentence, snapshot: IndexSnapshot): EvidenceSentence[] {
  const m = sentence.chunk.metadata;
  if (m.kind !== 'body') return [];
  const out: EvidenceSentence[] = [];
  for (const n of m.footnoteRefs) {
    const note = snapshot.chunkById.get(`${m.documentId}#fn${n}`);
    const anchor = note?.metadata.anchorSentence ?? '';
    if (!note || !anchor) continue;
    const a = fold(anchor).slice(0, 60);
    if (!fold(sentence.text).includes(a) && !fold(anchor).includes(fold(sentence.text).slice(0, 60))) continue;
    out.push({ ...sentence, chunk: note, text: note.text, start: 0 });
  }
  return out;
}

/** The focus words of a list or why question ("kho", "khan"). */
function focusWordsOf(query: AnalyzedQuery): string[] {
  return [...new Set(query.groups.filter((g) => g.focus).flatMap((g) => (g.alternatives[0] ?? []).filter((t) => !t.includes('_'))))];
}

/**
 * "… vẫn còn những khó khăn. Khối lượng công việc … Người kiêm nhiệm chỉ được …": when the best
 * sentence announces what is asked, its items are the sentences that follow it in the passage.
 */
function followersOfLeadIn(query: AnalyzedQuery, s1: EvidenceSentence, view: (chunk: Chunk) => ChunkView): EvidenceSentence[] | undefined {
  if (!isLeadIn(s1.text, focusWordsOf(query))) return undefined;
  const after = view(s1.chunk).sentences.filter((x) => x.start > s1.start).slice(0, LEAD_IN_FOLLOWERS);
  if (!after.length) return undefined;
  return [s1, ...after.map((x) => ({ ...s1, text: x.text, start: x.start }))];
}

/** A refusal's lead is the refusal itself. */
function leadAndText(text: string): { lead: string; text: string } {
  return { lead: text, text };
}
