/**
 * Word 97–2003 (.doc) loader through word-extractor, which reads the OLE compound file and the
 * piece table and returns the body, footnote and endnote text.
 *
 * What the binary format gives, and what it does not:
 * - paragraphs end with "\n"; a table cell ends with "\t" (and so does the row), so a line with
 *   tabs is a table row. A run of two or more rows with two or more cells is a data table
 *   (unless it holds the header or signature frame, recognised by its wording); other rows are
 *   read cell by cell, like the layout tables of a .docx;
 * - no paragraph styles: headings come from numbering and capitals, as in plain text;
 * - footnote texts, but not where their marks stood (word-extractor drops the reference
 *   character), so notes are kept as notes cited at document level;
 * - text typed in the old TCVN3/VNI fonts comes out as Latin-1 look-alikes and is converted.
 *
 * originalText = body lines then footnote lines, joined by "\n"; each block's `text` is its
 * slice of originalText with white space collapsed.
 */
import WordExtractor from 'word-extractor';
import { convertLegacyText, detectLegacyEncoding } from '../legacyEncoding.js';
import { loadDocx } from './docx.js';
import { UnsupportedDocumentError, TABLE_ROW_SEPARATOR, type LoadedSource, type SourceBlock, type SourceFootnote } from './types.js';

export const REASON_CORRUPT_DOC = 'tệp DOC hỏng hoặc không phải Word 97–2003 / corrupt or not a Word 97–2003 file';
export const REASON_EMPTY_DOC = 'tệp DOC không có nội dung văn bản / DOC contains no text';

/** OLE2 compound file signature D0 CF 11 E0 A1 B1 1A E1. */
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Header/signature wording (folded): such a table is the document's frame, not data. */
const LAYOUT_MARKERS = [/dang cong san viet nam/, /cong hoa xa hoi chu nghia/, /noi nhan/, /ngay\s+\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+\d{4}/, /(^|\s)(t\/m|k\/t|kt\.|tm\.|tl\.)\s/];

const foldText = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim().normalize('NFC');

interface Line {
  text: string;
  start: number;
  end: number;
}

function cellsOf(line: string): string[] {
  const cells = line.split('\t').map(collapse);
  while (cells.length && !cells[cells.length - 1]) cells.pop();
  return cells;
}

/** Groups consecutive tab lines into tables; returns blocks in document order. */
function blocksFromBody(lines: Line[]): SourceBlock[] {
  const blocks: SourceBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.text.includes('\t')) {
      const text = collapse(line.text);
      if (text) blocks.push({ text, start: line.start, end: line.end, footnoteAnchors: [] });
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.text.includes('\t')) j++;
    const run = lines.slice(i, j);
    const rows = run.map((l) => cellsOf(l.text)).filter((r) => r.some(Boolean));
    const width = Math.max(0, ...rows.map((r) => r.length));
    // A frame is a few short rows; a data table mentioning a date in a header cell is still data.
    const layout = rows.length <= 4 && width <= 3 && LAYOUT_MARKERS.some((re) => re.test(foldText(run.map((l) => l.text).join('\n'))));
    if (!layout && rows.length >= 2 && width >= 2) {
      const grid = rows.map((r) => Array.from({ length: width }, (_, c) => r[c] ?? ''));
      const [header, ...body] = grid;
      const text = grid.map((r) => r.join(' | ')).join(TABLE_ROW_SEPARATOR);
      blocks.push({ text, start: run[0]!.start, end: run[run.length - 1]!.end, footnoteAnchors: [], table: { header: header!, rows: body } });
    } else {
      for (const l of run) {
        for (const cell of cellsOf(l.text)) if (cell) blocks.push({ text: cell, start: l.start, end: l.end, footnoteAnchors: [] });
      }
    }
    i = j - 1;
  }
  return blocks;
}

function splitLines(text: string, offset: number): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (const part of text.split('\n')) {
    lines.push({ text: part, start: offset + start, end: offset + start + part.length });
    start += part.length + 1;
  }
  return lines;
}

export const REASON_RTF_DOC = 'tệp .doc này là RTF, hãy lưu lại dạng .docx / this .doc is RTF; save it as .docx';

export async function loadDoc(content: Buffer): Promise<LoadedSource & { warnings: string[] }> {
  // A .docx saved or renamed as .doc is common; read it for what it is.
  if (content.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) return loadDocx(content);
  if (content.subarray(0, 5).toString('latin1') === '{\\rtf') throw new UnsupportedDocumentError(REASON_RTF_DOC);
  if (content.length < OLE_MAGIC.length || !content.subarray(0, OLE_MAGIC.length).equals(OLE_MAGIC)) {
    throw new UnsupportedDocumentError(REASON_CORRUPT_DOC);
  }
  let body: string;
  let notes: string;
  try {
    const doc = await new WordExtractor().extract(content);
    body = doc.getBody();
    notes = [doc.getFootnotes(), doc.getEndnotes()].filter((s) => s.trim()).join('\n');
  } catch (err) {
    // Not a Word stream inside the OLE file (an .xls renamed), an encrypted or truncated file.
    throw new UnsupportedDocumentError(REASON_CORRUPT_DOC, { cause: err });
  }
  // word-extractor turns Word's optional-hyphen character (0x1F) into the text "undefined"
  // (its replacement table has no entry for it). TCVN3 documents store their "ư" (0xAD) that
  // way, so a glued "undefined" is put back as U+00AD: "ư" in TCVN3, dropped otherwise.
  const GLUED_UNDEFINED = /(?<=\p{L})undefined|undefined(?=\p{L})/gu;
  body = body.replace(GLUED_UNDEFINED, '\u00ad');
  notes = notes.replace(GLUED_UNDEFINED, '\u00ad');
  const warnings: string[] = [];
  const encoding = detectLegacyEncoding(`${body}\n${notes}`);
  if (encoding) {
    body = convertLegacyText(body.replace(/\r\n?/g, '\n'), encoding).text;
    notes = convertLegacyText(notes.replace(/\r\n?/g, '\n'), encoding).text;
    warnings.push(`bảng mã cũ ${encoding.toUpperCase()} đã chuyển sang Unicode / legacy ${encoding.toUpperCase()} text converted to Unicode`);
  }
  const bodyText = body.replace(/\r\n?/g, '\n').replace(/\u00ad/g, '').replace(/\n+$/, '');
  const noteLines = notes
    .replace(/\r\n?/g, '\n')
    .replace(/\u00ad/g, '')
    .split('\n')
    .map(collapse)
    .filter(Boolean);
  const originalText = [bodyText, ...noteLines].join('\n');
  const blocks = blocksFromBody(splitLines(bodyText, 0));
  if (!blocks.length) throw new UnsupportedDocumentError(REASON_EMPTY_DOC);
  let at = bodyText.length + 1;
  const footnotes: SourceFootnote[] = noteLines.map((text, i) => {
    const note = { n: i + 1, text, start: at, end: at + text.length };
    at += text.length + 1;
    return note;
  });
  if (footnotes.length) warnings.push(`DOC: ${footnotes.length} chú thích không rõ vị trí neo / footnote anchors not recorded in .doc`);
  return { format: 'doc', originalText, blocks, footnotes, warnings };
}
