import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { describe, expect, it } from 'vitest';
import { generateSyntheticCorpus } from '../../src/bench/synthetic.js';
import { hnswRecall } from '../../src/bench/recall.js';
import { percentile, summarize } from '../../src/bench/stats.js';
import { evaluateTargets, type CorpusRun } from '../../src/bench/report.js';
import type { WorkerResult } from '../../src/bench/worker.js';
import { ingestCorpus } from '../../src/ingest/pipeline.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import { Rng } from '../../src/bench/rng.js';
import { corpusDir, tempDir } from '../helpers.js';

const readAll = (dir: string) => readdirSync(dir).sort().map((f) => readFileSync(path.join(dir, f), 'utf8'));

describe('synthetic corpus', () => {
  it('is the same for the same seed, different for another, and ingests to the promised chunk count', async () => {
    const options = { sourceDir: corpusDir, targetChunks: 600, questions: 5 };
    const a = await generateSyntheticCorpus({ ...options, outDir: tempDir() });
    const aDir = tempDir();
    const again = await generateSyntheticCorpus({ ...options, outDir: aDir });
    const other = await generateSyntheticCorpus({ ...options, outDir: tempDir(), seed: 7 });
    expect(again.questions).toEqual(a.questions);
    expect(other.questions).not.toEqual(a.questions);
    expect(a.footnotes).toBeGreaterThan(0);
    const texts = readAll(aDir);
    expect(new Set(texts).size).toBe(texts.length);

    const summary = await ingestCorpus({ corpusDir: aDir, indexDir: path.join(tempDir(), 'index'), embedderFactory: localEmbedderFactory() });
    expect(summary.skipped).toEqual([]);
    expect(summary.chunks).toBe(again.expectedChunks);
    expect(summary.footnotes).toBe(again.footnotes);
    expect(summary.sections).toBeGreaterThan(summary.documents * 3);
  });

  it('writes other places\' reports: no place or document number of the real reports appears in it', async () => {
    const outDir = tempDir();
    await generateSyntheticCorpus({ sourceDir: corpusDir, outDir, targetChunks: 1500, questions: 5 });
    const synthetic = readAll(outDir).join('\n');
    const sources = readAll(corpusDir).join('\n');
    // What the real reports are about: the places after "tỉnh"/"huyện" and their document numbers.
    const places = new Set([...sources.matchAll(/(?:tỉnh|huyện) (\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+)/gu)].map((m) => m[1]!));
    const numbers = new Set([...sources.matchAll(/\b\d+-(?:BC|KH)\/TU\b/g)].map((m) => m[0]));
    expect(places.size).toBeGreaterThan(2);
    expect(numbers.size).toBeGreaterThan(2);
    for (const place of places) expect(synthetic.toLowerCase().includes(place.toLowerCase()), place).toBe(false);
    for (const number of numbers) expect(new RegExp(`(?<!\\d)${number.replace('/', '\\/')}`).test(synthetic), number).toBe(false);
  });
});

describe('HNSW recall against exact search', () => {
  const dims = 16;
  const rng = new Rng(3);
  const point = () => Array.from({ length: dims }, () => rng.next() * 2 - 1);

  it('is 1 with a beam wide enough to visit every point, and counts exact ties as hits', () => {
    const index = new hnswlib.HierarchicalNSW('cosine', dims);
    index.initIndex(400, 8, 50, 1);
    for (let i = 0; i < 300; i++) index.addPoint(point(), i);
    // Twenty copies of one vector: any ten of them are a correct answer for that vector.
    const twin = point();
    for (let i = 300; i < 320; i++) index.addPoint(twin, i);
    index.setEf(400);
    const r = hnswRecall(index, [point(), point(), twin], 10);
    expect(r.recall).toBe(1);
    expect(r.minRecall).toBe(1);
    expect(r.queries).toBe(3);
  });

  it('drops below 1 when the beam is too narrow for a poorly connected graph', () => {
    const index = new hnswlib.HierarchicalNSW('cosine', 64);
    index.initIndex(3000, 2, 4, 1);
    const wide = () => Array.from({ length: 64 }, () => rng.next() * 2 - 1);
    for (let i = 0; i < 3000; i++) index.addPoint(wide(), i);
    index.setEf(10);
    const r = hnswRecall(index, Array.from({ length: 20 }, wide), 10);
    expect(r.recall).toBeLessThan(1);
    expect(r.minRecall).toBeLessThanOrEqual(r.recall);
  });
});

describe('figures', () => {
  it('uses nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 95)).toBe(95);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(summarize([1, 2, 3, 4])).toMatchObject({ samples: 4, p50Ms: 2, p95Ms: 4, meanMs: 2.5 });
  });

  it('passes or misses each target on the measured figures', () => {
    const latency = (p95Ms: number) => ({ samples: 10, p50Ms: p95Ms / 2, p95Ms, p99Ms: p95Ms, meanMs: p95Ms / 2 });
    const result = (p95Ms: number, extra: Partial<WorkerResult> = {}): WorkerResult => ({
      system: 'ours', chunks: 100_000, documents: 500, skipped: 0, ingestMs: 1000, stagesMs: {}, indexBytes: 1,
      peakRssIngestMiB: 900, loadMs: 10, retrieval: latency(p95Ms), answer: latency(p95Ms), answeredShare: 1,
      peakRssTotalMiB: 1500, ...extra,
    });
    const run = (ours: WorkerResult, baselineP95Ms: number): CorpusRun => ({
      name: 'Synthetic', description: '', questions: 10, ours, baseline: { ...result(baselineP95Ms), system: 'baseline' },
    });
    const recall = { k: 10, queries: 5, recall: 0.99, minRecall: 0.9, efSearch: 100, exactMsPerQuery: 1, hnswMsPerQuery: 1 };
    const good = run(result(40, { recall }), 4000);
    expect(evaluateTargets([good], good).every((t) => t.pass)).toBe(true);
    const slow = run(result(60, { recall: { ...recall, recall: 0.97 }, peakRssTotalMiB: 2500 }), 1000);
    const verdicts = evaluateTargets([slow], slow).map((t) => t.pass);
    expect(verdicts).toEqual(verdicts.map(() => false));
  });
});
