import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import { embedderFactoryFromConfig } from '../../src/index/embedderConfig.js';

/** EMBEDDINGS_PROVIDER → factory ids (what the manifest records) and configuration errors. */

describe('embedderFactoryFromConfig', () => {
  it('local by default', () => {
    expect(embedderFactoryFromConfig(loadConfig({})).id).toBe(localEmbedderFactory().id);
  });

  it('openai-compatible: id names model and host', () => {
    const f = embedderFactoryFromConfig(loadConfig({ EMBEDDINGS_PROVIDER: 'openai-compatible', EMBEDDINGS_BASE_URL: 'http://127.0.0.1:8080/v1', EMBEDDINGS_MODEL: 'bge-m3' }));
    expect(f.id).toBe('openai:bge-m3@127.0.0.1:8080');
  });

  it('ollama: EMBEDDINGS_BASE_URL, else OLLAMA_BASE_URL, else the Ollama default', () => {
    expect(embedderFactoryFromConfig(loadConfig({ EMBEDDINGS_PROVIDER: 'ollama', EMBEDDINGS_MODEL: 'bge-m3', OLLAMA_BASE_URL: 'http://gpu-box:11434' })).id).toBe('ollama:bge-m3@gpu-box:11434');
    expect(embedderFactoryFromConfig(loadConfig({ EMBEDDINGS_PROVIDER: 'ollama', EMBEDDINGS_MODEL: 'bge-m3' })).id).toBe('ollama:bge-m3@127.0.0.1:11434');
  });

  it('remote providers without the settings they need are configuration errors', () => {
    expect(() => embedderFactoryFromConfig(loadConfig({ EMBEDDINGS_PROVIDER: 'openai-compatible', EMBEDDINGS_MODEL: 'x' }))).toThrow(/EMBEDDINGS_BASE_URL/);
    expect(() => embedderFactoryFromConfig(loadConfig({ EMBEDDINGS_PROVIDER: 'openai-compatible', EMBEDDINGS_BASE_URL: 'http://127.0.0.1:1/v1' }))).toThrow(/EMBEDDINGS_MODEL/);
    expect(() => embedderFactoryFromConfig(loadConfig({ EMBEDDINGS_PROVIDER: 'ollama' }))).toThrow(/EMBEDDINGS_MODEL/);
  });
});
