import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { checkDocument, ingestCorpus, indexIsStale, type IngestSummary } from '../ingest/pipeline.js';
import { quarantine } from '../ingest/quarantine.js';
import type { ParseLimits } from '../ingest/worker/isolatedParse.js';
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
import { IngestRejected, type AddDocumentOptions, type DocumentSummary, type IngestReport, type KnowledgeBase, type Passage } from '../bot/knowledge.js';
import { displayFileName, normalizeUploadName } from '../bot/fileNames.js';
import { cleanUploadLeftovers, commitUpload, findNameConflict, keepVersion, listVersions, stageUpload } from './uploads.js';

/** Uploads are staged beside the index (outside corpus/), e.g. data/upload-staging. */
export function defaultStagingDir(indexDir: string): string {
  return path.join(path.dirname(path.resolve(indexDir)), 'upload-staging');
}

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
  /** Where uploads wait while they are checked; outside corpus/. Default: beside the index. */
  stagingDir?: string;
  /** Limits of the isolated DOCX/PDF parser (default DEFAULT_PARSE_LIMITS). */
  parseLimits?: ParseLimits;
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
    const leftovers = await cleanUploadLeftovers(options.corpusDir, options.stagingDir ?? defaultStagingDir(options.indexDir));
    if (leftovers.length) options.logger?.warn({ files: leftovers.length }, 'unfinished uploads of an earlier run removed');
    if (options.autoIngest !== false && (await indexIsStale(options.corpusDir, options.indexDir, options.embedderFactory.id))) {
      const summary = await ingestCorpus({
        corpusDir: options.corpusDir, indexDir: options.indexDir, embedderFactory: options.embedderFactory,
        ...(options.parseLimits ? { parseLimits: options.parseLimits } : {}),
      });
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
      ...(d.meta.signer ?? d.meta.author ? { signer: d.meta.signer ?? d.meta.author } : {}),
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

  async addDocument(fileName: string, content: Buffer, options: AddDocumentOptions = {}): Promise<IngestReport> {
    const upload = normalizeUploadName(fileName);
    if (!upload.ok) throw new IngestRejected(upload.reason, upload.display);
    const { name, ext } = upload;
    if (!SUPPORTED_EXTENSIONS.has(ext)) throw new IngestRejected(`định dạng không hỗ trợ (${ext || 'không có đuôi'}); chỉ nhận .docx, .doc, .pdf, .txt, .md`, name);
    if (content.length > maxBytesFor(ext)) throw new IngestRejected(`tệp quá lớn (${(content.length / 1048576).toFixed(1)} MB)`, name);
    if (ext === '.docx') {
      try {
        await checkZipSafety(content);
      } catch (err) {
        throw new IngestRejected(err instanceof UnsupportedDocumentError ? err.reason : (err as Error).message, name);
      }
    }
    return this.exclusive(() => this.acceptUpload(name, content, options.replace === true));
  }

  /** Staged, checked, then moved in (see uploads.ts); runs under `exclusive`. */
  private async acceptUpload(name: string, content: Buffer, replace: boolean): Promise<IngestReport> {
    const { corpusDir } = this.options;
    const conflict = await findNameConflict(corpusDir, name);
    if (conflict?.kind === 'stem') {
      throw new IngestRejected(`đã có tài liệu "${displayFileName(conflict.existing)}" cùng mã; tài liệu có trước được giữ, hãy đổi tên tệp / a document with this id already exists and is kept; rename the file`, name);
    }
    if (conflict?.kind === 'same' && !replace) {
      throw new IngestRejected('đã có tài liệu cùng tên; gửi lại tệp kèm chú thích /thaythe để thay thế (bản cũ được lưu lại) / a document of this name exists; send it again with the caption /thaythe to replace it', name);
    }
    const staged = await stageUpload(this.stagingDir, name, content);
    try {
      const check = await checkDocument(name, content, this.options.parseLimits ? { parseLimits: this.options.parseLimits } : {});
      if (!check.ok) {
        // A parse that crashed is recorded like one found in corpus/: were the same bytes copied in
        // by hand, start-up would not parse them again.
        if (check.crashed) await quarantine(corpusDir, createHash('sha256').update(content).digest('hex'), { file: name, reason: check.reason, at: new Date().toISOString() });
        throw new IngestRejected(check.reason, name);
      }
      const previousVersion = conflict ? await keepVersion(corpusDir, conflict.existing) : undefined;
      await commitUpload(corpusDir, staged, name);
      const summary = await this.ingest();
      const skipped = summary.skipped.find((s) => s.file === name);
      if (skipped && !summary.stale.some((s) => s.file === name)) {
        // Parsed in staging but refused by the ingest (e.g. its id collides after all): undo.
        if (previousVersion) await fs.copyFile(path.join(corpusDir, previousVersion), path.join(corpusDir, name));
        else await fs.rm(path.join(corpusDir, name), { force: true });
        await this.ingest();
        throw new IngestRejected(skipped.reason, name);
      }
      return { ...toReport(summary), ...(previousVersion ? { replaced: { file: name, previousVersion } } : {}) };
    } finally {
      await fs.rm(staged, { force: true });
    }
  }

  /**
   * Puts back the newest kept version of `fileName` (the current file is kept as a version in
   * turn, so a restore can be undone too) and re-indexes.
   */
  async restoreDocument(fileName: string): Promise<IngestReport> {
    const upload = normalizeUploadName(fileName);
    if (!upload.ok) throw new IngestRejected(upload.reason, upload.display);
    return this.exclusive(async () => {
      const { corpusDir } = this.options;
      const [latest] = await listVersions(corpusDir, upload.name);
      if (!latest) throw new IngestRejected('không có bản cũ nào được lưu / no previous version kept', upload.name);
      const current = await fs.stat(path.join(corpusDir, upload.name)).then(() => true, () => false);
      const previousVersion = current ? await keepVersion(corpusDir, upload.name) : undefined;
      const staged = await stageUpload(this.stagingDir, upload.name, await fs.readFile(path.join(corpusDir, latest)));
      await commitUpload(corpusDir, staged, upload.name);
      const report = toReport(await this.ingest());
      return previousVersion ? { ...report, replaced: { file: upload.name, previousVersion } } : report;
    });
  }

  private get stagingDir(): string {
    return this.options.stagingDir ?? defaultStagingDir(this.options.indexDir);
  }

  async reload(): Promise<IngestReport> {
    return this.exclusive(async () => toReport(await this.ingest()));
  }

  private async ingest(): Promise<IngestSummary> {
    const { corpusDir, indexDir, embedderFactory, parseLimits } = this.options;
    const summary = await ingestCorpus({ corpusDir, indexDir, embedderFactory, ...(parseLimits ? { parseLimits } : {}) });
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
    stale: s.stale,
    instructionLike: s.instructionLike,
    durationMs: s.durationMs,
  };
}
