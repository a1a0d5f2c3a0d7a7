import { loadText } from './text.js';
import { loadDocx } from './docx.js';
import { loadDoc } from './doc.js';
import { loadPdf } from './pdf.js';
import type { LoadedSource } from './types.js';
import type { OcrPageEvent } from './ocr.js';

export const SUPPORTED_EXTENSIONS = new Set(['.txt', '.md', '.docx', '.doc', '.pdf']);

const MB = 1024 * 1024;

/**
 * Size limits per format. Plain-text reports are a few hundred kilobytes; a 20 MB ".txt" is a
 * dump or junk and would only slow every query down. Office and PDF files carry images, so
 * they may be larger, up to what Telegram lets a bot download.
 */
export function maxBytesFor(ext: string): number {
  return ext === '.txt' || ext === '.md' ? 8 * MB : 20 * MB;
}

export interface LoadOptions {
  /** Called after each page a scanned PDF had read by OCR (seconds per page). */
  onOcrPage?: (e: OcrPageEvent) => void;
}

export async function loadSource(content: Buffer, ext: string, options: LoadOptions = {}): Promise<LoadedSource & { warnings?: string[] }> {
  switch (ext) {
    case '.txt':
      return loadText(content, 'txt');
    case '.md':
      return loadText(content, 'md');
    case '.docx':
      return loadDocx(content);
    case '.doc':
      return loadDoc(content);
    case '.pdf':
      // Paragraphs are rebuilt from the page geometry; no text-level re-joining on top.
      return loadPdf(content, options.onOcrPage ? { ocr: { onPage: options.onOcrPage } } : {});
    default:
      throw new Error(`unsupported extension ${ext}`);
  }
}
