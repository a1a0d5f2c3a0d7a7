/**
 * PDF loader: positioned text (pdf.js text layer, or OCR for pages without one) → paragraphs.
 *
 * PDFs have no paragraphs, headings or footnote structure, only text at positions. From the
 * positions (layout.ts) we drop page furniture (page numbers, running headers and footers), read
 * two-column header and signature blocks column by column, split off footnotes, and join lines
 * into paragraphs by geometry, also across page breaks. Headings ("I.", "1.") are left to the
 * shared structure parser; a heading always starts its own block.
 *
 * Footnotes: Word-made PDFs draw footnote marks as small raised digits and list the notes at the
 * page foot in smaller type, each starting with the same raised digit. When a page has both the
 * mark (in a body line above) and the note, the mark is removed from the line and recorded as an
 * anchor, and the note's lines become one SourceFootnote; raised digits without a matching note
 * ("m²") stay text. Body text printed after the notes (a paragraph continuing on the next page)
 * joins up again because notes are taken out before paragraphs are built.
 *
 * originalText = the paragraphs in order, then the footnotes, joined by "\n";
 * `originalText.slice(x.start, x.end) === x.text` for every block and footnote. Text is NFC with
 * white-space runs collapsed to one space. The PDF's own metadata (a Title such as "Microsoft
 * Word - bản trình ký.docx") is not read: the document's text says what it is.
 */
import { loadPdfJs } from './pdfjs.js';
import type { TextItem, TextMarkedContent } from 'pdfjs-dist/types/src/display/api.js';
import { UnsupportedDocumentError, type FootnoteAnchor, type LoadedSource, type OcrStats, type SourceBlock, type SourceFootnote } from './types.js';
import {
  OCR_TOLERANCE,
  TEXT_LAYER_TOLERANCE,
  bodyFrame,
  continuesParagraph,
  dropPageNumbers,
  dropRunningLines,
  lineText,
  readColumns,
  usualSpacing,
  type Frame,
  type LayoutLine,
  type LayoutPage,
  type LayoutTolerance,
  type Segment,
} from './layout.js';
import { cleanOcrParagraphs, ocrAvailable, ocrPages, REASON_OCR_EMPTY, REASON_OCR_FAILED, REASON_OCR_MISSING, type OcrOptions } from './ocr.js';

export const REASON_ENCRYPTED_PDF = 'PDF được mã hóa / encrypted PDF';
export const REASON_CORRUPT_PDF = 'PDF hỏng / corrupt PDF';
export const REASON_NO_TEXT_PDF = 'PDF không có lớp văn bản (bản quét) / no text layer: unsupported';

export type PdfLine = LayoutLine;

/** Stands in for an accepted footnote mark while a line is normalised (a Unicode noncharacter). */
const MARK = '\ufdd0';

function isTextItem(item: TextItem | TextMarkedContent): item is TextItem {
  return 'str' in item;
}

interface Part {
  str: string;
  x: number;
  width: number;
  /** Baseline in PDF user space (larger is higher on the page). */
  y: number;
  height: number;
}

/** Width of the text up to the first space after a word, from the parts' widths pro rata. */
function firstWordWidth(parts: readonly Part[]): number {
  let width = 0;
  let seen = false;
  for (const p of parts) {
    const chars = [...p.str];
    for (const ch of chars) {
      if (/\s/u.test(ch)) {
        if (seen) return width;
        continue;
      }
      seen = true;
      width += chars.length ? p.width / chars.length : 0;
    }
  }
  return width;
}

/**
 * Splits a line's parts into text and superscript numbers. A part is a superscript when it is
 * 1–3 digits, in a font at most 80% of the line's main font, raised by at least 15% of it —
 * how Word, LibreOffice and most PDF printers draw footnote references.
 */
function toLine(parts: Part[], pageHeight: number): PdfLine {
  // The main text: the tallest font among parts with visible characters, and its baseline.
  let main: Part | undefined;
  for (const p of parts) if (/\S/.test(p.str) && (!main || p.height > main.height)) main = p;
  const height = main?.height ?? parts[0]?.height ?? 0;
  const y = main?.y ?? parts[0]?.y ?? 0;
  const segments: Segment[] = [];
  for (const p of parts) {
    const digits = /^\s*(\d{1,3})\s*$/.exec(p.str);
    if (digits && main && p.height <= 0.8 * height && p.y - y >= 0.15 * height) {
      segments.push({ sup: Number(digits[1]), text: p.str });
    } else {
      const last = segments[segments.length - 1];
      if (last && !('sup' in last)) last.text += p.str;
      else segments.push({ text: p.str });
    }
  }
  const visible = parts.filter((p) => /\S/.test(p.str));
  const x0 = Math.min(...visible.map((p) => p.x));
  const x1 = Math.max(...visible.map((p) => p.x + p.width));
  return { segments, y: pageHeight - y, size: height, x0, x1, firstWordWidth: firstWordWidth(parts) };
}

/** A gap this many font heights wide separates two columns printed on one baseline. */
const COLUMN_GAP_EM = 3;

/**
 * Groups a page's text items into lines. Items arrive in content-stream order, which for
 * Word/LibreOffice exports is reading order; a new line starts after an item flagged `hasEOL` or
 * when the baseline moves by more than half the font height (so superscripts and subscripts,
 * raised by about a third of an em, stay on their line). A wide horizontal gap splits a line in
 * two (the columns of a document header). `y` is measured from the top of a page `pageHeight`
 * high.
 */
export function groupLines(items: (TextItem | TextMarkedContent)[], pageHeight = 0): PdfLine[] {
  const lines: PdfLine[] = [];
  let parts: Part[] = [];
  let lineY = 0;
  let lineHeight = 0;
  let endX = 0;
  let breakNext = false;
  const flush = () => {
    if (parts.some((p) => /\S/.test(p.str))) lines.push(toLine(parts, pageHeight));
    parts = [];
  };
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const x = item.transform[4] ?? 0;
    const y = item.transform[5] ?? 0;
    const height = Math.abs(item.height) || Math.abs(item.transform[3] ?? 0) || 10;
    if (item.str) {
      const tolerance = Math.max(1, 0.5 * Math.max(height, lineHeight));
      const columnGap = /\S/.test(item.str) && parts.length > 0 && x - endX > COLUMN_GAP_EM * Math.max(height, lineHeight);
      if (parts.length && (breakNext || columnGap || Math.abs(y - lineY) > tolerance)) flush();
      breakNext = false;
      if (!parts.length) {
        lineY = y;
        lineHeight = height;
      } else {
        // pdf.js usually emits its own " " items; add one when a visible gap has none.
        const prev = parts[parts.length - 1]!;
        if (x - endX > 0.15 * height && !/\s$/.test(prev.str) && !/^\s/.test(item.str)) parts.push({ str: ' ', x: endX, width: x - endX, y, height: 0 });
        lineHeight = Math.max(lineHeight, height);
      }
      parts.push({ str: item.str, x, width: item.width, y, height });
      // A trailing " " item must not hide the gap before the next column.
      if (/\S/.test(item.str)) endX = x + item.width;
    }
    if (item.hasEOL) breakNext = true;
  }
  flush();
  return lines;
}

/** A line's text with every superscript written back as plain digits. */
export function plainText(line: PdfLine): string {
  return lineText(line);
}

interface Rendered {
  text: string;
  anchors: FootnoteAnchor[];
}

/**
 * NFC, one space per white-space run, trimmed; accepted marks (footnote numbers in `accept`)
 * are removed and returned with the offset where they stood, other superscripts stay as text.
 */
function renderLine(segments: Segment[], accept: (n: number) => boolean): Rendered {
  const marks: number[] = [];
  let raw = '';
  for (const s of segments) {
    if ('sup' in s && accept(s.sup)) {
      raw += MARK;
      marks.push(s.sup);
    } else raw += s.text.replaceAll(MARK, '');
  }
  let text = '';
  let space = false;
  let k = 0;
  const anchors: FootnoteAnchor[] = [];
  for (const ch of raw.normalize('NFC')) {
    if (ch === MARK) {
      const n = marks[k++];
      if (n !== undefined) anchors.push({ n, offset: text.length + (space && text ? 1 : 0) });
    } else if (/\s/u.test(ch)) space = true;
    else {
      if (space && text) text += ' ';
      space = false;
      text += ch;
    }
  }
  for (const a of anchors) a.offset = Math.min(a.offset, text.length);
  return { text, anchors };
}

interface PageNotes {
  /** Footnote numbers both referenced in the body and defined at the page foot. */
  accepted: Set<number>;
  /** Line index → footnote number, for the lines that start a footnote. */
  starts: Map<number, number>;
  /** Lines that look like a footnote start but whose number no mark refers to. */
  rejected: Set<number>;
  /** Index of the first footnote line: from here down, lines belong to the footnotes. */
  firstNoteLine: number;
}

/**
 * Finds the page's footnotes. A footnote starts on a line that begins with a superscript number
 * followed by text (not by punctuation or a lower-case word, which is a mark wrapped onto a new
 * body line). A number counts as a footnote only when the same page also has it as a mark in a
 * body line above: a superscript "2" in "m2" with no footnote 2 below stays text, and so does a
 * numbered line without a matching mark. Footnotes fill the page from the first one down.
 */
function findPageNotes(lines: readonly PdfLine[]): PageNotes {
  const candidates = new Map<number, number>();
  lines.forEach((line, i) => {
    const [first, second] = line.segments.filter((s) => 'sup' in s || /\S/.test(s.text));
    if (first && 'sup' in first && second && !('sup' in second) && /^\s*[^\s.,;:)\]\p{Ll}]/u.test(second.text)) {
      if (![...candidates.values()].includes(first.sup)) candidates.set(i, first.sup);
    }
  });
  const accepted = new Set<number>();
  const starts = new Map<number, number>();
  const rejected = new Set<number>();
  let firstNoteLine = lines.length;
  for (const [i, n] of candidates) {
    const defLine = lines[i]!;
    const referenced = lines.some(
      (l, j) => j < i && !candidates.has(j) && l.y < defLine.y && l.segments.some((s) => 'sup' in s && s.sup === n),
    );
    if (!referenced) {
      rejected.add(i);
      continue;
    }
    accepted.add(n);
    starts.set(i, n);
    firstNoteLine = Math.min(firstNoteLine, i);
  }
  return { accepted, starts, rejected, firstNoteLine };
}

/** A body line, rendered, with the geometry paragraphs are rebuilt from. */
interface BodyLine extends Rendered {
  line: PdfLine;
}

interface SplitPage {
  body: BodyLine[];
  /** Larger text below the footnotes (a footer), or numbered lines no mark refers to. */
  trailing: BodyLine[];
  notes: { n: number; text: string }[];
}

/** Separates a page's footnotes from its body; footnote numbers become document-wide. */
function splitNotes(lines: readonly PdfLine[], usedNumbers: Set<number>): SplitPage {
  const { accepted, starts, rejected, firstNoteLine } = findPageNotes(lines);
  // Footnote numbers are unique document-wide; numbering that restarts on every page (a Word
  // option) gets the next free number instead.
  const global = new Map<number, number>();
  for (const n of [...accepted].sort((a, b) => a - b)) {
    const g = usedNumbers.has(n) ? Math.max(...usedNumbers) + 1 : n;
    usedNumbers.add(g);
    global.set(n, g);
  }
  const accept = (n: number) => accepted.has(n);
  const out: SplitPage = { body: [], trailing: [], notes: [] };
  let current: { n: number; parts: string[]; size: number } | undefined;
  const closeNote = () => {
    if (current) out.notes.push({ n: current.n, text: renderLine([{ text: current.parts.join(' ') }], () => false).text });
    current = undefined;
  };
  lines.forEach((line, i) => {
    const start = starts.get(i);
    if (i < firstNoteLine) {
      const r = renderLine(line.segments, accept);
      out.body.push({ line, text: r.text, anchors: r.anchors.map((a) => ({ n: global.get(a.n) ?? a.n, offset: a.offset })) });
    } else if (start !== undefined) {
      closeNote();
      // The leading number is the footnote's own mark, not part of its text.
      const firstSup = line.segments.findIndex((s) => 'sup' in s);
      const rest = line.segments.filter((_, k) => k !== firstSup);
      current = { n: global.get(start) ?? start, parts: [renderLine(rest, () => false).text], size: line.size };
    } else if (current && !rejected.has(i) && line.size <= current.size * 1.15) {
      current.parts.push(renderLine(line.segments, () => false).text);
    } else {
      closeNote();
      out.trailing.push({ line, ...renderLine(line.segments, () => false) });
    }
  });
  closeNote();
  return out;
}

interface Paragraph {
  text: string;
  anchors: FootnoteAnchor[];
}

interface PageBody {
  lines: BodyLine[];
  frame: Frame | undefined;
  tolerance: LayoutTolerance;
  /** Lines that never join a paragraph (text printed below a page's footnotes). */
  standalone?: boolean;
}

/** Joins body lines into paragraphs by geometry, carrying a paragraph over page breaks. */
function buildParagraphs(pages: readonly PageBody[], documentFrame: Frame | undefined, spacing: Map<LayoutTolerance, number | undefined>): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  let last: BodyLine | undefined;
  let lastFrame: Frame | undefined;
  pages.forEach((page, p) => {
    const frame = page.frame ?? documentFrame;
    page.lines.forEach((line, i) => {
      const prev = paragraphs[paragraphs.length - 1];
      if (!line.text) {
        // A line holding nothing but a mark: the mark ends the line before it.
        if (prev) prev.anchors.push(...line.anchors.map((a) => ({ n: a.n, offset: prev.text.length })));
        return;
      }
      const pageBreak = i === 0 && p > 0;
      const joins =
        !page.standalone &&
        prev !== undefined &&
        last !== undefined &&
        lastFrame !== undefined &&
        frame !== undefined &&
        continuesParagraph(last.line, line.line, {
          frame: lastFrame,
          nextFrame: frame,
          spacing: spacing.get(page.tolerance),
          tolerance: page.tolerance,
          pageBreak,
        });
      if (joins) {
        const shift = prev.text.length + 1;
        prev.anchors.push(...line.anchors.map((a) => ({ n: a.n, offset: a.offset + shift })));
        prev.text = `${prev.text} ${line.text}`;
      } else paragraphs.push({ text: line.text, anchors: [...line.anchors] });
      last = page.standalone ? undefined : line;
      lastFrame = frame;
    });
  });
  return paragraphs;
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err === 'object' && err && 'name' in err ? String(err.name) : '';
}

export interface PdfResult extends LoadedSource {
  /** E.g. pages without a text layer in an otherwise digital PDF. */
  warnings: string[];
}

export interface PdfOptions {
  /** OCR for pages without a text layer; `false` refuses scans as before. Default: on. */
  ocr?: OcrOptions | false;
}

interface TextLayer {
  pages: (LayoutPage & { ocr: boolean })[];
  emptyPages: number[];
}

async function readTextLayer(content: Buffer): Promise<TextLayer> {
  const { getDocument, VerbosityLevel } = await loadPdfJs();
  const task = getDocument({
    // A copy: pdf.js transfers (detaches) the array it is given, which must not be the caller's.
    data: new Uint8Array(content),
    useSystemFonts: false,
    isEvalSupported: false,
    disableFontFace: true,
    verbosity: VerbosityLevel.ERRORS,
  });
  const out: TextLayer = { pages: [], emptyPages: [] };
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
        const { width: widthPt, height: heightPt } = page.getViewport({ scale: 1 });
        const content = await page.getTextContent();
        const lines = groupLines(content.items, heightPt).filter((l) => /\S/.test(plainText(l)));
        if (lines.length === 0) out.emptyPages.push(p);
        out.pages.push({ lines, widthPt, heightPt, ocr: false });
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
  return out;
}

/** Reads pages without a text layer through OCR, in place. */
async function ocrEmptyPages(content: Buffer, layer: TextLayer, options: OcrOptions): Promise<OcrStats> {
  let result;
  try {
    result = await ocrPages(content, layer.emptyPages, options);
  } catch (err) {
    // A program that crashed or ran past its time limit on this file: the file is skipped, the
    // reason says why (the first line of the error, without the scratch paths' noise).
    const detail = err instanceof Error ? (err as Error & { killed?: boolean }).killed ? 'quá thời gian / timed out' : (err.message.split('\n')[0] ?? '') : String(err);
    throw new UnsupportedDocumentError(`${REASON_OCR_FAILED} (${detail.slice(0, 200)})`, { cause: err });
  }
  for (const [p, page] of result.pages) {
    layer.pages[p - 1] = { ...page, ocr: true };
  }
  return { pages: result.pages.size, durationMs: result.durationMs };
}

/**
 * Reads a PDF: its text layer, and OCR for pages that have none. Throws UnsupportedDocumentError
 * for encrypted (password needed) and corrupt PDFs, and for scans when OCR is off or its
 * programs are missing (the reason names the packages to install).
 */
export async function loadPdf(content: Buffer, options: PdfOptions = {}): Promise<PdfResult> {
  const layer = await readTextLayer(content);
  const warnings: string[] = [];
  let ocr: OcrStats | undefined;
  if (layer.emptyPages.length) {
    const scanOnly = layer.emptyPages.length === layer.pages.length;
    if (options.ocr !== false && (await ocrAvailable(options.ocr))) {
      ocr = await ocrEmptyPages(content, layer, options.ocr ?? {});
    } else if (scanOnly) {
      throw new UnsupportedDocumentError(options.ocr === false ? REASON_NO_TEXT_PDF : REASON_OCR_MISSING);
    } else {
      warnings.push(`${layer.emptyPages.length}/${layer.pages.length} trang không có lớp văn bản (bản quét?) / pages without a text layer were skipped`);
    }
  }

  const pages = layer.pages.map((p) => ({ ...p, lines: dropPageNumbers(p.lines) }));
  const runningDropped = dropRunningLines(pages);
  const usedNumbers = new Set<number>();
  const bodies: PageBody[] = [];
  const notes: { n: number; text: string }[] = [];
  const trailing: BodyLine[][] = [];
  for (const page of pages) {
    const frame = bodyFrame(page.lines, page.widthPt);
    const ordered = frame ? readColumns(page.lines, frame) : page.lines;
    // OCR reads glued marks as digits ("xã1"): no superscripts, no footnotes to split off.
    const split = page.ocr ? { body: ordered.map((line) => ({ line, text: renderLine(line.segments, () => false).text, anchors: [] })), trailing: [], notes: [] } : splitNotes(ordered, usedNumbers);
    bodies.push({ lines: split.body, frame: page.lines.length >= 5 ? frame : undefined, tolerance: page.ocr ? OCR_TOLERANCE : TEXT_LAYER_TOLERANCE });
    trailing.push(split.trailing);
    notes.push(...split.notes);
  }
  const documentFrame = bodyFrame(pages.flatMap((p) => p.lines), Math.max(0, ...pages.map((p) => p.widthPt)));
  const spacing = new Map<LayoutTolerance, number | undefined>();
  for (const tolerance of [TEXT_LAYER_TOLERANCE, OCR_TOLERANCE]) {
    spacing.set(tolerance, usualSpacing(bodies.filter((b) => b.tolerance === tolerance).map((b) => b.lines.map((l) => l.line)), tolerance));
  }
  // Text printed below a page's footnotes stays after that page's body, on lines of its own.
  const withTrailing = bodies.flatMap((b, i) => {
    const extra = trailing[i] ?? [];
    return extra.length ? [b, { lines: extra, frame: undefined, tolerance: b.tolerance, standalone: true }] : [b];
  });
  let paragraphs = buildParagraphs(withTrailing, documentFrame, spacing);
  if (ocr) paragraphs = cleanOcrParagraphs(paragraphs);

  const blocks: SourceBlock[] = [];
  const footnotes: SourceFootnote[] = [];
  let originalText = '';
  let count = 0;
  const append = (text: string) => {
    if (count++ > 0) originalText += '\n';
    const start = originalText.length;
    originalText += text;
    return { start, end: originalText.length };
  };
  for (const para of paragraphs) blocks.push({ text: para.text, ...append(para.text), footnoteAnchors: para.anchors });
  if (!blocks.length) throw new UnsupportedDocumentError(ocr ? REASON_OCR_EMPTY : REASON_NO_TEXT_PDF);
  for (const f of notes) if (f.text) footnotes.push({ n: f.n, text: f.text, ...append(f.text) });
  // A footnote whose text came out empty is gone; so must be its anchors.
  const defined = new Set(footnotes.map((f) => f.n));
  for (const b of blocks) b.footnoteAnchors = b.footnoteAnchors.filter((a) => defined.has(a.n));

  if (runningDropped > 0) {
    warnings.push(`đã bỏ ${runningDropped} dòng đầu/chân trang lặp lại / dropped ${runningDropped} running header/footer lines`);
  }
  return { format: 'pdf', originalText, blocks, footnotes, warnings, ...(ocr ? { ocr } : {}) };
}
