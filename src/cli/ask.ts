import { createInterface } from 'node:readline';
import { answerJson, formatAnswerText } from '../answer/format.js';
import { parseArgs } from './args.js';
import { openAssistant } from './common.js';
import { BatchAsker, parseBatchLine } from '../app/batch.js';

/**
 * `npm run ask -- "câu hỏi"` — one question; with no question, one per stdin line.
 * `--json` prints one JSON object per question (the contract the eval and other tools use). In
 * batch mode a line `{"question": "…", "conversation": "c1"}` is asked inside conversation c1.
 */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['corpus', 'index']);
  const json = args.flags.has('json');
  const assistant = await openAssistant(args);
  const asker = new BatchAsker(assistant);
  const print = async (question: string, batch: boolean, conversation?: string) => {
    const answer = await asker.ask(conversation === undefined ? { question } : { question, conversation });
    if (json) process.stdout.write(JSON.stringify(answerJson(answer)) + '\n');
    else if (batch) process.stdout.write(formatAnswerText(answer).replace(/\s*\n+\s*/g, ' ') + '\n');
    else process.stdout.write(formatAnswerText(answer) + '\n');
  };
  const question = args.rest.join(' ').trim();
  if (question) {
    await print(question, false);
    return;
  }
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of rl) {
    const q = parseBatchLine(line);
    if (q) await print(q.question, true, q.conversation);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Lỗi / error: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
