import { flagString, parseArgs } from './args.js';
import { openAssistant } from './common.js';
import type { Language } from '../answer/types.js';
import { compareSides } from '../trainer/compare.js';
import { generateQuiz } from '../trainer/quiz.js';
import { comparisonReplies, questionBlocks, replyToPlain, summaryReplies } from '../trainer/render.js';
import { topicSuggestions } from '../trainer/scope.js';
import { summarizeReport } from '../trainer/summary.js';
import { tt } from '../trainer/messages.js';
import type { QuizQuestion } from '../trainer/types.js';

/**
 * Trainer tools from the command line, on the same index as the bot:
 *   tsx src/cli/trainer.ts quiz [topic] [--count N] [--seed S] [--json] [--lang vi|en]
 *   tsx src/cli/trainer.ts summary <document> [đầy đủ] [--full] [--json]
 *   tsx src/cli/trainer.ts compare "A | B [| C][: topic]" [--json]
 * `quiz --json` prints one JSON object per question, ask-style, so quizzes can be checked:
 *   {question, options, answer, explanation, citations: [{document, title, section, quote}]}.
 */

const USAGE = [
  'Cách dùng / usage:',
  '  tsx src/cli/trainer.ts quiz [bài học|số liệu|văn bản|so sánh] [chủ đề] [--count N] [--seed S] [--json] [--lang vi|en]',
  '  tsx src/cli/trainer.ts summary <văn bản> [đầy đủ] [--full] [--json]',
  '  tsx src/cli/trainer.ts compare "A | B [| C][: chủ đề]" [--json]',
].join('\n');

export function quizJson(q: QuizQuestion): {
  id: string;
  kind: string;
  question: string;
  options: string[];
  answer: number;
  explanation: string;
  citations: { document: string; title: string; section: string; quote: string }[];
} {
  const c = q.citation;
  return {
    id: q.id,
    kind: q.kind,
    question: q.text,
    options: q.options,
    answer: q.answer,
    explanation: q.explanation,
    citations: [{ document: c.document, title: c.title, section: c.section, quote: c.quote }],
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['corpus', 'index', 'count', 'seed', 'lang']);
  const [command, ...rest] = args.rest;
  const json = args.flags.has('json');
  const lang: Language = flagString(args, 'lang') === 'en' ? 'en' : 'vi';
  if (!command || !['quiz', 'summary', 'compare'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const assistant = await openAssistant(args);
  const snapshot = assistant.index;
  const text = rest.join(' ').trim();
  const write = (s: string) => process.stdout.write(`${s}\n`);

  if (command === 'quiz') {
    const count = Number(flagString(args, 'count') ?? 5);
    if (!Number.isInteger(count) || count < 1) throw new Error('--count cần một số nguyên dương / needs a positive integer');
    const seed = flagString(args, 'seed') ?? '1';
    const result = generateQuiz(snapshot, { topic: text, count, seed, lang });
    if (!result.scope) {
      process.stderr.write(`${tt(lang, 'quiz.unknownTopic', { topic: text, suggestions: topicSuggestions(snapshot) })}\n`);
      process.exitCode = 1;
      return;
    }
    result.questions.forEach((q, i) => {
      if (json) write(JSON.stringify(quizJson(q)));
      else {
        write(questionBlocks(q, i + 1, lang).map((b) => b.text).join('\n'));
        write(`→ ${q.answer + 1}) ${q.options[q.answer] ?? ''}\n  ${q.explanation}\n`);
      }
    });
    if (!result.questions.length) process.stderr.write(`${tt(lang, text ? 'quiz.none' : 'quiz.noneAll', { topic: text })}\n`);
    return;
  }

  if (command === 'summary') {
    const result = summarizeReport(snapshot, text, { full: args.flags.has('full') });
    if (json) write(JSON.stringify(result));
    else for (const r of summaryReplies(result, lang)) write(`${replyToPlain(r)}\n`);
    return;
  }

  const result = compareSides(snapshot, text);
  if (json) write(JSON.stringify(result));
  else for (const r of comparisonReplies(result, lang, topicSuggestions(snapshot))) write(`${replyToPlain(r)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`Lỗi / error: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
