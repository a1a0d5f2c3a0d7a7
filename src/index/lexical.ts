import { indexTerms } from './tokenizer.js';
import { GrowableUint16, GrowableUint32 } from './growable.js';
import type { Chunk } from '../ingest/types.js';

/**
 * Lexical index over passages: BM25+ over three fields (passage text, section headings, context)
 * with the Vietnamese tokenizer's folded syllables and bigrams, stored as compressed sparse rows
 * of typed arrays (term → passages, frequencies).
 *
 * Why not MiniSearch, which the first versions used: it keeps a Map per term and field, about 55
 * bytes per posting. At 100k passages (29M postings) that was 1.6 GB of heap, a 4 GB peak while
 * parsing its JSON at start-up, and 0.3–0.5 s for a question made of common syllables — the issue
 * asks for < 2 GB and a 50 ms p95. Here a posting costs 6 bytes, loading is one file read, and
 * scoring is a loop over typed arrays. The scoring is MiniSearch's BM25+ (k 1.2, b 0.7, d 0.5,
 * per-field length normalisation, field boosts, fuzzy weight), so rankings carried over.
 */

export interface LexicalDoc {
  id: string;
  text: string;
  section: string;
  context: string;
}

export interface LexicalHit {
  chunkId: string;
  score: number;
}

export const LEXICAL_FIELDS = ['text', 'section', 'context'] as const;
const FIELD_BOOST = [1, 0.6, 0.35] as const;
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
/** Fuzzy matches count for less than exact ones, and less the further they are. */
const FUZZY_WEIGHT = 0.45;
const FUZZY_RATIO = 0.26;
const MAX_FUZZY_DISTANCE = 6;
const FORMAT_VERSION = 1;

/** What else a passage is "about": its section headings, and for a footnote its anchor sentence. */
export function lexicalDoc(chunk: Chunk, documentTitle: string): LexicalDoc {
  const m = chunk.metadata;
  return {
    id: chunk.id,
    text: chunk.text,
    section: m.sectionPath.join(' '),
    context: [m.anchorSentence ?? '', documentTitle].join(' '),
  };
}

/** Small JSON part of the serialised index; the postings go to a binary file beside it. */
export interface LexicalHeader {
  format: number;
  documentCount: number;
  ids: string[];
  terms: string[];
  averageFieldLength: number[];
  postingCounts: number[];
}

/** Terms of a text with their frequencies, and the number of distinct terms (the field length). */
interface FieldTerms {
  termIds: number[];
  freqs: number[];
}

/** Accumulates passages one at a time; `build` sorts the postings into their final arrays. */
export class LexicalIndexBuilder {
  private readonly ids: string[] = [];
  private readonly terms: string[] = [];
  private readonly termIds = new Map<string, number>();
  private readonly fieldLength = LEXICAL_FIELDS.map(() => new GrowableUint32());
  private readonly fieldLengthSum = LEXICAL_FIELDS.map(() => 0);
  private readonly postTerm = LEXICAL_FIELDS.map(() => new GrowableUint32());
  private readonly postDoc = LEXICAL_FIELDS.map(() => new GrowableUint32());
  private readonly postFreq = LEXICAL_FIELDS.map(() => new GrowableUint16());
  /** Passages of text ∪ section per term: the document frequencies query analysis weighs terms by. */
  private readonly df = new GrowableUint32();
  /** Headings and titles repeat across a section's or document's passages: tokenize each once. */
  private readonly fieldCache = new Map<string, FieldTerms>();

  private termId(term: string): number {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.terms.push(term);
      this.termIds.set(term, id);
      this.df.push(0);
    }
    return id;
  }

  private analyse(text: string): FieldTerms {
    const counts = new Map<number, number>();
    for (const t of indexTerms(text)) {
      const id = this.termId(t);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return { termIds: [...counts.keys()], freqs: [...counts.values()] };
  }

  private cached(text: string): FieldTerms {
    let f = this.fieldCache.get(text);
    if (!f) {
      if (this.fieldCache.size >= 20_000) this.fieldCache.clear();
      f = this.analyse(text);
      this.fieldCache.set(text, f);
    }
    return f;
  }

  add(doc: LexicalDoc): void {
    const ord = this.ids.length;
    this.ids.push(doc.id);
    const fields = [this.analyse(doc.text), this.cached(doc.section), this.cached(doc.context)];
    fields.forEach((f, field) => {
      this.fieldLength[field]!.push(f.termIds.length);
      this.fieldLengthSum[field]! += f.termIds.length;
      for (let i = 0; i < f.termIds.length; i++) {
        this.postTerm[field]!.push(f.termIds[i]!);
        this.postDoc[field]!.push(ord);
        this.postFreq[field]!.push(Math.min(f.freqs[i]!, 0xffff));
      }
    });
    const seen = new Set<number>([...fields[0]!.termIds, ...fields[1]!.termIds]);
    for (const id of seen) this.df.set(id, this.df.get(id) + 1);
  }

  /** Document frequency over passage text and headings, per term. */
  *documentFrequencies(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.terms.length; i++) yield [this.terms[i]!, this.df.get(i)];
  }

  get documentCount(): number {
    return this.ids.length;
  }

  build(): LexicalIndex {
    const termCount = this.terms.length;
    const n = this.ids.length;
    const offsets: Uint32Array[] = [];
    const docs: Uint32Array[] = [];
    const freqs: Uint16Array[] = [];
    LEXICAL_FIELDS.forEach((_, field) => {
      const postTerm = this.postTerm[field]!.view();
      const postDoc = this.postDoc[field]!.view();
      const postFreq = this.postFreq[field]!.view();
      // Counting sort by term; passages were added in order, so each row stays sorted by passage.
      const off = new Uint32Array(termCount + 1);
      for (let i = 0; i < postTerm.length; i++) off[postTerm[i]! + 1]!++;
      for (let t = 0; t < termCount; t++) off[t + 1]! += off[t]!;
      const cursor = off.slice(0, termCount);
      const d = new Uint32Array(postTerm.length);
      const f = new Uint16Array(postTerm.length);
      for (let i = 0; i < postTerm.length; i++) {
        const at = cursor[postTerm[i]!]!++;
        d[at] = postDoc[i]!;
        f[at] = postFreq[i]!;
      }
      offsets.push(off);
      docs.push(d);
      freqs.push(f);
      this.postTerm[field] = new GrowableUint32();
      this.postDoc[field] = new GrowableUint32();
      this.postFreq[field] = new GrowableUint16();
    });
    return new LexicalIndex({
      ids: this.ids,
      terms: this.terms,
      termIds: this.termIds,
      fieldLength: this.fieldLength.map((g) => g.view().slice()),
      averageFieldLength: this.fieldLengthSum.map((s) => (n ? s / n : 0)),
      offsets,
      docs,
      freqs,
    });
  }
}

interface LexicalData {
  ids: string[];
  terms: string[];
  termIds: Map<string, number>;
  fieldLength: Uint32Array[];
  averageFieldLength: number[];
  offsets: Uint32Array[];
  docs: Uint32Array[];
  freqs: Uint16Array[];
}

/** Levenshtein distance, or `max + 1` as soon as it must exceed `max`. Rows are reused scratch. */
function boundedDistance(a: string, b: string, max: number, prev: Int32Array, cur: Int32Array): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1));
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev.set(cur.subarray(0, b.length + 1));
  }
  return prev[b.length]!;
}

export class LexicalIndex {
  private readonly data: LexicalData;
  /** Per-query scratch, reused: searching is synchronous, so one query never sees another's. */
  private scores?: Float64Array;
  private stamp?: Uint32Array;
  private epoch = 0;
  /** Single syllables by length, the only terms typos are matched against. */
  private syllablesByLength?: number[][];
  /** Typos repeat (a user retypes the question): their matches are kept for a while. */
  private readonly fuzzyCache = new Map<string, { termId: number; distance: number }[]>();

  constructor(data: LexicalData) {
    this.data = data;
  }

  static build(docs: Iterable<LexicalDoc>): LexicalIndex {
    const builder = new LexicalIndexBuilder();
    for (const d of docs) builder.add(d);
    return builder.build();
  }

  get size(): number {
    return this.data.ids.length;
  }

  /** The header (JSON) and the binary parts, written in this order; see `deserialize`. */
  serialize(): { header: LexicalHeader; parts: Uint8Array[] } {
    const { data } = this;
    const parts: Uint8Array[] = [];
    const bytes = (a: Uint32Array | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (const a of data.fieldLength) parts.push(bytes(a));
    for (const a of data.offsets) parts.push(bytes(a));
    for (const a of data.docs) parts.push(bytes(a));
    for (const a of data.freqs) {
      parts.push(bytes(a));
      // Keeps every array that follows on a 4-byte boundary.
      if (a.byteLength % 4) parts.push(new Uint8Array(4 - (a.byteLength % 4)));
    }
    return {
      header: {
        format: FORMAT_VERSION,
        documentCount: data.ids.length,
        ids: data.ids,
        terms: data.terms,
        averageFieldLength: data.averageFieldLength,
        postingCounts: data.docs.map((d) => d.length),
      },
      parts,
    };
  }

  static deserialize(header: LexicalHeader, binary: Uint8Array): LexicalIndex {
    if (header.format !== FORMAT_VERSION) throw new Error(`lexical index format ${header.format} is not ${FORMAT_VERSION}`);
    // Typed-array views need aligned offsets; a pooled or sliced buffer may not give them.
    const buf = binary.byteOffset % 4 === 0 ? binary : new Uint8Array(binary);
    let at = buf.byteOffset;
    const take32 = (length: number) => {
      const a = new Uint32Array(buf.buffer, at, length);
      at += length * 4;
      return a;
    };
    const n = header.documentCount;
    const termCount = header.terms.length;
    const fieldLength = LEXICAL_FIELDS.map(() => take32(n));
    const offsets = LEXICAL_FIELDS.map(() => take32(termCount + 1));
    const docs = header.postingCounts.map((count) => take32(count));
    const freqs = header.postingCounts.map((count) => {
      const a = new Uint16Array(buf.buffer, at, count);
      at += count * 2 + ((count * 2) % 4);
      return a;
    });
    if (at - buf.byteOffset !== buf.byteLength) throw new Error('lexical index: binary part has the wrong size');
    return new LexicalIndex({
      ids: header.ids,
      terms: header.terms,
      termIds: new Map(header.terms.map((t, i) => [t, i])),
      fieldLength,
      averageFieldLength: header.averageFieldLength,
      offsets,
      docs,
      freqs,
    });
  }

  /** Index terms within the fuzzy distance of `term`, with that distance (exact match excluded). */
  private fuzzyMatches(term: string): { termId: number; distance: number }[] {
    const cached = this.fuzzyCache.get(term);
    if (cached) return cached;
    const max = Math.min(MAX_FUZZY_DISTANCE, Math.round(term.length * FUZZY_RATIO));
    const out: { termId: number; distance: number }[] = [];
    if (max) {
      if (!this.syllablesByLength) {
        this.syllablesByLength = [];
        this.data.terms.forEach((t, id) => {
          if (!t.includes('_')) (this.syllablesByLength![t.length] ??= []).push(id);
        });
      }
      const prev = new Int32Array(64);
      const cur = new Int32Array(64);
      for (let len = Math.max(1, term.length - max); len <= term.length + max && len < 64; len++) {
        for (const termId of this.syllablesByLength[len] ?? []) {
          const candidate = this.data.terms[termId]!;
          if (candidate === term) continue;
          const distance = boundedDistance(term, candidate, max, prev, cur);
          if (distance <= max) out.push({ termId, distance });
        }
      }
    }
    if (this.fuzzyCache.size >= 1_000) this.fuzzyCache.clear();
    this.fuzzyCache.set(term, out);
    return out;
  }

  /**
   * `terms` are already tokenized query terms (syllables and bigrams); `termBoost` weighs some of
   * them. `fuzzyTerms` are words the corpus does not contain (likely typos): only those are
   * matched approximately, against single syllables.
   */
  search(terms: readonly string[], limit: number, termBoost?: ReadonlyMap<string, number>, fuzzyTerms?: ReadonlySet<string>, scope?: LexicalScope): LexicalHit[] {
    const { data } = this;
    const n = data.ids.length;
    if (!terms.length || !n || limit <= 0) return [];
    this.scores ??= new Float64Array(n);
    this.stamp ??= new Uint32Array(n);
    const scores = this.scores;
    const stamp = this.stamp;
    const epoch = ++this.epoch;
    const touched: number[] = [];

    const accumulate = (termId: number, weight: number) => {
      for (let field = 0; field < LEXICAL_FIELDS.length; field++) {
        const off = data.offsets[field]!;
        const start = off[termId]!;
        const end = off[termId + 1]!;
        if (start === end) continue;
        const docs = data.docs[field]!;
        const freqs = data.freqs[field]!;
        const lengths = data.fieldLength[field]!;
        const avg = data.averageFieldLength[field]! || 1;
        const matching = end - start;
        const idf = Math.log(1 + (n - matching + 0.5) / (matching + 0.5));
        const w = weight * FIELD_BOOST[field]! * idf;
        const norm = BM25.k * (1 - BM25.b);
        const perLength = (BM25.k * BM25.b) / avg;
        for (let i = start; i < end; i++) {
          const doc = docs[i]!;
          const tf = freqs[i]!;
          const s = w * (BM25.d + (tf * (BM25.k + 1)) / (tf + norm + perLength * lengths[doc]!));
          if (stamp[doc] !== epoch) {
            stamp[doc] = epoch;
            scores[doc] = s;
            touched.push(doc);
          } else scores[doc]! += s;
        }
      }
    };

    for (const term of new Set(terms)) {
      const boost = termBoost?.get(term) ?? 1;
      if (boost <= 0) continue;
      const id = data.termIds.get(term);
      if (id !== undefined) accumulate(id, boost);
      const allowFuzzy = fuzzyTerms?.has(term) && term.length >= 4 && !term.includes('_') && !/\d/.test(term);
      if (allowFuzzy) {
        for (const m of this.fuzzyMatches(term)) {
          const matched = data.terms[m.termId]!;
          accumulate(m.termId, boost * ((FUZZY_WEIGHT * matched.length) / (matched.length + m.distance)));
        }
      }
    }
    // Scoping after scoring, not before: BM25 weights stay those of the whole corpus, and the
    // best passages of a few documents are found however many other documents match better.
    const candidates = scope ? touched.filter((doc) => scope.within(data.ids[doc]!)) : touched;
    return topByScore(candidates, scores, limit).map((doc) => ({ chunkId: data.ids[doc]!, score: scores[doc]! }));
  }
}

/** Restricts a search to some passages (those of the documents about a place). */
export interface LexicalScope {
  within(chunkId: string): boolean;
}

/** The `limit` best passages, best first; ties go to the earlier passage so results are stable. */
function topByScore(candidates: readonly number[], scores: Float64Array, limit: number): number[] {
  const better = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
  if (candidates.length <= limit * 4) return [...candidates].sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0)).slice(0, limit);
  // A min-heap of the best `limit` seen so far: O(n log limit) instead of sorting everything.
  const heap: number[] = [];
  const worse = (i: number, j: number) => better(heap[j]!, heap[i]!);
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(l, m)) m = l;
      if (r < heap.length && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (const doc of candidates) {
    if (heap.length < limit) {
      heap.push(doc);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!worse(i, p)) break;
        swap(i, p);
        i = p;
      }
    } else if (better(doc, heap[0]!)) {
      heap[0] = doc;
      down(0);
    }
  }
  return heap.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
}
