import type { MachineInfo } from './machine.js';
import type { WorkerResult } from './worker.js';

/** Tables for the console and docs/BENCHMARKS.md, built from one run's figures. */

export interface CorpusRun {
  name: string;
  description: string;
  questions: number;
  generation?: { ms: number; files: number; bytes: number; expectedChunks: number };
  ours: WorkerResult;
  baseline: WorkerResult;
}

export interface TargetRow {
  target: string;
  measured: string;
  pass: boolean;
  note?: string;
}

export interface BenchReport {
  machine: MachineInfo;
  mode: 'full' | 'quick';
  /** How this run departed from a plain `npm run bench` (heap limit, concurrency). */
  conditions?: string[];
  corpora: CorpusRun[];
  targets: TargetRow[];
  totalMs: number;
}

const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '—');
const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);
const ratio = (baseline: number, ours: number) => (ours > 0 && Number.isFinite(baseline / ours) ? `${(baseline / ours).toFixed(1)}×` : '—');
const int = (n: number) => n.toLocaleString('en-US');

export function evaluateTargets(corpora: readonly CorpusRun[], scaled: CorpusRun | undefined): TargetRow[] {
  const rows: TargetRow[] = [];
  if (scaled) {
    const { ours, baseline } = scaled;
    rows.push({
      target: `p95 full answer ≤ 50 ms at ${int(ours.chunks)} chunks`,
      measured: `${ms(ours.answer.p95Ms)} ms`,
      pass: ours.answer.p95Ms <= 50,
    });
    const speedup = baseline.answer.p95Ms / ours.answer.p95Ms;
    rows.push({
      target: `≥ 20× faster than the baseline at ${int(ours.chunks)} chunks (p95 full answer)`,
      measured: `${speedup.toFixed(1)}× (retrieval p95 ${ratio(baseline.retrieval.p95Ms, ours.retrieval.p95Ms)}, ingest ${ratio(baseline.ingestMs, ours.ingestMs)})`,
      pass: speedup >= 20,
      note: 'ingest ratio is informational: the target is about answering',
    });
  }
  const recalls = corpora.map((c) => c.ours.recall?.recall ?? Number.NaN);
  const worstRecall = Math.min(...recalls);
  rows.push({
    target: 'HNSW recall@10 ≥ 0.98 (vs exact cosine, every corpus)',
    measured: corpora.map((c) => `${c.name}: ${(c.ours.recall?.recall ?? Number.NaN).toFixed(4)}`).join(', '),
    pass: worstRecall >= 0.98,
  });
  const peak = Math.max(...corpora.map((c) => Math.max(c.ours.peakRssIngestMiB, c.ours.peakRssTotalMiB)));
  rows.push({
    target: 'peak RSS < 2 GB (ingest and serving, every corpus)',
    measured: `${peak.toFixed(0)} MiB`,
    pass: peak < 2048,
  });
  return rows;
}

function corpusTable(c: CorpusRun): string[] {
  const { ours: o, baseline: b } = c;
  const lines = [
    `### ${c.name}`,
    '',
    c.description,
    ...(c.generation
      ? ['', `Generated in ${(c.generation.ms / 1000).toFixed(1)} s: ${int(c.generation.files)} files, ${mib(c.generation.bytes)} MiB of text, ${int(c.generation.expectedChunks)} chunks expected.`]
      : []),
    '',
    '| Metric | Ours | Baseline (LangChain) | Baseline ÷ ours |',
    '|---|---:|---:|---:|',
    `| Documents / chunks | ${int(o.documents)} / ${int(o.chunks)} | ${int(b.documents)} / ${int(b.chunks)} | |`,
    `| Ingest time (s) | ${(o.ingestMs / 1000).toFixed(2)} | ${(b.ingestMs / 1000).toFixed(2)} | ${ratio(b.ingestMs, o.ingestMs)} |`,
    `| Ingest throughput (chunks/s) | ${(o.chunks / (o.ingestMs / 1000)).toFixed(0)} | ${(b.chunks / (b.ingestMs / 1000)).toFixed(0)} | |`,
    `| Index size on disk (MiB) | ${mib(o.indexBytes)} | ${mib(b.indexBytes)} | |`,
    `| Peak RSS during ingest (MiB) | ${o.peakRssIngestMiB.toFixed(0)} | ${b.peakRssIngestMiB.toFixed(0)} | |`,
    `| Peak RSS incl. serving (MiB) | ${o.peakRssTotalMiB.toFixed(0)} | ${b.peakRssTotalMiB.toFixed(0)} | |`,
    `| Index load (ms) | ${ms(o.loadMs)} | (kept in memory) | |`,
    `| Retrieval p50 / p95 / p99 (ms) | ${ms(o.retrieval.p50Ms)} / ${ms(o.retrieval.p95Ms)} / ${ms(o.retrieval.p99Ms)} | ${ms(b.retrieval.p50Ms)} / ${ms(b.retrieval.p95Ms)} / ${ms(b.retrieval.p99Ms)} | ${ratio(b.retrieval.p50Ms, o.retrieval.p50Ms)} / ${ratio(b.retrieval.p95Ms, o.retrieval.p95Ms)} / ${ratio(b.retrieval.p99Ms, o.retrieval.p99Ms)} |`,
    `| Full answer p50 / p95 / p99 (ms) | ${ms(o.answer.p50Ms)} / ${ms(o.answer.p95Ms)} / ${ms(o.answer.p99Ms)} | ${ms(b.answer.p50Ms)} / ${ms(b.answer.p95Ms)} / ${ms(b.answer.p99Ms)} | ${ratio(b.answer.p50Ms, o.answer.p50Ms)} / ${ratio(b.answer.p95Ms, o.answer.p95Ms)} / ${ratio(b.answer.p99Ms, o.answer.p99Ms)} |`,
    `| Latency samples (retrieval / answer) | ${o.retrieval.samples} / ${o.answer.samples} | ${b.retrieval.samples} / ${b.answer.samples} | |`,
    `| HNSW recall@10 vs exact (ef=${o.recall?.efSearch ?? '—'}) | ${o.recall ? `${o.recall.recall.toFixed(4)} (min ${o.recall.minRecall.toFixed(2)}, ${o.recall.queries} queries)` : '—'} | | |`,
    `| Questions / answered (ours) | ${c.questions} / ${(o.answeredShare * 100).toFixed(0)}% | | |`,
    `| Dev set by the lead rule (ours) | ${o.quality ? `${o.quality.passed}/${o.quality.total} (${((100 * o.quality.passed) / Math.max(1, o.quality.total)).toFixed(0)}%)` : '—'} | | |`,
    '',
    `Ingest stages, ours (s): ${stages(o.stagesMs)}. Baseline (s): ${stages(b.stagesMs)}.`,
  ];
  return lines;
}

function stages(s: Record<string, number>): string {
  return Object.entries(s)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
    .join(', ');
}

export function renderTables(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    `## Results (${r.mode === 'quick' ? 'quick mode' : 'full run'}, ${m.date})`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB RAM, Node ${m.node}, ${m.platform}. Whole run: ${(r.totalMs / 1000).toFixed(0)} s${r.conditions?.length ? `; ${r.conditions.join('; ')}` : ''}.`,
    '',
    '### Targets',
    '',
    '| Target | Measured | Result |',
    '|---|---|---|',
    ...r.targets.map((t) => `| ${t.target} | ${t.measured}${t.note ? ` (${t.note})` : ''} | ${t.pass ? 'PASS' : 'MISS'} |`),
    '',
  ];
  for (const c of r.corpora) lines.push(...corpusTable(c), '');
  return lines.join('\n');
}

const METHOD = `# Benchmarks

Produced by \`npm run bench\` (\`src/cli/bench.ts\`, \`src/bench/\`); the tables below are
overwritten by every full run. \`npm run bench -- --quick\` runs the same code on a small
synthetic corpus (for CI) and prints its tables without touching this file unless \`--write\` is given.

## Method

- **Corpora.** The reports in \`corpus/\`, and a synthetic corpus generated deterministically
  (fixed seed) from them: an order-2 word Markov chain trained on the reports' sentences, figures
  re-drawn digit by digit, places rotated through 40 provinces and 30 districts, headers, Roman /
  numbered / sub-numbered sections, bullets, footnote marks as line breaks and the U+FFFD footnote
  list at the end — the Word-export .txt layout of the real reports. Paragraphs are 380–680
  characters so that each is exactly one chunk; footnotes are one chunk each.
- **Isolation.** Each corpus × system runs in its own child process, so peak RSS (VmHWM) is
  per corpus and per system. "During ingest" is read right after the index is written;
  "incl. serving" after loading the index and running every query series.
- **Ingest** is a full build (\`force\`) into an empty temp directory with the local embedder.
  Throughput = chunks / ingest wall time.
- **Query latency**: index already loaded, questions run sequentially after one warm-up pass;
  retrieval = \`ReportAssistant.retrieve\` (query analysis + lexical + HNSW + fusion + rerank),
  full answer = \`ReportAssistant.ask\` (retrieval + extractive answer with citations; no LLM).
  Questions: \`../shared/eval/dev.jsonl\` when present, plus questions generated from sampled
  synthetic passages for the synthetic corpus. Percentiles are nearest-rank.
- **HNSW recall@10**: the product's index (ef=128 as loadIndex sets it) against brute-force
  cosine over the same stored vectors; queries are the questions' vector texts plus passages
  used as queries; a neighbour tied with the 10th exact score counts as a hit.
- **Baseline**: what a user would assemble from LangChain parts — files read as text,
  \`RecursiveCharacterTextSplitter\` (1000/200), \`HNSWLib\` over the same \`LocalHashEmbeddings\`
  fitted on the same chunk texts, LangChain's \`BM25Retriever\` (k=10), both lists fused with
  reciprocal rank fusion, top chunk returned as the answer. Its query series are cut by a time
  budget (BM25Retriever rescores every chunk per query), hence fewer samples.
- Ratios are baseline ÷ ours: above 1× means ours is faster.
`;

/**
 * The whole file: method, this run's tables (marked), then the sections other runs own and
 * this one keeps: the channel-load figures from bench:load and the hand-written analysis.
 */
export function renderMarkdown(r: BenchReport, kept: { load: string; analysis: string }): string {
  return [
    METHOD,
    '<!-- bench:start -->',
    renderTables(r),
    '<!-- bench:end -->',
    '',
    kept.analysis || '<!-- analysis:start -->\n## Analysis\n\n(Hand-written; kept across runs.)\n<!-- analysis:end -->',
    '',
    kept.load || '<!-- load:start -->\n## Channel load\n\nNot measured yet: run `npm run bench:load -- --write`.\n<!-- load:end -->',
    '',
  ].join('\n');
}
