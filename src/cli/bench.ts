/**
 * `npm run bench [-- --quick] [--chunks N] [--write|--no-write] [--out FILE] [--json FILE] [--keep]`
 * `npm run bench -- --render FILE.json` re-renders a saved run into the tables and docs/BENCHMARKS.md.
 *
 * Ingest, query-latency and recall benchmarks of our pipeline against a LangChain baseline, on
 * the reports and on a deterministic synthetic corpus (100,000 chunks; 2,000 with --quick).
 * Prints the tables and (full runs) writes them to docs/BENCHMARKS.md.
 */
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagString, parseArgs } from './args.js';
import { machineInfo } from '../bench/machine.js';
import { evaluateTargets, renderMarkdown, renderTables, type BenchReport, type CorpusRun } from '../bench/report.js';
import { generateSyntheticCorpus } from '../bench/synthetic.js';
import { devQuestions } from '../bench/questions.js';
import { readSection } from '../bench/markdownFile.js';
import type { WorkerInput, WorkerResult } from '../bench/worker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = path.join(ROOT, 'src/bench/worker.ts');

interface Profile {
  syntheticChunks: number;
  generatedQuestions: number;
  minSamples: number;
  oursBudgetMs: number;
  baselineBudgetMs: number;
  recallChunkQueries: number;
}

const FULL: Profile = { syntheticChunks: 100_000, generatedQuestions: 60, minSamples: 200, oursBudgetMs: 60_000, baselineBudgetMs: 40_000, recallChunkQueries: 100 };
const QUICK: Profile = { syntheticChunks: 2_000, generatedQuestions: 20, minSamples: 40, oursBudgetMs: 4_000, baselineBudgetMs: 3_000, recallChunkQueries: 30 };

async function runWorker(input: WorkerInput, scratch: string, nodeArgs: string[] = []): Promise<WorkerResult> {
  const inputPath = path.join(scratch, `${path.basename(input.indexDir)}.input.json`);
  await fs.writeFile(inputPath, JSON.stringify(input));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', WORKER, inputPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)) as WorkerResult);
      else reject(new Error(`bench worker (${input.system}) failed: exit ${code ?? signal}`));
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['chunks', 'out', 'json', 'render', 'heap-mb']);
  const quick = args.flags.has('quick');
  const profile = { ...(quick ? QUICK : FULL) };
  const chunksFlag = flagString(args, 'chunks');
  if (chunksFlag) profile.syntheticChunks = Math.max(100, Number(chunksFlag));
  const write = args.flags.has('write') || (!quick && !args.flags.has('no-write'));
  const outFile = path.resolve(ROOT, flagString(args, 'out') ?? 'docs/BENCHMARKS.md');
  // Re-render a saved run (--json) into the tables and the file, without measuring again.
  const saved = flagString(args, 'render');
  if (saved) {
    const report = JSON.parse(await fs.readFile(path.resolve(saved), 'utf8')) as BenchReport;
    report.targets = evaluateTargets(report.corpora, report.corpora[report.corpora.length - 1]);
    process.stdout.write(renderTables(report) + '\n');
    if (!args.flags.has('no-write')) {
      await fs.writeFile(outFile, renderMarkdown(report, { load: await readSection(outFile, 'load'), analysis: await readSection(outFile, 'analysis') }));
    }
    return;
  }
  const started = performance.now();
  const machine = machineInfo();
  process.stderr.write(`bench (${quick ? 'quick' : 'full'}): ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}\n`);

  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'tlbc-bench-'));
  try {
    const dev = await devQuestions(ROOT);
    const devSetPath = existsSync(path.resolve(ROOT, '../shared/eval/dev.jsonl')) ? path.resolve(ROOT, '../shared/eval/dev.jsonl') : undefined;
    const corpora: CorpusRun[] = [];
    const subjects: { name: string; description: string; corpusDir: string; questions: string[]; generation?: CorpusRun['generation'] }[] = [
      { name: 'Reports (corpus/)', description: 'The reports shipped in corpus/.', corpusDir: path.join(ROOT, 'corpus'), questions: dev },
    ];

    process.stderr.write(`generating ${profile.syntheticChunks.toLocaleString('en-US')} synthetic chunks…\n`);
    const synthDir = path.join(scratch, 'synthetic');
    const synth = await generateSyntheticCorpus({
      sourceDir: path.join(ROOT, 'corpus'),
      outDir: synthDir,
      targetChunks: profile.syntheticChunks,
      questions: profile.generatedQuestions,
    });
    // The shipped reports go inside the synthetic corpus, so the dev set is asked at scale too.
    for (const name of await fs.readdir(path.join(ROOT, 'corpus'))) {
      if (!name.startsWith('.')) await fs.copyFile(path.join(ROOT, 'corpus', name), path.join(synthDir, name));
    }
    subjects.push({
      name: `Synthetic (${synth.expectedChunks.toLocaleString('en-US')} chunks)`,
      description: 'Deterministic synthetic corpus generated from the reports (see Method). Questions: dev set + questions generated from sampled passages.',
      corpusDir: synthDir,
      questions: [...dev, ...synth.questions],
      generation: { ms: synth.durationMs, files: synth.files, bytes: synth.bytes, expectedChunks: synth.expectedChunks },
    });

    // --heap-mb raises the workers' V8 heap limit (Node's default is about 4 GiB here): at
    // 100k chunks the ingest write phase needs more, and the point is to measure, not to crash.
    const heapMb = flagString(args, 'heap-mb');
    const nodeArgs = heapMb ? [`--max-old-space-size=${Number(heapMb)}`] : [];
    // --parallel runs ours and the baseline side by side (2 cores: one each) to halve the wall
    // time of a full run; each system still has a process, hence a peak RSS, of its own.
    // Quick mode (CI, < 1 min) always runs side by side: its figures are a smoke test, not a record.
    const parallel = args.flags.has('parallel') || quick;
    for (const [i, s] of subjects.entries()) {
      const results: Partial<Record<'ours' | 'baseline', WorkerResult>> = {};
      const runSystem = async (system: 'ours' | 'baseline') => {
        process.stderr.write(`${s.name}: ${system}\n`);
        results[system] = await runWorker(
          {
            system,
            corpusDir: s.corpusDir,
            indexDir: path.join(scratch, `index-${i}-${system}`),
            questions: s.questions,
            minSamples: profile.minSamples,
            queryBudgetMs: system === 'ours' ? profile.oursBudgetMs : profile.baselineBudgetMs,
            recallChunkQueries: profile.recallChunkQueries,
            ...(devSetPath && system === 'ours' ? { qaPath: devSetPath } : {}),
          },
          scratch,
          nodeArgs,
        );
        // Index files are large at 100k chunks; only the figures are needed from here on.
        if (!args.flags.has('keep')) await fs.rm(path.join(scratch, `index-${i}-${system}`), { recursive: true, force: true });
      };
      if (parallel) await Promise.all([runSystem('ours'), runSystem('baseline')]);
      else for (const system of ['ours', 'baseline'] as const) await runSystem(system);
      corpora.push({ name: s.name, description: s.description, questions: s.questions.length, ...(s.generation ? { generation: s.generation } : {}), ours: results.ours!, baseline: results.baseline! });
    }

    const report: BenchReport = {
      machine,
      mode: quick ? 'quick' : 'full',
      conditions: [
        heapMb ? `worker V8 heap limit raised to ${Number(heapMb)} MiB (--heap-mb)` : 'default V8 heap limit',
        parallel ? 'ours and the baseline ran concurrently, one core each (--parallel)' : 'ours and the baseline ran one after the other',
      ],
      corpora,
      targets: evaluateTargets(corpora, corpora[corpora.length - 1]),
      totalMs: performance.now() - started,
    };
    process.stdout.write(renderTables(report) + '\n');
    const jsonFile = flagString(args, 'json');
    if (jsonFile) await fs.writeFile(path.resolve(jsonFile), JSON.stringify(report, null, 1));
    if (write) {
      await fs.writeFile(outFile, renderMarkdown(report, { load: await readSection(outFile, 'load'), analysis: await readSection(outFile, 'analysis') }));
      process.stderr.write(`written to ${path.relative(ROOT, outFile)}\n`);
    }
  } finally {
    if (!args.flags.has('keep')) await fs.rm(scratch, { recursive: true, force: true });
    else process.stderr.write(`kept ${scratch}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
