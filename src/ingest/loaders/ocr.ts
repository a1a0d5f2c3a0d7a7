/**
 * OCR for PDF pages without a text layer (scans of signed, stamped originals): each page is
 * rendered with poppler's `pdftoppm` and read with Tesseract's Vietnamese model. Tesseract's TSV
 * output gives every word's box, so an OCR'd page becomes the same positioned lines as a text
 * layer and goes through the same layout rules (furniture, columns, paragraphs) and then the same
 * structure parser. Both programs run as child processes with a timeout per page; the scratch
 * images live in a temporary folder that is removed afterwards.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { romanNumeral, romanValue } from './roman.js';
import type { LayoutLine, LayoutPage } from './layout.js';

const run = promisify(execFile);

export const OCR_PACKAGES = 'tesseract-ocr tesseract-ocr-vie poppler-utils';
export const REASON_OCR_MISSING = `PDF bản quét, cần OCR: cài đặt gói ${OCR_PACKAGES} (apt-get install ${OCR_PACKAGES}) / scanned PDF: install ${OCR_PACKAGES} to read it`;
export const REASON_OCR_FAILED = 'PDF bản quét: OCR thất bại / OCR failed';
export const REASON_OCR_EMPTY = 'PDF bản quét: OCR không đọc được chữ nào / scanned PDF: OCR found no text';

export interface OcrPageEvent {
  /** 1-based page number in the PDF. */
  page: number;
  /** Position of this page among the pages being OCR'd, and their count. */
  index: number;
  total: number;
  durationMs: number;
}

export interface OcrOptions {
  /** Rendering resolution; Tesseract reads body text best around 300 dpi. */
  dpi?: number;
  /** Per page and program; a stuck process is killed. */
  pageTimeoutMs?: number;
  /** Tesseract language(s). */
  language?: string;
  /** Program paths (tests point them elsewhere to act out missing packages). */
  pdftoppmPath?: string;
  tesseractPath?: string;
  onPage?: (e: OcrPageEvent) => void;
}

const DEFAULT_DPI = 300;
/** Below the parse worker's time limit, which restarts after every page read. */
const DEFAULT_PAGE_TIMEOUT_MS = 45_000;
const DEFAULT_LANGUAGE = 'vie';
const PROBE_TIMEOUT_MS = 10_000;

const availability = new Map<string, Promise<boolean>>();

/** Are pdftoppm and Tesseract with the language model installed? Probed once per setting. */
export function ocrAvailable(options: OcrOptions = {}): Promise<boolean> {
  const pdftoppm = options.pdftoppmPath ?? 'pdftoppm';
  const tesseract = options.tesseractPath ?? 'tesseract';
  const language = options.language ?? DEFAULT_LANGUAGE;
  const key = `${pdftoppm}\u0000${tesseract}\u0000${language}`;
  let probe = availability.get(key);
  if (!probe) {
    probe = (async () => {
      try {
        await run(pdftoppm, ['-v'], { timeout: PROBE_TIMEOUT_MS });
        const { stdout } = await run(tesseract, ['--list-langs'], { timeout: PROBE_TIMEOUT_MS });
        const installed = new Set(stdout.split(/\r?\n/).map((l) => l.trim()));
        return language.split('+').every((l) => installed.has(l));
      } catch {
        return false;
      }
    })();
    availability.set(key, probe);
  }
  return probe;
}

interface TsvWord {
  key: string;
  left: number;
  top: number;
  width: number;
  height: number;
  conf: number;
  text: string;
}

/**
 * Specks, stamps and the scan's edges read as marks: a lone punctuation mark read with low
 * confidence, a bar, or a "dash" whose box is taller than wide (a real dash is flat).
 */
function isSpeck(w: TsvWord, dpi: number): boolean {
  if (/[\p{L}\p{N}]/u.test(w.text)) return false;
  // Smaller than a quarter of a millimetre: dust, even for a full stop.
  return w.conf < 60 || Math.max(w.width, w.height) < dpi / 100 || /^[|¦]+$/u.test(w.text) || (/^[-–—_~]+$/u.test(w.text) && w.height > w.width);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
}

/** A gap this many line heights wide separates two columns on one line. */
const COLUMN_GAP_EM = 3;
/** Tesseract's word confidence (0–100) below which a whole cell of such words is dropped. */
const MIN_CELL_CONFIDENCE = 45;

function wordsToLine(words: TsvWord[], scale: number): LayoutLine {
  const height = median(words.map((w) => w.height)) * scale;
  return {
    segments: [{ text: words.map((w) => w.text).join(' ') }],
    x0: words[0]!.left * scale,
    x1: Math.max(...words.map((w) => w.left + w.width)) * scale,
    // Most syllables have no descender: the median bottom edge is the baseline.
    y: median(words.map((w) => w.top + w.height)) * scale,
    size: height,
    firstWordWidth: words[0]!.width * scale,
  };
}

/**
 * Tesseract TSV → positioned lines in PDF points (the image was rendered at `dpi`). Words are
 * grouped by Tesseract's block/paragraph/line numbers; a wide gap splits a line into columns.
 */
export function parseTesseractTsv(tsv: string, dpi: number): LayoutPage {
  const scale = 72 / dpi;
  let pageHeightPx = 0;
  let pageWidthPx = 0;
  const groups = new Map<string, TsvWord[]>();
  for (const row of tsv.split(/\r?\n/).slice(1)) {
    const cols = row.split('\t');
    if (cols.length < 12) continue;
    const [level, , block, par, line, , left, top, width, height, conf] = cols.slice(0, 11).map(Number);
    const text = cols.slice(11).join('\t').trim();
    if (level === 1) {
      pageHeightPx = Math.max(pageHeightPx, (top ?? 0) + (height ?? 0));
      pageWidthPx = Math.max(pageWidthPx, (left ?? 0) + (width ?? 0));
    }
    if (level !== 5 || !text) continue;
    const word: TsvWord = { key: `${block}.${par}.${line}`, left: left ?? 0, top: top ?? 0, width: width ?? 0, height: height ?? 0, conf: conf ?? 0, text: text.normalize('NFC') };
    const list = groups.get(word.key) ?? [];
    list.push(word);
    groups.set(word.key, list);
  }
  const lines: LayoutLine[] = [];
  for (const words of groups.values()) {
    const kept = words.filter((w) => !isSpeck(w, dpi));
    if (!kept.length) continue;
    const lineHeight = median(kept.map((w) => w.height));
    let cell: TsvWord[] = [];
    const pushCell = () => {
      // A cell Tesseract is unsure of throughout is a signature's strokes or a stamp, not text.
      // So is one of symbols only, except the rules and stars a header prints ("*", "-----").
      const text = cell.map((w) => w.text).join('');
      const symbolsOnly = !/[\p{L}\p{N}]/u.test(text) && !/^[*\-–—_=.•]+$/u.test(text);
      if (!symbolsOnly && cell.some((w) => w.conf >= MIN_CELL_CONFIDENCE)) lines.push(wordsToLine(cell, scale));
      cell = [];
    };
    for (const w of kept.sort((a, b) => a.left - b.left)) {
      const prev = cell[cell.length - 1];
      if (prev && w.left - (prev.left + prev.width) > COLUMN_GAP_EM * lineHeight) pushCell();
      cell.push(w);
    }
    pushCell();
  }
  lines.sort((a, b) => a.y - b.y || a.x0 - b.x0);
  return { lines, widthPt: pageWidthPx * scale, heightPt: pageHeightPx * scale };
}

/** Otsu's threshold of a gray histogram: the level that best separates ink from paper. */
export function otsuThreshold(histogram: readonly number[]): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  const sum = histogram.reduce((a, c, level) => a + c * level, 0);
  let below = 0;
  let belowSum = 0;
  let best = 0;
  let bestVariance = -1;
  for (let t = 0; t < histogram.length; t++) {
    below += histogram[t] ?? 0;
    belowSum += t * (histogram[t] ?? 0);
    const above = total - below;
    if (!below || !above) continue;
    const diff = belowSum / below - (sum - belowSum) / above;
    const variance = below * above * diff * diff;
    if (variance > bestVariance) [best, bestVariance] = [t, variance];
  }
  return best;
}

/**
 * A colour page (binary PPM) as black ink on white (binary PGM), from its red channel. Seals and
 * stamps on Vietnamese originals are red and are printed over the signer's title: in the red
 * channel red ink is as light as the paper, while black (and blue) ink stays dark. One threshold
 * for the whole page (Otsu's) then also clears the paper tone and most grey photocopy specks,
 * which Tesseract's local thresholding keeps and reads as stray marks.
 */
export function inkImage(ppm: Buffer): Buffer {
  const fields: string[] = [];
  let pos = 0;
  while (fields.length < 4 && pos < ppm.length) {
    while (pos < ppm.length && /\s/.test(String.fromCharCode(ppm[pos]!))) pos++;
    if (ppm[pos] === 0x23) {
      // A comment runs to the end of its line.
      while (pos < ppm.length && ppm[pos] !== 0x0a) pos++;
      continue;
    }
    const start = pos;
    while (pos < ppm.length && !/\s/.test(String.fromCharCode(ppm[pos]!))) pos++;
    fields.push(ppm.toString('latin1', start, pos));
  }
  const [magic, w, h, max] = fields;
  const width = Number(w);
  const height = Number(h);
  if (magic !== 'P6' || Number(max) > 255 || !(width > 0 && height > 0)) throw new Error('pdftoppm: unexpected image format');
  const pixels = ppm.subarray(pos + 1);
  const out = Buffer.alloc(width * height);
  const histogram = new Array<number>(256).fill(0);
  for (let i = 0; i < out.length; i++) {
    const red = pixels[3 * i] ?? 255;
    out[i] = red;
    histogram[red]!++;
  }
  const threshold = otsuThreshold(histogram);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! <= threshold ? 0 : 255;
  return Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1'), out]);
}

export interface OcrResult {
  /** 1-based page number → its lines. */
  pages: Map<number, LayoutPage>;
  durationMs: number;
}

/** Renders and reads the given pages of a PDF. Throws when a program fails or times out. */
export async function ocrPages(pdf: Buffer, pageNumbers: readonly number[], options: OcrOptions = {}): Promise<OcrResult> {
  const started = performance.now();
  const dpi = options.dpi ?? DEFAULT_DPI;
  const timeout = options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tro-ly-ocr-'));
  const pages = new Map<number, LayoutPage>();
  try {
    const input = path.join(dir, 'input.pdf');
    await fs.writeFile(input, pdf);
    for (const [index, page] of pageNumbers.entries()) {
      const pageStarted = performance.now();
      const base = path.join(dir, `page-${page}`);
      await run(options.pdftoppmPath ?? 'pdftoppm', ['-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', input, base], { timeout });
      const gray = `${base}.pgm`;
      await fs.writeFile(gray, inkImage(await fs.readFile(`${base}.ppm`)));
      await fs.rm(`${base}.ppm`, { force: true });
      const { stdout } = await run(options.tesseractPath ?? 'tesseract', [gray, 'stdout', '-l', options.language ?? DEFAULT_LANGUAGE, 'tsv'], {
        timeout,
        maxBuffer: 64 * 1024 * 1024,
      });
      pages.set(page, parseTesseractTsv(stdout, dpi));
      await fs.rm(gray, { force: true });
      options.onPage?.({ page, index: index + 1, total: pageNumbers.length, durationMs: performance.now() - pageStarted });
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return { pages, durationMs: performance.now() - started };
}

/** Clean-up of OCR'd paragraphs for misreadings the page geometry cannot catch. */
export function cleanOcrParagraphs<T extends { text: string }>(paragraphs: T[]): T[] {
  return repairRomanSequence(paragraphs).map((p) => {
    // A short line in capitals (the document type "BÁO CÁO", a heading) never ends in a full
    // stop; a speck after its last letter reads as one.
    const words = p.text.split(' ');
    if (words.length <= 6 && /\p{Lu}[.,:;]$/u.test(p.text) && p.text === p.text.toUpperCase()) return { ...p, text: p.text.slice(0, -1) };
    return p;
  });
}

/**
 * Tesseract sometimes drops one stroke of a bold "III." heading and reads "II.". Roman section
 * numbers count up one by one, so a number that repeats its predecessor where one more "I" gives
 * the next number is that misreading, and is put right.
 */
export function repairRomanSequence<T extends { text: string }>(paragraphs: T[]): T[] {
  let previous = 0;
  return paragraphs.map((p) => {
    const m = /^([IVXLCHTl|]{1,6})\.\s+\p{Lu}/u.exec(p.text);
    if (!m) return p;
    // Strokes Tesseract reads for "I"s: "l", "|", "T", and "H" for a pair.
    const label = m[1]!.replace(/H/g, 'II').replace(/[l|T]/g, 'I');
    const value = romanValue(label);
    if (value === undefined) return p;
    const expected = romanNumeral(previous + 1);
    const misread = label !== m[1] || (value <= previous && expected.replace('I', '') === label);
    if (misread && (value === previous + 1 || expected.replace('I', '') === label)) {
      previous += 1;
      return { ...p, text: expected + p.text.slice(m[1]!.length) };
    }
    previous = value;
    return p;
  });
}
