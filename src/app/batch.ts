import { z } from 'zod';
import type { ConversationTurn } from '../answer/types.js';
import type { ReportAssistant } from './assistant.js';
import type { Answer } from '../answer/types.js';

/**
 * `ask --json` batch mode (shared/eval README): a plain line is a question on its own; a line
 * holding `{"question": "…", "conversation": "c1"}` is asked inside conversation c1, so that
 * "còn Kon Tum thì sao?" or "tại sao?" is answered with what came before in that conversation.
 */

const BatchLine = z.object({ question: z.string(), conversation: z.string().optional() });

export interface BatchQuestion {
  question: string;
  conversation?: string;
}

/** Reads one input line; undefined for a blank line. A line that is not a batch object is a question. */
export function parseBatchLine(line: string): BatchQuestion | undefined {
  const trimmed = line.trim();
  if (!trimmed) return undefined;
  if (trimmed.startsWith('{')) {
    try {
      const parsed = BatchLine.safeParse(JSON.parse(trimmed));
      if (parsed.success) return parsed.data.conversation === undefined ? { question: parsed.data.question } : { question: parsed.data.question, conversation: parsed.data.conversation };
    } catch {
      // Not JSON after all: a question that happens to start with a brace.
    }
  }
  return { question: trimmed };
}

/** How many earlier turns of a conversation are kept for follow-ups (as in the chat channels). */
const HISTORY_TURNS = 6;

/** Asks questions in order, keeping one history per conversation id. */
export class BatchAsker {
  private readonly histories = new Map<string, ConversationTurn[]>();

  constructor(private readonly assistant: Pick<ReportAssistant, 'ask'>) {}

  async ask(q: BatchQuestion): Promise<Answer> {
    const history = q.conversation === undefined ? [] : (this.histories.get(q.conversation) ?? []);
    const { answer, resolvedQuestion } = await this.assistant.ask(q.question, history);
    if (q.conversation !== undefined) {
      this.histories.set(q.conversation, [...history, { question: q.question, resolvedQuestion, answer }].slice(-HISTORY_TURNS));
    }
    return answer;
  }
}
