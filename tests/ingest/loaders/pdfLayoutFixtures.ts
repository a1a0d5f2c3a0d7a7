/**
 * Report PDFs laid out word by word the way Word prints them, for the layout tests: justified
 * lines that wrap mid-sentence, indented first lines, paragraphs that run on across a page
 * break, superscript footnote marks with their notes in smaller type at the foot of the page
 * (below a rule), a running header and a "Trang i/N" footer on every page, and a two-column
 * document header printed row by row. Standard fonts only (WinAnsi), so the text is unaccented.
 */
import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';

export type LayoutBlock =
  | { header: { left: string[]; right: string[] } }
  | { center: string; size?: number; bold?: boolean }
  | { heading: string }
  /** Body text; "{n}" after a word is footnote mark n. */
  | { p: string };

export interface LayoutSpec {
  runningHeader?: string;
  footer?: (page: number, pages: number) => string;
  footnotes?: Record<number, string>;
  blocks: LayoutBlock[];
  /** Body lines per page before a forced break (to put a break mid-paragraph). */
  bottom?: number;
}

const PAGE = { w: 595, h: 842 };
const LEFT = 72;
const RIGHT = 523;
const WIDTH = RIGHT - LEFT;
const SIZE = 12;
const LEADING = 16;
const PARA_GAP = 6;
const INDENT = 24;
const NOTE_SIZE = 9;
const NOTE_LEADING = 11;

interface Word {
  text: string;
  mark?: number;
}

interface Op {
  text: string;
  x: number;
  y: number;
  size: number;
  bold?: boolean;
}

interface PageDraft {
  ops: Op[];
  notes: number[];
}

function words(text: string): Word[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => {
      const m = /^(.*?)\{(\d+)\}(.*)$/.exec(w);
      return m ? { text: `${m[1]}${m[3]}`, mark: Number(m[2]) } : { text: w };
    });
}

export async function makeLayoutPdf(spec: LayoutSpec): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const bold = await doc.embedFont(StandardFonts.TimesRomanBold);
  const width = (t: string, size: number, b = false) => (b ? bold : font).widthOfTextAtSize(t, size);
  const bottom = spec.bottom ?? 80;
  const pages: PageDraft[] = [];
  let page: PageDraft = { ops: [], notes: [] };
  pages.push(page);
  let y = 770;
  const noteRoom = (notes: number[]) => (notes.length ? 20 + notes.length * NOTE_LEADING : 0);
  const newPage = () => {
    page = { ops: [], notes: [] };
    pages.push(page);
    y = 770;
  };
  const place = (line: Word[], x0: number, maxWidth: number, justify: boolean, size: number, b = false) => {
    const marks = line.flatMap((w) => (w.mark ? [w.mark] : []));
    if (y - LEADING < bottom + noteRoom([...page.notes, ...marks])) newPage();
    const natural = line.reduce((s, w) => s + width(w.text, size, b), 0);
    const space = width(' ', size, b);
    const gap = justify && line.length > 1 ? (maxWidth - natural) / (line.length - 1) : space;
    let x = x0;
    for (const w of line) {
      page.ops.push({ text: w.text, x, y, size, bold: b });
      x += width(w.text, size, b);
      if (w.mark) {
        page.ops.push({ text: String(w.mark), x, y: y + size * 0.35, size: size * 0.6 });
        x += width(String(w.mark), size * 0.6);
      }
      x += gap;
    }
    page.notes.push(...marks);
    y -= LEADING;
  };
  const paragraph = (text: string, indent: number, b = false) => {
    const ws = words(text);
    const space = width(' ', SIZE, b);
    let line: Word[] = [];
    let lineWidth = 0;
    let first = true;
    for (const w of ws) {
      const max = WIDTH - (first ? indent : 0);
      const add = (line.length ? space : 0) + width(w.text, SIZE, b) + (w.mark ? width(String(w.mark), SIZE * 0.6) : 0);
      if (line.length && lineWidth + add > max) {
        place(line, LEFT + (first ? indent : 0), max, true, SIZE, b);
        first = false;
        line = [];
        lineWidth = 0;
      }
      lineWidth += add;
      line.push(w);
    }
    if (line.length) place(line, LEFT + (first ? indent : 0), WIDTH - (first ? indent : 0), false, SIZE, b);
    y -= PARA_GAP;
  };
  for (const block of spec.blocks) {
    if ('header' in block) {
      // Row by row, left cell then right cell: how a header table or tab stops print.
      const rowsCount = Math.max(block.header.left.length, block.header.right.length);
      for (let r = 0; r < rowsCount; r++) {
        const l = block.header.left[r];
        const rt = block.header.right[r];
        if (l) page.ops.push({ text: l, x: LEFT - 10 + (200 - width(l, SIZE)) / 2, y, size: SIZE });
        if (rt) page.ops.push({ text: rt, x: 300 + (240 - width(rt, SIZE)) / 2, y, size: SIZE });
        y -= LEADING;
      }
      y -= 12;
    } else if ('center' in block) {
      const size = block.size ?? SIZE;
      page.ops.push({ text: block.center, x: LEFT + (WIDTH - width(block.center, size, block.bold)) / 2, y, size, ...(block.bold ? { bold: true } : {}) });
      y -= LEADING + 4;
    } else if ('heading' in block) {
      paragraph(block.heading, 0, true);
    } else paragraph(block.p, INDENT);
  }

  const n = pages.length;
  pages.forEach((draft, i) => {
    const p: PDFPage = doc.addPage([PAGE.w, PAGE.h]);
    const draw = (text: string, x: number, yy: number, size: number, f: PDFFont) => p.drawText(text, { x, y: yy, size, font: f });
    if (spec.runningHeader) draw(spec.runningHeader, LEFT + (WIDTH - width(spec.runningHeader, 9)) / 2, 810, 9, font);
    for (const op of draft.ops) draw(op.text, op.x, op.y, op.size, op.bold ? bold : font);
    if (draft.notes.length) {
      let ny = bottom + noteRoom(draft.notes) - 14;
      p.drawLine({ start: { x: LEFT, y: ny + 10 }, end: { x: LEFT + 150, y: ny + 10 }, thickness: 0.5 });
      for (const id of draft.notes) {
        draw(String(id), LEFT, ny + NOTE_SIZE * 0.35, NOTE_SIZE * 0.6, font);
        draw(spec.footnotes?.[id] ?? '', LEFT + 6, ny, NOTE_SIZE, font);
        ny -= NOTE_LEADING;
      }
    }
    if (spec.footer) {
      const f = spec.footer(i + 1, n);
      draw(f, LEFT + (WIDTH - width(f, 9)) / 2, 40, 9, font);
    }
  });
  return Buffer.from(await doc.save());
}
