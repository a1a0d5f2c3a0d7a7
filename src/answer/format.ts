import { render } from './templates.js';
import type { Answer } from './types.js';

/** Plain-text rendering for the CLI and the console: answer, then numbered sources. */
export function formatAnswerText(answer: Answer): string {
  if (!answer.citations.length) return answer.text;
  const lines = answer.citations.map((c, i) => render(answer.language, 'citationLine', { n: i + 1, title: c.title, section: c.section }));
  return `${answer.text}\n\n${render(answer.language, 'sourcesHeader')}\n${lines.join('\n')}`;
}

/** The stable `ask --json` contract. */
export interface AnswerJson {
  question: string;
  answered: boolean;
  lead: string;
  answer: string;
  citations: { document: string; title: string; section: string; quote: string }[];
}

export function answerJson(answer: Answer): AnswerJson {
  return {
    question: answer.question,
    answered: answer.answered,
    lead: answer.lead,
    answer: answer.text,
    citations: answer.citations.map((c) => ({ document: c.document, title: c.title, section: c.section, quote: c.quote })),
  };
}
