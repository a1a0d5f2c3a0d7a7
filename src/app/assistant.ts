import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ingestCorpus, indexIsStale, type IngestSummary } from '../ingest/pipeline.js';
import { maxBytesFor, SUPPORTED_EXTENSIONS } from '../ingest/loaders/index.js';
import { checkZipSafety } from '../ingest/loaders/zipGuard.js';
import { UnsupportedDocumentError } from '../ingest/loaders/types.js';
import { fold } from '../ingest/normalize.js';
import { sectionLabel } from '../ingest/structure.js';
import { loadIndex, type IndexSnapshot } from '../index/store.js';
import type { EmbedderFactory } from '../index/embedder.js';
import { HybridRetriever, type RetrievedChunk } from '../retrieval/hybrid.js';
import { analyzeQuery, type AnalyzedQuery, type QueryContext } from '../retrieval/query.js';
import { composeExtractive, refusal } from '../answer/extractive.js';
import { isFollowUp, resolveFollowUp, sourcesAnswer } from '../answer/followup.js';
import { render } from '../answer/templates.js';
import type { Answer, ConversationTurn } from '../answer/types.js';
import type { AnswerGenerator } from '../answer/generator.js';

export type { AnswerGenerator } from '../answer/generator.js';
import { IngestRejected, type DocumentSummary, type IngestReport, type KnowledgeBase, type Passage } from '../bot/knowledge.js';

/**
 * The report assistant: index + retrieval + answering behind the KnowledgeBase interface that
 * every channel's conversation core uses. The extractive answer is always computed; an
 * optional generator (the LLM path) may replace its wording, never its evidence.
 */


export interface AssistantOptions {
  corpusDir: string;
  indexDir: string;
  embedderFactory: EmbedderFactory;
  logger?: Logger;
  generator?: AnswerGenerator;
  maxQuestionChars?: number;
  /** Build or refresh the index when it is missing or older than the corpus. */
  autoIngest?: boolean;
}

export class ReportAssistant implements KnowledgeBase {
  private snapshot!: IndexSnapshot;
  private retriever!: HybridRetriever;
  private queryContext!: QueryContext;
  /** Serialises corpus writes and reloads; questions keep using the previous snapshot meanwhile. */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: AssistantOptions) {}

  static async open(options: AssistantOptions): Promise<ReportAssistant> {
    const assistant = new ReportAssistant(options);
    if (options.autoIngest !== false && (await indexIsStale(options.corpusDir, options.indexDir, options.embedderFactory.id))) {
      const summary = await ingestCorpus({ corpusDir: options.corpusDir, indexDir: options.indexDir, embedderFactory: options.embedderFactory });
      options.logger?.info({ documents: summary.documents, chunks: summary.chunks, skipped: summary.skipped.length }, 'index built');
    }
    await assistant.load();
    return assistant;
  }

  get index(): IndexSnapshot {
    return this.snapshot;
  }

  private async load(): Promise<void> {
    const snapshot = await loadIndex(this.options.indexDir, this.options.embedderFactory);
    this.snapshot = snapshot;
    this.retriever = new HybridRetriever(snapshot);
    this.queryContext = {
      names: snapshot.names,
      termStats: snapshot.termStats,
      documentNumbers: new Set(snapshot.documents.map((d) => fold(d.meta.number ?? '').replace(/\s+/g, '')).filter(Boolean)),
    };
  }

  analyze(question: string): AnalyzedQuery {
    return analyzeQuery(question, this.queryContext);
  }

  async retrieve(question: string): Promise<{ query: AnalyzedQuery; retrieved: RetrievedChunk[] }> {
    const query = this.analyze(question);
    return { query, retrieved: await this.retriever.retrieve(query) };
  }

  async ask(question: string, history: readonly ConversationTurn[] = []): Promise<{ answer: Answer; resolvedQuestion: string }> {
    const trimmed = question.trim();
    const max = this.options.maxQuestionChars ?? 1000;
    const probe = this.analyze(trimmed.slice(0, max));
    if (trimmed.length > max) {
      return { answer: { ...refusal(probe, 'invalid'), lead: render(probe.language, 'tooLong', { max }), text: render(probe.language, 'tooLong', { max }) }, resolvedQuestion: trimmed };
    }
    if (!/[\p{L}\d]/u.test(trimmed)) return { answer: refusal(probe, 'invalid'), resolvedQuestion: trimmed };
    if (probe.injection) return { answer: refusal(probe, 'refused'), resolvedQuestion: trimmed };

    const sources = history.length ? sourcesAnswer(trimmed, history, this.snapshot, probe.language) : undefined;
    if (sources) return { answer: sources, resolvedQuestion: history[history.length - 1]?.resolvedQuestion ?? trimmed };
    let resolved = trimmed;
    if (history.length && isFollowUp(trimmed)) {
      const rewritten = await this.options.generator?.rewriteFollowUp?.(trimmed, history).catch(() => undefined);
      resolved = rewritten ?? resolveFollowUp(trimmed, history, this.queryContext);
    }
    const { query, retrieved } = await this.retrieve(resolved);
    const extractive = composeExtractive({ query, retrieved, snapshot: this.snapshot, documentTerms: (id) => this.retriever.documentTerms(id), view: (c) => this.retriever.view(c) });
    let answer = extractive;
    if (this.options.generator && extractive.answered) {
      try {
        answer = (await this.options.generator.generate({ query, retrieved, extractive, snapshot: this.snapshot })) ?? extractive;
      } catch (err) {
        this.options.logger?.debug({ err: (err as Error).message }, 'generator failed; extractive answer used');
      }
    }
    // The question as asked, so transcripts and scoring line up with the user's words.
    return { answer: { ...answer, question: trimmed }, resolvedQuestion: resolved };
  }

  listDocuments(): DocumentSummary[] {
    return this.snapshot.documents.map((d) => ({
      id: d.meta.id,
      title: d.meta.title,
      ...(d.meta.number ? { number: d.meta.number } : {}),
      ...(d.meta.issuer ?? d.meta.outlet ? { issuer: d.meta.issuer ?? d.meta.outlet } : {}),
      ...(d.meta.date ? { date: d.meta.date } : {}),
      sectionCount: d.sections.length,
      footnoteCount: d.footnotes.length,
    }));
  }

  passage(chunkId: string): Passage | undefined {
    const chunk = this.snapshot.chunkById.get(chunkId);
    if (!chunk) return undefined;
    const doc = this.snapshot.documentById.get(chunk.metadata.documentId);
    return {
      chunkId,
      documentTitle: doc?.meta.title ?? chunk.metadata.documentId,
      section: sectionLabel(chunk.metadata.sectionPath, chunk.metadata.footnote),
      text: chunk.metadata.kind === 'footnote' && chunk.metadata.anchorSentence
        ? `${chunk.text}\n\n(${chunk.metadata.anchorSentence})`
        : chunk.text,
    };
  }

  async addDocument(fileName: string, content: Buffer): Promise<IngestReport> {
    const safeName = path.basename(fileName).replace(/[^\p{L}\p{N}._ -]/gu, '_');
    const ext = path.extname(safeName).toLowerCase();
    if (!SUPPORTED_EXTENSIONS.has(ext)) throw new IngestRejected(`định dạng không hỗ trợ (${ext || 'không có đuôi'}); chỉ nhận .docx, .doc, .pdf, .txt, .md`, safeName);
    if (content.length > maxBytesFor(ext)) throw new IngestRejected(`tệp quá lớn (${(content.length / 1048576).toFixed(1)} MB)`, safeName);
    if (ext === '.docx') {
      try {
        await checkZipSafety(content);
      } catch (err) {
        throw new IngestRejected(err instanceof UnsupportedDocumentError ? err.reason : (err as Error).message, safeName);
      }
    }
    return this.exclusive(async () => {
      const target = path.join(this.options.corpusDir, safeName);
      const previous = await fs.readFile(target).catch(() => undefined);
      const tmp = `${target}.${process.pid}.upload`;
      await fs.mkdir(this.options.corpusDir, { recursive: true });
      await fs.writeFile(tmp, content);
      await fs.rename(tmp, target);
      const summary = await this.ingest();
      const skipped = summary.skipped.find((s) => s.file === safeName);
      if (skipped) {
        // Leave the corpus as it was: a rejected upload must not replace a good document.
        if (previous) await fs.writeFile(target, previous);
        else await fs.rm(target, { force: true });
        await this.ingest();
        throw new IngestRejected(skipped.reason, safeName);
      }
      return toReport(summary);
    });
  }

  async reload(): Promise<IngestReport> {
    return this.exclusive(async () => toReport(await this.ingest()));
  }

  private async ingest(): Promise<IngestSummary> {
    const summary = await ingestCorpus({ corpusDir: this.options.corpusDir, indexDir: this.options.indexDir, embedderFactory: this.options.embedderFactory });
    await this.load();
    return summary;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writing.then(work, work);
    this.writing = run.catch(() => undefined);
    return run;
  }
}

function toReport(s: IngestSummary): IngestReport {
  return {
    documents: s.documents,
    sections: s.sections,
    footnotes: s.footnotes,
    chunks: s.chunks,
    added: s.added,
    changed: s.changed,
    removed: s.removed,
    skipped: s.skipped,
    durationMs: s.durationMs,
  };
}
