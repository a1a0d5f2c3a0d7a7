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

export function openAiCompatibleEmbedderFactory(options: RemoteEmbedderOptions): EmbedderFactory {
  const id = `openai:${options.model}@${hostOf(options.baseURL)}`;
  return {
    id,
    create(): IndexEmbedder {
      const embeddings = new OpenAIEmbeddings({
        model: options.model,
        apiKey: options.apiKey ?? DUMMY_API_KEY,
        configuration: { baseURL: options.baseURL },
        batchSize: options.batchSize ?? 64,
        maxRetries: options.maxRetries ?? 3,
        timeout: options.timeoutMs ?? 60_000,
        // Plain float arrays: many compatible servers do not implement base64 output, and the
        // SDK would otherwise ask for it.
        encodingFormat: 'float',
        // Line breaks carry structure in reports (headings, list items); keep the text as is.
        stripNewLines: false,
      });
      return { id, embeddings };
    },
  };
}

/**
 * OllamaEmbeddings sends every text in one request; a corpus has thousands of chunks, so this
 * wrapper splits them into batches (the retries stay LangChain's, inside each batch call).
 */
class BatchedEmbeddings extends Embeddings {
  constructor(
    private readonly inner: Embeddings,
    private readonly batchSize: number,
  ) {
    super({});
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) out.push(...(await this.inner.embedDocuments(texts.slice(i, i + this.batchSize))));
    return out;
  }

  embedQuery(text: string): Promise<number[]> {
    return this.inner.embedQuery(text);
  }
}

export function ollamaEmbedderFactory(options: Omit<RemoteEmbedderOptions, 'apiKey'>): EmbedderFactory {
  const id = `ollama:${options.model}@${hostOf(options.baseURL)}`;
  return {
    id,
    create(): IndexEmbedder {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const inner = new OllamaEmbeddings({
        model: options.model,
        baseUrl: options.baseURL,
        maxRetries: options.maxRetries ?? 3,
        fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) }),
      });
      return { id, embeddings: new BatchedEmbeddings(inner, options.batchSize ?? 64) };
    },
  };
}
