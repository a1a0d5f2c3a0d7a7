import type { Embeddings } from '@langchain/core/embeddings';
import { LocalHashEmbeddings, type LocalEmbedderState } from './embeddings.js';

/**
 * The embedding stage as the index sees it. `id` goes into the index manifest: an index built
 * with another embedder (or another configuration of it) is rebuilt, never mixed.
 */
export interface IndexEmbedder {
  readonly id: string;
  readonly embeddings: Embeddings;
  /** Corpus-fitted embedders learn statistics here before documents are embedded. */
  fit?(texts: readonly string[]): void;
  /** Serializable fitted state, restored with `restore`. */
  state?(): unknown;
}

export interface EmbedderFactory {
  /** Id the embedder will have; known before building so a stale index is detected early. */
  readonly id: string;
  create(state?: unknown): IndexEmbedder;
}

export function localEmbedderFactory(dimensions = 256): EmbedderFactory {
  const probe = new LocalHashEmbeddings({ dimensions });
  return {
    id: probe.id,
    create(state?: unknown): IndexEmbedder {
      const embeddings = new LocalHashEmbeddings(state ? { state: state as LocalEmbedderState } : { dimensions });
      return {
        id: embeddings.id,
        embeddings,
        fit: (texts) => embeddings.fit(texts),
        state: () => embeddings.state(),
      };
    },
  };
}
