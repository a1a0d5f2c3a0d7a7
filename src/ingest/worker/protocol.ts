/** Messages between the ingest pipeline and its parser worker (plain, structured-cloneable data). */
import type { LoadedSource } from '../loaders/types.js';
import type { OcrPageEvent } from '../loaders/ocr.js';

export interface ParseRequest {
  jobId: number;
  ext: string;
  content: Uint8Array;
  maxTextChars: number;
}

/** Sent while a job runs: a page of a scan was read by OCR (the job is alive, not stuck). */
export interface ParseProgress {
  jobId: number;
  ocrPage: OcrPageEvent;
}

export type ParseResponse =
  | { jobId: number; ok: true; source: LoadedSource & { warnings?: string[] } }
  /** `unsupported`: the loader refused the file (UnsupportedDocumentError); otherwise it threw. */
  | { jobId: number; ok: false; unsupported: boolean; reason: string };
