import MiniSearch, { type SearchResult } from 'minisearch';
import { indexTerms } from './tokenizer.js';
import type { Chunk } from '../ingest/types.js';

/**
 * Lexical index over passages on MiniSearch (BM25+), with the Vietnamese tokenizer. Terms are
 * produced by our tokenizer already folded, so MiniSearch's own term processing is disabled.
 */

interface LexicalDoc {
  id: string;
  text: string;
  section: string;
  context: string;
}

export interface LexicalHit {
  chunkId: string;
  score: number;
  /** Query terms that matched, as indexed. */
  terms: string[];
}

const FIELDS = ['text', 'section', 'context'];
const options = {
  fields: FIELDS,
  storeFields: [] as string[],
  tokenize: (text: string) => indexTerms(text),
  processTerm: (term: string) => term,
  searchOptions: {
    boost: { text: 1, section: 0.6, context: 0.35 },
    weights: { fuzzy: 0.45, prefix: 0.3 },
    combineWith: 'OR' as const,
  },
};

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

export class LexicalIndex {
  private constructor(private readonly mini: MiniSearch<LexicalDoc>) {}

  static build(docs: readonly LexicalDoc[]): LexicalIndex {
    const mini = new MiniSearch<LexicalDoc>(options);
    mini.addAll(docs as LexicalDoc[]);
    return new LexicalIndex(mini);
  }

  static fromJSON(json: string): LexicalIndex {
    return new LexicalIndex(MiniSearch.loadJSON<LexicalDoc>(json, options));
  }

  toJSON(): string {
    return JSON.stringify(this.mini);
  }

  get size(): number {
    return this.mini.documentCount;
  }

  /** `terms` are already tokenized query terms (syllables and bigrams); weights boost some of them. */
  /**
   * `fuzzyTerms` are words the corpus does not contain (likely typos): only those are matched
   * approximately, because fuzzy lookups cost far more than exact ones.
   */
  search(terms: readonly string[], limit: number, termBoost?: ReadonlyMap<string, number>, fuzzyTerms?: ReadonlySet<string>): LexicalHit[] {
    if (!terms.length) return [];
    const results: SearchResult[] = this.mini.search(terms.join(' '), {
      tokenize: (q: string) => q.split(' '),
      boostTerm: (term: string) => termBoost?.get(term) ?? 1,
      fuzzy: (term: string) => (fuzzyTerms?.has(term) && term.length >= 4 && !term.includes('_') && !/\d/.test(term) ? 0.26 : false),
    });
    return results.slice(0, limit).map((r) => ({ chunkId: String(r.id), score: r.score, terms: r.terms }));
  }
}
