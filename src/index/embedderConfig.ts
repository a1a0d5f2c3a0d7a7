import type { AppConfig } from '../config.js';
import { registerSecret } from '../logger.js';
import { localEmbedderFactory, type EmbedderFactory } from './embedder.js';
import { ollamaEmbedderFactory, openAiCompatibleEmbedderFactory } from './remoteEmbedder.js';

/** Ollama's own default address, used when neither EMBEDDINGS_BASE_URL nor OLLAMA_BASE_URL is set. */
const DEFAULT_OLLAMA_BASE_URL = 'http://127.0.0.1:11434';

export class EmbedderConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbedderConfigError';
  }
}

/**
 * EMBEDDINGS_PROVIDER → embedder. `local` (default) needs nothing; remote providers need a model
 * name, and openai-compatible an address. The factory id changes with provider, model and host,
 * so switching any of them makes the next ingest rebuild the index.
 */
export function embedderFactoryFromConfig(config: AppConfig): EmbedderFactory {
  switch (config.EMBEDDINGS_PROVIDER) {
    case 'openai-compatible': {
      if (!config.EMBEDDINGS_BASE_URL) throw new EmbedderConfigError('EMBEDDINGS_PROVIDER=openai-compatible cần EMBEDDINGS_BASE_URL / needs EMBEDDINGS_BASE_URL');
      if (!config.EMBEDDINGS_MODEL) throw new EmbedderConfigError('EMBEDDINGS_PROVIDER=openai-compatible cần EMBEDDINGS_MODEL / needs EMBEDDINGS_MODEL');
      registerSecret(config.EMBEDDINGS_API_KEY);
      return openAiCompatibleEmbedderFactory({
        baseURL: config.EMBEDDINGS_BASE_URL,
        model: config.EMBEDDINGS_MODEL,
        ...(config.EMBEDDINGS_API_KEY ? { apiKey: config.EMBEDDINGS_API_KEY } : {}),
      });
    }
    case 'ollama': {
      if (!config.EMBEDDINGS_MODEL) throw new EmbedderConfigError('EMBEDDINGS_PROVIDER=ollama cần EMBEDDINGS_MODEL (ví dụ bge-m3) / needs EMBEDDINGS_MODEL');
      return ollamaEmbedderFactory({ baseURL: config.EMBEDDINGS_BASE_URL ?? config.OLLAMA_BASE_URL ?? DEFAULT_OLLAMA_BASE_URL, model: config.EMBEDDINGS_MODEL });
    }
    case 'local':
    default:
      return localEmbedderFactory();
  }
}
