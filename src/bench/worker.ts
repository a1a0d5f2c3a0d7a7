/**
 * One benchmark subject (our pipeline or the LangChain baseline) on one corpus, in a process
 * of its own so that the peak RSS it reports belongs to that corpus and system alone. Started
 * by src/cli/bench.ts; prints progress on stderr and one `RESULT {json}` line on stdout.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ingestCorpus } from '../ingest/pipeline.js';
import { localEmbedderFactory } from '../index/embedder.js';
import { currentVersionDir } from '../index/store.js';
import { ReportAssistant } from '../app/assistant.js';
import { BatchAsker } from '../app/batch.js';
import { readQuestions } from '../app/evalSets.js';
import { answerJson } from '../answer/format.js';
import { scoreAnswers } from '../answer/scoring.js';
import { buildBaseline } from './baseline.js';
import { hnswRecall, type RecallResult } from './recall.js';
import { directoryBytes, peakRssMiB, summarize, timeRounds, type LatencySummary } from './stats.js';
import { Rng } from './rng.js';

export interface WorkerInput {
  system: 'ours' | 'baseline';
  corpusDir: string;
  /** Where the index is written (a fresh temp dir: always a full build). */
  indexDir: string;
  questions: string[];
  minSamples: number;
  /** Wall-clock budget for each latency series. */
  queryBudgetMs: number;
  /** Extra recall queries drawn from chunk text, on top of the questions. */
  recallChunkQueries: number;
  /** A question set scored by the shared rules (facts in the lead) on this corpus: quality must hold as the corpus grows. */
  qaPath?: string;
}

export interface WorkerResult {
  system: 'ours' | 'baseline';
  chunks: number;
  documents: number;
  skipped: number;
  ingestMs: number;
  /** Ingest stages in ms (ours: parse, embed+hnsw, lexical+names, write). */
  stagesMs: Record<string, number>;
  indexBytes: number;
  peakRssIngestMiB: number;
  loadMs: number;
  retrieval: LatencySummary;
  answer: LatencySummary;
  answeredShare: number;
  /** The question set's pass rate by the shared rules (ours only, when a set was given). */
  quality?: { passed: number; total: number };
  recall?: RecallResult;
  /** High-water mark after loading and the query series (ours: before the recall measurement). */
  peakRssTotalMiB: number;
}

/** Asks a question set (conversations in order) and scores it by the shared rules. */
async function scoreSet(assistant: ReportAssistant, qaPath: string): Promise<{ passed: number; total: number }> {
  const items = readQuestions(qaPath);
  const asker = new BatchAsker(assistant);
  const answers = [];
  for (const item of items) answers.push(answerJson(await asker.ask(item)));
  const r = scoreAnswers(items, answers);
  return { passed: r.passed, total: r.total };
}

function log(message: string): void {
  process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function runOurs(input: WorkerInput): Promise<WorkerResult> {
  const factory = localEmbedderFactory();
  const stagesMs: Record<string, number> = {};
  let stage = 'parse';
  let stageStart = performance.now();
  const t0 = performance.now();
  const summary = await ingestCorpus({
    corpusDir: input.corpusDir,
    indexDir: input.indexDir,
    embedderFactory: factory,
    force: true,
    onProgress: (e) => {
      if (e.type !== 'step') return;
      const now = performance.now();
      stagesMs[stage] = now - stageStart;
      // Steps announce what starts next: embed (embedding + HNSW build), lexical (postings, term stats, names), write.
      stage = e.step === 'embed' ? 'embed+hnsw' : e.step === 'lexical' ? 'lexical+names' : e.step;
      stageStart = now;
      log(`ingest step ${e.step}`);
    },
  });
  const ingestMs = performance.now() - t0;
  stagesMs[stage] = performance.now() - stageStart;
  const peakRssIngestMiB = await peakRssMiB();
  const versionDir = await currentVersionDir(input.indexDir);
  const indexBytes = versionDir ? await directoryBytes(versionDir) : 0;
  log(`ingested ${summary.chunks} chunks in ${(ingestMs / 1000).toFixed(1)} s, peak RSS ${peakRssIngestMiB.toFixed(0)} MiB`);

  const l0 = performance.now();
  const assistant = await ReportAssistant.open({ corpusDir: input.corpusDir, indexDir: input.indexDir, embedderFactory: factory, autoIngest: false });
  const loadMs = performance.now() - l0;

  // Warm-up: JIT, lazy caches (document terms) and the page cache, so the series measure steady state.
  let answered = 0;
  for (const q of input.questions) if ((await assistant.ask(q)).answer.answered) answered++;
  const retrievalMs = await timeRounds(input.questions, (q) => assistant.retrieve(q), { minSamples: input.minSamples, budgetMs: input.queryBudgetMs });
  const answerMs = await timeRounds(input.questions, (q) => assistant.ask(q), { minSamples: input.minSamples, budgetMs: input.queryBudgetMs });
  const quality = input.qaPath ? await scoreSet(assistant, input.qaPath) : undefined;
  if (quality) log(`quality: ${quality.passed}/${quality.total} questions pass by the shared rules`);
  log(`latency: ${retrievalMs.length} retrievals, ${answerMs.length} answers`);
  // Taken before the recall measurement, whose exact-search matrix is not part of serving.
  const peakRssTotalMiB = await peakRssMiB();

  // Recall over the questions as the retriever embeds them, plus passages used as queries.
  const snapshot = assistant.index;
  const queryTexts = input.questions.map((q) => assistant.analyze(q).vectorText).filter((t) => t.trim());
  const rng = new Rng(7);
  for (let i = 0; i < input.recallChunkQueries && snapshot.chunks.length; i++) queryTexts.push(rng.pick(snapshot.chunks).text.slice(0, 160));
  const vectors = await snapshot.embedder.embeddings.embedDocuments(queryTexts);
  const recall = hnswRecall(snapshot.vectors.index, vectors, 10);
  log(`recall@10 ${recall.recall.toFixed(4)} over ${recall.queries} queries`);

  return {
    system: 'ours',
    chunks: summary.chunks,
    documents: summary.documents,
    skipped: summary.skipped.length,
    ingestMs,
    stagesMs,
    indexBytes,
    peakRssIngestMiB,
    loadMs,
    retrieval: summarize(retrievalMs),
    answer: summarize(answerMs),
    answeredShare: input.questions.length ? answered / input.questions.length : 0,
    ...(quality ? { quality } : {}),
    recall,
    peakRssTotalMiB,
  };
}

async function runBaseline(input: WorkerInput): Promise<WorkerResult> {
  const t0 = performance.now();
  const baseline = await buildBaseline(input.corpusDir, (m) => log(m));
  const ingestMs = performance.now() - t0;
  const peakRssIngestMiB = await peakRssMiB();
  // Persisting is part of what a user would do to avoid re-embedding at every start.
  const s0 = performance.now();
  await baseline.store.save(input.indexDir);
  const saveMs = performance.now() - s0;
  const indexBytes = await directoryBytes(input.indexDir);
  log(`baseline ingested ${baseline.chunks} chunks in ${((ingestMs + saveMs) / 1000).toFixed(1)} s, peak RSS ${peakRssIngestMiB.toFixed(0)} MiB`);

  let answered = 0;
  // Warm-up pass only when it is cheap: BM25Retriever rescans every chunk on every query.
  for (const q of input.questions.slice(0, 3)) if ((await baseline.answer(q)).text) answered++;
  const retrievalMs = await timeRounds(input.questions, (q) => baseline.retrieve(q), { minSamples: input.minSamples, budgetMs: input.queryBudgetMs });
  const answerMs = await timeRounds(input.questions, (q) => baseline.answer(q), { minSamples: input.minSamples, budgetMs: input.queryBudgetMs });
  log(`baseline latency: ${retrievalMs.length} retrievals, ${answerMs.length} answers`);
  return {
    system: 'baseline',
    chunks: baseline.chunks,
    documents: baseline.documents,
    skipped: 0,
    ingestMs: ingestMs + saveMs,
    stagesMs: { ...baseline.stagesMs, save: saveMs },
    indexBytes,
    peakRssIngestMiB,
    loadMs: 0,
    retrieval: summarize(retrievalMs),
    answer: summarize(answerMs),
    answeredShare: answered / Math.max(1, Math.min(3, input.questions.length)),
    peakRssTotalMiB: await peakRssMiB(),
  };
}

async function main(): Promise<void> {
  const inputPath = process.argv[2];
  if (!inputPath) throw new Error('usage: worker.ts <input.json>');
  const input = JSON.parse(await fs.readFile(inputPath, 'utf8')) as WorkerInput;
  await fs.mkdir(path.dirname(input.indexDir), { recursive: true });
  const result = input.system === 'ours' ? await runOurs(input) : await runBaseline(input);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench worker failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
