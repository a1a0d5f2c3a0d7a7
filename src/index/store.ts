import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { Document } from '@langchain/core/documents';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import hnswlib from 'hnswlib-node';
import { LexicalIndex, LexicalIndexBuilder, lexicalDoc, type LexicalHeader } from './lexical.js';
import type { EmbedderFactory, IndexEmbedder } from './embedder.js';
import { NameIndex, type NamesJSON } from './names.js';
import { TermStats, type TermStatsJSON } from './termStats.js';
import { FACTS_VERSION, FactStore, type FactStoreJSON } from '../ingest/facts.js';
import type { Chunk, ParsedDocument } from '../ingest/types.js';

/**
 * The persisted index. Each build is written into a fresh version directory; only when every
 * file is on disk does the CURRENT pointer switch to it (write-aside then rename, both atomic
 * on POSIX). A crash at any point leaves CURRENT naming a complete older version.
 */

/** The layout of a version directory; 9 added facts.json (typed figure facts per sentence). */
const FORMAT_VERSION = 9;
/**
 * What ingest compares to decide on a rebuild: the layout and the version of the fact extractor,
 * so new fact rules reach an index through one rebuild rather than a re-read at every load.
 */
export const SCHEMA_VERSION = FORMAT_VERSION * 100 + FACTS_VERSION;

export interface ManifestFile {
  sha256: string;
  sizeBytes: number;
  documentId?: string;
  skipped?: string;
}

export interface IndexManifest {
  schemaVersion: number;
  embedderId: string;
  createdAt: string;
  files: Record<string, ManifestFile>;
  counts: { documents: number; sections: number; footnotes: number; chunks: number };
}

export interface IndexSnapshot {
  dir: string;
  manifest: IndexManifest;
  documents: ParsedDocument[];
  documentById: Map<string, ParsedDocument>;
  chunks: Chunk[];
  chunkById: Map<string, Chunk>;
  lexical: LexicalIndex;
  vectors: HNSWLib;
  embedder: IndexEmbedder;
  termStats: TermStats;
  names: NameIndex;
  /** Typed facts of every sentence (figures, places), shared by answers and the trainer. */
  facts: FactStore;
}

export class IndexLockedError extends Error {
  constructor(readonly pid: number) {
    super(`Một lần ingest khác đang chạy (pid ${pid}); hãy đợi nó kết thúc / another ingest is running (pid ${pid})`);
    this.name = 'IndexLockedError';
  }
}

export class IndexMissingError extends Error {
  constructor(dir: string) {
    super(`Chưa có chỉ mục tại ${dir}; hãy chạy "npm run ingest" / no index at ${dir}: run "npm run ingest"`);
    this.name = 'IndexMissingError';
  }
}

const CURRENT = 'CURRENT';
const LOCK = '.lock';

/** Text the vector embedder sees: the passage with the heading it sits under. */
export function embeddingText(chunk: Chunk): string {
  const m = chunk.metadata;
  const heading = m.sectionPath[m.sectionPath.length - 1] ?? '';
  return [heading, chunk.text, m.anchorSentence ?? ''].filter(Boolean).join('\n');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Exclusive lock for writers; a lock left by a dead process is taken over. */
export async function acquireLock(indexDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(indexDir, { recursive: true });
  const lockPath = path.join(indexDir, LOCK);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      await handle.close();
      return async () => {
        await fs.rm(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid: number;
      try {
        pid = Number(JSON.parse(await fs.readFile(lockPath, 'utf8')).pid) || 0;
      } catch {
        // A lock file caught half-written belongs to a live writer that just started.
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (pid && pid !== process.pid && isAlive(pid)) throw new IndexLockedError(pid);
      await fs.rm(lockPath, { force: true });
    }
  }
  throw new IndexLockedError(0);
}

export async function currentVersionDir(indexDir: string): Promise<string | undefined> {
  try {
    const name = (await fs.readFile(path.join(indexDir, CURRENT), 'utf8')).trim();
    if (!name || name.includes('/') || name.includes('..')) return undefined;
    const dir = path.join(indexDir, name);
    await fs.access(path.join(dir, 'manifest.json'), fsConstants.R_OK);
    return dir;
  } catch {
    return undefined;
  }
}

export async function readManifest(indexDir: string): Promise<IndexManifest | undefined> {
  const dir = await currentVersionDir(indexDir);
  if (!dir) return undefined;
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest;
  } catch {
    return undefined;
  }
}

export async function readDocuments(versionDir: string): Promise<ParsedDocument[]> {
  return JSON.parse(await fs.readFile(path.join(versionDir, 'documents.json'), 'utf8')) as ParsedDocument[];
}

/** Hook for failure drills: lets a test inject a write error (disk full) at a chosen step. */
export type WriteFault = (step: string) => void;

export interface WriteIndexInput {
  indexDir: string;
  documents: ParsedDocument[];
  files: Record<string, ManifestFile>;
  embedderFactory: EmbedderFactory;
  fault?: WriteFault;
  onStep?: (step: string) => void;
}

/**
 * HNSW build parameters. LangChain's HNSWLib builds with hnswlib's defaults (M 16,
 * efConstruction 200); on hashed TF-IDF vectors, whose neighbourhoods are flat, that graph found
 * only 0.56 of the true 10 nearest passages at 100k. A denser graph costs build time once and
 * keeps recall at query time.
 */
export const HNSW_BUILD = { m: 32, efConstruction: 200, randomSeed: 100 };
/**
 * HNSW search beam (ef) for a graph of `count` passages. Larger graphs need a wider beam to keep
 * recall@10 near exact search; short questions embed to sparse vectors, the hard case for a graph
 * built between long passages. Measured with M 32 and 256-d vectors on the synthetic corpus:
 * recall@10 0.99 at ef 400 for 20k passages; 0.983 at ef 1000 (11 ms a search) and 0.989 at ef
 * 1300 (13 ms) for 100k. The cap keeps the search, the largest cost of a question, near 10 ms.
 */
export function searchBeamFor(count: number): number {
  if (count <= 5_000) return 128;
  return Math.min(1_000, Math.max(400, Math.round(count / 75)));
}

/** Passages embedded at a time: vectors go into the graph and are dropped batch by batch. */
const EMBED_BATCH = 1000;

/** Embeds the passages batch by batch straight into an HNSW graph held by LangChain's store. */
async function buildVectorStore(embedder: IndexEmbedder, chunks: readonly Chunk[]): Promise<HNSWLib | undefined> {
  // Document frequencies from a fixed, evenly spread sample are as good as from every passage,
  // and fitting on 100k passages would double the embedding cost.
  const sampleStep = Math.max(1, Math.ceil(chunks.length / 20_000));
  embedder.fit?.(chunks.filter((_, i) => i % sampleStep === 0).map(embeddingText));
  let store: HNSWLib | undefined;
  for (let start = 0; start < chunks.length; start += EMBED_BATCH) {
    const batch = chunks.slice(start, start + EMBED_BATCH);
    const vectors = await embedder.embeddings.embedDocuments(batch.map(embeddingText));
    if (!store) {
      const dims = vectors[0]?.length ?? 1;
      // Our own graph, sized once: HNSWLib.addVectors would initialise it with the defaults.
      const index = new hnswlib.HierarchicalNSW('cosine', dims);
      index.initIndex(chunks.length, HNSW_BUILD.m, HNSW_BUILD.efConstruction, HNSW_BUILD.randomSeed);
      store = new HNSWLib(embedder.embeddings, { space: 'cosine', numDimensions: dims, index });
    }
    const documents: Record<string, Document> = {};
    vectors.forEach((v, j) => {
      store!.index.addPoint(v, start + j);
      documents[String(start + j)] = new Document({ pageContent: batch[j]!.id, metadata: { chunkId: batch[j]!.id } });
    });
    store.docstore.add(documents);
  }
  return store;
}

/** documents.json, one document at a time: one string for 100k passages would be hundreds of MB. */
function* documentsJson(documents: readonly ParsedDocument[]): Generator<string> {
  yield '[';
  for (let i = 0; i < documents.length; i++) yield (i ? ',\n' : '\n') + JSON.stringify(documents[i]);
  yield '\n]';
}

/** facts.json, one chunk per line, for the same reason. */
function* factsJson(facts: FactStore): Generator<string> {
  const { version, chunks } = facts.toJSON();
  yield `{"version":${version},"chunks":[`;
  for (let i = 0; i < chunks.length; i++) yield (i ? ',\n' : '\n') + JSON.stringify(chunks[i]);
  yield '\n]}';
}

export async function writeIndex(input: WriteIndexInput): Promise<{ dir: string; manifest: IndexManifest }> {
  const { indexDir, documents } = input;
  const chunks = documents.flatMap((d) => d.chunks);
  const titles = new Map(documents.map((d) => [d.meta.id, d.meta.title]));
  const embedder = input.embedderFactory.create();
  input.onStep?.('embed');
  const store = await buildVectorStore(embedder, chunks);
  input.onStep?.('lexical');
  const builder = new LexicalIndexBuilder();
  for (const c of chunks) builder.add(lexicalDoc(c, titles.get(c.metadata.documentId) ?? ''));
  const termStats = TermStats.fromCounts(builder.documentCount, builder.documentFrequencies());
  const lexical = builder.build().serialize();
  const names = NameIndex.build(documents);
  input.onStep?.('facts');
  // The sorted order is the order a loaded index lists its places in.
  const facts = FactStore.build(documents, [...names.places].sort());

  const manifest: IndexManifest = {
    schemaVersion: SCHEMA_VERSION,
    embedderId: embedder.id,
    createdAt: new Date().toISOString(),
    files: input.files,
    counts: {
      documents: documents.length,
      sections: documents.reduce((n, d) => n + d.sections.length, 0),
      footnotes: documents.reduce((n, d) => n + d.footnotes.length, 0),
      chunks: chunks.length,
    },
  };

  const name = `v-${Date.now().toString(36)}-${process.pid}`;
  const tmp = path.join(indexDir, `${name}.tmp`);
  const final = path.join(indexDir, name);
  await fs.mkdir(tmp, { recursive: true });
  try {
    input.onStep?.('write');
    const write = async (file: string, parts: Iterable<string | Uint8Array>) => {
      input.fault?.(file);
      const handle = await fs.open(path.join(tmp, file), 'w');
      try {
        // writeFile on a handle continues at the current position and retries short writes.
        for (const part of parts) await handle.writeFile(part);
      } finally {
        await handle.close();
      }
    };
    await write('documents.json', documentsJson(documents));
    await write('lexical.json', [JSON.stringify(lexical.header)]);
    await write('lexical.bin', lexical.parts);
    await write('terms.json', [JSON.stringify(termStats.toJSON())]);
    await write('names.json', [JSON.stringify(names.toJSON())]);
    await write('facts.json', factsJson(facts));
    await write('embedder.json', [JSON.stringify({ id: embedder.id, state: embedder.state?.() ?? null })]);
    input.fault?.('hnsw');
    if (store) await store.save(path.join(tmp, 'hnsw'));
    await write('manifest.json', [JSON.stringify(manifest, null, 1)]);
    await fs.rename(tmp, final);
    input.fault?.(CURRENT);
    const pointerTmp = path.join(indexDir, `${CURRENT}.${process.pid}.tmp`);
    await fs.writeFile(pointerTmp, name);
    await fs.rename(pointerTmp, path.join(indexDir, CURRENT));
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(final, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  await pruneVersions(indexDir, name);
  return { dir: final, manifest };
}

/** Keeps the active version and the one before it; removes leftovers of crashed writers. */
async function pruneVersions(indexDir: string, active: string): Promise<void> {
  const entries = await fs.readdir(indexDir);
  const versions = entries.filter((e) => e.startsWith('v-') && !e.endsWith('.tmp') && e !== active).sort();
  const keep = new Set([active, versions[versions.length - 1]]);
  for (const e of entries) {
    if ((e.startsWith('v-') && !keep.has(e)) || /^CURRENT\.\d+\.tmp$/.test(e)) {
      await fs.rm(path.join(indexDir, e), { recursive: true, force: true });
    }
  }
}

export async function loadIndex(indexDir: string, factory: EmbedderFactory, options: { efSearch?: number } = {}): Promise<IndexSnapshot> {
  const dir = await currentVersionDir(indexDir);
  if (!dir) throw new IndexMissingError(indexDir);
  const [[manifestRaw, docsRaw, lexicalRaw, embedderRaw, termsRaw, namesRaw, factsRaw], lexicalBinary] = await Promise.all([
    Promise.all(['manifest.json', 'documents.json', 'lexical.json', 'embedder.json', 'terms.json', 'names.json', 'facts.json'].map((f) => fs.readFile(path.join(dir, f), 'utf8'))),
    fs.readFile(path.join(dir, 'lexical.bin')),
  ]);
  const lexical = LexicalIndex.deserialize(JSON.parse(lexicalRaw!) as LexicalHeader, lexicalBinary);
  const manifest = JSON.parse(manifestRaw!) as IndexManifest;
  const documents = JSON.parse(docsRaw!) as ParsedDocument[];
  const embedderSaved = JSON.parse(embedderRaw!) as { id: string; state: unknown };
  const embedder = factory.create(embedderSaved.state ?? undefined);
  let vectors: HNSWLib;
  try {
    vectors = await HNSWLib.load(path.join(dir, 'hnsw'), embedder.embeddings);
    vectors.index.setEf(options.efSearch ?? searchBeamFor(vectors.index.getCurrentCount()));
  } catch {
    // An empty corpus has no vector file; an empty store answers every search with nothing.
    vectors = new HNSWLib(embedder.embeddings, { space: 'cosine', numDimensions: 1 });
  }
  const chunks = documents.flatMap((d) => d.chunks);
  const names = NameIndex.fromJSON(JSON.parse(namesRaw!) as NamesJSON);
  return {
    dir,
    manifest,
    documents,
    documentById: new Map(documents.map((d) => [d.meta.id, d])),
    chunks,
    chunkById: new Map(chunks.map((c) => [c.id, c])),
    lexical,
    vectors,
    embedder,
    termStats: TermStats.fromJSON(JSON.parse(termsRaw!) as TermStatsJSON),
    names,
    // Facts of an older extractor are read again (tens of ms for the shipped reports).
    facts: FactStore.fromJSON(JSON.parse(factsRaw!) as FactStoreJSON) ?? FactStore.build(documents, [...names.places]),
  };
}
