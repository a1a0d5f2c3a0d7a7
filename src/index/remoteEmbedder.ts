import { Embeddings } from '@langchain/core/embeddings';
import { OllamaEmbeddings } from '@langchain/ollama';
import { OpenAIEmbeddings } from '@langchain/openai';
import type { EmbedderFactory, IndexEmbedder } from './embedder.js';

/**
 * Embedders served over HTTP (an OpenAI-compatible /v1/embeddings or Ollama's /api/embed),
 * through LangChain's embeddings classes, which do the batching and the retries. The factory
 * id names provider, model and host: pointing the bot at another model or server changes the
 * id, and ingest then rebuilds the index instead of mixing vectors from two models.
 * Remote embedders keep no fitted state; `state()` is absent.
 */

/** The SDKs insist on a key even for servers that need none. */
const DUMMY_API_KEY = 'not-needed';

export interface RemoteEmbedderOptions {
  baseURL: string;
  model: string;
  apiKey?: string;
  /** Texts per request (default 64: well under common server limits on inputs per call). */
  batchSize?: number;
  /** LangChain retries for failed requests (exponential backoff, default 3). */
  maxRetries?: number;
  /** Per-request deadline (default 60 s: a batch on a CPU-only server can be slow). */
  timeoutMs?: number;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Query embedding sits on the answer path: a short deadline and one retry, not ingest's patience. */
const QUERY_TIMEOUT_MS = 10_000;
const QUERY_MAX_RETRIES = 1;

/**
 * Documents and queries through separate client instances: ingest embeds thousands of chunks in
 * batches and can wait and retry; a question must not hang for a minute on a dead server.
 * OllamaEmbeddings sends every text in one request, so documents are also split into batches
 * here (each batch call keeps LangChain's retries); OpenAIEmbeddings batches by itself.
 */
class RemoteEmbeddings extends Embeddings {
  constructor(
    private readonly documents: Embeddings,
    private readonly queries: Embeddings,
    private readonly batchSize: number,
  ) {
    super({});
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) out.push(...(await this.documents.embedDocuments(texts.slice(i, i + this.batchSize))));
    return out;
  }

  embedQuery(text: string): Promise<number[]> {
    return this.queries.embedQuery(text);
  }
}

export function openAiCompatibleEmbedderFactory(options: RemoteEmbedderOptions): EmbedderFactory {
  const id = `openai:${options.model}@${hostOf(options.baseURL)}`;
  const batchSize = options.batchSize ?? 64;
  const client = (timeoutMs: number, maxRetries: number) =>
    new OpenAIEmbeddings({
      model: options.model,
      apiKey: options.apiKey ?? DUMMY_API_KEY,
      configuration: { baseURL: options.baseURL },
      batchSize,
      maxRetries,
      timeout: timeoutMs,
      // Plain float arrays: many compatible servers do not implement base64 output, and the
      // SDK would otherwise ask for it.
      encodingFormat: 'float',
      // Line breaks carry structure in reports (headings, list items); keep the text as is.
      stripNewLines: false,
    });
  return {
    id,
    create(): IndexEmbedder {
      const documents = client(options.timeoutMs ?? 60_000, options.maxRetries ?? 3);
      const queries = client(Math.min(options.timeoutMs ?? QUERY_TIMEOUT_MS, QUERY_TIMEOUT_MS), Math.min(options.maxRetries ?? QUERY_MAX_RETRIES, QUERY_MAX_RETRIES));
      // OpenAIEmbeddings already batches at batchSize; the wrapper's own split is a no-op pass.
      return { id, embeddings: new RemoteEmbeddings(documents, queries, Number.MAX_SAFE_INTEGER) };
    },
  };
}

export function ollamaEmbedderFactory(options: Omit<RemoteEmbedderOptions, 'apiKey'>): EmbedderFactory {
  const id = `ollama:${options.model}@${hostOf(options.baseURL)}`;
  const client = (timeoutMs: number, maxRetries: number) =>
    new OllamaEmbeddings({
      model: options.model,
      baseUrl: options.baseURL,
      maxRetries,
      // The Ollama client takes no timeout option; the deadline goes on each fetch instead.
      fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) }),
    });
  return {
    id,
    create(): IndexEmbedder {
      const documents = client(options.timeoutMs ?? 60_000, options.maxRetries ?? 3);
      const queries = client(Math.min(options.timeoutMs ?? QUERY_TIMEOUT_MS, QUERY_TIMEOUT_MS), Math.min(options.maxRetries ?? QUERY_MAX_RETRIES, QUERY_MAX_RETRIES));
      return { id, embeddings: new RemoteEmbeddings(documents, queries, options.batchSize ?? 64) };
    },
  };
}
