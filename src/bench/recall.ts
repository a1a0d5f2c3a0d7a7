import type { HierarchicalNSW } from 'hnswlib-node';

/**
 * HNSW recall@k against exact search over the very same stored vectors. Exact search is a
 * brute-force dot product: the index uses the cosine space, whose stored points hnswlib
 * normalises, so with a normalised query the dot product is the cosine similarity.
 */

export interface RecallResult {
  k: number;
  queries: number;
  recall: number;
  /** Worst single-query recall: one bad query hides in a mean. */
  minRecall: number;
  efSearch: number;
  exactMsPerQuery: number;
  hnswMsPerQuery: number;
}

function normalized(v: readonly number[]): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(v, (x) => x / norm);
}

export function hnswRecall(index: HierarchicalNSW, queryVectors: readonly number[][], k = 10): RecallResult {
  const labels = index.getIdsList();
  const dims = index.getNumDimensions();
  const matrix = new Float32Array(labels.length * dims);
  labels.forEach((label, row) => matrix.set(normalized(index.getPoint(label)), row * dims));
  const kk = Math.min(k, labels.length);
  const rowOf = new Map(labels.map((l, i) => [l, i]));
  let sum = 0;
  let min = 1;
  let exactMs = 0;
  let hnswMs = 0;
  for (const q of queryVectors) {
    const query = normalized(q);
    const t0 = performance.now();
    const scores = new Float32Array(labels.length);
    for (let row = 0; row < labels.length; row++) {
      let dot = 0;
      const base = row * dims;
      for (let j = 0; j < dims; j++) dot += matrix[base + j]! * query[j]!;
      scores[row] = dot;
    }
    // The k-th best exact score; anything at least as good counts as a true neighbour (ties).
    const kth = [...scores].sort((a, b) => b - a)[kk - 1] ?? -Infinity;
    const t1 = performance.now();
    const approx = index.searchKnn(Array.from(query), kk);
    const t2 = performance.now();
    exactMs += t1 - t0;
    hnswMs += t2 - t1;
    let hits = 0;
    for (const label of approx.neighbors) {
      const row = rowOf.get(label);
      if (row !== undefined && scores[row]! >= kth - 1e-6) hits++;
    }
    const r = hits / kk;
    sum += r;
    min = Math.min(min, r);
  }
  const n = Math.max(1, queryVectors.length);
  return { k: kk, queries: queryVectors.length, recall: sum / n, minRecall: min, efSearch: index.getEf(), exactMsPerQuery: exactMs / n, hnswMsPerQuery: hnswMs / n };
}
