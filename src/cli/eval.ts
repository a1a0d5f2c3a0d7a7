import path from 'node:path';
import { answerJson } from '../answer/format.js';
import { scoreAnswers, type ScoredAnswer } from '../answer/scoring.js';
import { BatchAsker } from '../app/batch.js';
import { evalSets, materializeCorpus, readQuestions, type EvalSetName } from '../app/evalSets.js';
import { flagString, parseArgs } from './args.js';
import { openAssistant } from './common.js';

/**
 * `npm run eval -- [--set dev|dev2|extra] [--qa FILE] [--min 0.9]`: answers a question set
 * (conversations in order, as `ask --json` batch mode does) and scores it by the shared rules.
 * `--set dev2` asks over the shipped corpus plus dev2's documents, in a temporary index.
 */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['qa', 'set', 'corpus', 'index', 'min']);
  const setName = (flagString(args, 'set') ?? 'dev') as EvalSetName;
  const sets = evalSets(process.cwd());
  const set = sets[setName];
  if (!set) throw new Error(`--set phải là dev, dev2 hoặc extra / --set must be dev, dev2 or extra`);
  const qaPath = flagString(args, 'qa') ?? set.qaPath;
  const items = readQuestions(qaPath);
  const corpus = flagString(args, 'corpus') ?? (set.corpusDirs.length > 1 ? materializeCorpus(set) : undefined);
  const index = flagString(args, 'index') ?? (corpus && !flagString(args, 'corpus') ? path.join(path.dirname(corpus), 'index') : undefined);
  const flags = new Map(args.flags);
  if (corpus) flags.set('corpus', corpus);
  if (index) flags.set('index', index);
  const assistant = await openAssistant({ ...args, flags });
  const asker = new BatchAsker(assistant);
  const answers: ScoredAnswer[] = [];
  const started = performance.now();
  for (const item of items) answers.push(answerJson(await asker.ask(item)));
  const elapsedMs = performance.now() - started;
  const r = scoreAnswers(items, answers);
  for (const f of r.failures) {
    const at = items.findIndex((i) => i.id === f.id);
    const a = answers[at];
    process.stdout.write(`FAIL ${f.id}: ${f.why}\n  hỏi / question: ${items[at]?.question}\n  lead: ${(a?.lead ?? '').replace(/\s+/g, ' ').slice(0, 240)}\n`);
  }
  const rate = r.total ? r.passed / r.total : 0;
  process.stdout.write(
    `facts in lead ${r.factsOk}/${r.answerable} (anywhere ${r.looseFactsOk}/${r.answerable}), citations ${r.citationsOk}/${r.answerable}, refusals ${r.refusalsOk}/${r.unanswerable}\n` +
      `${r.passed}/${r.total} questions pass (${Math.round(rate * 100)}%), ${(elapsedMs / Math.max(1, r.total)).toFixed(1)} ms/question\n`,
  );
  const min = Number(flagString(args, 'min') ?? '0');
  if (rate < min) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`Lỗi / error: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
