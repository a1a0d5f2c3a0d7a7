import type { AppConfig } from '../config.js';
import { localEmbedderFactory, type EmbedderFactory } from './embedder.js';

/** EMBEDDINGS_PROVIDER → embedder. Remote providers are added by the LLM issue. */
export function embedderFactoryFromConfig(config: AppConfig): EmbedderFactory {
  switch (config.EMBEDDINGS_PROVIDER) {
    case 'local':
    default:
      return localEmbedderFactory();
  }
}
