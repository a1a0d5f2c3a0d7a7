import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ReportAssistant } from '../../src/app/assistant.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import type { IndexSnapshot } from '../../src/index/store.js';
import { corpusDir } from '../helpers.js';

/**
 * The real corpus, indexed once per calling test file into a temporary directory (never
 * data/index) before its tests, and removed after them. The snapshot is there from inside a test
 * (or a hook registered later) on.
 */
export function useCorpus(): { readonly snapshot: IndexSnapshot } {
  let dir: string | undefined;
  let snapshot: IndexSnapshot | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainer-'));
    snapshot = (await ReportAssistant.open({ corpusDir, indexDir: join(dir, 'index'), embedderFactory: localEmbedderFactory() })).index;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    get snapshot(): IndexSnapshot {
      if (!snapshot) throw new Error('useCorpus: the corpus is opened in beforeAll; read it from a test');
      return snapshot;
    },
  };
}
