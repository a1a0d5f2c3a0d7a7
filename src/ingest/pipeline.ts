import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadSource, SUPPORTED_EXTENSIONS, maxBytesFor } from './loaders/index.js';
import { UnsupportedDocumentError } from './loaders/types.js';
import { buildDocument } from './structure.js';
import { REASON_OCR_MISSING, ocrAvailable } from './loaders/ocr.js';
import { capChunks, DEFAULT_CHUNK_CAP, type ChunkCap } from './chunkCap.js';
import { removeInstructionLike } from './instructionLike.js';
import { quarantine, readQuarantine, QUARANTINE_DIR, type QuarantineEntry } from './quarantine.js';
import { DEFAULT_PARSE_LIMITS, parseIsolated, type ParseLimits, type ParseOutcome } from './worker/isolatedParse.js';
import type { DocumentMeta, ParsedDocument } from './types.js';
import {
  SCHEMA_VERSION,
  acquireLock,
  currentVersionDir,
  readDocuments,
  readManifest,
  writeIndex,
  type IndexManifest,
  type ManifestFile,
  type WriteFault,
} from '../index/store.js';
import type { EmbedderFactory } from '../index/embedder.js';

/**
 * `ingest`: corpus folder → persisted index. Unchanged files (same hash, same schema) reuse
 * their parsed form from the previous index; only new or changed files are parsed again. A
 * different embedder or schema rebuilds everything. Bad files are reported and skipped.
 */

export interface SkippedFile {
  file: string;
  reason: string;
}

/** A sentence of a document that addresses an assistant; kept out of the evidence. */
export interface FlaggedSentence {
  file: string;
  sentence: string;
}

export interface IngestSummary {
  documents: number;
  sections: number;
  footnotes: number;
  chunks: number;
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  skipped: SkippedFile[];
  /**
   * Indexed documents whose file can no longer be read (overwritten with junk, crashed the
   * parser): the last good version is still served until an admin replaces or deletes the file.
   * They are listed in `skipped` too, so every summary shows them.
   */
  stale: SkippedFile[];
  /** Files whose parse crashed this run and were quarantined (see quarantine.ts). */
  quarantined: SkippedFile[];
  /** Instruction-like sentences found in documents and left out of their chunks. */
  instructionLike: FlaggedSentence[];
  warnings: string[];
  rebuilt: boolean;
  /** False when the index was already up to date and nothing was written. */
  wrote: boolean;
  rebuildReason?: string;
  durationMs: number;
  indexDir: string;
}

export type ProgressEvent =
  | { type: 'start'; totalFiles: number }
  | { type: 'file'; file: string; status: 'parsed' | 'reused' | 'skipped'; reason?: string }
  /** A page of a scanned PDF was read by OCR (`index` of `total` pages of that file). */
  | { type: 'ocr'; file: string; page: number; index: number; total: number; durationMs: number }
  | { type: 'step'; step: string };

export interface IngestOptions {
  corpusDir: string;
  indexDir: string;
  embedderFactory: EmbedderFactory;
  onProgress?: (e: ProgressEvent) => void;
  /** Rebuild even when nothing changed. */
  force?: boolean;
  fault?: WriteFault;
  /** Limits of the isolated DOCX/PDF parser (tests lower them). */
  parseLimits?: ParseLimits;
  chunkCap?: ChunkCap;
}

/**
 * Bumped when the pipeline's own processing after the parser changes (chunk cap, instruction
 * filter): it is part of each file's recorded hash, so indexes built before are re-parsed once.
 */
const PIPELINE_REVISION = 'p2';

const DUPLICATE_ID_REASON = 'trùng mã tài liệu';

function documentIdFor(relPath: string): string {
  const noExt = relPath.replace(/\.[^./]+$/, '');
  return noExt.split(path.sep).join('/');
}

async function listCorpus(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = path.join(rel, e.name);
      if (e.isDirectory()) await walk(r);
      else if (e.isFile() && !e.name.endsWith('.meta.json')) out.push(r);
    }
  }
  await walk('');
  return out.sort();
}

async function readSidecar(corpusDir: string, rel: string): Promise<{ overrides?: Partial<DocumentMeta>; hash: string; error?: string }> {
  const sidecar = path.join(corpusDir, rel.replace(/\.[^./]+$/, '') + '.meta.json');
  let raw: string;
  try {
    raw = await fs.readFile(sidecar, 'utf8');
  } catch {
    return { hash: '' };
  }
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    const overrides: Partial<DocumentMeta> = {};
    for (const key of ['title', 'heading', 'docType', 'number', 'issuer', 'place', 'date', 'signer', 'signerTitle', 'outlet', 'author', 'sourceUrl', 'kind'] as const) {
      const v = parsed[key];
      if (typeof v === 'string' && v.trim()) (overrides as Record<string, string>)[key] = v.trim();
    }
    return { overrides, hash };
  } catch {
    return { hash, error: `${path.basename(sidecar)}: JSON không hợp lệ, bỏ qua / invalid JSON, ignored` };
  }
}

function contentHash(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** What the manifest records for a file: content, sidecar and pipeline revision. */
function recordedHash(content: Buffer, sidecarHash: string): string {
  return contentHash(content) + (sidecarHash ? `+${sidecarHash}` : '') + `~${PIPELINE_REVISION}`;
}

interface FileContext {
  corpusDir: string;
  previous: IndexManifest | undefined;
  reusable: Map<string, ParsedDocument>;
  rebuildReason: string | undefined;
  summary: IngestSummary;
  manifestFiles: Record<string, ManifestFile>;
  documents: ParsedDocument[];
  emit: (e: ProgressEvent) => void;
  quarantined: Map<string, QuarantineEntry>;
  parseLimits: ParseLimits;
  chunkCap: ChunkCap;
}

/** stat + read; undefined when the file vanished meanwhile (deleted or renamed during ingest). */
async function readCorpusFile(abs: string): Promise<{ size: number } | undefined> {
  try {
    return { size: (await fs.stat(abs)).size };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readContent(abs: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return undefined;
    throw err;
  }
}

type FileVerdict = { kind: 'parsed'; doc: ParsedDocument; warnings: string[]; flagged: string[] } | { kind: 'failed'; reason: string; crashed: boolean };

/**
 * Plain text is parsed in-process: the text loader does bounded string work on at most 8 MB.
 * DOCX and PDF go through mammoth and pdf.js, which inflate what the file declares, so they are
 * parsed in the isolated worker.
 */
async function parseFile(ctx: FileContext, rel: string, id: string, content: Buffer, overrides: Partial<DocumentMeta> | undefined): Promise<FileVerdict> {
  const ext = path.extname(rel).toLowerCase();
  let outcome: ParseOutcome;
  if (ext === '.txt' || ext === '.md') {
    try {
      outcome = { kind: 'parsed', source: await loadSource(content, ext), peakRssBytes: 0 };
    } catch (err) {
      const reason = err instanceof UnsupportedDocumentError ? err.reason : `lỗi đọc tệp / read error: ${(err as Error).message}`;
      outcome = { kind: 'rejected', reason, peakRssBytes: 0 };
    }
  } else {
    outcome = await parseIsolated(content, ext, ctx.parseLimits, (e) => ctx.emit({ type: 'ocr', file: rel, ...e }));
  }
  if (outcome.kind !== 'parsed') return { kind: 'failed', reason: outcome.reason, crashed: outcome.kind === 'crashed' };
  const source = outcome.source;
  try {
    const built = capChunks(buildDocument({ id, file: rel, source, ...(overrides ? { overrides } : {}) }), ctx.chunkCap);
    const { document: doc, flagged } = removeInstructionLike(built);
    if (source.ocr) doc.ocr = source.ocr;
    if (!doc.chunks.length) return { kind: 'failed', reason: 'không có nội dung văn bản / no text content', crashed: false };
    return { kind: 'parsed', doc, warnings: [...(source.warnings ?? []), ...doc.warnings], flagged };
  } catch (err) {
    return { kind: 'failed', reason: `lỗi đọc tệp / read error: ${(err as Error).message}`, crashed: false };
  }
}

export type DocumentCheck = { ok: true; instructionLike: string[] } | { ok: false; reason: string; crashed: boolean };

/**
 * Parses one file exactly as ingest would (same isolation, limits, chunk cap and filters) without
 * touching the corpus or the index: an upload is accepted only when this succeeds.
 */
export async function checkDocument(rel: string, content: Buffer, options: Pick<IngestOptions, 'parseLimits' | 'chunkCap'> = {}): Promise<DocumentCheck> {
  const summary: IngestSummary = {
    documents: 0, sections: 0, footnotes: 0, chunks: 0, added: [], changed: [], removed: [], unchanged: [], skipped: [],
    stale: [], quarantined: [], instructionLike: [], warnings: [], rebuilt: false, wrote: false, durationMs: 0, indexDir: '',
  };
  const ctx: FileContext = {
    corpusDir: '', previous: undefined, reusable: new Map(), rebuildReason: undefined, summary, manifestFiles: {}, documents: [],
    emit: () => undefined, quarantined: new Map(),
    parseLimits: options.parseLimits ?? DEFAULT_PARSE_LIMITS, chunkCap: options.chunkCap ?? DEFAULT_CHUNK_CAP,
  };
  const verdict = await parseFile(ctx, rel, documentIdFor(rel), content, undefined);
  return verdict.kind === 'parsed' ? { ok: true, instructionLike: verdict.flagged } : { ok: false, reason: verdict.reason, crashed: verdict.crashed };
}

function skip(ctx: FileContext, rel: string, reason: string, entry: ManifestFile): void {
  ctx.summary.skipped.push({ file: rel, reason });
  ctx.manifestFiles[rel] = entry;
  ctx.emit({ type: 'file', file: rel, status: 'skipped', reason });
}

/**
 * A file that was indexed and can no longer be read keeps its last good version in the index,
 * reported as stale in every summary, until an admin replaces or deletes it. The manifest keeps
 * the new hash (so the junk is not parsed again) together with the document id.
 */
function keepLastGood(ctx: FileContext, rel: string, id: string, reason: string, entry: ManifestFile): boolean {
  const cached = ctx.reusable.get(id);
  const before = ctx.previous?.files[rel];
  if (ctx.rebuildReason || !cached || !before?.documentId || cached.meta.file !== rel) return false;
  ctx.documents.push(cached);
  ctx.summary.stale.push({ file: rel, reason });
  skip(ctx, rel, `${reason} — vẫn dùng bản đọc được gần nhất / last good version still served`, { ...entry, documentId: id, skipped: reason });
  return true;
}

async function ingestFile(ctx: FileContext, rel: string): Promise<void> {
  const { summary, manifestFiles, emit } = ctx;
  const ext = path.extname(rel).toLowerCase();
  const abs = path.join(ctx.corpusDir, rel);
  const vanished = () => {
    summary.warnings.push(`${rel}: tệp đã bị xóa trong lúc lập chỉ mục / file disappeared during ingest`);
  };
  const stat = await readCorpusFile(abs);
  if (!stat) return vanished();
  if (!SUPPORTED_EXTENSIONS.has(ext)) {
    const reason = `định dạng không hỗ trợ (${ext || 'không có đuôi'}) / unsupported format`;
    return skip(ctx, rel, reason, { sha256: '', sizeBytes: stat.size, skipped: reason });
  }
  const limit = maxBytesFor(ext);
  if (stat.size > limit) {
    const reason = `tệp quá lớn (${(stat.size / 1048576).toFixed(1)} MB > ${(limit / 1048576).toFixed(0)} MB) / file too large`;
    return skip(ctx, rel, reason, { sha256: '', sizeBytes: stat.size, skipped: reason });
  }
  const content = await readContent(abs);
  if (!content) return vanished();
  const sidecar = await readSidecar(ctx.corpusDir, rel);
  if (sidecar.error) summary.warnings.push(sidecar.error);
  const sha256 = recordedHash(content, sidecar.hash);
  const id = documentIdFor(rel);
  const before = ctx.previous?.files[rel];
  const cached = ctx.reusable.get(id);
  const sameBytes = !ctx.rebuildReason && before?.sha256 === sha256;
  if (sameBytes && cached && !before.skipped) {
    ctx.documents.push(cached);
    manifestFiles[rel] = before;
    summary.unchanged.push(rel);
    emit({ type: 'file', file: rel, status: 'reused' });
    return;
  }
  // Same bytes as last time: same verdict, no need to parse again (duplicate ids are re-judged:
  // the document that won may be gone).
  // A scan skipped for want of OCR packages is read again: they may have been installed since.
  if (sameBytes && before.skipped && !before.skipped.startsWith(DUPLICATE_ID_REASON) && before.skipped !== REASON_OCR_MISSING) {
    if (before.documentId && keepLastGood(ctx, rel, id, before.skipped, before)) return;
    if (!before.documentId) return skip(ctx, rel, before.skipped, before);
  }
  const entry: ManifestFile = { sha256, sizeBytes: content.length };
  const known = ctx.quarantined.get(contentHash(content));
  const verdict: FileVerdict = known
    ? { kind: 'failed', reason: known.reason, crashed: false }
    : await parseFile(ctx, rel, id, content, sidecar.overrides);
  if (verdict.kind === 'failed') {
    if (verdict.crashed) {
      summary.quarantined.push({ file: rel, reason: verdict.reason });
      const record = { file: rel, reason: verdict.reason, at: new Date().toISOString() };
      ctx.quarantined.set(contentHash(content), record);
      await quarantine(ctx.corpusDir, contentHash(content), record).catch((err: Error) =>
        summary.warnings.push(`${rel}: không ghi được ${QUARANTINE_DIR}/ / could not write quarantine record: ${err.message}`),
      );
    }
    if (keepLastGood(ctx, rel, id, verdict.reason, entry)) return;
    return skip(ctx, rel, verdict.reason, { ...entry, skipped: verdict.reason });
  }
  for (const w of verdict.warnings) summary.warnings.push(`${rel}: ${w}`);
  for (const sentence of verdict.flagged) summary.instructionLike.push({ file: rel, sentence });
  if (verdict.flagged.length) {
    summary.warnings.push(`${rel}: ${verdict.flagged.length} câu giống chỉ dẫn cho trợ lý, đã loại khỏi bằng chứng / instruction-like sentence(s) kept out of the evidence`);
  }
  ctx.documents.push(verdict.doc);
  manifestFiles[rel] = { ...entry, documentId: id };
  (before ? summary.changed : summary.added).push(rel);
  emit({ type: 'file', file: rel, status: 'parsed' });
}

function manifestDiffers(next: Record<string, ManifestFile>, before: Record<string, ManifestFile>): boolean {
  const keys = Object.keys(next);
  if (keys.length !== Object.keys(before).length) return true;
  const canonical = (e: ManifestFile | undefined) => (e ? JSON.stringify([e.sha256, e.sizeBytes, e.documentId ?? null, e.skipped ?? null]) : '');
  return keys.some((k) => canonical(next[k]) !== canonical(before[k]));
}

/** Case and Unicode form do not make two ids different: "A.txt" and "a.md" are one document. */
function idKey(id: string): string {
  return id.normalize('NFC').toLowerCase();
}

/**
 * Two files must not claim one id (e.g. "a.txt" and "a.md", or "a.TXT"). The file that already
 * held the id in the previous index wins, so an upload can never shadow an existing report;
 * otherwise the first in name order does. The loser is reported and left out.
 */
function dropDuplicateIds(documents: ParsedDocument[], previous: IndexManifest | undefined, summary: IngestSummary, manifestFiles: Record<string, ManifestFile>): ParsedDocument[] {
  const incumbent = (d: ParsedDocument) => {
    const before = previous?.files[d.meta.file];
    return Boolean(before?.documentId) && before?.documentId === d.meta.id && !before?.skipped?.startsWith(DUPLICATE_ID_REASON);
  };
  const winners = new Map<string, ParsedDocument>();
  for (const d of documents) {
    const key = idKey(d.meta.id);
    const current = winners.get(key);
    if (!current || (incumbent(d) && !incumbent(current))) winners.set(key, d);
  }
  const unique: ParsedDocument[] = [];
  for (const d of documents) {
    const winner = winners.get(idKey(d.meta.id))!;
    if (winner === d) {
      unique.push(d);
      continue;
    }
    const reason = `${DUPLICATE_ID_REASON} "${d.meta.id}" với ${winner.meta.file}, giữ tài liệu có trước / duplicate document id, the existing document is kept`;
    summary.skipped.push({ file: d.meta.file, reason });
    for (const list of [summary.added, summary.changed, summary.unchanged]) {
      const at = list.indexOf(d.meta.file);
      if (at >= 0) list.splice(at, 1);
    }
    const entry = manifestFiles[d.meta.file];
    if (entry) manifestFiles[d.meta.file] = { sha256: entry.sha256, sizeBytes: entry.sizeBytes, skipped: reason };
  }
  return unique;
}

export async function ingestCorpus(options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const { corpusDir, indexDir } = options;
  const emit = options.onProgress ?? (() => undefined);
  const release = await acquireLock(indexDir);
  try {
    const previous = await readManifest(indexDir);
    const previousDir = await currentVersionDir(indexDir);
    let rebuildReason: string | undefined;
    if (!previous) rebuildReason = 'chưa có chỉ mục / no index yet';
    else if (previous.schemaVersion !== SCHEMA_VERSION) rebuildReason = `schema ${previous.schemaVersion} → ${SCHEMA_VERSION}`;
    else if (previous.embedderId !== options.embedderFactory.id)
      rebuildReason = `bộ nhúng đã đổi / embedder changed: ${previous.embedderId} → ${options.embedderFactory.id}`;
    const reusable = new Map<string, ParsedDocument>();
    if (previous && previousDir && previous.schemaVersion === SCHEMA_VERSION) {
      try {
        for (const d of await readDocuments(previousDir)) reusable.set(d.meta.id, d);
      } catch {
        rebuildReason ??= 'chỉ mục cũ không đọc được / previous index unreadable';
      }
    }

    let files: string[];
    try {
      files = await listCorpus(corpusDir);
    } catch (err) {
      throw new Error(`Không đọc được thư mục corpus ${corpusDir}: ${(err as Error).message}`, { cause: err });
    }
    emit({ type: 'start', totalFiles: files.length });

    const summary: IngestSummary = {
      documents: 0, sections: 0, footnotes: 0, chunks: 0,
      added: [], changed: [], removed: [], unchanged: [], skipped: [], stale: [], quarantined: [], instructionLike: [], warnings: [],
      rebuilt: Boolean(rebuildReason), wrote: false, durationMs: 0, indexDir,
      ...(rebuildReason ? { rebuildReason } : {}),
    };
    const manifestFiles: Record<string, ManifestFile> = {};
    const documents: ParsedDocument[] = [];

    const ctx: FileContext = {
      corpusDir, previous, reusable, rebuildReason, summary, manifestFiles, documents, emit,
      quarantined: await readQuarantine(corpusDir),
      parseLimits: options.parseLimits ?? DEFAULT_PARSE_LIMITS,
      chunkCap: options.chunkCap ?? DEFAULT_CHUNK_CAP,
    };
    for (const rel of files) await ingestFile(ctx, rel);
    for (const rel of Object.keys(previous?.files ?? {})) {
      const before = previous!.files[rel]!;
      // A document served from its last good version (skipped + documentId) was indexed too.
      if (!(rel in manifestFiles) && (!before.skipped || before.documentId)) summary.removed.push(rel);
    }

    const unique = dropDuplicateIds(documents, previous, summary, manifestFiles);

    summary.documents = unique.length;
    summary.sections = unique.reduce((n, d) => n + d.sections.length, 0);
    summary.footnotes = unique.reduce((n, d) => n + d.footnotes.length, 0);
    summary.chunks = unique.reduce((n, d) => n + d.chunks.length, 0);

    const changed = summary.added.length || summary.changed.length || summary.removed.length;
    // Any entry that differs counts, not only the set of names: a document turning stale keeps
    // its name but must have its new state written down.
    const skipSetChanged = manifestDiffers(manifestFiles, previous?.files ?? {});
    if (!rebuildReason && !changed && !skipSetChanged && !options.force) {
      summary.durationMs = performance.now() - started;
      return summary;
    }
    await writeIndex({
      indexDir,
      documents: unique,
      files: manifestFiles,
      embedderFactory: options.embedderFactory,
      onStep: (step) => emit({ type: 'step', step }),
      ...(options.fault ? { fault: options.fault } : {}),
    });
    summary.wrote = true;
    summary.durationMs = performance.now() - started;
    return summary;
  } finally {
    await release();
  }
}

/** Is the index missing or older than the corpus? Cheap: hashes only, no parsing. */
export async function indexIsStale(corpusDir: string, indexDir: string, embedderId: string): Promise<boolean> {
  const manifest = await readManifest(indexDir);
  if (!manifest || manifest.schemaVersion !== SCHEMA_VERSION || manifest.embedderId !== embedderId) return true;
  let files: string[];
  try {
    files = await listCorpus(corpusDir);
  } catch {
    return false;
  }
  if (files.length !== Object.keys(manifest.files).length) return true;
  for (const rel of files) {
    const before = manifest.files[rel];
    if (!before) return true;
    const abs = path.join(corpusDir, rel);
    const stat = await fs.stat(abs).catch(() => undefined);
    // Gone between the listing and now: the index is out of date either way.
    if (!stat || stat.size !== before.sizeBytes) return true;
    if (before.skipped && !before.sha256) continue;
    // A scan skipped for want of OCR packages is worth reading once they are installed.
    if (before.skipped === REASON_OCR_MISSING && (await ocrAvailable())) return true;
    const sidecar = await readSidecar(corpusDir, rel);
    const content = await fs.readFile(abs).catch(() => undefined);
    if (!content) return true;
    if (recordedHash(content, sidecar.hash) !== before.sha256) return true;
  }
  return false;
}
