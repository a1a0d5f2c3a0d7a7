import type { Answer, ConversationTurn } from '../answer/types.js';
import type { IngestSummary } from '../ingest/pipeline.js';

/** A document as listed by /nguon. */
export interface DocumentSummary {
  id: string;
  title: string;
  number?: string;
  issuer?: string;
  date?: string;
  /** Who signed it (reports) or wrote it (articles). */
  signer?: string;
  sectionCount: number;
  footnoteCount: number;
}

/** The full passage behind a citation, for /trichdan N and citation buttons. */
export interface Passage {
  chunkId: string;
  documentTitle: string;
  section: string;
  text: string;
}

/** What an upload or /reload reports back: the part of the ingest summary users see. */
export type IngestReport = Pick<IngestSummary, 'documents' | 'sections' | 'footnotes' | 'chunks' | 'added' | 'changed' | 'removed' | 'skipped' | 'durationMs'> &
  Partial<Pick<IngestSummary, 'stale' | 'instructionLike'>> & {
    /** Set when an upload replaced a document: where the previous file was kept (under corpus/). */
    replaced?: { file: string; previousVersion: string };
  };

export interface AddDocumentOptions {
  /** Replace a document of the same name (the admin asked for it, e.g. with /thaythe). */
  replace?: boolean;
}

/**
 * Everything the conversation core needs from the reports. The core never touches the index,
 * the file system or HTTP directly; tests give it a fake.
 */
export interface KnowledgeBase {
  ask(question: string, history: readonly ConversationTurn[]): Promise<{ answer: Answer; resolvedQuestion: string }>;
  listDocuments(): DocumentSummary[];
  passage(chunkId: string): Passage | undefined;
  /**
   * Adds a corpus file and re-indexes; replaces one of the same name only with `replace`.
   * Throws IngestRejected for bad files and name conflicts.
   */
  addDocument(fileName: string, content: Buffer, options?: AddDocumentOptions): Promise<IngestReport>;
  reload(): Promise<IngestReport>;
  /**
   * Resolves once the reports can be read. Channels start before the index is loaded (so start-up
   * never blocks receiving); the core waits on this before it handles a message.
   */
  ready?(): Promise<void>;
}

/** A file the corpus will not take, with a message fit for the user. */
export class IngestRejected extends Error {
  constructor(
    readonly reason: string,
    readonly file: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'IngestRejected';
  }
}
