/**
 * Runs inside a worker thread (see isolatedParse.ts): turns one document's bytes into a
 * `LoadedSource`. Whatever mammoth or pdf.js do with a hostile file — exhaust the heap, inflate
 * a gigabyte, spin — happens here, where the parent can cut it off, and not in the bot.
 */
import { parentPort } from 'node:worker_threads';
import { loadSource } from '../loaders/index.js';
import { UnsupportedDocumentError } from '../loaders/types.js';
import type { OcrPageEvent } from '../loaders/ocr.js';
import type { ParseProgress, ParseRequest, ParseResponse } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('parseWorker.ts must run in a worker thread');

port.on('message', (request: ParseRequest) => {
  void handle(request).then((response) => port.postMessage(response));
});

async function handle(request: ParseRequest): Promise<ParseResponse> {
  try {
    const content = Buffer.from(request.content.buffer, request.content.byteOffset, request.content.byteLength);
    const progress = (ocrPage: OcrPageEvent) => port?.postMessage({ jobId: request.jobId, ocrPage } satisfies ParseProgress);
    const source = await loadSource(content, request.ext, { onOcrPage: progress });
    // A decoded-size limit that holds for every format: a small file that decodes to a huge text
    // (a PDF Flate bomb, a DOCX stuffed with runs) is refused before it is copied to the parent.
    if (source.originalText.length > request.maxTextChars) {
      return {
        jobId: request.jobId,
        ok: false,
        unsupported: true,
        reason: `văn bản giải nén quá lớn (${source.originalText.length} ký tự > ${request.maxTextChars}) / decoded text too large`,
      };
    }
    return { jobId: request.jobId, ok: true, source };
  } catch (err) {
    if (err instanceof UnsupportedDocumentError) return { jobId: request.jobId, ok: false, unsupported: true, reason: err.reason };
    return { jobId: request.jobId, ok: false, unsupported: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
