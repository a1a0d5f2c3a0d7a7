import type { AddDocumentOptions, DocumentSummary, IngestReport, KnowledgeBase, Passage } from '../bot/knowledge.js';
import type { Answer, ConversationTurn } from '../answer/types.js';

/**
 * The assistant while its index is still loading. Channels start (getMe, polling, the webhook)
 * before the index is ready, so a question sent during start-up is received, claimed in the inbox
 * and answered as soon as the index is loaded, instead of waiting in Telegram's queue behind a
 * process that is not polling yet. The core awaits `ready()` before it handles anything.
 */
export class DeferredKnowledge<Loaded extends KnowledgeBase> implements KnowledgeBase {
  private loaded: Loaded | undefined;
  private readonly loading: Promise<Loaded>;

  constructor(loading: Promise<Loaded>) {
    this.loading = loading.then((assistant) => {
      this.loaded = assistant;
      return assistant;
    });
    // The owner of `loading` reports a failed load; this only keeps it from being unhandled twice.
    this.loading.catch(() => undefined);
  }

  /** Resolves once the index is loaded; rejects when loading failed. */
  async ready(): Promise<void> {
    await this.loading;
  }

  get isReady(): boolean {
    return this.loaded !== undefined;
  }

  /** The loaded assistant (for the trainer's index snapshot); throws before `ready()` resolved. */
  get assistant(): Loaded {
    if (!this.loaded) throw new Error('the index is still loading');
    return this.loaded;
  }

  async ask(question: string, history: readonly ConversationTurn[]): Promise<{ answer: Answer; resolvedQuestion: string }> {
    return (await this.loading).ask(question, history);
  }

  /** Empty until loaded: the core awaits `ready()` first, so users never see the empty list. */
  listDocuments(): DocumentSummary[] {
    return this.loaded?.listDocuments() ?? [];
  }

  passage(chunkId: string): Passage | undefined {
    return this.loaded?.passage(chunkId);
  }

  async addDocument(fileName: string, content: Buffer, options?: AddDocumentOptions): Promise<IngestReport> {
    return (await this.loading).addDocument(fileName, content, options);
  }

  async reload(): Promise<IngestReport> {
    return (await this.loading).reload();
  }
}
