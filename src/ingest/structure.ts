import { fold, normalizeText } from './normalize.js';
import { documentCode, documentTypes, typeOfCode } from './documentTypes.js';
import { splitSentences, spanIndexAt, type Span } from './sentences.js';
import { TABLE_ROW_SEPARATOR, type LoadedSource, type SourceBlock, type SourceTable } from './loaders/types.js';
import type { Chunk, DocumentKind, DocumentMeta, FootnoteInfo, ParsedDocument, SectionInfo, TableInfo } from './types.js';
import { escapeRegExp, furnitureLexicon, ingestLexicon } from './vocabulary.js';
import {
  articleDateLine,
  articleFurniture,
  isNameLine,
  isOutletLine,
  isRubricLine,
  isShortRubric,
  readableName,
  readableOutlet,
} from './article.js';
import { isCaptionLine as isTableCaptionLine, tablePassages } from './tables.js';

/**
 * Turns loaded paragraphs into a document: metadata, section tree, footnotes re-attached to their
 * anchors, page furniture removed, and section-aware chunks. Format-independent: .txt, .md,
 * .docx, .doc and .pdf all arrive here as blocks.
 *
 * Reports: the header (issuer, number, place/date; from a Word header table too), the closing
 * (recipients list and signature, in either order; an appendix after them is body again).
 * Articles: outlet, rubric and date lines above the headline go to metadata, captions, related
 * lists, tags and copyright lines are dropped (article.ts), the byline becomes the author.
 * Tables (tables.ts): one chunk of kind 'table' per row, cited [...section, caption, row label].
 */

const furniture = furnitureLexicon();
const FURNITURE_LINES = new Set(furniture.exactLines);

export const PREAMBLE_SECTION = 'Mở đầu';
export const CHUNK_TARGET_CHARS = 700;

const DOC_TYPES = documentTypes().map((t) => t.name.toUpperCase());
const DOC_TYPE_FOLDED = new Map(DOC_TYPES.map((t) => [fold(t), t]));
const NATIONAL_HEADERS = ['dang cong san viet nam', 'cong hoa xa hoi chu nghia viet nam', 'doc lap - tu do - hanh phuc'];
const ACRONYMS = /^(UBND|HĐND|MTTQ|BCH|BTV|TCCSĐ|BCSĐ|TW|TU|HU|ĐU|CP|QH|UB)$/u;

const foldCompact = (s: string) => fold(s).replace(/[^a-z0-9/]/g, '');
const isUpperText = (s: string) => /\p{L}/u.test(s) && s === s.toUpperCase() && s !== s.toLowerCase();

interface HeadingMatch {
  depth: number;
  heading: string;
  /** Body text that followed the heading on the same line ("2.1. Heading: body"). */
  rest?: string;
  restOffset?: number;
}

const ROMAN = /^([IVXLC]{1,6})[.)]\s+(\S.*)$/u;
const NUMBERED = /^(\d{1,2}(?:\.\d{1,2}){0,3})\.?[)]?\s+(\S.*)$/u;
const NUMBERED_STRICT = /^(\d{1,2}(?:\.\d{1,2}){0,3})[.)]\s+(\S.*)$/u;
const LETTERED = /^([a-zđ])\)\s+(\S.*)$/u;

/** "3.5. Heading: body on the same line": the heading ends at the colon. */
function splitHeadingAtColon(label: string, rest: string, restStart: number): HeadingMatch | undefined {
  const colon = rest.indexOf(':');
  if (colon > 0 && colon <= 220 && rest.length > colon + 1 && rest.slice(colon + 1).trim()) {
    const body = rest.slice(colon + 1);
    return {
      depth: 0,
      heading: `${label} ${rest.slice(0, colon).trim()}`,
      rest: body.trim(),
      restOffset: restStart + colon + 1 + (body.length - body.trimStart().length),
    };
  }
  // A numbered line without colon is a heading when it reads like one: not a finished sentence.
  if (rest.length <= 320 && !/[.;]$/.test(rest.trim())) return { depth: 0, heading: `${label} ${rest.trim()}` };
  if (colon === rest.length - 1) return { depth: 0, heading: `${label} ${rest.slice(0, -1).trim()}` };
  return undefined;
}

// "PHẦN I", "Phần thứ hai: …", "CHƯƠNG II", "A. KẾT QUẢ": parts above the Roman-numeral level.
const PART = /^((?:PHẦN|Phần|CHƯƠNG|Chương)\s+(?:THỨ\s+|thứ\s+)?(?:[IVXLC]+|\d+|NHẤT|HAI|BA|BỐN|TƯ|NĂM|SÁU|nhất|hai|ba|bốn|tư|năm|sáu))\b\s*[.:\-–]?\s*(.*)$/u;
const LETTER_PART = /^([A-HJ-UWYZ])\.\s+(\S.*)$/u; // I, V, X are Roman numerals

function matchNumberedHeading(text: string, hasRoman: boolean): HeadingMatch | undefined {
  const part = PART.exec(text);
  if (part && text.length <= 200 && !/[.;]$/.test(text)) {
    const rest = part[2]!.trim();
    return { depth: 0, heading: rest ? `${part[1]!.trim()}. ${rest}` : part[1]!.trim() };
  }
  const letterPart = LETTER_PART.exec(text);
  if (letterPart && text.length <= 160 && isUpperText(letterPart[2]!)) return { depth: 0, heading: text.trim() };
  const roman = ROMAN.exec(text);
  if (roman) {
    const label = `${roman[1]}.`;
    const m = splitHeadingAtColon(label, roman[2]!, text.length - roman[2]!.length);
    if (m) return { ...m, depth: 1 };
  }
  const num = NUMBERED_STRICT.exec(text) ?? (/^\d{1,2}\.\d/.test(text) ? NUMBERED.exec(text) : null);
  if (num) {
    const parts = num[1]!.split('.').filter(Boolean);
    const label = `${parts.join('.')}.`;
    const m = splitHeadingAtColon(label, num[2]!, text.length - num[2]!.length);
    if (m) return { ...m, depth: (hasRoman ? 1 : 0) + parts.length };
  }
  const letter = LETTERED.exec(text);
  if (letter) {
    const m = splitHeadingAtColon(`${letter[1]})`, letter[2]!, text.length - letter[2]!.length);
    if (m) return { ...m, depth: 9 };
  }
  return undefined;
}

function titleCaseWord(w: string): string {
  if (ACRONYMS.test(w)) return w;
  const lower = w.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

const LEVEL_MARKERS = new Set(['tinh', 'huyen', 'xa', 'phuong', 'quan', 'uy', 'tran', 'pho']);

/** "TỈNH UỶ KON TUM" → "Tỉnh ủy Kon Tum": body words lower-case, the place after the last level word title-cased. */
export function readableIssuer(upper: string): string {
  const words = upper.trim().split(/\s+/);
  let lastLevel = -1;
  words.forEach((w, i) => {
    const f = fold(w);
    // "thị trấn", "thành phố", "thị xã" end in a level word too.
    if (LEVEL_MARKERS.has(f) && (f !== 'pho' || fold(words[i - 1] ?? '') === 'thanh') && (f !== 'tran' || fold(words[i - 1] ?? '') === 'thi')) lastLevel = i;
  });
  const out = words.map((w, i) => {
    if (ACRONYMS.test(w)) return w;
    if (i === 0) return titleCaseWord(w);
    return i > lastLevel && lastLevel >= 0 ? titleCaseWord(w) : w.toLowerCase();
  });
  return normalizeText(out.join(' '));
}

function isoDate(d: string, m: string, y: string): string {
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}

export function displayDate(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

function sentenceCase(s: string): string {
  const t = s.trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** "Báo cáo kết quả …" or "45-BC/HU" → "Báo cáo". */
function docTypeOf(heading: string, number: string | undefined): string | undefined {
  const byHeading = DOC_TYPES.map((t) => sentenceCase(t.toLowerCase())).find((t) => fold(heading).startsWith(fold(t) + ' '));
  if (byHeading) return byHeading;
  const code = number ? documentCode(number) : undefined;
  return code ? typeOfCode(code) : undefined;
}

export function composeTitle(meta: Omit<DocumentMeta, 'title'>): string {
  const date = displayDate(meta.date);
  if (meta.kind === 'report' || (meta.kind === 'document' && (meta.number || meta.issuer))) {
    const type = meta.docType ?? docTypeOf(meta.heading, meta.number) ?? 'Văn bản';
    const who = [meta.issuer, date].filter(Boolean).join(', ');
    const subject = meta.heading.startsWith(type) ? meta.heading.slice(type.length).trim() : meta.heading;
    return `${type}${meta.number ? ` số ${meta.number}` : ''}${who ? ` (${who})` : ''}${subject ? `: ${subject}` : ''}`;
  }
  const by = [meta.outlet ?? meta.author, date].filter(Boolean).join(', ');
  return `“${meta.heading}”${by ? ` (${by})` : ''}`;
}

interface HeaderResult {
  kind: DocumentKind;
  meta: Partial<DocumentMeta>;
  /** Index of the first body block. */
  bodyStart: number;
}

function parseReportHeader(blocks: readonly SourceBlock[]): HeaderResult | undefined {
  const limit = Math.min(blocks.length, 25);
  let typeIdx = -1;
  let numberText: string | undefined;
  let national = false;
  for (let i = 0; i < limit; i++) {
    const t = blocks[i]!.text.trim();
    const f = fold(t);
    if (NATIONAL_HEADERS.some((h) => f.startsWith(h))) national = true;
    if (!numberText) {
      const num = /^s[oố]\s*[:.]?\s*(\d+[\w\-/.Đđ]*[\p{L}\d])/iu.exec(t);
      if (num) numberText = num[1];
    }
    if (typeIdx < 0 && isUpperText(t) && DOC_TYPE_FOLDED.has(fold(t))) typeIdx = i;
  }
  if (typeIdx < 0 && !(numberText && national)) return undefined;

  const meta: Partial<DocumentMeta> = {};
  if (numberText) meta.number = numberText;
  const issuerParts: string[] = [];
  for (let i = 0; i < (typeIdx < 0 ? limit : typeIdx); i++) {
    const t = blocks[i]!.text.trim();
    const f = fold(t);
    const dateMatch = /^(.{2,40}?),\s*ng[aà]y\s+(\d{1,2})\s+th[aá]ng\s+(\d{1,2})\s+n[aă]m\s+(\d{4})/iu.exec(t);
    if (dateMatch) {
      meta.place = dateMatch[1]!.trim();
      meta.date = isoDate(dateMatch[2]!, dateMatch[3]!, dateMatch[4]!);
      continue;
    }
    if (/^s[oố]\s*[:.]?\s*\d/iu.test(t) || NATIONAL_HEADERS.some((h) => f.startsWith(h)) || /^[*\-_=\s]+$/.test(t)) continue;
    if (isUpperText(t) && issuerParts.length < 3) issuerParts.push(t);
  }
  if (issuerParts.length) meta.issuer = readableIssuer(issuerParts.join(' '));
  let bodyStart = typeIdx + 1;
  if (typeIdx >= 0) {
    meta.docType = sentenceCase(DOC_TYPE_FOLDED.get(fold(blocks[typeIdx]!.text.trim()))!.toLowerCase());
    const titleParts: string[] = [];
    for (let i = typeIdx + 1; i < Math.min(blocks.length, typeIdx + 8); i++) {
      const t = blocks[i]!.text.trim();
      if (/^[-_=*]{3,}$/.test(t)) {
        bodyStart = i + 1;
        break;
      }
      // The subtitle ("sơ kết 09 năm…", "Về việc…", "Kết quả thực hiện…") is short and unfinished;
      // the body starts with a heading or a sentence such as "Thực hiện Chương trình số…".
      const opensBody = /^(thực hiện|căn cứ|kính gửi|theo|triển khai|ngày|qua|nhằm)\s/iu.test(t);
      const looksLikeSubtitle =
        titleParts.length < 4 && !blocks[i]!.headingLevel && !matchNumberedHeading(t, false) && !opensBody && t.length < 260 && !/[.;:]$/.test(t);
      if (!looksLikeSubtitle) {
        bodyStart = i;
        break;
      }
      titleParts.push(t);
      bodyStart = i + 1;
    }
    const subtitle = titleParts.join(' ').replace(/\s+/g, ' ');
    const subtitleText = isUpperText(subtitle) ? subtitle.toLowerCase() : subtitle;
    meta.heading = `${meta.docType}${subtitleText ? ` ${subtitleText}` : ''}`;
  } else {
    bodyStart = 0;
    for (let i = 0; i < limit; i++) if (/^s[oố]\s*[:.]?\s*\d/iu.test(blocks[i]!.text.trim())) bodyStart = i + 1;
  }
  return { kind: 'report', meta, bodyStart };
}

const URL_RE = /(https?:\/\/[^\s"'<>]+)/;

interface Tail {
  /** Index of the first block that is not body text. */
  bodyEnd: number;
  /** First block after the recipients list and the signature that is body again (an appendix). */
  resumeAt?: number;
  meta: Partial<DocumentMeta>;
}

const isRecipientsHeader = (t: string) => furniture.recipientsHeaders.some((h) => foldCompact(t).startsWith(h));
/** A recipients line: "- Ban Tổ chức…", or its wrapped continuation starting in lower case. */
const isRecipientLine = (t: string) => /^\s*[-–+•]/.test(t) || /^\s*\p{Ll}/u.test(t);

/** "T/M BAN THƯỜNG VỤ", "KT. CHỦ TỊCH" (prefixed), or a bare capacity such as "BÍ THƯ". */
function signatureCaption(t: string): 'prefixed' | 'title' | undefined {
  const text = t.trim();
  if (!isUpperText(text) || text.length > 80) return undefined;
  const f = fold(text);
  if (furniture.signaturePrefixes.some((p) => f.startsWith(p))) return 'prefixed';
  if (ingestLexicon().signatureTitlesFolded.some((x) => f === x || f.startsWith(`${x} `))) return 'title';
  return undefined;
}

interface Signature {
  signer?: string;
  signerTitle?: string;
  /** Index of the first block after the signature. */
  end: number;
}

/** Caption lines in capitals, an optional "(Đã ký)", then the signer's name. */
function readSignature(blocks: readonly SourceBlock[], at: number): Signature {
  const titles: string[] = [];
  let j = at;
  for (; j < blocks.length && titles.length < 4; j++) {
    const b = blocks[j]!;
    const t = b.text.trim();
    if (b.headingLevel || b.table || !isUpperText(t) || t.length > 80 || isTableCaptionLine(t) || isRecipientsHeader(t)) break;
    titles.push(t);
  }
  const notes = new Set(ingestLexicon().signatureNotes.map((n) => fold(n)));
  while (j < blocks.length && (notes.has(fold(blocks[j]!.text.trim())) || /^\([^)]{0,40}\)$/.test(blocks[j]!.text.trim()))) j++;
  let name: string | undefined;
  const next = blocks[j];
  if (next && !next.headingLevel && isNameLine(next.text) && !signatureCaption(next.text)) {
    name = next.text.trim();
    j++;
  } else if (titles.length >= 2 && isNameLine(titles[titles.length - 1]!) && !signatureCaption(titles[titles.length - 1]!)) {
    // The name typed in capitals like the captions above it ("Y MỬI").
    name = titles.pop();
  }
  if (!titles.length && !name) return { end: at };
  return { ...(name ? { signer: readableName(name) } : {}), ...(titles.length ? { signerTitle: titles.join(', ') } : {}), end: j };
}

/**
 * Recipients list and signature at the end of a report, in either order; what follows them
 * (an appendix with its tables) is body again.
 */
function parseClosing(blocks: readonly SourceBlock[], from: number): Tail {
  let start = -1;
  for (let i = from + 1; i < blocks.length && start < 0; i++) {
    const t = blocks[i]!.text;
    const caption = signatureCaption(t);
    const followedByName = blocks.slice(i + 1, i + 5).some((b) => isNameLine(b.text));
    if (isRecipientsHeader(t) || (caption && followedByName && (caption === 'prefixed' || blocks.length - i <= 6))) start = i;
  }
  if (start < 0) return { bodyEnd: blocks.length, meta: {} };
  const meta: Partial<DocumentMeta> = {};
  let j = start;
  while (j < blocks.length) {
    const t = blocks[j]!.text;
    if (isRecipientsHeader(t)) {
      j++;
      while (j < blocks.length && !blocks[j]!.headingLevel && isRecipientLine(blocks[j]!.text)) j++;
      continue;
    }
    if (!meta.signer && !meta.signerTitle && signatureCaption(t)) {
      const sig = readSignature(blocks, j);
      if (sig.end > j) {
        if (sig.signer) meta.signer = sig.signer;
        if (sig.signerTitle) meta.signerTitle = sig.signerTitle;
        j = sig.end;
        continue;
      }
    }
    break;
  }
  return { bodyEnd: start, ...(j < blocks.length ? { resumeAt: j } : {}), meta };
}

const BYLINE = new RegExp(`^(?:${ingestLexicon().bylinePrefixes.map(escapeRegExp).join('|')})\\s*:\\s*(.+)$`, 'iu');

/** Articles: walk back over furniture, the source line and the author line at the end. */
function parseArticleTail(blocks: readonly SourceBlock[], from: number, bodyEnd: number, dropped: ReadonlySet<number>): Tail {
  const meta: Partial<DocumentMeta> = {};
  let end = bodyEnd;
  while (end > from) {
    const t = blocks[end - 1]!.text.trim();
    const compact = foldCompact(t);
    if (!t || FURNITURE_LINES.has(compact) || dropped.has(end - 1)) {
      end--;
      continue;
    }
    const url = URL_RE.exec(t);
    if (url && t.length - url[1]!.length < 80) {
      meta.sourceUrl = url[1]!;
      const label = t.slice(0, url.index).replace(/[:\s]+$/, '').replace(/^ngu[oồ]n\s*/iu, '').trim();
      if (label && !meta.outlet) meta.outlet = label;
      end--;
      continue;
    }
    if (meta.author) break;
    const byline = BYLINE.exec(t) ?? (/^theo\s+([^.;:!?]{2,60})$/iu.exec(t) as RegExpExecArray | null);
    if (byline && t.length < 120) {
      const who = byline[1]!.trim();
      const paren = /^(.*?)\s*\(([^)]+)\)\s*$/.exec(who);
      meta.author = (paren ? paren[1]! : who).trim();
      // "Bài và ảnh: Name (Outlet)" names the outlet better than a "Nguồn …" link label.
      if (paren) meta.outlet = paren[2]!.trim();
      end--;
      continue;
    }
    // "Name" alone, or "Name - Organisation": a short line, no sentence punctuation.
    const [name, ...org] = t.split(/\s+[-–]\s+/);
    if (t.length < 120 && !/[.!?;:]$/.test(t) && name && isNameLine(name)) {
      meta.author = readableName(name);
      if (org.length && !meta.outlet) meta.outlet = org.join(' - ');
      end--;
      continue;
    }
    break;
  }
  return { bodyEnd: end, meta };
}

function parseTail(blocks: readonly SourceBlock[], from: number, kind: DocumentKind, dropped: ReadonlySet<number>): Tail {
  const closing = parseClosing(blocks, from);
  if (kind !== 'article') return closing;
  const article = parseArticleTail(blocks, from, closing.bodyEnd, dropped);
  return { bodyEnd: article.bodyEnd, meta: { ...closing.meta, ...article.meta } };
}

/** Outlet, rubric and date lines above the headline go to metadata; the headline is the first other line. */
function parseArticleHeader(blocks: readonly SourceBlock[]): HeaderResult {
  const meta: Partial<DocumentMeta> = {};
  let i = 0;
  const limit = Math.min(blocks.length - 1, 8);
  for (; i < limit; i++) {
    const t = blocks[i]!.text.trim();
    const date = articleDateLine(t);
    // A table is never the headline.
    if (!t || FURNITURE_LINES.has(foldCompact(t)) || blocks[i]!.table) continue;
    if (date) meta.date ??= date;
    else if (isOutletLine(t)) meta.outlet ??= readableOutlet(t);
    else if (!isRubricLine(t) && !isShortRubric(t, blocks[i + 1]?.text)) break;
  }
  meta.heading = blocks[i]?.text.trim() ?? '';
  let bodyStart = i + 1;
  for (let j = i + 1; j < Math.min(blocks.length, i + 6); j++) {
    const t = blocks[j]!.text.trim();
    const date = articleDateLine(t);
    if (FURNITURE_LINES.has(foldCompact(t))) {
      bodyStart = j + 1;
    } else if (date) {
      meta.date ??= date;
      bodyStart = j + 1;
    } else break;
  }
  return { kind: 'article', meta, bodyStart };
}

/** News URLs often carry the publication time: ".../slug-20190804084140048.htm". */
function dateFromUrl(url: string | undefined): string | undefined {
  const m = url && /[-/](20\d{2})(\d{2})(\d{2})\d{0,12}\.(?:s?html?|aspx?|vn)/.exec(url);
  if (!m) return undefined;
  const month = Number(m[2]);
  const day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

interface Paragraph {
  text: string;
  /** Offset of `text` in the original (approximate after repaired line breaks). */
  start: number;
  end: number;
  anchors: { n: number; offset: number }[];
}

interface TableDraft {
  table: SourceTable;
  caption: string;
  start: number;
  end: number;
  /** Footnote marks inside the table, by body row (0-based). */
  anchors: { n: number; row: number }[];
}

interface SectionDraft {
  path: string[];
  paragraphs: Paragraph[];
  tables: TableDraft[];
  start: number;
  end: number;
}

/** A short un-numbered line between paragraphs of a news article. */
function isArticleSubheading(t: string, next: SourceBlock | undefined): boolean {
  if (!next || t.length > 110 || t.split(/\s+/).length > 16) return false;
  if (/[.!?;,:…"”]$/.test(t) || !/^[\p{Lu}"“]/u.test(t)) return false;
  return next.text.trim().length > t.length;
}

function isUpperHeading(t: string): boolean {
  return isUpperText(t) && t.length <= 160 && t.split(/\s+/).length >= 2 && !/[.;,]$/.test(t);
}

/** A paragraph typed in bold throughout, short and unfinished: a heading without a Heading style. */
function isBoldHeading(b: SourceBlock): boolean {
  const t = b.text.trim();
  return Boolean(b.bold) && t.length <= 160 && /^[\p{Lu}\d"“]/u.test(t) && !/[.;,:!?]$/.test(t);
}

export interface StructureInput {
  id: string;
  file: string;
  source: LoadedSource;
  /** Metadata from a sidecar or front-matter; wins over detection. */
  overrides?: Partial<DocumentMeta>;
}

/**
 * The caption of each table: the line just above it (over a "(Kèm theo …)" line) when it
 * announces a table ("Biểu số 01: …"), is typed in bold, or is a short unfinished line.
 */
function tableCaptions(blocks: readonly SourceBlock[], hasRoman: boolean): Map<number, number> {
  const captions = new Map<number, number>();
  blocks.forEach((b, i) => {
    if (!b.table) return;
    let k = i - 1;
    while (k >= 0 && /^\(.{0,250}\)$/.test(blocks[k]!.text.trim()) && !blocks[k]!.table) k--;
    const c = blocks[k];
    if (!c || c.headingLevel || c.table || [...captions.values()].includes(k)) return;
    const t = c.text.trim();
    const plain = t.length <= 200 && !/[.;:!?]$/.test(t) && !matchNumberedHeading(t, hasRoman) && !isUpperHeading(t);
    if (isTableCaptionLine(t) || (c.bold && t.length <= 250 && !matchNumberedHeading(t, hasRoman)) || plain) captions.set(i, k);
  });
  return captions;
}

/** The body row a footnote mark inside a table's text belongs to (line 0 is the header). */
function tableRowOf(text: string, offset: number, headerLines: number): number {
  const line = text.slice(0, offset).split(TABLE_ROW_SEPARATOR).length - 1;
  return Math.max(0, line - headerLines);
}

function buildSections(bodyBlocks: readonly SourceBlock[], kind: DocumentKind, dropped: ReadonlySet<number>): SectionDraft[] {
  const explicitHeadings = bodyBlocks.some((b) => b.headingLevel);
  const hasRoman = bodyBlocks.some((b) => ROMAN.test(b.text.trim()));
  const captions = tableCaptions(bodyBlocks, hasRoman);
  const captionBlocks = new Set(captions.values());
  const sections: SectionDraft[] = [];
  const stack: { depth: number; heading: string; bold: boolean }[] = [];
  let current: SectionDraft = { path: [PREAMBLE_SECTION], paragraphs: [], tables: [], start: bodyBlocks[0]?.start ?? 0, end: 0 };
  let tableCount = 0;
  const openSection = (depth: number, heading: string, start: number, bold = false) => {
    while (stack.length && stack[stack.length - 1]!.depth >= depth) stack.pop();
    stack.push({ depth, heading, bold });
    if (current.paragraphs.length || current.tables.length || current.path[0] !== PREAMBLE_SECTION) sections.push(current);
    current = { path: stack.map((s) => s.heading), paragraphs: [], tables: [], start, end: start };
  };
  let lastExplicit = 0;
  bodyBlocks.forEach((b, i) => {
    if (dropped.has(i) || captionBlocks.has(i)) return;
    const t = b.text.trim();
    if (b.table) {
      const captionAt = captions.get(i);
      const caption = captionAt !== undefined ? bodyBlocks[captionAt]!.text.trim() : `Bảng ${tableCount + 1}`;
      tableCount++;
      const headerLines = t.split(TABLE_ROW_SEPARATOR).length - b.table.rows.length;
      current.tables.push({
        table: b.table,
        caption,
        start: b.start,
        end: b.end,
        anchors: b.footnoteAnchors.map((a) => ({ n: a.n, row: tableRowOf(t, a.offset, headerLines) })),
      });
      current.end = b.end;
      return;
    }
    if (b.headingLevel) {
      lastExplicit = b.headingLevel;
      openSection(b.headingLevel, t, b.start);
      return;
    }
    const numbered = matchNumberedHeading(t, hasRoman);
    if (numbered) {
      let depth = numbered.depth;
      if (depth === 9) depth = (stack[stack.length - 1]?.depth ?? 0) + 1;
      // Typed numbering inside a Word/Markdown section nests under that section.
      else if (explicitHeadings) depth = lastExplicit + Math.max(1, depth);
      openSection(depth, numbered.heading, b.start);
      if (numbered.rest) {
        const shift = numbered.restOffset ?? 0;
        current.paragraphs.push({
          text: numbered.rest,
          start: b.start + shift,
          end: b.end,
          anchors: b.footnoteAnchors.filter((a) => a.offset >= shift).map((a) => ({ n: a.n, offset: a.offset - shift })),
        });
      }
      return;
    }
    if (kind !== 'article' && isBoldHeading(b) && !isUpperHeading(t)) {
      // Nests under the last numbered or styled heading; bold headings in a row are siblings.
      const parent = [...stack].reverse().find((s) => !s.bold);
      openSection((parent?.depth ?? 0) + 1, t, b.start, true);
      return;
    }
    if ((kind !== 'article' && isUpperHeading(t)) || (kind === 'article' && isArticleSubheading(t, bodyBlocks[i + 1]))) {
      openSection(1, t, b.start);
      return;
    }
    current.paragraphs.push({ text: t, start: b.start, end: b.end, anchors: b.footnoteAnchors });
    current.end = b.end;
  });
  sections.push(current);
  for (const s of sections) s.end = Math.max(s.end, s.paragraphs[s.paragraphs.length - 1]?.end ?? s.start);
  return sections;
}

/** Metadata from detection, front matter and overrides, in rising order of trust. */
function assembleMeta(
  input: StructureInput,
  kind: DocumentKind,
  headMeta: Partial<DocumentMeta>,
  tailMeta: Partial<DocumentMeta>,
): DocumentMeta {
  const fm = input.source.frontMatter ?? {};
  const pick = (...keys: string[]) => keys.map((k) => fm[k]).find((v) => v !== undefined && v !== '');
  const fromFront: Partial<DocumentMeta> = {};
  const set = <K extends keyof DocumentMeta>(key: K, value: DocumentMeta[K] | undefined) => {
    if (value !== undefined) fromFront[key] = value;
  };
  set('number', pick('number', 'so'));
  set('issuer', pick('issuer'));
  set('place', pick('place'));
  set('date', pick('date'));
  set('signer', pick('signer'));
  set('signerTitle', pick('signer_title', 'signertitle', 'signer-title'));
  set('outlet', pick('outlet'));
  set('author', pick('author'));
  set('docType', pick('doc_type', 'doctype', 'type'));
  set('sourceUrl', pick('source_url', 'sourceurl', 'url'));
  const fmKind = pick('kind');
  const detected: Omit<DocumentMeta, 'title'> = {
    id: input.id,
    file: input.file,
    kind: fmKind === 'report' || fmKind === 'article' || fmKind === 'document' ? fmKind : kind,
    heading: headMeta.heading ?? input.id,
    ...headMeta,
    ...tailMeta,
    ...fromFront,
  };
  const fmTitle = pick('heading', 'title');
  if (fmTitle) detected.heading = fmTitle;
  if (!detected.date) {
    const fromUrl = dateFromUrl(detected.sourceUrl);
    if (fromUrl) detected.date = fromUrl;
  }
  const merged = { ...detected, ...(input.overrides ?? {}) };
  return { ...merged, title: input.overrides?.title ?? composeTitle(merged) };
}

export function buildDocument(input: StructureInput): ParsedDocument {
  const { source } = input;
  const warnings: string[] = [];
  const blocks = source.blocks.filter((b) => b.text.trim());
  const explicitHeadings = blocks.some((b) => b.headingLevel);

  const header = parseReportHeader(blocks) ?? (explicitHeadings ? undefined : parseArticleHeader(blocks));
  const kind: DocumentKind = header?.kind ?? 'document';
  const headMeta: Partial<DocumentMeta> = header?.meta ?? {};
  let bodyStart = header?.bodyStart ?? 0;
  if (!header) {
    const first = blocks[0];
    const titled = Boolean(source.frontMatter?.title || input.overrides?.title);
    const topLevel = blocks.filter((b) => b.headingLevel === 1).length;
    // A lone "# Title" is the document's title; several, or a front-matter title, make them sections.
    if (first?.headingLevel === 1 && !titled && topLevel === 1) {
      headMeta.heading = first.text.trim();
      bodyStart = 1;
    } else headMeta.heading = (first?.text.trim() ?? input.id).slice(0, 200);
  }
  const pageFurniture = kind === 'report' ? new Set<number>() : articleFurniture(blocks, bodyStart);
  const tail = parseTail(blocks, bodyStart, kind, pageFurniture);
  const bodyIndices: number[] = [];
  for (let i = bodyStart; i < tail.bodyEnd; i++) bodyIndices.push(i);
  for (let i = tail.resumeAt ?? blocks.length; i < blocks.length; i++) bodyIndices.push(i);
  const bodyBlocks = bodyIndices.map((i) => blocks[i]!);
  const meta = assembleMeta(input, kind, headMeta, tail.meta);

  // Photo captions are printed twice in a row by some sites: drop both copies.
  const dropped = new Set<number>();
  bodyBlocks.forEach((b, i) => {
    const next = bodyBlocks[i + 1];
    if (next && !b.table && b.text.trim() === next.text.trim() && b.text.length < 250) {
      dropped.add(i);
      dropped.add(i + 1);
    }
    if (FURNITURE_LINES.has(foldCompact(b.text)) || pageFurniture.has(bodyIndices[i]!)) dropped.add(i);
  });

  const sections = buildSections(bodyBlocks, kind, dropped);
  const { chunks, footnotes, tables } = chunkSections(input.id, sections, source, warnings);

  const sectionInfos: SectionInfo[] = sections
    .filter((s) => s.paragraphs.length || s.tables.length || s.path[0] !== PREAMBLE_SECTION)
    .map((s) => ({ path: s.path, charStart: s.start, charEnd: s.end }));
  return { meta, sections: sectionInfos, footnotes, tables, chunks, warnings };
}

interface Chunked {
  chunks: Chunk[];
  footnotes: FootnoteInfo[];
  tables: TableInfo[];
}

/** Chunks: whole sentences, never across sections; footnotes and table rows get chunks of their own. */
function chunkSections(documentId: string, sections: readonly SectionDraft[], source: LoadedSource, warnings: string[]): Chunked {
  const chunks: Chunk[] = [];
  const footnotes: FootnoteInfo[] = [];
  const tables: TableInfo[] = [];
  const footnoteText = new Map(source.footnotes.map((f) => [f.n, f]));
  let ordinal = 0;
  const registerFootnote = (n: number, sectionPath: string[], anchorSentence: string, anchorOffset: number) => {
    // A note cited twice is one note: the first citation is its anchor.
    if (footnotes.some((f) => f.n === n)) return;
    const note = footnoteText.get(n);
    footnotes.push({ n, text: note?.text ?? '', sectionPath, anchorSentence, anchorOffset, charStart: note?.start ?? 0, charEnd: note?.end ?? 0 });
  };
  for (const section of sections) {
    let buffer: { text: string; start: number; end: number; refs: number[] }[] = [];
    let bufferLen = 0;
    const emit = () => {
      if (!buffer.length) return;
      const chunk: Chunk = {
        id: `${documentId}#${ordinal}`,
        text: buffer.map((s) => s.text).join(' '),
        metadata: {
          documentId,
          sectionPath: section.path,
          kind: 'body',
          footnoteRefs: [...new Set(buffer.flatMap((s) => s.refs))],
          charStart: buffer[0]!.start,
          charEnd: buffer[buffer.length - 1]!.end,
          ordinal: ordinal++,
        },
      };
      chunks.push(chunk);
      buffer = [];
      bufferLen = 0;
    };
    for (const para of section.paragraphs) {
      const spans: Span[] = splitSentences(para.text);
      const refsBySpan = new Map<number, number[]>();
      for (const a of para.anchors) {
        const idx = spanIndexAt(spans, a.offset);
        refsBySpan.set(idx, [...(refsBySpan.get(idx) ?? []), a.n]);
      }
      // Paragraph boundaries are the preferred cut points.
      if (bufferLen && bufferLen + para.text.length > CHUNK_TARGET_CHARS) emit();
      spans.forEach((span, idx) => {
        const text = para.text.slice(span.start, span.end);
        if (bufferLen && bufferLen + text.length > CHUNK_TARGET_CHARS) emit();
        const refs = refsBySpan.get(idx) ?? [];
        buffer.push({ text, start: para.start + span.start, end: para.start + span.end, refs });
        bufferLen += text.length + 1;
        for (const n of refs) registerFootnote(n, section.path, text, para.start + span.end);
      });
    }
    emit();
    for (const draft of section.tables) ordinal = chunkTable(documentId, section, draft, tables, chunks, ordinal, registerFootnote);
  }
  // Footnotes never anchored (ambiguous export) still become searchable, cited at the document level.
  for (const f of source.footnotes) {
    if (!footnotes.some((x) => x.n === f.n)) {
      warnings.push(`chú thích ${f.n}: không tìm thấy vị trí neo / anchor not found`);
      footnotes.push({ n: f.n, text: f.text, sectionPath: [PREAMBLE_SECTION], anchorSentence: '', anchorOffset: 0, charStart: f.start, charEnd: f.end });
    }
  }
  footnotes.sort((a, b) => a.n - b.n);
  for (const f of footnotes) {
    if (!f.text.trim()) continue;
    chunks.push({
      id: `${documentId}#fn${f.n}`,
      text: f.text,
      metadata: {
        documentId,
        sectionPath: f.sectionPath,
        kind: 'footnote',
        footnote: f.n,
        footnoteRefs: [],
        anchorSentence: f.anchorSentence,
        charStart: f.charStart,
        charEnd: f.charEnd,
        ordinal: ordinal++,
      },
    });
  }
  return { chunks, footnotes, tables };
}

/** One chunk per body row: "column: cell" pairs, cited as section › caption › row label. */
function chunkTable(
  documentId: string,
  section: SectionDraft,
  draft: TableDraft,
  tables: TableInfo[],
  chunks: Chunk[],
  ordinal: number,
  registerFootnote: (n: number, sectionPath: string[], anchorSentence: string, anchorOffset: number) => void,
): number {
  const passages = tablePassages(draft.table);
  const index = tables.length;
  // A table before any heading is cited by its caption alone, not as part of "Mở đầu".
  const base = section.path.length === 1 && section.path[0] === PREAMBLE_SECTION ? [] : section.path;
  tables.push({ caption: draft.caption, sectionPath: section.path, columns: passages.columns, rowCount: passages.rows.length });
  const labels = new Map<string, number>();
  passages.rows.forEach((row, r) => {
    // Two rows with one label ("Cộng" under each group) stay apart in citations.
    const seen = (labels.get(row.label) ?? 0) + 1;
    labels.set(row.label, seen);
    const label = seen > 1 ? `${row.label} (${seen})` : row.label;
    const refs = draft.anchors.filter((a) => a.row === r).map((a) => a.n);
    const sectionPath = [...base, draft.caption, label];
    chunks.push({
      id: `${documentId}#${ordinal}`,
      text: row.text,
      metadata: {
        documentId,
        sectionPath,
        kind: 'table',
        footnoteRefs: refs,
        table: { index, row: label },
        charStart: draft.start,
        charEnd: draft.end,
        ordinal: ordinal++,
      },
    });
    for (const n of refs) registerFootnote(n, sectionPath, row.text, draft.end);
  });
  return ordinal;
}

/** "III. Đánh giá chung › 2. Hạn chế… › chú thích 4" */
export function sectionLabel(path: readonly string[], footnote?: number): string {
  const parts = [...path];
  if (footnote !== undefined) parts.push(`chú thích ${footnote}`);
  return parts.join(' › ');
}
