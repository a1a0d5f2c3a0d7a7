import { fnv1a } from './hash.js';

/**
 * Document frequencies of every index term (syllables and bigrams), keyed by a 32-bit hash to
 * stay compact at 100k passages. Retrieval uses them to weigh how much of a question a passage
 * covers: matching "giá" and "vàng" separately is not matching "giá vàng".
 */


export interface TermStatsJSON {
  documentCount: number;
  /** base64 of interleaved little-endian uint32 pairs (hash, df). */
  table: string;
}

export class TermStats {
  private constructor(
    readonly documentCount: number,
    private readonly df: Map<number, number>,
  ) {}

  /** From document frequencies already counted elsewhere (the lexical index builder). */
  static fromCounts(documentCount: number, counts: Iterable<[string, number]>): TermStats {
    const df = new Map<number, number>();
    for (const [term, count] of counts) {
      const h = fnv1a(term);
      // Two terms sharing a hash: keep the larger count, the safer side for "is this term common?".
      df.set(h, Math.max(df.get(h) ?? 0, count));
    }
    return new TermStats(documentCount, df);
  }

  static fromJSON(json: TermStatsJSON): TermStats {
    const buf = Buffer.from(json.table, 'base64');
    const arr = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const df = new Map<number, number>();
    for (let i = 0; i + 1 < arr.length; i += 2) df.set(arr[i]!, arr[i + 1]!);
    return new TermStats(json.documentCount, df);
  }

  toJSON(): TermStatsJSON {
    const arr = new Uint32Array(this.df.size * 2);
    let i = 0;
    for (const [h, c] of this.df) {
      arr[i++] = h;
      arr[i++] = c;
    }
    return { documentCount: this.documentCount, table: Buffer.from(arr.buffer).toString('base64') };
  }

  documentFrequency(term: string): number {
    return this.df.get(fnv1a(term)) ?? 0;
  }

  /** Smoothed inverse document frequency; unseen terms get the highest value. */
  idf(term: string): number {
    const n = this.documentCount;
    return Math.log(1 + (n + 1) / (this.documentFrequency(term) + 0.5));
  }
}
