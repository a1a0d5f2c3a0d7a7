/**
 * Page layout from positioned text, shared by the PDF text layer (pdf.js) and OCR (Tesseract's
 * word boxes): page furniture, reading order of two-column blocks, and paragraphs rebuilt from
 * geometry. Neither source has paragraphs, only lines at positions; a paragraph is a run of
 * lines in one font size at the usual line spacing where every line but the last reaches the
 * right margin (the next line's first word would not have fitted) and no line after the first is
 * indented. That rule needs no vocabulary, so it holds for any report, also across page breaks.
 *
 * Coordinates are PDF points from the page's top-left corner (y grows downwards).
 */

/** A piece of a line: plain text, or a raised small number (a footnote mark, or "m²"). */
export type Segment = { text: string } | { sup: number; text: string };

export interface LayoutLine {
  segments: Segment[];
  /** Left and right edge of the line's text. */
  x0: number;
  x1: number;
  /** Baseline of the line's main text. */
  y: number;
  /** Font height of the line's main text. */
  size: number;
  /** Width of the first word: would it have fitted at the end of the line above? */
  firstWordWidth: number;
}

export interface LayoutPage {
  lines: LayoutLine[];
  widthPt: number;
  heightPt: number;
}

/** How exact the geometry is: a text layer is exact, OCR boxes wobble with diacritics and skew. */
export interface LayoutTolerance {
  /** Largest relative difference of font sizes within one paragraph. */
  sizeRatio: number;
  /** Largest line distance within a paragraph, relative to the document's usual distance. */
  spacingRatio: number;
  /** Indent, in font heights, from which a line starts a new paragraph. */
  indentEm: number;
}

export const TEXT_LAYER_TOLERANCE: LayoutTolerance = { sizeRatio: 0.15, spacingRatio: 1.15, indentEm: 0.8 };
export const OCR_TOLERANCE: LayoutTolerance = { sizeRatio: 0.4, spacingRatio: 1.25, indentEm: 1.2 };

export function lineText(line: LayoutLine): string {
  return line.segments.map((s) => s.text).join('');
}

/** Text-bearing width and left/right margins of the page's (or document's) body text. */
export interface Frame {
  left: number;
  right: number;
}

const frameWidth = (f: Frame) => Math.max(1, f.right - f.left);
const frameCenter = (f: Frame) => (f.left + f.right) / 2;

/**
 * The body frame: the most common left edge of the wider lines (justified body text starts
 * there), and the farthest right edge among them. Centered titles and narrow header columns
 * do not move it. The right edge is only the margin when at least two lines end there (justified
 * or full ragged lines) and the text between the edges spans at least half the room between
 * mirrored margins; a page of a few short lines has not shown its margin, which is then taken
 * to mirror the left one on a page `pageWidth` wide.
 */
export function bodyFrame(lines: readonly LayoutLine[], pageWidth: number): Frame | undefined {
  if (!lines.length) return undefined;
  const widest = Math.max(...lines.map((l) => l.x1 - l.x0));
  const wide = lines.filter((l) => l.x1 - l.x0 >= 0.5 * widest);
  const bins = new Map<number, number>();
  const bin = Math.max(1, widest / 100);
  for (const l of wide) {
    const k = Math.round(l.x0 / bin);
    bins.set(k, (bins.get(k) ?? 0) + 1);
  }
  let bestBin = 0;
  let bestCount = -1;
  for (const [k, c] of bins) if (c > bestCount || (c === bestCount && k < bestBin)) [bestBin, bestCount] = [k, c];
  const left = Math.min(...wide.filter((l) => Math.round(l.x0 / bin) === bestBin).map((l) => l.x0));
  const right = Math.max(...wide.map((l) => l.x1));
  const mirrored = pageWidth - left;
  const atRight = wide.filter((l) => right - l.x1 <= l.size).length;
  const plausible = right - left >= 0.5 * (mirrored - left);
  return { left, right: atRight >= 2 && plausible ? right : Math.max(right, mirrored) };
}

/** The usual distance between baselines of consecutive lines of one size: the mode, in points. */
export function usualSpacing(pages: readonly (readonly LayoutLine[])[], tolerance: LayoutTolerance): number | undefined {
  const bins = new Map<number, number>();
  for (const lines of pages) {
    for (let i = 1; i < lines.length; i++) {
      const a = lines[i - 1]!;
      const b = lines[i]!;
      const d = b.y - a.y;
      if (d <= 0.8 * a.size || d > 3 * a.size || !sameSize(a, b, tolerance)) continue;
      const k = Math.round(d * 2);
      bins.set(k, (bins.get(k) ?? 0) + 1);
    }
  }
  let best: number | undefined;
  let count = 0;
  for (const [k, c] of bins) if (c > count || (c === count && best !== undefined && k < best)) [best, count] = [k, c];
  return best === undefined ? undefined : best / 2;
}

function sameSize(a: LayoutLine, b: LayoutLine, tolerance: LayoutTolerance): boolean {
  return Math.abs(a.size - b.size) <= tolerance.sizeRatio * Math.max(a.size, b.size);
}

/** "I. …", "2. …", "2.1. …", "a) …" and list bullets start their own block, whatever the geometry. */
const BLOCK_START = /^(?:(?:[IVXLC]{1,6}|\d{1,2}(?:\.\d{1,2}){0,3})[.)]\s+[\p{Lu}\p{N}]|[a-zđ]\)\s|[-–+•]\s*\p{Lu})/u;

export function startsBlock(text: string): boolean {
  return BLOCK_START.test(text.trim());
}

/** Centered: equal room on both sides, and some room (a justified line has none). */
function isCentered(line: LayoutLine, frame: Frame): boolean {
  const leftRoom = line.x0 - frame.left;
  const rightRoom = frame.right - line.x1;
  return Math.abs(leftRoom - rightRoom) <= Math.max(line.size, 0.03 * frameWidth(frame)) && Math.min(leftRoom, rightRoom) > 0.5 * line.size;
}

/** "-----", "***": the rule under a title, never part of a paragraph. */
const SEPARATOR = /^[-_=*.•·–—\s]+$/u;

/** Does `a` run to the right margin, i.e. was it broken only because `b`'s first word did not fit? */
function reachesMargin(a: LayoutLine, b: LayoutLine, frame: Frame): boolean {
  const room = frame.right - a.x1;
  return room <= b.firstWordWidth + 0.6 * a.size;
}

function indented(b: LayoutLine, a: LayoutLine | undefined, frame: Frame, tolerance: LayoutTolerance): boolean {
  const limit = tolerance.indentEm * b.size;
  return b.x0 - frame.left > limit || (a !== undefined && b.x0 - a.x0 > limit);
}

export interface JoinContext {
  frame: Frame;
  /** Frame of `b`'s page when it differs (a page break). */
  nextFrame?: Frame;
  spacing: number | undefined;
  tolerance: LayoutTolerance;
  /** `b` is the first line of the page after `a`'s. */
  pageBreak: boolean;
}

/** Does line `b` continue the paragraph that line `a` ends? */
export function continuesParagraph(a: LayoutLine, b: LayoutLine, ctx: JoinContext): boolean {
  const { frame, tolerance } = ctx;
  if (!sameSize(a, b, tolerance) || startsBlock(lineText(b)) || SEPARATOR.test(lineText(a)) || SEPARATOR.test(lineText(b))) return false;
  if (!ctx.pageBreak) {
    const distance = b.y - a.y;
    const usual = ctx.spacing ?? 1.45 * Math.max(a.size, b.size);
    if (distance <= 0 || distance > usual * tolerance.spacingRatio) return false;
    // A wrapped centered title: both lines centered, the first one wide.
    if (isCentered(a, frame) && isCentered(b, frame)) return a.x1 - a.x0 >= 0.5 * frameWidth(frame);
  }
  const nextFrame = ctx.nextFrame ?? frame;
  return reachesMargin(a, b, frame) && !indented(b, ctx.pageBreak ? undefined : a, nextFrame, tolerance);
}

/**
 * Two-column blocks (the document header: issuer and number left, motto and place/date right;
 * the signature block: recipients left, signer right) are printed row by row, so reading by
 * baseline interleaves them. A run of rows whose lines are all narrow and off-centre, with at
 * least one row holding text on both sides, is read column by column: left, then right.
 */
export function readColumns(lines: readonly LayoutLine[], frame: Frame): LayoutLine[] {
  const rows = toRows(lines);
  const center = frameCenter(frame);
  const w = frameWidth(frame);
  const columnLike = (l: LayoutLine) => l.x1 - l.x0 < 0.6 * w && Math.abs((l.x0 + l.x1) / 2 - center) > 0.1 * w;
  const rowColumnLike = (r: LayoutLine[]) => r.every(columnLike);
  const twoSided = (r: LayoutLine[]) => rowColumnLike(r) && r.some((l) => l.x1 <= center + 0.1 * w) && r.some((l) => l.x0 >= center - 0.1 * w);
  const out: LayoutLine[] = [];
  let floor = 0;
  let i = 0;
  while (i < rows.length) {
    if (!twoSided(rows[i]!)) {
      out.push(mergeRow(rows[i]!));
      i++;
      continue;
    }
    // Extend the zone upwards over rows already emitted that start a block (not the wrapped end
    // of a paragraph above), and downwards while rows stay column-like.
    const full = (r: LayoutLine[] | undefined) => r !== undefined && r.some((l) => frame.right - l.x1 < 2 * l.size);
    let start = i;
    while (start > floor && rowColumnLike(rows[start - 1]!) && !full(rows[start - 2])) start--;
    let end = i + 1;
    while (end < rows.length && rowColumnLike(rows[end]!)) end++;
    const zone = rows.slice(start, end).flat();
    out.splice(out.length - (i - start));
    const isLeft = (l: LayoutLine) => (l.x0 + l.x1) / 2 < center;
    out.push(...zone.filter(isLeft), ...zone.filter((l) => !isLeft(l)));
    i = floor = end;
  }
  return out;
}

/**
 * The cells of one row outside a two-column block (a table row, text at tab stops) read as one
 * line, left to right, as they did before cells were split at wide gaps.
 */
function mergeRow(row: LayoutLine[]): LayoutLine {
  const [first, ...rest] = row;
  if (!first || !rest.length) return first!;
  const main = row.reduce((a, b) => (b.size > a.size ? b : a));
  return {
    segments: row.flatMap((l, k) => (k ? [{ text: ' ' }, ...l.segments] : l.segments)),
    x0: first.x0,
    x1: Math.max(...row.map((l) => l.x1)),
    y: main.y,
    size: main.size,
    firstWordWidth: first.firstWordWidth,
  };
}

/** Lines sharing a baseline (within half a font height), top to bottom, each row left to right. */
export function toRows(lines: readonly LayoutLine[]): LayoutLine[][] {
  const sorted = lines.map((l, k) => ({ l, k })).sort((p, q) => p.l.y - q.l.y || p.k - q.k);
  const rows: LayoutLine[][] = [];
  let rowY = Number.NEGATIVE_INFINITY;
  let rowSize = 0;
  for (const { l } of sorted) {
    const row = rows[rows.length - 1];
    if (row && l.y - rowY <= 0.5 * Math.max(rowSize, l.size)) {
      row.push(l);
      rowSize = Math.max(rowSize, l.size);
    } else {
      rows.push([l]);
      rowY = l.y;
      rowSize = l.size;
    }
  }
  for (const r of rows) r.sort((a, b) => a.x0 - b.x0);
  return rows;
}

/**
 * "12", "- 12 -", "– 3 –", "Trang 4", "4/10", "Trang 4/10", and front-matter "iv": a page number
 * standing alone. Roman numerals only in lower case, so a bare "I" section label survives.
 */
export const PAGE_NUMBER = /^(?:(?:[Tt]rang\s+)?[-–—]?\s*\d{1,4}\s*(?:\/\s*\d{1,4})?\s*[-–—]?|[ivxlc]{1,7})$/u;

function edgeRows(lines: readonly LayoutLine[]): { top: number; bottom: number } | undefined {
  if (!lines.length) return undefined;
  const ys = lines.map((l) => l.y);
  return { top: Math.min(...ys), bottom: Math.max(...ys) };
}

/** Drops a page number standing alone on the page's top- or bottom-most row. */
export function dropPageNumbers(lines: readonly LayoutLine[]): LayoutLine[] {
  const edge = edgeRows(lines);
  if (!edge) return [...lines];
  const atEdge = (l: LayoutLine) => Math.abs(l.y - edge.top) <= 0.5 * l.size || Math.abs(l.y - edge.bottom) <= 0.5 * l.size;
  return lines.filter((l) => !(atEdge(l) && PAGE_NUMBER.test(lineText(l).trim())));
}

/**
 * Drops running headers and footers: a line in the top or bottom eighth of the page, set apart
 * from the other lines, whose text
 * (digits ignored, so "Trang 3/5" and "Báo cáo 12 - trang 3" count as one) recurs at the same
 * height on at least half of the pages, and on at least two. The first page is included: a
 * running header printed above the document header must not become its issuer or title, and a
 * title line is never at the same height as the header of the following pages. Returns the
 * number of lines dropped.
 */
export function dropRunningLines(pages: LayoutPage[]): number {
  if (pages.length < 2) return 0;
  // Furniture stands apart from the text: at the top or bottom of the page, and further from
  // every other line than body lines are from each other (a body line that happens to open two
  // pages with the same words is not furniture).
  const band = (p: LayoutPage, l: LayoutLine) => (l.y <= p.heightPt / 8 || l.y >= (p.heightPt * 7) / 8) && apart(p, l);
  const key = (p: LayoutPage, l: LayoutLine) => {
    const text = lineText(l).replace(/\s+/g, ' ').trim().replace(/\d+/g, '#');
    // Height in steps of 1% of the page: exact for a text layer, forgiving of a scan's skew.
    return `${Math.round((100 * l.y) / p.heightPt)}\u0000${text}`;
  };
  const counts = new Map<string, number>();
  for (const p of pages) {
    const keys = new Set(p.lines.filter((l) => band(p, l)).flatMap((l) => [key(p, l), nearKey(p, l, key)]));
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const threshold = Math.max(2, Math.ceil(pages.length / 2));
  let dropped = 0;
  for (const p of pages) {
    p.lines = p.lines.filter((l) => {
      if (!band(p, l) || !/\p{L}{2}|\d/u.test(lineText(l))) return true;
      const drop = (counts.get(key(p, l)) ?? 0) >= threshold || (counts.get(nearKey(p, l, key)) ?? 0) >= threshold;
      if (drop) dropped++;
      return !drop;
    });
  }
  return dropped;
}

function apart(p: LayoutPage, l: LayoutLine): boolean {
  const others = p.lines.filter((o) => o !== l && Math.abs(o.y - l.y) > 0.5 * Math.max(o.size, l.size));
  return others.every((o) => Math.abs(o.y - l.y) >= 1.6 * Math.max(o.size, l.size));
}

/** The same key one step lower, so a line on a step boundary still meets its copies. */
function nearKey(p: LayoutPage, l: LayoutLine, key: (p: LayoutPage, l: LayoutLine) => string): string {
  return key(p, { ...l, y: l.y + p.heightPt / 200 });
}
