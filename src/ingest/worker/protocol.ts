/** Messages between the ingest pipeline and its parser worker (plain, structured-cloneable data). */
import type { LoadedSource } from '../loaders/types.js';

export interface ParseRequest {
  jobId: number;
  ext: string;
  content: Uint8Array;
  maxTextChars: number;
}

export type ParseResponse =
  | { jobId: number; ok: true; source: LoadedSource & { warnings?: string[] } }
  /** `unsupported`: the loader refused the file (UnsupportedDocumentError); otherwise it threw. */
  | { jobId: number; ok: false; unsupported: boolean; reason: string };
