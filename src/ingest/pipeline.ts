import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadSource, SUPPORTED_EXTENSIONS, maxBytesFor } from './loaders/index.js';
import { UnsupportedDocumentError } from './loaders/types.js';
import { buildDocument } from './structure.js';
import type { DocumentMeta, ParsedDocument } from './types.js';
import {
  SCHEMA_VERSION,
  acquireLock,
  currentVersionDir,
  readDocuments,
  readManifest,
  writeIndex,
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
  | { type: 'step'; step: string };

export interface IngestOptions {
  corpusDir: string;
  indexDir: string;
  embedderFactory: EmbedderFactory;
  onProgress?: (e: ProgressEvent) => void;
  /** Rebuild even when nothing changed. */
  force?: boolean;
  fault?: WriteFault;
}

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
    for (const key of ['title', 'heading', 'docType', 'number', 'issuer', 'place', 'date', 'signer', 'outlet', 'author', 'sourceUrl', 'kind'] as const) {
      const v = parsed[key];
      if (typeof v === 'string' && v.trim()) (overrides as Record<string, string>)[key] = v.trim();
    }
    return { overrides, hash };
  } catch {
    return { hash, error: `${path.basename(sidecar)}: JSON không hợp lệ, bỏ qua / invalid JSON, ignored` };
  }
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
      added: [], changed: [], removed: [], unchanged: [], skipped: [], warnings: [],
      rebuilt: Boolean(rebuildReason), wrote: false, durationMs: 0, indexDir,
      ...(rebuildReason ? { rebuildReason } : {}),
    };
    const manifestFiles: Record<string, ManifestFile> = {};
    const documents: ParsedDocument[] = [];

    for (const rel of files) {
      const ext = path.extname(rel).toLowerCase();
      const abs = path.join(corpusDir, rel);
      const stat = await fs.stat(abs);
      if (!SUPPORTED_EXTENSIONS.has(ext)) {
        const reason = `định dạng không hỗ trợ (${ext || 'không có đuôi'}) / unsupported format`;
        summary.skipped.push({ file: rel, reason });
        manifestFiles[rel] = { sha256: '', sizeBytes: stat.size, skipped: reason };
        emit({ type: 'file', file: rel, status: 'skipped', reason });
        continue;
      }
      const limit = maxBytesFor(ext);
      if (stat.size > limit) {
        const reason = `tệp quá lớn (${(stat.size / 1048576).toFixed(1)} MB > ${(limit / 1048576).toFixed(0)} MB) / file too large`;
        summary.skipped.push({ file: rel, reason });
        manifestFiles[rel] = { sha256: '', sizeBytes: stat.size, skipped: reason };
        emit({ type: 'file', file: rel, status: 'skipped', reason });
        continue;
      }
      const content = await fs.readFile(abs);
      const sidecar = await readSidecar(corpusDir, rel);
      if (sidecar.error) summary.warnings.push(sidecar.error);
      const sha256 = createHash('sha256').update(content).digest('hex') + (sidecar.hash ? `+${sidecar.hash}` : '');
      const id = documentIdFor(rel);
      const before = previous?.files[rel];
      const cached = reusable.get(id);
      if (!rebuildReason && before?.sha256 === sha256 && cached && !before.skipped) {
        documents.push(cached);
        manifestFiles[rel] = before;
        summary.unchanged.push(rel);
        emit({ type: 'file', file: rel, status: 'reused' });
        continue;
      }
      if (!rebuildReason && before?.sha256 === sha256 && before.skipped) {
        // Same bytes as last time: same verdict, no need to parse again.
        summary.skipped.push({ file: rel, reason: before.skipped });
        manifestFiles[rel] = before;
        emit({ type: 'file', file: rel, status: 'skipped', reason: before.skipped });
        continue;
      }
      try {
        const source = await loadSource(content, ext);
        const doc = buildDocument({ id, file: rel, source, ...(sidecar.overrides ? { overrides: sidecar.overrides } : {}) });
        if (!doc.chunks.length) throw new UnsupportedDocumentError('không có nội dung văn bản / no text content');
        for (const w of [...(source.warnings ?? []), ...doc.warnings]) summary.warnings.push(`${rel}: ${w}`);
        documents.push(doc);
        manifestFiles[rel] = { sha256, sizeBytes: content.length, documentId: id };
        (before ? summary.changed : summary.added).push(rel);
        emit({ type: 'file', file: rel, status: 'parsed' });
      } catch (err) {
        const reason = err instanceof UnsupportedDocumentError ? err.reason : `lỗi đọc tệp / read error: ${(err as Error).message}`;
        summary.skipped.push({ file: rel, reason });
        manifestFiles[rel] = { sha256, sizeBytes: content.length, skipped: reason };
        emit({ type: 'file', file: rel, status: 'skipped', reason });
      }
    }
    for (const rel of Object.keys(previous?.files ?? {})) {
      if (!(rel in manifestFiles) && !previous!.files[rel]!.skipped) summary.removed.push(rel);
    }

    // Two files must not claim one id (e.g. "a.txt" and "a.md"): the later one is skipped.
    const seen = new Set<string>();
    const unique = documents.filter((d) => {
      if (seen.has(d.meta.id)) {
        summary.skipped.push({ file: d.meta.file, reason: `trùng mã tài liệu "${d.meta.id}" / duplicate document id` });
        return false;
      }
      seen.add(d.meta.id);
      return true;
    });

    summary.documents = unique.length;
    summary.sections = unique.reduce((n, d) => n + d.sections.length, 0);
    summary.footnotes = unique.reduce((n, d) => n + d.footnotes.length, 0);
    summary.chunks = unique.reduce((n, d) => n + d.chunks.length, 0);

    const changed = summary.added.length || summary.changed.length || summary.removed.length;
    const skipSetChanged = JSON.stringify(Object.keys(manifestFiles).sort()) !== JSON.stringify(Object.keys(previous?.files ?? {}).sort());
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
    const stat = await fs.stat(abs);
    if (stat.size !== before.sizeBytes) return true;
    if (before.skipped && !before.sha256) continue;
    const sidecar = await readSidecar(corpusDir, rel);
    const sha = createHash('sha256').update(await fs.readFile(abs)).digest('hex') + (sidecar.hash ? `+${sidecar.hash}` : '');
    if (sha !== before.sha256) return true;
  }
  return false;
}
