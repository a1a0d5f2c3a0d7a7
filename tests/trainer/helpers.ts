import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReportAssistant } from '../../src/answer/assistant.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';
import type { IndexSnapshot } from '../../src/index/store.js';

/** The real corpus, indexed once per test file into a temporary directory (never data/index). */
export const CORPUS_DIR = fileURLToPath(new URL('../../corpus', import.meta.url));

export interface Corpus {
  snapshot: IndexSnapshot;
  dir: string;
  close(): Promise<void>;
}

export async function openCorpus(): Promise<Corpus> {
  const dir = await mkdtemp(join(tmpdir(), 'trainer-'));
  const assistant = await ReportAssistant.open({ corpusDir: CORPUS_DIR, indexDir: join(dir, 'index'), embedderFactory: localEmbedderFactory() });
  return { snapshot: assistant.index, dir, close: () => rm(dir, { recursive: true, force: true }) };
}
