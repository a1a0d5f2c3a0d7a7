import type { ConversationTurn } from '../answer/types.js';
import type { KnowledgeBase } from '../bot/knowledge.js';

/**
 * Traces answers back to questions in load runs: a question ending in "[q17]" is answered
 * without the tag, and the answer gets "#q17" appended. Lost = a tag never delivered,
 * duplicated = a tag delivered in more than one message.
 */

export const TAG_IN = /\s*\[q(\d+)\]\s*$/;
export const TAG_OUT = /#q(\d+)\b/g;

export class TaggedKnowledge implements KnowledgeBase {
  constructor(private readonly inner: KnowledgeBase) {}

  async ask(question: string, history: readonly ConversationTurn[]) {
    const m = TAG_IN.exec(question);
    const clean = m ? question.slice(0, m.index) : question;
    const result = await this.inner.ask(clean, history);
    if (!m) return result;
    return { ...result, answer: { ...result.answer, text: `${result.answer.text}\n\n#q${m[1]}` } };
  }

  listDocuments() {
    return this.inner.listDocuments();
  }

  passage(chunkId: string) {
    return this.inner.passage(chunkId);
  }

  addDocument(fileName: string, content: Buffer) {
    return this.inner.addDocument(fileName, content);
  }

  reload() {
    return this.inner.reload();
  }
}
