/**
 * Untrusted documents are parsed in a worker thread with a memory cap and a time limit.
 *
 * mammoth and pdf.js trust what they read: a DOCX that stays inside the zip guard's limits can
 * still run the heap out (a 199 MB document.xml killed the whole bot, and again at every start),
 * and a 1 MB PDF with a 1 GB Flate stream blocked the event loop for 13 s while every other user
 * waited. In a worker, the bot's own event loop stays free, and whatever the parser does is cut
 * off at three limits:
 *  - the V8 heap of the worker (`resourceLimits`): a heap blow-up ends the worker, not the bot;
 *  - the growth of the process's resident memory while the parse runs, sampled from the parent:
 *    decoded streams live in ArrayBuffers outside the V8 heap, which `resourceLimits` ignores;
 *  - wall-clock time.
 * A parse stopped by a limit is `crashed`: the pipeline quarantines the file so that it is never
 * retried at start-up. A file the loader merely refuses is `rejected`, as before.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoadedSource } from '../loaders/types.js';
import type { OcrPageEvent } from '../loaders/ocr.js';
import type { ParseProgress, ParseRequest, ParseResponse } from './protocol.js';

export interface ParseLimits {
  /** Old-generation heap of the parser worker (V8 `maxOldGenerationSizeMb`). */
  heapMb: number;
  /** Largest growth of the process RSS during one parse; covers off-heap (ArrayBuffer) memory. */
  rssBudgetMb: number;
  timeoutMs: number;
  /** Longest text one document may decode to (characters). */
  maxTextChars: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  heapMb: 512,
  rssBudgetMb: 768,
  timeoutMs: 60_000,
  maxTextChars: 16 * 1024 * 1024,
};

export type CrashCause = 'memory' | 'timeout' | 'exit';

export type ParseOutcome =
  | { kind: 'parsed'; source: LoadedSource & { warnings?: string[] }; peakRssBytes: number }
  | { kind: 'rejected'; reason: string; peakRssBytes: number }
  | { kind: 'crashed'; cause: CrashCause; reason: string; peakRssBytes: number };

/** How often the parent samples RSS; a Flate stream grows a few MB in this time. */
const RSS_SAMPLE_MS = 20;
/** An idle worker is kept this long for the next file of the same ingest, then ended. */
const IDLE_CLOSE_MS = 5_000;

const MB = 1024 * 1024;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_EXT = path.extname(fileURLToPath(import.meta.url));
const BOOT = path.join(HERE, 'boot.mjs');
const ENTRY = pathToFileURL(path.join(HERE, `parseWorker${SOURCE_EXT}`)).href;

export function crashReason(cause: CrashCause, limits: ParseLimits): string {
  switch (cause) {
    case 'memory':
      return `bộ đọc tệp vượt giới hạn bộ nhớ (${limits.heapMb} MB heap / ${limits.rssBudgetMb} MB), tệp đã được cách ly / parser exceeded its memory limit, file quarantined`;
    case 'timeout':
      return `bộ đọc tệp chạy quá ${Math.round(limits.timeoutMs / 1000)} giây, tệp đã được cách ly / parser timed out, file quarantined`;
    case 'exit':
      return 'bộ đọc tệp bị dừng đột ngột, tệp đã được cách ly / parser crashed, file quarantined';
  }
}

interface Job {
  request: ParseRequest;
  limits: ParseLimits;
  resolve: (outcome: ParseOutcome) => void;
  onOcrPage?: (e: OcrPageEvent) => void;
}

/** One worker, one document at a time; a worker stopped by a limit is replaced for the next job. */
class ParserHost {
  private worker: Worker | undefined;
  private workerHeapMb = 0;
  private queue: Job[] = [];
  private running = false;
  private nextJobId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  parse(content: Buffer, ext: string, limits: ParseLimits, onOcrPage?: (e: OcrPageEvent) => void): Promise<ParseOutcome> {
    // A copy: its buffer is transferred to the worker, the caller keeps its own bytes.
    const bytes = new Uint8Array(content);
    return new Promise((resolve) => {
      this.queue.push({ request: { jobId: this.nextJobId++, ext, content: bytes, maxTextChars: limits.maxTextChars }, limits, resolve, ...(onOcrPage ? { onOcrPage } : {}) });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) job.resolve(await this.run(job));
    } finally {
      this.running = false;
    }
    this.scheduleIdleClose();
  }

  private spawn(limits: ParseLimits): Worker {
    if (this.worker && this.workerHeapMb === limits.heapMb) return this.worker;
    void this.worker?.terminate();
    const worker = new Worker(BOOT, {
      workerData: { entry: ENTRY },
      resourceLimits: { maxOldGenerationSizeMb: limits.heapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, limits.heapMb / 8)) },
      stdout: true,
      stderr: true,
    });
    // The parser libraries warn on stdout/stderr about malformed input; that is not the bot's log.
    worker.stdout.resume();
    worker.stderr.resume();
    this.worker = worker;
    this.workerHeapMb = limits.heapMb;
    return worker;
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  private run(job: Job): Promise<ParseOutcome> {
    clearTimeout(this.idleTimer);
    const { limits } = job;
    const worker = this.spawn(limits);
    worker.ref();
    const baselineRss = process.memoryUsage.rss();
    let peakRss = baselineRss;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: ParseOutcome, broken: boolean) => {
        if (settled) return;
        settled = true;
        clearInterval(sampler);
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (broken) this.discard(worker);
        else worker.unref();
        resolve(outcome);
      };
      const crashed = (cause: CrashCause) =>
        finish({ kind: 'crashed', cause, reason: crashReason(cause, limits), peakRssBytes: peakRss }, true);
      const sampler = setInterval(() => {
        const rss = process.memoryUsage.rss();
        peakRss = Math.max(peakRss, rss);
        if (rss - baselineRss > limits.rssBudgetMb * MB) crashed('memory');
      }, RSS_SAMPLE_MS);
      let timer = setTimeout(() => crashed('timeout'), limits.timeoutMs);
      const onMessage = (response: ParseResponse | ParseProgress) => {
        if (response.jobId !== job.request.jobId) return;
        if ('ocrPage' in response) {
          // OCR of a scan takes seconds per page: the time limit counts from the last page read.
          clearTimeout(timer);
          timer = setTimeout(() => crashed('timeout'), limits.timeoutMs);
          job.onOcrPage?.(response.ocrPage);
          return;
        }
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        if (response.ok) finish({ kind: 'parsed', source: response.source, peakRssBytes: peakRss }, false);
        // A loader that threw something other than a refusal is a crash of the parser too.
        else if (response.unsupported) finish({ kind: 'rejected', reason: response.reason, peakRssBytes: peakRss }, false);
        else finish({ kind: 'rejected', reason: `lỗi đọc tệp / read error: ${response.reason}`, peakRssBytes: peakRss }, false);
      };
      const onError = (err: Error & { code?: string }) => crashed(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'exit');
      const onExit = () => crashed('exit');
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(job.request, [job.request.content.buffer as ArrayBuffer]);
    });
  }

  private scheduleIdleClose(): void {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    if (!worker) return;
    worker.unref();
    this.idleTimer = setTimeout(() => this.discard(worker), IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

const host = new ParserHost();

/** Parses one document's bytes in the shared parser worker. Never throws. */
export function parseIsolated(
  content: Buffer,
  ext: string,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
  onOcrPage?: (e: OcrPageEvent) => void,
): Promise<ParseOutcome> {
  return host.parse(content, ext, limits, onOcrPage);
}

/** Ends the parser worker now (tests, shutdown); the next parse starts a new one. */
export function closeParserWorker(): Promise<void> {
  return host.close();
}
