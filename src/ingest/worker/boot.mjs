/**
 * Worker-thread entry for the isolated document parser. Under `tsx` (npm start, the CLIs) and
 * under Vitest the sources are TypeScript, which a worker thread cannot load by itself: the
 * loader hooks of the parent thread do not carry over. tsx's API registers them here, inside
 * the worker, before the real entry (`parseWorker.ts`) is imported.
 */
import { workerData } from 'node:worker_threads';

const entry = workerData.entry;
if (entry.endsWith('.ts')) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(entry, import.meta.url);
} else {
  await import(entry);
}
