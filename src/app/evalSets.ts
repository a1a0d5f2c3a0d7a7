import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { QaItem } from '../answer/scoring.js';

/**
 * The question sets the product is measured on, and the corpus each is asked over:
 * - `dev`: ../shared/eval/dev.jsonl over the shipped corpus;
 * - `dev2`: ../shared/eval/dev2/questions.jsonl over the shipped corpus plus dev2's documents;
 * - `extra`: the team's own regression questions (eval/extra.jsonl) over the shipped corpus.
 */

export type EvalSetName = 'dev' | 'dev2' | 'extra';

export interface EvalSet {
  name: EvalSetName;
  qaPath: string;
  /** Folders whose documents together form the corpus the set is asked over. */
  corpusDirs: string[];
}

export function evalSets(repoRoot: string): Record<EvalSetName, EvalSet> {
  const shared = path.join(repoRoot, '..', 'shared', 'eval');
  const corpus = path.join(repoRoot, 'corpus');
  return {
    dev: { name: 'dev', qaPath: path.join(shared, 'dev.jsonl'), corpusDirs: [corpus] },
    dev2: { name: 'dev2', qaPath: path.join(shared, 'dev2', 'questions.jsonl'), corpusDirs: [corpus, path.join(shared, 'dev2', 'corpus')] },
    extra: { name: 'extra', qaPath: path.join(repoRoot, 'eval', 'extra.jsonl'), corpusDirs: [corpus] },
  };
}

export function isAvailable(set: EvalSet): boolean {
  return existsSync(set.qaPath) && set.corpusDirs.every((d) => existsSync(d));
}

export function readQuestions(qaPath: string): QaItem[] {
  return readFileSync(qaPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as QaItem);
}

/**
 * One folder holding the set's documents: the only folder when there is one, else a fresh
 * temporary folder with copies of each (shared/ is read-only, and the index must not land in it).
 */
export function materializeCorpus(set: EvalSet): string {
  if (set.corpusDirs.length === 1) return set.corpusDirs[0]!;
  const dir = path.join(mkdtempSync(path.join(tmpdir(), `tlbc-${set.name}-`)), 'corpus');
  mkdirSync(dir, { recursive: true });
  for (const from of set.corpusDirs) {
    for (const name of readdirSync(from)) if (!name.startsWith('.')) cpSync(path.join(from, name), path.join(dir, name), { recursive: true });
  }
  return dir;
}
