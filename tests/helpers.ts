import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { ReportAssistant } from '../src/app/assistant.js';
import { localEmbedderFactory } from '../src/index/embedder.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const corpusDir = path.join(repoRoot, 'corpus');

export function tempDir(prefix = 'tlbc-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

let shared: Promise<ReportAssistant> | undefined;

/** The four reports, indexed once per test file in a temporary directory. */
export function corpusAssistant(): Promise<ReportAssistant> {
  shared ??= ReportAssistant.open({ corpusDir, indexDir: path.join(tempDir(), 'index'), embedderFactory: localEmbedderFactory() });
  return shared;
}

export const DOC = {
  r381: 'kontum-381-BC-TU-2019-so-ket-bi-thu-dong-thoi-chu-tich-xa',
  r303: 'kontum-303-BC-TU-2018-tong-ket-nghi-quyet-22',
  anGiang: 'ttxvn-2019-an-giang-nhan-rong-mo-hinh',
  ducTho: 'duc-tho-2020-nhat-the-hoa-chuc-danh',
} as const;

/** Resolves once a bot child process prints READY; rejects with its stderr if it exits first. */
export function whenReady(child: ChildProcess): Promise<ChildProcess> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
  });
}

/** Resolves with the exit code once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Unhandled promise rejections seen until the current test ends (the listener goes with it). */
export function collectUnhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const listener = (e: unknown) => seen.push(e);
  process.on('unhandledRejection', listener);
  onTestFinished(() => {
    process.off('unhandledRejection', listener);
  });
  return seen;
}
