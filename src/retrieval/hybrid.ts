import { fold } from '../ingest/normalize.js';
import { documentNumberRe } from '../ingest/documentTypes.js';

const DOCUMENT_NUMBER = documentNumberRe();
import { splitSentences } from '../ingest/sentences.js';
import { BIGRAM_JOINER, indexTermSet } from '../index/tokenizer.js';
import type { IndexSnapshot } from '../index/store.js';
import type { Chunk } from '../ingest/types.js';
import type { AnalyzedQuery, ConceptGroup, EntityMention } from './query.js';
import { asksForDuration, DATE_RE, figureMatches, unitNearNumber, unitAfterNumber } from './figures.js';

/**
 * Hybrid retrieval: lexical (BM25+, src/index/lexical.ts) and vector (HNSWLib) candidates fused with reciprocal
 * rank fusion, then reranked on what matters in reports: how much of the question a passage
 * covers, whether the places and documents named in the question match the passage, its
 * section or its document, figures for "how many" questions, and the footnote ↔ anchor link.
 */

export interface RetrievedChunk {
  chunk: Chunk;
  /** Final score after reranking (higher is better). */
  score: number;
  /** Share of the question's concepts the passage (with its section) covers, 0–1. */
  coverage: number;
  /** The passage shares at least one phrase with the question (not just scattered syllables). */
  phraseEvidence: boolean;
  /** Share of the named entities that match the passage, its section or document, 0–1. */
  entityMatch: number;
  fused: number;
}

export interface RetrievalOptions {
  /** Candidates taken from each of the two indexes. */
  poolSize?: number;
  /** Results returned. */
  limit?: number;
  /** Reciprocal rank fusion constant. */
  rrfK?: number;
}


/**
 * Coverage of concept groups: each group counts through its best alternative. Terms found only
 * in the document's title (not the passage or its headings) count for less: "the pilot in Kon
 * Tum" is satisfied by a Kon Tum report, but a passage that says it is better evidence.
 */
export function coverage(groups: readonly ConceptGroup[], terms: ReadonlySet<string>, documentTerms?: ReadonlySet<string>, documentCredit = 0.6): number {
  let total = 0;
  let got = 0;
  for (const g of groups) {
    total += g.weight;
    let best = 0;
    for (const alt of g.alternatives) {
      if (!alt.length) continue;
      let hit = 0;
      for (const t of alt) hit += terms.has(t) ? 1 : documentTerms?.has(t) ? documentCredit : 0;
      hit /= alt.length;
      if (hit > best) best = hit;
    }
    got += g.weight * best;
  }
  return total > 0 ? got / total : 0;
}

/** Does the passage contain one of the question's phrases (a bigram or a multi-word alternative)? */
export function hasPhraseEvidence(groups: readonly ConceptGroup[], terms: ReadonlySet<string>, entityLabels: ReadonlySet<string> = new Set()): boolean {
  // A place name alone is not evidence: "Đức Thọ có bao nhiêu dân?" must match something about "dân".
  return groups.some((g) => !entityLabels.has(g.label) && g.alternatives.some((alt) => alt.some((t) => t.includes('_')) && alt.every((t) => terms.has(t))));
}

/** What reranking and answer selection need of a passage, computed once and cached. */
export interface ChunkView {
  /** Folded passage text with its section headings and anchor sentence. */
  folded: string;
  /** Index terms of the passage with its headings and anchor sentence. */
  terms: Set<string>;
  /** Index terms of the headings and anchor sentence only. */
  readonly contextTerms: Set<string>;
  readonly sentences: { text: string; start: number; terms: Set<string>; folded: string }[];
}

export function buildChunkView(chunk: Chunk): ChunkView {
  const m = chunk.metadata;
  const context = [m.sectionPath.join(' '), m.anchorSentence ?? ''].join(' \n ');
  let sentences: ChunkView['sentences'] | undefined;
  let contextTerms: Set<string> | undefined;
  return {
    folded: fold([chunk.text, context].join(' ')).replace(/['’]/g, ''),
    terms: chunkTermSet(chunk),
    get contextTerms() {
      contextTerms ??= indexTermSet(context);
      return contextTerms;
    },
    // Only the few passages an answer is composed from need their sentences: split on first use.
    get sentences() {
      sentences ??= splitSentences(chunk.text).map((span) => {
        const text = chunk.text.slice(span.start, span.end);
        return { text, start: span.start, terms: indexTermSet(text), folded: fold(text) };
      });
      return sentences;
    },
  };
}

export function chunkTermSet(chunk: Chunk, withContext = true): Set<string> {
  const m = chunk.metadata;
  const parts = [chunk.text];
  if (withContext) parts.push(m.sectionPath.join(' '), m.anchorSentence ?? '');
  return indexTermSet(parts.join(' \n '));
}

function entityMatches(e: EntityMention, view: ChunkView, documentFolded: string): number {
  const needle = e.folded;
  const squeeze = (t: string) => (e.kind === 'document' ? t.replace(/\s+/g, '') : t);
  if (squeeze(view.folded).includes(needle)) return 1;
  if (squeeze(documentFolded).includes(needle)) return 0.85;
  return 0;
}

/**
 * Views kept for passages scored recently. A view holds term sets for the passage and each of its
 * sentences (tens of kB): 50k of them took 1.7 GB at 100k passages. A question scores under a
 * hundred passages, so a few thousand cover repeated and follow-up questions.
 */
const VIEW_CACHE_SIZE = 2_000;

export class HybridRetriever {
  private readonly documentTermCache = new Map<string, Set<string>>();

  constructor(private readonly snapshot: IndexSnapshot) {}

  /**
   * On a large index, a syllable found in a fifth of all passages costs a long posting list and
   * tells candidates apart no better than its bigrams: search with the rarest terms only. Reranking
   * still weighs every concept of the question.
   */
  private lexicalTerms(query: AnalyzedQuery): string[] {
    const stats = this.snapshot.termStats;
    const n = stats.documentCount;
    if (n < 5_000) return query.searchTerms;
    // Posting lists cost in proportion to their length and every hit must be ranked, so common
    // syllables go first; bigrams are far more selective and carry the phrases.
    const selective = (t: string) => stats.documentFrequency(t) <= (t.includes('_') ? 0.08 : 0.02) * n;
    const ranked = query.searchTerms
      .map((t) => ({ t, w: stats.idf(t) * (query.termBoost.get(t) ?? 1) }))
      .sort((a, b) => b.w - a.w);
    const kept = ranked.filter((x) => selective(x.t)).slice(0, 12);
    return (kept.length >= 3 ? kept : ranked.slice(0, 6)).map((x) => x.t);
  }

  private searchWithinPlaceDocuments(query: AnalyzedQuery, pool: number, unknown: ReadonlySet<string>): { chunkId: string }[] {
    const places = query.entities.filter((e) => e.kind === 'place');
    if (!places.length) return [];
    const placeTerms = new Set(places.flatMap((p) => [...p.folded.split(' '), p.folded.replace(/ /g, BIGRAM_JOINER)]));
    // Every term of the question, not only the corpus-wide rare ones: inside a place's few
    // reports, "hạn chế" or "bí thư" is what tells passages apart, however common it is elsewhere.
    const terms = query.searchTerms.filter((t) => !placeTerms.has(t));
    if (!terms.length) return [];
    const documents = this.documentsAbout(places.map((p) => p.folded));
    if (!documents.size) return [];
    const { chunkById } = this.snapshot;
    // Scoped inside the search: filtering a global top list fails at scale, where every one of
    // its passages can come from other places' reports.
    const within = (chunkId: string) => {
      const documentId = chunkById.get(chunkId)?.metadata.documentId;
      return documentId !== undefined && documents.has(documentId);
    };
    return this.snapshot.lexical.search(terms, pool, query.termBoost, unknown, { within });
  }

  private readonly documentsAboutCache = new Map<string, ReadonlySet<string>>();

  /** The documents whose card (title, heading, issuer, place, number) names every one of the places. */
  private documentsAbout(places: readonly string[]): ReadonlySet<string> {
    const key = [...places].sort().join('|');
    let found = this.documentsAboutCache.get(key);
    if (!found) {
      const ids = new Set<string>();
      for (const documentId of this.snapshot.documentById.keys()) {
        const folded = this.documentFolded(documentId);
        if (places.every((p) => folded.includes(p))) ids.add(documentId);
      }
      if (this.documentsAboutCache.size >= 1000) this.documentsAboutCache.clear();
      this.documentsAboutCache.set(key, (found = ids));
    }
    return found;
  }

  /** Views of recently scored passages; folding and tokenizing are the costliest part of reranking. */
  private readonly viewCache = new Map<string, ChunkView>();
  private readonly documentFoldedCache = new Map<string, string>();

  view(chunk: Chunk): ChunkView {
    let v = this.viewCache.get(chunk.id);
    if (v) {
      // Least recently used goes first: a Map iterates in insertion order, so re-insert on use.
      this.viewCache.delete(chunk.id);
    } else {
      v = buildChunkView(chunk);
      if (this.viewCache.size >= VIEW_CACHE_SIZE) this.viewCache.delete(this.viewCache.keys().next().value as string);
    }
    this.viewCache.set(chunk.id, v);
    return v;
  }

  documentFolded(documentId: string): string {
    let f = this.documentFoldedCache.get(documentId);
    if (f === undefined) {
      const d = this.snapshot.documentById.get(documentId)?.meta;
      f = fold([d?.title, d?.heading, d?.issuer, d?.place, d?.number].filter(Boolean).join(' ')).replace(/['’]/g, '');
      this.documentFoldedCache.set(documentId, f);
    }
    return f;
  }

  /** Terms of a document's title, issuer and place: what every passage in it is about. */
  documentTerms(documentId: string): Set<string> {
    let terms = this.documentTermCache.get(documentId);
    if (!terms) {
      const m = this.snapshot.documentById.get(documentId)?.meta;
      terms = indexTermSet([m?.title, m?.heading, m?.issuer, m?.place, m?.outlet].filter(Boolean).join(' \n '));
      this.documentTermCache.set(documentId, terms);
    }
    return terms;
  }

  async retrieve(query: AnalyzedQuery, options: RetrievalOptions = {}): Promise<RetrievedChunk[]> {
    const pool = options.poolSize ?? 40;
    const limit = options.limit ?? 12;
    const rrfK = options.rrfK ?? 60;
    const { snapshot } = this;

    const unknown = new Set(query.searchTerms.filter((t) => !t.includes('_') && snapshot.termStats.documentFrequency(t) === 0));
    const lexical = snapshot.lexical.search(this.lexicalTerms(query), pool, query.termBoost, unknown);
    const fused = new Map<string, number>();
    lexical.forEach((h, rank) => fused.set(h.chunkId, (fused.get(h.chunkId) ?? 0) + 1 / (rrfK + rank)));
    // A report about a place rarely repeats the place's name in every passage ("Đảng bộ tỉnh có …
    // 64.875 đảng viên"): search again without the place, within the documents whose card names it.
    for (const [rank, h] of this.searchWithinPlaceDocuments(query, pool, unknown).entries()) {
      fused.set(h.chunkId, (fused.get(h.chunkId) ?? 0) + 0.7 / (rrfK + rank));
    }
    const count = snapshot.chunks.length;
    if (count > 0 && query.vectorText.trim()) {
      // A remote embedder that is down must not take answering down: lexical results still stand.
      const vector = await snapshot.embedder.embeddings.embedQuery(query.vectorText).catch(() => undefined);
      const hits = vector ? await snapshot.vectors.similaritySearchVectorWithScore(vector, Math.min(pool, count)) : [];
      // The vector side sees folded character n-grams: good for typos, weaker on exact figures.
      hits.forEach(([doc], rank) => {
        const id = String(doc.metadata.chunkId ?? doc.pageContent);
        fused.set(id, (fused.get(id) ?? 0) + 0.8 / (rrfK + rank));
      });
    }
    // Footnotes and the sentences they annotate are evidence for each other: pull the partner in.
    for (const id of [...fused.keys()]) {
      const c = snapshot.chunkById.get(id);
      if (!c) continue;
      for (const partner of this.partners(c)) if (!fused.has(partner.id)) fused.set(partner.id, (fused.get(id) ?? 0) * 0.5);
    }

    const maxFused = Math.max(...fused.values(), 1e-9);
    const entityLabels = new Set(query.entities.map((e) => e.text));
    const scored: RetrievedChunk[] = [];
    for (const [id, f] of fused) {
      const chunk = snapshot.chunkById.get(id);
      if (!chunk) continue;
      const view = this.view(chunk);
      const local = view.terms;
      const cov = coverage(query.groups, local, this.documentTerms(chunk.metadata.documentId));
      const phraseEvidence =
        hasPhraseEvidence(query.groups, local, entityLabels) ||
        // "An Giang có bao nhiêu xã?": one-word units are evidence when a figure carries them.
        (query.wantsFigure && query.unitTokens.length > 0 && unitAfterNumber(chunk.text, query.unitTokens) > 0);
      let entityMatch = 1;
      if (query.entities.length) {
        const docFolded = this.documentFolded(chunk.metadata.documentId);
        entityMatch = query.entities.reduce((s, e) => s + entityMatches(e, view, docFolded), 0) / query.entities.length;
      }
      let score = (0.3 * f) / maxFused + 0.7 * cov;
      // A passage about another place is not evidence, however well it matches the rest.
      score *= 0.25 + 0.75 * entityMatch;
      if (query.wantsFigure) {
        const numbers = figureMatches(chunk.text, { keepDurations: asksForDuration(query.unitTokens) });
        score *= numbers.length ? 1.1 : 0.8;
        if (query.unitTokens.length && numbers.length) {
          if (unitAfterNumber(chunk.text, query.unitTokens)) score *= 1.25;
          else if (unitNearNumber(chunk.text, query.unitTokens)) score *= 1.1;
        }
      }
      if (query.intent === 'docnumber' && DOCUMENT_NUMBER.test(chunk.text)) score *= 1.2;
      if (query.intent === 'when') score *= DATE_RE.test(chunk.text) ? 1.15 : 0.85;
      const focus = focusInHeading(query.groups, chunk);
      if (focus === 'leaf') score *= 1.45;
      else if (focus === 'ancestor') score *= 1.15;
      scored.push({ chunk, score, coverage: cov, phraseEvidence, entityMatch, fused: f / maxFused });
    }
    // Second pass: a footnote inherits part of its anchor's relevance and vice versa.
    const byId = new Map(scored.map((s) => [s.chunk.id, s]));
    const boosted = scored.map((s) => {
      const partnerScores = this.partners(s.chunk).map((p) => byId.get(p.id)?.score ?? 0);
      const best = Math.max(0, ...partnerScores);
      return { ...s, score: s.score + 0.12 * best };
    });
    boosted.sort((a, b) => b.score - a.score);
    return boosted.slice(0, limit);
  }

  private anchorOf?: Map<string, Chunk>;

  /** The footnotes anchored in a body chunk, or the body chunk a footnote is anchored in. */
  partners(chunk: Chunk): Chunk[] {
    const m = chunk.metadata;
    if (m.kind === 'footnote') {
      if (!this.anchorOf) {
        this.anchorOf = new Map();
        for (const c of this.snapshot.chunks)
          if (c.metadata.kind === 'body') for (const n of c.metadata.footnoteRefs) if (!this.anchorOf.has(`${c.metadata.documentId}#fn${n}`)) this.anchorOf.set(`${c.metadata.documentId}#fn${n}`, c);
      }
      const body = this.anchorOf.get(chunk.id);
      return body ? [body] : [];
    }
    return m.footnoteRefs
      .map((n) => this.snapshot.chunkById.get(`${m.documentId}#fn${n}`))
      .filter((c): c is Chunk => Boolean(c));
  }
}

/** Headings repeat across every passage of a section: their terms are worked out once. */
const headingTermCache = new Map<string, Set<string>>();
function headingTerms(heading: string): Set<string> {
  let terms = headingTermCache.get(heading);
  if (!terms) {
    if (headingTermCache.size >= 20_000) headingTermCache.clear();
    terms = indexTermSet(heading);
    headingTermCache.set(heading, terms);
  }
  return terms;
}

/** Does the passage's heading (or a heading above it) name what the question asks for ("2.2. Nguyên nhân")? */
export function focusInHeading(groups: readonly ConceptGroup[], chunk: Chunk): 'leaf' | 'ancestor' | undefined {
  const focus = groups.filter((g) => g.focus);
  if (!focus.length) return undefined;
  const path = chunk.metadata.sectionPath;
  const names = (heading: string) => {
    const terms = headingTerms(heading);
    return focus.some((g) => g.alternatives.some((alt) => alt.length > 0 && alt.every((t) => terms.has(t))));
  };
  if (names(path[path.length - 1] ?? '')) return 'leaf';
  if (path.slice(0, -1).some(names)) return 'ancestor';
  return undefined;
}
