/**
 * PDF loader: pdf.js text layer → one block per visual line.
 *
 * PDFs have no paragraphs, headings or footnote structure, only positioned text. We rebuild
 * lines (pdf.js marks line ends with `hasEOL`; we also break when the baseline moves) and leave
 * everything else — re-joining wrapped lines, detecting "I.", "1." headings — to the shared
 * structure parser, which works on plain lines for every format. Page numbers printed alone on
 * the first or last line of a page are dropped: they would otherwise split sentences that
 * continue on the next page.
 *
 * originalText = the kept lines of all pages, in order, joined by "\n";
 * `originalText.slice(b.start, b.end) === b.text` for every block. No footnotes are extracted.
 */
import { getDocument, VerbosityLevel } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem, TextMarkedContent } from 'pdfjs-dist/types/src/display/api.js';
import { UnsupportedDocumentError, type LoadedSource, type SourceBlock } from './types.js';

export const REASON_ENCRYPTED_PDF = 'PDF được mã hóa / encrypted PDF';
export const REASON_CORRUPT_PDF = 'PDF hỏng / corrupt PDF';
export const REASON_NO_TEXT_PDF = 'PDF không có lớp văn bản (bản quét) / no text layer: unsupported';

interface PdfLine {
  text: string;
  /** Baseline y of the line's first item (PDF user space: larger is higher on the page). */
  y: number;
}

/** "12", "- 12 -", "– 3 –", "Trang 4", "4/10", "Trang 4/10": a page number standing alone. */
const PAGE_NUMBER = /^(?:trang\s+)?[-–—]?\s*\d{1,4}\s*(?:\/\s*\d{1,4})?\s*[-–—]?$/iu;

function isTextItem(item: TextItem | TextMarkedContent): item is TextItem {
  return 'str' in item;
}

/**
 * Groups a page's text items into lines. Items arrive in content-stream order, which for
 * Word/LibreOffice exports is reading order; a new line starts after an item flagged `hasEOL` or
 * when the baseline moves by more than half the font height (so superscripts and subscripts,
 * raised by about a third of an em, stay on their line).
 */
export function groupLines(items: (TextItem | TextMarkedContent)[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let current: { text: string; y: number; height: number; endX: number } | undefined;
  let breakNext = false;
  const flush = () => {
    if (current) lines.push({ text: current.text, y: current.y });
    current = undefined;
  };
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const x = item.transform[4] ?? 0;
    const y = item.transform[5] ?? 0;
    const height = Math.abs(item.height) || Math.abs(item.transform[3] ?? 0) || 10;
    if (item.str) {
      const tolerance = Math.max(1, 0.5 * Math.max(height, current?.height ?? 0));
      if (current && (breakNext || Math.abs(y - current.y) > tolerance)) flush();
      breakNext = false;
      if (!current) {
        current = { text: item.str, y, height, endX: x + item.width };
      } else {
        // pdf.js usually emits its own " " items; add one when a visible gap has none.
        const gap = x - current.endX;
        if (gap > 0.15 * height && !/\s$/.test(current.text) && !/^\s/.test(item.str)) current.text += ' ';
        current.text += item.str;
        current.endX = x + item.width;
        current.height = Math.max(current.height, height);
      }
    }
    if (item.hasEOL) breakNext = true;
  }
  flush();
  return lines;
}

/** NFC, one space for any white-space run, trimmed. */
function cleanLine(s: string): string {
  return s.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/** Drops a page number standing alone on the page's top- or bottom-most line. */
function dropPageNumbers(lines: PdfLine[]): PdfLine[] {
  if (lines.length === 0) return lines;
  const ys = lines.map((l) => l.y);
  const top = Math.max(...ys);
  const bottom = Math.min(...ys);
  return lines.filter((l) => !((l.y === top || l.y === bottom) && PAGE_NUMBER.test(l.text)));
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err === 'object' && err && 'name' in err ? String(err.name) : '';
}

export interface PdfResult extends LoadedSource {
  /** E.g. pages without a text layer in an otherwise digital PDF. */
  warnings: string[];
}

/**
 * Reads a PDF's text layer. Throws UnsupportedDocumentError for encrypted (password needed),
 * corrupt, and image-only (scanned) PDFs.
 */
export async function loadPdf(content: Buffer): Promise<PdfResult> {
  const task = getDocument({
    // A copy: pdf.js transfers (detaches) the array it is given, which must not be the caller's.
    data: new Uint8Array(content),
    useSystemFonts: false,
    isEvalSupported: false,
    disableFontFace: true,
    verbosity: VerbosityLevel.ERRORS,
  });
  const pageLines: PdfLine[][] = [];
  let emptyPages = 0;
  try {
    let doc;
    try {
      doc = await task.promise;
    } catch (err) {
      if (errorName(err) === 'PasswordException') throw new UnsupportedDocumentError(REASON_ENCRYPTED_PDF, { cause: err });
      throw new UnsupportedDocumentError(REASON_CORRUPT_PDF, { cause: err });
    }
    for (let p = 1; p <= doc.numPages; p++) {
      try {
        const page = await doc.getPage(p);
        const content = await page.getTextContent();
        const lines = groupLines(content.items)
          .map((l) => ({ ...l, text: cleanLine(l.text) }))
          .filter((l) => l.text);
        if (lines.length === 0) emptyPages++;
        pageLines.push(dropPageNumbers(lines));
        page.cleanup();
      } catch (err) {
        // A broken page object or content stream in an otherwise readable file.
        throw new UnsupportedDocumentError(`${REASON_CORRUPT_PDF} (trang ${p} / page ${p})`, { cause: err });
      }
    }
  } finally {
    // Tears down the (fake) worker and its pending requests, so nothing rejects after we return.
    await task.destroy().catch(() => undefined);
  }

  const blocks: SourceBlock[] = [];
  let originalText = '';
  for (const line of pageLines.flat()) {
    if (blocks.length) originalText += '\n';
    const start = originalText.length;
    originalText += line.text;
    blocks.push({ text: line.text, start, end: originalText.length, footnoteAnchors: [] });
  }
  if (!blocks.length) throw new UnsupportedDocumentError(REASON_NO_TEXT_PDF);

  const warnings: string[] = [];
  if (emptyPages > 0) {
    warnings.push(`${emptyPages}/${pageLines.length} trang không có lớp văn bản (bản quét?) / pages without a text layer were skipped`);
  }
  return { format: 'pdf', originalText, blocks, footnotes: [], warnings };
}
