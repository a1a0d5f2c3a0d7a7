import { convertLegacyText } from '../legacyEncoding.js';
import {
  UnsupportedDocumentError,
  TABLE_ROW_SEPARATOR,
  type FootnoteAnchor,
  type LoadedSource,
  type SourceBlock,
  type SourceFootnote,
} from './types.js';

const FOOTNOTE_MARK = '\ufffd';

/**
 * Decodes bytes as UTF-8 (or UTF-16 with a BOM; 8-bit otherwise), converts TCVN3/VNI text to
 * Unicode, and rejects what is clearly not text.
 */
export function decodeText(content: Buffer): string {
  if (content.length === 0) throw new UnsupportedDocumentError('tệp rỗng / empty file');
  let text: string;
  if (content[0] === 0xff && content[1] === 0xfe) text = content.subarray(2).toString('utf16le');
  else if (content[0] === 0xfe && content[1] === 0xff) {
    const swapped = Buffer.from(content.subarray(2));
    swapped.swap16();
    text = swapped.toString('utf16le');
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      // Not UTF-8: an 8-bit file, most often TCVN3 or VNI from before Unicode. Latin-1 keeps one
      // character per byte, which is what the legacy tables map from.
      text = content.toString('latin1');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const sample = text.slice(0, 200_000);
  let control = 0;
  let replacement = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) throw new UnsupportedDocumentError('tệp nhị phân, không phải văn bản / binary file, not text');
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++;
    if (c === 0xfffd) replacement++;
  }
  // Reports legitimately carry a few U+FFFD footnote marks; junk decodes to thousands.
  if (control > sample.length * 0.01 || replacement > Math.max(50, sample.length * 0.05)) {
    throw new UnsupportedDocumentError('tệp nhị phân, không phải văn bản / binary file, not text');
  }
  if (!text.trim()) throw new UnsupportedDocumentError('tệp rỗng / empty file');
  return convertLegacyText(text.replace(/\r\n?/g, '\n')).text;
}

interface Line {
  text: string;
  start: number;
  end: number;
}

function splitLines(text: string, from = 0, to = text.length): Line[] {
  const lines: Line[] = [];
  let start = from;
  while (start <= to) {
    let end = text.indexOf('\n', start);
    if (end === -1 || end > to) end = to;
    lines.push({ text: text.slice(start, end), start, end });
    if (end >= to) break;
    start = end + 1;
  }
  return lines;
}

/**
 * When Word exports a report to plain text, each footnote mark becomes a line break, so the line
 * after the mark starts mid-sentence: with punctuation (". Qua gần…", "; tổ chức…") or with a
 * space and a lower-case word (" với 872 đảng viên"). Punctuation starts are the strong signal.
 */
function continuationStrength(prev: string, next: string): 0 | 1 | 2 {
  if (!prev.trim() || !next.trim()) return 0;
  if (/^\s*[.,;:)\]]/.test(next)) return 2;
  if (/[.!?:]\s*$/.test(prev)) return 0;
  if (/^ +[\p{Ll}(]/u.test(next)) return 1;
  return 0;
}

/** Lower-case start without the leading space: a wrapped line (PDF), not a footnote mark. */
function isSoftWrap(prev: string, next: string): boolean {
  if (!prev.trim() || !next.trim()) return false;
  if (/[.!?:;]\s*$/.test(prev)) return false;
  return /^\p{Ll}/u.test(next) && !/^\s*[-–•+*]/.test(next);
}

interface Join {
  lineIndex: number;
  strength: 1 | 2;
}

/**
 * Turns plain lines into paragraph blocks, re-joining sentences split at footnote marks and
 * recording where each mark stood. Also used by the PDF loader for its text lines.
 */
export function blocksFromLines(
  originalText: string,
  lines: Line[],
  footnoteCount: number,
  options: { joinSoftWraps?: boolean } = {},
): { blocks: SourceBlock[]; warnings: string[] } {
  const joins: Join[] = [];
  const softWraps = new Set<number>();
  for (let i = 1; i < lines.length; i++) {
    const strength = continuationStrength(lines[i - 1]!.text, lines[i]!.text);
    if (strength) joins.push({ lineIndex: i, strength });
    else if (options.joinSoftWraps && isSoftWrap(lines[i - 1]!.text, lines[i]!.text)) softWraps.add(i);
  }
  const warnings: string[] = [];
  // Decide which joins are footnote marks: all of them when the counts agree, else the strong ones.
  let anchorJoins: Join[] = [];
  if (footnoteCount > 0) {
    const strong = joins.filter((j) => j.strength === 2);
    if (joins.length === footnoteCount) anchorJoins = joins;
    else if (strong.length === footnoteCount) anchorJoins = strong;
    else {
      anchorJoins = (joins.length >= footnoteCount ? joins : joins).slice(0, footnoteCount);
      warnings.push(
        `chú thích: ${footnoteCount} chú thích nhưng tìm thấy ${joins.length} vị trí neo; gắn theo thứ tự / footnote anchors ambiguous`,
      );
    }
  }
  const anchorAt = new Map<number, number>();
  anchorJoins.forEach((j, idx) => anchorAt.set(j.lineIndex, idx + 1));
  const joinAt = new Set(joins.map((j) => j.lineIndex));

  const blocks: SourceBlock[] = [];
  let current: { text: string; start: number; end: number; anchors: FootnoteAnchor[] } | undefined;
  const flush = () => {
    if (current && current.text.trim()) {
      const lead = current.text.length - current.text.trimStart().length;
      // Display text is NFC (one report mixes decomposed characters); offsets keep pointing at the raw file.
      const text = current.text.trim().replace(/ {2,}/g, ' ').normalize('NFC');
      blocks.push({
        text,
        start: current.start,
        end: current.end,
        footnoteAnchors: current.anchors.map((a) => ({ n: a.n, offset: Math.max(0, Math.min(text.length, a.offset - lead)) })),
      });
    }
    current = undefined;
  };
  lines.forEach((line, i) => {
    const n = anchorAt.get(i);
    if (current && (joinAt.has(i) || softWraps.has(i))) {
      if (n !== undefined) current.anchors.push({ n, offset: current.text.trimEnd().length });
      const glue = softWraps.has(i) || /^\s/.test(line.text) || /^\s*[.,;:)\]]/.test(line.text) ? '' : ' ';
      current.text = current.text.trimEnd() + glue + (softWraps.has(i) ? ' ' + line.text.trim() : line.text.replace(/\s+$/, ''));
      current.end = line.end;
      return;
    }
    flush();
    if (line.text.trim()) current = { text: line.text, start: line.start, end: line.end, anchors: [] };
  });
  flush();
  // Collapsing spaces shifts offsets slightly; anchors only need sentence precision.
  return { blocks, warnings };
}

/** Footnotes listed at the end of a Word-exported text, each starting with U+FFFD. */
function parseFootnoteList(text: string, from: number): SourceFootnote[] {
  const notes: SourceFootnote[] = [];
  let current: SourceFootnote | undefined;
  for (const line of splitLines(text, from)) {
    const t = line.text.trim();
    if (t.startsWith(FOOTNOTE_MARK)) {
      if (current) notes.push(current);
      current = { n: notes.length + 1, text: t.slice(1).trim(), start: line.start, end: line.end };
    } else if (t && current) {
      current.text += ' ' + t;
      current.end = line.end;
    }
  }
  if (current) notes.push(current);
  return notes.map((f) => ({ ...f, text: f.text.replace(/\s+/g, ' ').trim().normalize('NFC') }));
}

function parseFrontMatter(text: string): { fields: Record<string, string>; bodyStart: number } {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!m) return { fields: {}, bodyStart: 0 };
  const fields: Record<string, string> = {};
  for (const line of m[1]!.split('\n')) {
    const kv = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (kv) fields[kv[1]!.toLowerCase()] = kv[2]!.trim().replace(/^["']|["']$/g, '');
  }
  return { fields, bodyStart: m[0].length };
}

const PIPE_ROW = /^\s*\|.*\|\s*$/;
const PIPE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function pipeCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  // "\|" is a literal bar inside a cell.
  return inner.split(/(?<!\\)\|/).map((c) => stripInlineMarkdown(c.replace(/\\\|/g, '|')).trim().normalize('NFC'));
}

/**
 * Markdown pipe tables ("| a | b |" over "|---|---|") become table blocks; their lines are
 * blanked in `lines` so that the paragraph builder neither sees nor joins them.
 */
function extractPipeTables(lines: Line[]): SourceBlock[] {
  const tables: SourceBlock[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!PIPE_ROW.test(lines[i]!.text) || !PIPE_RULE.test(lines[i + 1]!.text) || !lines[i + 1]!.text.includes('-')) continue;
    const header = pipeCells(lines[i]!.text);
    let j = i + 2;
    const rows: string[][] = [];
    for (; j < lines.length && PIPE_ROW.test(lines[j]!.text); j++) {
      const cells = pipeCells(lines[j]!.text);
      rows.push(Array.from({ length: header.length }, (_, c) => cells[c] ?? ''));
    }
    if (header.length >= 2 && rows.length) {
      const text = [header, ...rows].map((r) => r.join(' | ')).join(TABLE_ROW_SEPARATOR);
      tables.push({ text, start: lines[i]!.start, end: lines[j - 1]!.end, footnoteAnchors: [], table: { header, rows } });
      for (let k = i; k < j; k++) lines[k] = { ...lines[k]!, text: '' };
    }
    i = j - 1;
  }
  return tables;
}

/** "**bold**", "__bold__", "*em*", "`code`" → their text. */
function stripInlineMarkdown(text: string): string {
  return text
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/(^|[\s(])\*(?=\S)([^*]*?\S)\*(?=[\s).,;:!?]|$)/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1');
}

/** A Markdown block typed in bold throughout ("**Kết quả …**") is marked bold; markers go. */
function markdownInline(block: SourceBlock): void {
  const whole = /^(\*\*|__)(?=\S)([\s\S]*\S)\1$/.exec(block.text);
  if (whole && !whole[2]!.includes(whole[1]!)) block.bold = true;
  const before = block.text;
  const after = stripInlineMarkdown(before);
  if (after === before) return;
  // Anchors shift by the markers removed before them.
  block.footnoteAnchors = block.footnoteAnchors.map((a) => ({ n: a.n, offset: stripInlineMarkdown(before.slice(0, a.offset)).length }));
  block.text = after;
}

export function loadText(content: Buffer, format: 'txt' | 'md'): LoadedSource & { warnings: string[] } {
  const originalText = decodeText(content);
  let bodyStart = 0;
  let frontMatter: Record<string, string> | undefined;
  if (format === 'md') {
    const fm = parseFrontMatter(originalText);
    bodyStart = fm.bodyStart;
    if (Object.keys(fm.fields).length) frontMatter = fm.fields;
  }
  // The footnote list starts at the first line that begins with the mark.
  const markLine = /^[ \t]*\ufffd/m.exec(originalText.slice(bodyStart));
  const bodyEnd = markLine ? bodyStart + markLine.index : originalText.length;
  let footnotes = markLine ? parseFootnoteList(originalText, bodyEnd) : [];
  let lines = splitLines(originalText, bodyStart, bodyEnd);
  // Markdown footnotes: "[^1]" in the text, "[^1]: text" on a line of its own.
  const mdNotes = new Map<string, number>();
  if (format === 'md' && !footnotes.length) {
    const defs = lines.filter((l) => /^\[\^[^\]]+\]:/.test(l.text));
    footnotes = defs.map((l, i) => {
      const m = /^\[\^([^\]]+)\]:\s*(.*)$/.exec(l.text)!;
      mdNotes.set(m[1]!, i + 1);
      return { n: i + 1, text: m[2]!.trim().normalize('NFC'), start: l.start, end: l.end };
    });
    lines = lines.filter((l) => !/^\[\^[^\]]+\]:/.test(l.text));
  }
  const headingLevels = new Map<number, number>();
  if (format === 'md') {
    lines = lines.map((l, i) => {
      const h = /^(#{1,6})\s+(.*)$/.exec(l.text);
      if (!h) return l;
      headingLevels.set(i, h[1]!.length);
      return { ...l, text: h[2]!.replace(/\s*#+\s*$/, '') };
    });
  }
  const tables = format === 'md' ? extractPipeTables(lines) : [];
  const { blocks, warnings } = blocksFromLines(originalText, lines, mdNotes.size ? 0 : footnotes.length);
  if (mdNotes.size) {
    for (const b of blocks) {
      let text = b.text;
      for (let m = /\[\^([^\]]+)\]/.exec(text); m; m = /\[\^([^\]]+)\]/.exec(text)) {
        const n = mdNotes.get(m[1]!);
        text = text.slice(0, m.index) + text.slice(m.index + m[0].length);
        if (n !== undefined) b.footnoteAnchors.push({ n, offset: m.index });
      }
      b.text = text;
    }
  }
  if (headingLevels.size) {
    const byStart = new Map<number, number>();
    lines.forEach((l, i) => {
      const level = headingLevels.get(i);
      if (level) byStart.set(l.start, level);
    });
    for (const b of blocks) {
      const level = byStart.get(b.start);
      if (level) b.headingLevel = level;
    }
  }
  if (format === 'md') for (const b of blocks) markdownInline(b);
  if (tables.length) {
    blocks.push(...tables);
    blocks.sort((a, b) => a.start - b.start);
  }
  return { format, originalText, blocks, footnotes, ...(frontMatter ? { frontMatter } : {}), warnings };
}

/**
 * PDF text comes one printed line per block; a line that continues the previous sentence (it
 * starts in lower case and the previous one does not end a sentence) is joined back to it.
 */
export function mergeSoftWraps(source: LoadedSource): LoadedSource {
  const blocks: SourceBlock[] = [];
  for (const b of source.blocks) {
    const prev = blocks[blocks.length - 1];
    if (prev && !prev.headingLevel && !b.headingLevel && isSoftWrap(prev.text, b.text)) {
      const shift = prev.text.length + 1;
      prev.footnoteAnchors.push(...b.footnoteAnchors.map((a) => ({ n: a.n, offset: a.offset + shift })));
      prev.text = `${prev.text} ${b.text.trim()}`;
      prev.end = b.end;
      continue;
    }
    blocks.push({ ...b, footnoteAnchors: [...b.footnoteAnchors] });
  }
  return { ...source, blocks };
}

export { splitLines };
export type { Line };
