/**
 * DOCX loader: mammoth's HTML conversion → blocks with heading levels and re-attached footnotes.
 *
 * Why HTML and not mammoth's raw text: only the HTML keeps Word's heading styles (h1–h6) and the
 * real footnote/endnote references (`<sup><a id="footnote-ref-N">[k]</a></sup>`) with the notes
 * themselves listed at the end (`<ol><li id="footnote-N">…<a href="#footnote-ref-N">↑</a>`).
 *
 * Block rules:
 * - every `<p>`, `<hN>` (headingLevel N) and list item is a block; a manual line break (`<br>`)
 *   inside a paragraph starts a new block (signature and address blocks are typed that way),
 *   inside a heading it becomes a space (a title wrapped by hand is still one heading);
 * - a data table (two or more columns, a header row and a body row) is ONE block carrying the
 *   table as a grid (`SourceBlock.table`: header cells merged per column, spans expanded), its
 *   text the rows joined by TABLE_ROW_SEPARATOR; the structure parser makes each row a passage;
 * - a layout table (the header or signature frame of administrative documents: issuer + number
 *   | motto + place/date, "Nơi nhận" | signature, recognised by its wording and small size) is
 *   read column by column, one block per paragraph, so "Số 12-BC/TU" stays a line of its own;
 *   other small tables give one block per row, cells joined by " | ";
 * - a paragraph in bold throughout is marked `bold` (a heading candidate);
 * - white space runs (tabs, NBSP, newlines) collapse to one space; text is NFC; empty blocks drop.
 *
 * Footnote numbering: footnotes are numbered 1…F in order of first reference (as Word displays
 * them); endnotes follow as F+1…, since Word's separate i, ii… sequence would collide with the
 * footnote numbers. A note referenced twice keeps one number (mammoth would give it two).
 *
 * originalText = all block texts, then all footnote texts, joined by "\n"; for every block and
 * footnote `originalText.slice(start, end) === text`.
 */
import mammoth from 'mammoth';
import { convertLegacyText, detectLegacyEncoding } from '../legacyEncoding.js';
import { parseHtml, type HtmlElement, type HtmlNode } from './html.js';
import {
  UnsupportedDocumentError,
  type FootnoteAnchor,
  type LoadedSource,
  type SourceBlock,
  type SourceFootnote,
  type SourceTable,
  TABLE_ROW_SEPARATOR,
} from './types.js';
import { checkZipSafety, DEFAULT_ZIP_LIMITS, REASON_CORRUPT_DOCX } from './zipGuard.js';

/** Stands in for a footnote mark while text is normalised; a Unicode noncharacter never in input. */
const MARK = '\ufdd0';
const NOTE_REF_ID = /^(footnote|endnote)-ref-(.+)$/;
const NOTE_ID = /^(footnote|endnote)-(.+)$/;
const BACK_LINK = /^#(footnote|endnote)-ref-/;

const BLOCK_TAGS = new Set([
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th',
  'div', 'blockquote', 'dl', 'dt', 'dd', 'pre', 'hr',
]);

/** A run of inline content: text with MARK where each note reference stood, and the note keys. */
interface RawLine {
  text: string;
  notes: string[];
}

interface RawBlock extends RawLine {
  headingLevel?: number;
  bold?: boolean;
  /** A data table: its cells as raw lines (marks still in), the first `headerRows` rows the header. */
  grid?: { cells: RawLine[][]; headerRows: number };
}

function isElement(node: HtmlNode): node is HtmlElement {
  return node.type === 'element';
}

function isBlank(node: HtmlNode): boolean {
  return node.type === 'text' && !/\S/.test(node.text);
}

/** "footnote-3" / "endnote-1": the key a note reference and its note share. */
function noteRefKey(el: HtmlElement): string | undefined {
  const m = NOTE_REF_ID.exec(el.attrs.id ?? '');
  return m ? `${m[1]}-${m[2]}` : undefined;
}

/**
 * Collects inline content into lines (split at `<br>`): text, note marks as MARK + key.
 * Note back-links ("↑") are dropped; images contribute nothing.
 */
function collectInline(nodes: HtmlNode[], lines: RawLine[] = [{ text: '', notes: [] }]): RawLine[] {
  for (const node of nodes) {
    const line = lines[lines.length - 1]!;
    if (node.type === 'text') {
      line.text += node.text.replaceAll(MARK, '');
      continue;
    }
    if (node.tag === 'br') {
      lines.push({ text: '', notes: [] });
      continue;
    }
    if (node.tag === 'img') continue;
    if (node.tag === 'a') {
      const key = noteRefKey(node);
      if (key) {
        line.text += MARK;
        line.notes.push(key);
        continue;
      }
      if (BACK_LINK.test(node.attrs.href ?? '')) continue;
    }
    // Formatting (strong, em, sup, span, hyperlinks…) and, defensively, stray block tags.
    collectInline(node.children, lines);
  }
  return lines;
}

/** Appends the lines of inline content as blocks (one per `<br>`-separated line). */
function pushLines(out: RawBlock[], lines: RawLine[]): void {
  for (const line of lines) out.push({ text: line.text, notes: line.notes });
}

function joinLines(lines: RawLine[], glue: string): RawLine {
  return { text: lines.map((l) => l.text).join(glue), notes: lines.flatMap((l) => l.notes) };
}

/** Walks block-level content; inline content found directly in a container becomes a block. */
function walkContainer(nodes: HtmlNode[], out: RawBlock[]): void {
  let pending: HtmlNode[] = [];
  const flush = () => {
    if (pending.length) pushLines(out, collectInline(pending));
    pending = [];
  };
  for (const node of nodes) {
    if (isElement(node) && BLOCK_TAGS.has(node.tag)) {
      flush();
      walkBlock(node, out);
    } else {
      pending.push(node);
    }
  }
  flush();
}

/**
 * Characters of text inside and outside bold runs. A paragraph typed in bold throughout is how
 * many Word users make a heading without a Heading style ("I. ĐẶC ĐIỂM, TÌNH HÌNH").
 */
function boldCoverage(nodes: HtmlNode[], inBold: boolean, acc = { bold: 0, plain: 0 }): { bold: number; plain: number } {
  for (const node of nodes) {
    if (node.type === 'text') {
      const n = node.text.replace(/\s+/g, '').length;
      if (inBold) acc.bold += n;
      else acc.plain += n;
    } else boldCoverage(node.children, inBold || node.tag === 'strong' || node.tag === 'b', acc);
  }
  return acc;
}

function isWholeBold(el: HtmlElement): boolean {
  const { bold, plain } = boldCoverage(el.children, false);
  return bold > 0 && plain === 0;
}

function walkBlock(el: HtmlElement, out: RawBlock[]): void {
  const heading = /^h([1-6])$/.exec(el.tag);
  if (heading) {
    out.push({ ...joinLines(collectInline(el.children), ' '), headingLevel: Number(heading[1]) });
    return;
  }
  switch (el.tag) {
    case 'p': {
      const bold = isWholeBold(el);
      for (const line of collectInline(el.children)) out.push({ text: line.text, notes: line.notes, ...(bold ? { bold } : {}) });
      return;
    }
    case 'pre':
    case 'dt':
      pushLines(out, collectInline(el.children));
      return;
    case 'table':
      walkTable(el, out);
      return;
    case 'hr':
      return;
    default:
      // ul/ol/li/div/blockquote/dd and cells met outside a table: a list item's own text is
      // inline content before its nested list, so the container walk yields item, then sub-items.
      walkContainer(el.children, out);
  }
}

/** The rows of a table, through thead/tbody/tfoot but not into nested tables. */
function tableRows(el: HtmlElement): HtmlElement[] {
  const rows: HtmlElement[] = [];
  for (const child of el.children) {
    if (!isElement(child)) continue;
    if (child.tag === 'tr') rows.push(child);
    else if (child.tag === 'thead' || child.tag === 'tbody' || child.tag === 'tfoot') rows.push(...tableRows(child));
  }
  return rows;
}

/** Inline content of a cell with at most one paragraph and no line break; otherwise undefined. */
function simpleCellLine(cell: HtmlElement): RawLine | undefined {
  const content = cell.children.filter((n) => !isBlank(n));
  const blocks = content.filter((n): n is HtmlElement => isElement(n) && BLOCK_TAGS.has(n.tag));
  if (blocks.length > 1) return undefined;
  const only = blocks[0];
  if (only && (only.tag !== 'p' || content.length > 1)) return undefined;
  const lines = collectInline(only ? only.children : content);
  return lines.length === 1 ? lines[0] : undefined;
}

/** All text of a subtree, paragraphs and cells on separate lines (for classifying tables). */
function plainTextOf(nodes: HtmlNode[]): string {
  return nodes
    .map((n) => {
      if (n.type === 'text') return n.text;
      if (n.tag === 'br') return '\n';
      const inner = plainTextOf(n.children);
      return BLOCK_TAGS.has(n.tag) ? `\n${inner}\n` : inner;
    })
    .join('');
}

/**
 * Parts of an administrative document's frame (Decree 30/2020 layout), folded to ASCII upper
 * case: national/Party motto, "Số …/…" number, "…, ngày … tháng … năm …", recipients list,
 * signature captions (TM., KT., TL., TUQ.).
 */
const LAYOUT_MARKERS = [
  /DANG CONG SAN VIET NAM/,
  /CONG HOA XA HOI CHU NGHIA/,
  /DOC LAP\s*-\s*TU DO/,
  /NOI NHAN/,
  /(^|\n)\s*SO\s*[:.]?\s*\d+[^\n]*\//,
  /NGAY\s+\d{1,2}\s+THANG\s+\d{1,2}\s+NAM\s+\d{4}/,
  /(^|\n)\s*(T\/?M|K\/?T|TL|TUQ)\.?\s/,
];

/**
 * A layout table holds the document's header or signature block rather than data. Its cells
 * are read as separate lines, as Word's own text export does, so that the structure parser
 * sees "Số 12-BC/TU" and "An Giang, ngày …" as lines of their own, not glued by " | ".
 */
function isLayoutTable(table: HtmlElement): boolean {
  // A frame is a few rows of two or three cells; a data table whose header cell reads
  // "(đến ngày 31 tháng 10 năm 2022)" is still data.
  const rows = tableRows(table);
  if (rows.length > 4 || rows.some((r) => rowCells(r).length > 3)) return false;
  const folded = plainTextOf(table.children)
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'D')
    .toUpperCase();
  return LAYOUT_MARKERS.some((re) => re.test(folded));
}

/** The cells of a row as elements. */
function rowCells(row: HtmlElement): HtmlElement[] {
  return row.children.filter((n): n is HtmlElement => isElement(n) && (n.tag === 'td' || n.tag === 'th'));
}

/** A cell's content as one line: its paragraphs joined by spaces, note marks kept. */
function cellLine(cell: HtmlElement): RawLine {
  const parts: RawBlock[] = [];
  walkContainer(cell.children, parts);
  return joinLines(parts, ' ');
}

function spanOf(value: string | undefined): number {
  const n = Number(value ?? '1');
  return Number.isInteger(n) && n > 1 ? Math.min(n, 50) : 1;
}

/**
 * Lays a table's rows out on a grid: a cell spanning k columns fills k slots (a header repeats
 * its text, a body cell leaves the extra slots empty), a cell spanning rows is carried down, so
 * every cell sits under its own column header.
 */
function tableGrid(rows: HtmlElement[]): { cells: RawLine[][]; headerRows: number } {
  const grid: RawLine[][] = [];
  const carried = new Map<number, { line: RawLine; left: number }>();
  let headerRows = 0;
  let headerDone = false;
  rows.forEach((row, r) => {
    const cells = rowCells(row);
    const isHeader = !headerDone && cells.length > 0 && cells.every((c) => c.tag === 'th');
    if (isHeader) headerRows = r + 1;
    else headerDone = true;
    const out: RawLine[] = [];
    let col = 0;
    const fillCarried = () => {
      for (let c = carried.get(col); c; c = carried.get(col)) {
        out.push(c.line);
        if (--c.left <= 0) carried.delete(col);
        col++;
      }
    };
    for (const cell of cells) {
      fillCarried();
      const line = cellLine(cell);
      const colspan = spanOf(cell.attrs.colspan);
      const rowspan = spanOf(cell.attrs.rowspan);
      for (let k = 0; k < colspan; k++) {
        const slot = k === 0 || isHeader ? line : { text: '', notes: [] };
        out.push(slot);
        if (rowspan > 1) carried.set(col, { line: slot, left: rowspan - 1 });
        col++;
      }
    }
    fillCarried();
    grid.push(out);
  });
  // Without <th> cells the first row is the header, as in nearly every report table.
  return { cells: grid, headerRows: headerRows || 1 };
}

const hasText = (line: RawLine) => /\S/.test(line.text.replaceAll(MARK, ''));

function walkTable(table: HtmlElement, out: RawBlock[]): void {
  const rows = tableRows(table);
  const layout = isLayoutTable(table);
  if (!layout) {
    const grid = tableGrid(rows);
    const width = Math.max(0, ...grid.cells.map((r) => r.length));
    const bodyRows = grid.cells.slice(grid.headerRows).filter((r) => r.some(hasText));
    // A grid of at least two columns with a header and a body row is data; anything smaller
    // (a boxed note, a one-column list) reads as ordinary paragraphs.
    if (width >= 2 && bodyRows.length >= 1 && grid.cells.slice(0, grid.headerRows).some((r) => r.filter(hasText).length >= 2)) {
      out.push({ text: '', notes: grid.cells.flatMap((r) => r.flatMap((c) => c.notes)), grid });
      return;
    }
  }
  if (layout) {
    // Column by column: a signature table typed as rows ("Nơi nhận: | T/M BAN THƯỜNG VỤ",
    // "- Như trên, | BÍ THƯ", …) then reads as the recipients list, then the signature.
    const grid = rows.map(rowCells);
    const width = Math.max(0, ...grid.map((r) => r.length));
    for (let col = 0; col < width; col++) for (const cells of grid) if (cells[col]) walkContainer(cells[col]!.children, out);
    return;
  }
  for (const row of rows) {
    const cells = rowCells(row);
    const simple = cells.map(simpleCellLine);
    if (simple.every((c) => c !== undefined)) {
      const parts = simple.filter((c): c is RawLine => c !== undefined && (hasText(c) || c.notes.length > 0));
      if (parts.length) out.push({ text: parts.map((p) => p.text).join(' | '), notes: parts.flatMap((p) => p.notes) });
    } else {
      for (const cell of cells) walkContainer(cell.children, out);
    }
  }
}

/**
 * NFC, collapses white space, trims, and removes the marks, returning where each stood.
 * An anchor sits where the next character after the mark lands (clamped to the text end).
 */
function finalize(raw: RawLine): { text: string; marks: { key: string; offset: number }[] } {
  const src = raw.text.normalize('NFC');
  let text = '';
  let space = false;
  const marks: { key: string; offset: number }[] = [];
  let k = 0;
  for (const ch of src) {
    if (ch === MARK) {
      const key = raw.notes[k++];
      if (key !== undefined) marks.push({ key, offset: text.length + (space && text ? 1 : 0) });
    } else if (/\s/.test(ch)) {
      space = true;
    } else {
      if (space && text) text += ' ';
      space = false;
      text += ch;
    }
  }
  for (const m of marks) m.offset = Math.min(m.offset, text.length);
  return { text, marks };
}

interface FinalBlock {
  text: string;
  marks: { key: string; offset: number }[];
  headingLevel?: number;
  bold?: boolean;
  table?: SourceTable;
}

/**
 * A data table's final form: cells normalised one by one, the header rows merged per column,
 * and a text of its rows (cells joined by " | ") that the marks' offsets point into.
 */
function finalizeGrid(grid: { cells: RawLine[][]; headerRows: number }): FinalBlock {
  const cells = grid.cells.map((row) => row.map(finalize));
  const width = Math.max(...cells.map((r) => r.length));
  const header = Array.from({ length: width }, (_, col) => {
    const parts = cells.slice(0, grid.headerRows).map((r) => r[col]?.text ?? '').filter(Boolean);
    return [...new Set(parts)].join(' – ');
  });
  const rows = cells
    .slice(grid.headerRows)
    .filter((r) => r.some((c) => c.text))
    .map((r) => Array.from({ length: width }, (_, col) => r[col]?.text ?? ''));
  let text = '';
  const marks: { key: string; offset: number }[] = [];
  for (const row of cells) {
    if (!row.some((c) => c.text)) continue;
    if (text) text += TABLE_ROW_SEPARATOR;
    row.forEach((c, i) => {
      if (i > 0) text += ' | ';
      for (const m of c.marks) marks.push({ key: m.key, offset: text.length + m.offset });
      text += c.text;
    });
  }
  return { text, marks, table: { header, rows } };
}

/** The notes `<ol>`: mammoth appends it last; its items carry ids "footnote-N" / "endnote-N". */
function isNotesList(node: HtmlNode): node is HtmlElement {
  if (!isElement(node) || node.tag !== 'ol') return false;
  const items = node.children.filter(isElement);
  return items.length > 0 && items.every((li) => li.tag === 'li' && NOTE_ID.test(li.attrs.id ?? ''));
}

export interface DocxResult extends LoadedSource {
  /** mammoth's conversion messages (unknown styles, unsupported elements), deduplicated. */
  warnings: string[];
}

/**
 * Text typed in the old .VnTime (TCVN3) or VNI fonts reaches mammoth as Latin-1 look-alikes
 * ("B¸o c¸o"); detected once over the whole body, converted block by block.
 */
function legacyConverter(blocks: readonly RawBlock[]): (text: string) => string {
  const all = blocks.map((b) => (b.grid ? b.grid.cells.flatMap((r) => r.map((c) => c.text)).join('\n') : b.text)).join('\n');
  const encoding = detectLegacyEncoding(all);
  return encoding ? (text) => convertLegacyText(text, encoding).text : (text) => text;
}

/** Converts mammoth's HTML into a LoadedSource. Exported for tests of odd HTML shapes. */
export function sourceFromMammothHtml(html: string): Omit<DocxResult, 'warnings'> {
  const nodes = parseHtml(html);
  const noteLists = nodes.filter(isNotesList);
  const body = nodes.filter((n) => !isNotesList(n));

  const rawBlocks: RawBlock[] = [];
  walkContainer(body, rawBlocks);
  const legacy = legacyConverter(rawBlocks);
  for (const b of rawBlocks) {
    b.text = legacy(b.text);
    if (b.grid) for (const row of b.grid.cells) for (const c of row) c.text = legacy(c.text);
  }

  // Note texts by key; a note mammoth lists twice (referenced twice) is kept once.
  const noteText = new Map<string, string>();
  for (const list of noteLists) {
    for (const li of list.children.filter(isElement)) {
      const key = li.attrs.id ?? '';
      if (noteText.has(key)) continue;
      const parts: RawLine[] = [];
      // Paragraphs of a note are joined by spaces: a footnote is one line of originalText.
      for (const child of li.children) {
        parts.push(joinLines(collectInline(isElement(child) && BLOCK_TAGS.has(child.tag) ? child.children : [child]), ' '));
      }
      noteText.set(key, finalize(joinLines(parts, ' ')).text);
    }
  }
  for (const [key, text] of noteText) noteText.set(key, legacy(text));

  const finals: FinalBlock[] = rawBlocks.map((b) =>
    b.grid ? finalizeGrid(b.grid) : { ...finalize(b), ...(b.headingLevel ? { headingLevel: b.headingLevel } : {}), ...(b.bold ? { bold: true } : {}) },
  );

  // Number notes: footnotes by first reference, then endnotes; notes with no text are dropped.
  const order: string[] = [];
  for (const f of finals) for (const m of f.marks) if (!order.includes(m.key)) order.push(m.key);
  for (const key of noteText.keys()) if (!order.includes(key)) order.push(key);
  const numbered = [...order.filter((k) => k.startsWith('footnote-')), ...order.filter((k) => k.startsWith('endnote-'))].filter(
    (k) => (noteText.get(k) ?? '') !== '',
  );
  const numberOf = new Map(numbered.map((k, i) => [k, i + 1]));

  let originalText = '';
  let parts = 0;
  const append = (text: string): { start: number; end: number } => {
    if (parts++ > 0) originalText += '\n';
    const start = originalText.length;
    originalText += text;
    return { start, end: originalText.length };
  };
  const blocks: SourceBlock[] = [];
  for (const f of finals) {
    const anchors: FootnoteAnchor[] = [];
    for (const m of f.marks) {
      const n = numberOf.get(m.key);
      if (n !== undefined) anchors.push({ n, offset: m.offset });
    }
    if (!f.text) {
      // A paragraph holding nothing but a footnote mark: the mark belongs to the end of the
      // paragraph before it (no block to carry it otherwise).
      const prev = blocks[blocks.length - 1];
      if (prev) prev.footnoteAnchors.push(...anchors.map((a) => ({ n: a.n, offset: prev.text.length })));
      continue;
    }
    const { start, end } = append(f.text);
    blocks.push({
      text: f.text,
      start,
      end,
      ...(f.headingLevel ? { headingLevel: f.headingLevel } : {}),
      ...(f.bold ? { bold: true } : {}),
      ...(f.table ? { table: f.table } : {}),
      footnoteAnchors: anchors,
    });
  }
  const footnotes: SourceFootnote[] = numbered.map((key, i) => {
    const text = noteText.get(key) ?? '';
    return { n: i + 1, text, ...append(text) };
  });
  return { format: 'docx', originalText, blocks, footnotes };
}

/**
 * Reads a .docx: zip guard first (bombs, corrupt and password-protected files), then mammoth.
 * Throws UnsupportedDocumentError for anything unreadable or without text.
 */
export async function loadDocx(content: Buffer): Promise<DocxResult> {
  await checkZipSafety(content, DEFAULT_ZIP_LIMITS, { verifyData: true });

  let result: { value: string; messages: { type: string; message: string }[] };
  try {
    result = await mammoth.convertToHtml(
      { buffer: content },
      {
        // Images would be inlined as base64 data URIs: megabytes of text we would only discard.
        convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })),
        // Linked files (e.g. an INCLUDETEXT path) must never be read from the server's disk.
        externalFileAccess: false,
      },
    );
  } catch (err) {
    // A valid ZIP that is not a Word document ("Could not find main document part"), broken XML.
    throw new UnsupportedDocumentError(REASON_CORRUPT_DOCX, { cause: err });
  }

  const source = sourceFromMammothHtml(result.value);
  if (!source.blocks.length) {
    throw new UnsupportedDocumentError('tệp DOCX không có nội dung văn bản / DOCX contains no text');
  }
  const warnings = [...new Set(result.messages.map((m) => `${m.type}: ${m.message}`))].slice(0, 20);
  return { ...source, warnings };
}
