import { readFileSync } from 'node:fs';
import { answerJson } from '../answer/format.js';
import { scoreAnswers, type QaItem, type ScoredAnswer } from '../answer/scoring.js';
import { flagString, parseArgs } from './args.js';
import { openAssistant } from './common.js';

/** `npm run eval -- --qa FILE [--min 0.9]`: answers a question set and scores it by the shared rules. */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['qa', 'corpus', 'index', 'min']);
  const qaPath = flagString(args, 'qa') ?? '../shared/eval/dev.jsonl';
  const items = readFileSync(qaPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as QaItem);
  const assistant = await openAssistant(args);
  const answers: ScoredAnswer[] = [];
  const started = performance.now();
  for (const item of items) answers.push(answerJson((await assistant.ask(item.question)).answer));
  const elapsedMs = performance.now() - started;
  const r = scoreAnswers(items, answers);
  for (const f of r.failures) {
    const item = items.find((i) => i.id === f.id);
    const a = answers.find((x) => x.question === item?.question);
    process.stdout.write(`FAIL ${f.id}: ${f.why}\n  hỏi / question: ${item?.question}\n  đáp / answer: ${(a?.answer ?? '').replace(/\s+/g, ' ').slice(0, 240)}\n`);
  }
  const rate = r.total ? r.passed / r.total : 0;
  process.stdout.write(
    `facts ${r.factsOk}/${r.answerable}, citations ${r.citationsOk}/${r.answerable}, refusals ${r.refusalsOk}/${r.unanswerable}\n` +
      `${r.passed}/${r.total} questions pass (${Math.round(rate * 100)}%), ${(elapsedMs / Math.max(1, r.total)).toFixed(1)} ms/question\n`,
  );
  const min = Number(flagString(args, 'min') ?? '0');
  if (rate < min) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`Lỗi / error: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
