/**
 * PDF loader: pdf.js text layer → one block per visual line.
 *
 * PDFs have no paragraphs, headings or footnote structure, only positioned text. We rebuild
 * lines (pdf.js marks line ends with `hasEOL`; we also break when the baseline moves) and leave
 * the rest — re-joining wrapped lines, detecting "I.", "1." headings — to the shared structure
 * parser, which works on plain lines for every format. Lines that only belong to the page, not
 * the text, are dropped, since they would split sentences running on across a page break: page
 * numbers alone on the first or last line of a page, and running headers/footers repeated at
 * the same edge of most pages (never on the first page).
 *
 * Footnotes: Word-made PDFs draw footnote marks as small raised digits and list the notes at the
 * page foot, each starting with the same raised digit. When a page has both the mark (in a body
 * line above) and the note, the mark is removed from the line and recorded as an anchor, and the
 * note's lines become one SourceFootnote; raised digits without a matching note ("m²") stay text.
 *
 * originalText = the kept body lines of all pages in order, then the footnotes, joined by "\n";
 * `originalText.slice(x.start, x.end) === x.text` for every block and footnote. Text is NFC with
 * white-space runs collapsed to one space.
 */
import { loadPdfJs } from './pdfjs.js';
import type { TextItem, TextMarkedContent } from 'pdfjs-dist/types/src/display/api.js';
import { UnsupportedDocumentError, type FootnoteAnchor, type LoadedSource, type SourceBlock, type SourceFootnote } from './types.js';

export const REASON_ENCRYPTED_PDF = 'PDF được mã hóa / encrypted PDF';
export const REASON_CORRUPT_PDF = 'PDF hỏng / corrupt PDF';
export const REASON_NO_TEXT_PDF = 'PDF không có lớp văn bản (bản quét) / no text layer: unsupported';

/** A piece of a line: plain text, or a raised small number (a footnote mark, or "m²"). */
type Segment = { text: string } | { sup: number; text: string };

export interface PdfLine {
  segments: Segment[];
  /** Baseline y of the line's main text (PDF user space: larger is higher on the page). */
  y: number;
  /** Font height of the line's main text. */
  height: number;
}

/**
 * "12", "- 12 -", "– 3 –", "Trang 4", "4/10", "Trang 4/10", and front-matter "iv": a page number
 * standing alone. Roman numerals only in lower case, so a bare "I" section label survives.
 */
const PAGE_NUMBER = /^(?:(?:[Tt]rang\s+)?[-–—]?\s*\d{1,4}\s*(?:\/\s*\d{1,4})?\s*[-–—]?|[ivxlc]{1,7})$/u;

/** Stands in for an accepted footnote mark while a line is normalised (a Unicode noncharacter). */
const MARK = '\ufdd0';

function isTextItem(item: TextItem | TextMarkedContent): item is TextItem {
  return 'str' in item;
}

interface Part {
  str: string;
  y: number;
  height: number;
}

/**
 * Splits a line's parts into text and superscript numbers. A part is a superscript when it is
 * 1–3 digits, in a font at most 80% of the line's main font, raised by at least 15% of it —
 * how Word, LibreOffice and most PDF printers draw footnote references.
 */
function toLine(parts: Part[]): PdfLine {
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
  return { segments, y, height };
}

/**
 * Groups a page's text items into lines. Items arrive in content-stream order, which for
 * Word/LibreOffice exports is reading order; a new line starts after an item flagged `hasEOL` or
 * when the baseline moves by more than half the font height (so superscripts and subscripts,
 * raised by about a third of an em, stay on their line).
 */
export function groupLines(items: (TextItem | TextMarkedContent)[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let parts: Part[] = [];
  let lineY = 0;
  let lineHeight = 0;
  let endX = 0;
  let breakNext = false;
  const flush = () => {
    if (parts.length) lines.push(toLine(parts));
    parts = [];
  };
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const x = item.transform[4] ?? 0;
    const y = item.transform[5] ?? 0;
    const height = Math.abs(item.height) || Math.abs(item.transform[3] ?? 0) || 10;
    if (item.str) {
      const tolerance = Math.max(1, 0.5 * Math.max(height, lineHeight));
      if (parts.length && (breakNext || Math.abs(y - lineY) > tolerance)) flush();
      breakNext = false;
      if (!parts.length) {
        lineY = y;
        lineHeight = height;
      } else {
        // pdf.js usually emits its own " " items; add one when a visible gap has none.
        const prev = parts[parts.length - 1]!;
        if (x - endX > 0.15 * height && !/\s$/.test(prev.str) && !/^\s/.test(item.str)) parts.push({ str: ' ', y, height: 0 });
        lineHeight = Math.max(lineHeight, height);
      }
      parts.push({ str: item.str, y, height });
      endX = x + item.width;
    }
    if (item.hasEOL) breakNext = true;
  }
  flush();
  return lines;
}

/** A line's text with every superscript written back as plain digits. */
export function plainText(line: PdfLine): string {
  return line.segments.map((s) => s.text).join('');
}

/**
 * NFC, one space per white-space run, trimmed; accepted marks (footnote numbers in `accept`)
 * are removed and returned with the offset where they stood, other superscripts stay as text.
 */
function renderLine(segments: Segment[], accept: (n: number) => boolean): { text: string; anchors: FootnoteAnchor[] } {
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

/** Drops a page number standing alone on the page's top- or bottom-most line. */
function dropPageNumbers(lines: PdfLine[]): PdfLine[] {
  if (lines.length === 0) return lines;
  const ys = lines.map((l) => l.y);
  const top = Math.max(...ys);
  const bottom = Math.min(...ys);
  return lines.filter((l) => !((l.y === top || l.y === bottom) && PAGE_NUMBER.test(plainText(l).trim())));
}

/**
 * Drops running headers and footers: the top- or bottom-most line of a page whose text (digits
 * ignored, so "Trang 3 - Báo cáo 12" counts as one) recurs at the same edge on at least half of
 * the pages, and on at least 3. Like page numbers, they would cut sentences that run on across
 * a page break. The first page is left alone. Returns the number of lines dropped.
 */
function dropRunningLines(pages: PdfLine[][]): number {
  if (pages.length < 3) return 0;
  const key = (edge: string, line: PdfLine) => `${edge}\u0000${plainText(line).replace(/\s+/g, ' ').trim().replace(/\d+/g, '#')}`;
  const edges = pages.map((lines) => {
    if (!lines.length) return [];
    const ys = lines.map((l) => l.y);
    const top = Math.max(...ys);
    const bottom = Math.min(...ys);
    return lines.flatMap((l) => [...(l.y === top ? [key('top', l)] : []), ...(l.y === bottom ? [key('bottom', l)] : [])]);
  });
  const counts = new Map<string, number>();
  for (const keys of edges) for (const k of new Set(keys)) counts.set(k, (counts.get(k) ?? 0) + 1);
  const threshold = Math.max(3, Math.ceil(pages.length / 2));
  const running = new Set([...counts].filter(([, c]) => c >= threshold).map(([k]) => k));
  if (!running.size) return 0;
  let dropped = 0;
  pages.forEach((lines, p) => {
    // The first page keeps its lines: a header repeating the title must not take the title.
    if (p === 0) return;
    const ys = lines.map((l) => l.y);
    const top = Math.max(...ys);
    const bottom = Math.min(...ys);
    pages[p] = lines.filter((l) => {
      const drop = (l.y === top && running.has(key('top', l))) || (l.y === bottom && running.has(key('bottom', l)));
      if (drop) dropped++;
      return !drop;
    });
  });
  return dropped;
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
function findPageNotes(lines: PdfLine[]): PageNotes {
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
      (l, j) => j < i && !candidates.has(j) && l.y > defLine.y && l.segments.some((s) => 'sup' in s && s.sup === n),
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
  const { getDocument, VerbosityLevel } = await loadPdfJs();
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
        const lines = groupLines(content.items).filter((l) => /\S/.test(plainText(l)));
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

  const runningDropped = dropRunningLines(pageLines);

  const body: { text: string; anchors: FootnoteAnchor[] }[] = [];
  const notes: { n: number; text: string }[] = [];
  const usedNumbers = new Set<number>();
  for (const lines of pageLines) {
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
    const trailingBody: typeof body = [];
    let current: { n: number; parts: string[]; height: number } | undefined;
    const closeNote = () => {
      if (current) notes.push({ n: current.n, text: renderLine([{ text: current.parts.join(' ') }], () => false).text });
      current = undefined;
    };
    lines.forEach((line, i) => {
      const start = starts.get(i);
      if (i < firstNoteLine) {
        const r = renderLine(line.segments, accept);
        body.push({ text: r.text, anchors: r.anchors.map((a) => ({ n: global.get(a.n) ?? a.n, offset: a.offset })) });
      } else if (start !== undefined) {
        closeNote();
        // The leading number is the footnote's own mark, not part of its text.
        const firstSup = line.segments.findIndex((s) => 'sup' in s);
        const rest = line.segments.filter((_, k) => k !== firstSup);
        current = { n: global.get(start) ?? start, parts: [renderLine(rest, () => false).text], height: line.height };
      } else if (current && !rejected.has(i) && line.height <= current.height * 1.15) {
        current.parts.push(renderLine(line.segments, () => false).text);
      } else {
        // Larger text below the footnotes (a footer), or a numbered line no mark refers to: keep
        // it as a body line, after the page's body.
        closeNote();
        trailingBody.push({ text: renderLine(line.segments, () => false).text, anchors: [] });
      }
    });
    closeNote();
    body.push(...trailingBody);
  }

  const blocks: SourceBlock[] = [];
  const footnotes: SourceFootnote[] = [];
  let originalText = '';
  let parts = 0;
  const append = (text: string) => {
    if (parts++ > 0) originalText += '\n';
    const start = originalText.length;
    originalText += text;
    return { start, end: originalText.length };
  };
  for (const b of body) {
    if (b.text) {
      blocks.push({ text: b.text, ...append(b.text), footnoteAnchors: b.anchors });
      continue;
    }
    // A line holding nothing but a mark: the mark ends the line before it.
    const prev = blocks[blocks.length - 1];
    if (prev) prev.footnoteAnchors.push(...b.anchors.map((a) => ({ n: a.n, offset: prev.text.length })));
  }
  if (!blocks.length) throw new UnsupportedDocumentError(REASON_NO_TEXT_PDF);
  for (const f of notes) if (f.text) footnotes.push({ n: f.n, text: f.text, ...append(f.text) });
  // A footnote whose text came out empty is gone; so must be its anchors.
  const defined = new Set(footnotes.map((f) => f.n));
  for (const b of blocks) b.footnoteAnchors = b.footnoteAnchors.filter((a) => defined.has(a.n));

  const warnings: string[] = [];
  if (emptyPages > 0) {
    warnings.push(`${emptyPages}/${pageLines.length} trang không có lớp văn bản (bản quét?) / pages without a text layer were skipped`);
  }
  if (runningDropped > 0) {
    warnings.push(`đã bỏ ${runningDropped} dòng đầu/chân trang lặp lại / dropped ${runningDropped} running header/footer lines`);
  }
  return { format: 'pdf', originalText, blocks, footnotes, warnings };
}
