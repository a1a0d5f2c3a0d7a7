import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReportAssistant } from '../../src/app/assistant.js';
import { localEmbedderFactory } from '../../src/index/embedder.js';

/** Shared plumbing for the failure drills: temp dirs, the real reports, an answering probe. */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REPORTS_DIR = path.join(ROOT, 'corpus');
export const factory = localEmbedderFactory();

/** A question the reports answer with a figure: proof that an index is usable, not just loadable. */
export const PROBE = { question: 'Đảng bộ tỉnh Kon Tum có bao nhiêu đảng viên?', fact: '27.023' };

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `drill-${prefix}-`));
}

/** Copies the reports into `dir` (a writable corpus the drill may change). */
export async function copyReports(dir: string): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const names = (await fs.readdir(REPORTS_DIR)).filter((n) => n.endsWith('.txt'));
  for (const n of names) await fs.copyFile(path.join(REPORTS_DIR, n), path.join(dir, n));
  return names;
}

/** Opens the index as the bot would (no auto-ingest) and asks the probe question. */
export async function probeAnswer(corpusDir: string, indexDir: string): Promise<{ answered: boolean; text: string; chunks: number }> {
  const assistant = await ReportAssistant.open({ corpusDir, indexDir, embedderFactory: factory, autoIngest: false });
  const { answer } = await assistant.ask(PROBE.question);
  return { answered: answer.answered, text: answer.text, chunks: assistant.index.chunks.length };
}

/** Version directories still being written (left by a crash) and pointer temp files. */
export async function leftovers(indexDir: string): Promise<string[]> {
  return (await fs.readdir(indexDir)).filter((e) => e.endsWith('.tmp'));
}

export async function readCurrent(indexDir: string): Promise<string> {
  return (await fs.readFile(path.join(indexDir, 'CURRENT'), 'utf8')).trim();
}
