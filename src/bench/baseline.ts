import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Document } from '@langchain/core/documents';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import { BM25Retriever } from '@langchain/community/retrievers/bm25';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { LocalHashEmbeddings } from '../index/embeddings.js';

/**
 * The baseline: what a user would assemble from LangChain parts, using the same local
 * embedder so that the comparison measures the pipeline, not the model. Plain-text loading,
 * RecursiveCharacterTextSplitter (1000/200), HNSWLib over LocalHashEmbeddings fitted on the same
 * chunk texts, LangChain's BM25Retriever, the two result lists fused with reciprocal rank
 * fusion (what EnsembleRetriever does), and the top chunk returned as the answer.
 */

export interface Baseline {
  store: HNSWLib;
  chunks: number;
  documents: number;
  stagesMs: Record<string, number>;
  retrieve(question: string): Promise<Document[]>;
  answer(question: string): Promise<{ text: string; source: string }>;
}

const K = 10;
const RRF_K = 60;

async function listTextFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listTextFiles(p)));
    else if (e.isFile() && /\.(txt|md)$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

export async function buildBaseline(corpusDir: string, log: (m: string) => void = () => undefined): Promise<Baseline> {
  const stagesMs: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    stagesMs[name] = now - t;
    t = now;
    log(`baseline ${name} done`);
  };
  const files = await listTextFiles(corpusDir);
  const raw = await Promise.all(
    files.map(async (f) => new Document({ pageContent: await fs.readFile(f, 'utf8'), metadata: { source: path.relative(corpusDir, f) } })),
  );
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 1000, chunkOverlap: 200 });
  const docs = await splitter.splitDocuments(raw);
  lap('split');
  const embeddings = new LocalHashEmbeddings();
  embeddings.fit(docs.map((d) => d.pageContent));
  lap('fit');
  const store = await HNSWLib.fromDocuments(docs, embeddings);
  lap('embed+hnsw');
  const bm25 = BM25Retriever.fromDocuments(docs, { k: K });
  lap('bm25');

  const retrieve = async (question: string): Promise<Document[]> => {
    const [vector, lexical] = await Promise.all([store.similaritySearch(question, K), bm25.invoke(question)]);
    const scores = new Map<Document, number>();
    const byKey = new Map<string, Document>();
    const add = (list: Document[]) =>
      list.forEach((d, rank) => {
        const key = `${String(d.metadata.source)}\u0000${d.pageContent}`;
        const doc = byKey.get(key) ?? d;
        byKey.set(key, doc);
        scores.set(doc, (scores.get(doc) ?? 0) + 1 / (RRF_K + rank));
      });
    add(vector);
    add(lexical);
    return [...scores.entries()].sort((a, b) => b[1] - a[1]).slice(0, K).map(([d]) => d);
  };
  return {
    store,
    chunks: docs.length,
    documents: raw.length,
    stagesMs,
    retrieve,
    async answer(question) {
      const top = (await retrieve(question))[0];
      return { text: top?.pageContent ?? '', source: String(top?.metadata.source ?? '') };
    },
  };
}
