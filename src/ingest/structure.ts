import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fold, normalizeText } from './normalize.js';
import { splitSentences, spanIndexAt, type Span } from './sentences.js';
import type { LoadedSource, SourceBlock } from './loaders/types.js';
import type { Chunk, DocumentKind, DocumentMeta, FootnoteInfo, ParsedDocument, SectionInfo } from './types.js';

/**
 * Turns loaded paragraphs into a document: metadata, section tree, footnotes re-attached to their
 * anchors, page furniture removed, and section-aware chunks. Format-independent: .txt, .md,
 * .docx and .pdf all arrive here as blocks.
 */

const furniture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../lexicon/furniture.json', import.meta.url)), 'utf8'),
) as { exactLines: string[]; recipientsHeaders: string[]; signaturePrefixes: string[] };
const FURNITURE_LINES = new Set(furniture.exactLines);

export const PREAMBLE_SECTION = 'Mở đầu';
export const CHUNK_TARGET_CHARS = 700;

const DOC_TYPES = [
  'BÁO CÁO', 'TỜ TRÌNH', 'KẾ HOẠCH', 'NGHỊ QUYẾT', 'QUYẾT ĐỊNH', 'CHỈ THỊ', 'THÔNG BÁO', 'HƯỚNG DẪN',
  'KẾT LUẬN', 'CHƯƠNG TRÌNH', 'ĐỀ ÁN', 'QUY ĐỊNH', 'CÔNG VĂN', 'THÔNG TRI', 'QUY CHẾ', 'BIÊN BẢN', 'DIỄN VĂN',
];
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

const CODE_TYPES: Record<string, string> = {
  BC: 'Báo cáo', KH: 'Kế hoạch', NQ: 'Nghị quyết', QĐ: 'Quyết định', QD: 'Quyết định', CT: 'Chỉ thị', TB: 'Thông báo',
  HD: 'Hướng dẫn', KL: 'Kết luận', CTR: 'Chương trình', TTR: 'Tờ trình', CV: 'Công văn', QC: 'Quy chế', ĐA: 'Đề án', DA: 'Đề án',
};

/** "Báo cáo kết quả …" or "45-BC/HU" → "Báo cáo". */
function docTypeOf(heading: string, number: string | undefined): string | undefined {
  const byHeading = DOC_TYPES.map((t) => sentenceCase(t.toLowerCase())).find((t) => fold(heading).startsWith(fold(t) + ' '));
  if (byHeading) return byHeading;
  const code = number && /^\d+[-/]([\p{L}]+)/u.exec(number)?.[1]?.toUpperCase();
  return code ? CODE_TYPES[code] : undefined;
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
        titleParts.length < 4 && !blocks[i]!.headingLevel && !matchNumberedHeading(t, false) && !opensBody && t.length < 260 && !/[.;]$/.test(t);
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
  meta: Partial<DocumentMeta>;
}

/** Recipients list, signature, author and source lines at the end of a document. */
function parseTail(blocks: readonly SourceBlock[], from: number, kind: DocumentKind): Tail {
  const meta: Partial<DocumentMeta> = {};
  let bodyEnd = blocks.length;
  for (let i = from; i < blocks.length; i++) {
    const f = foldCompact(blocks[i]!.text);
    if (furniture.recipientsHeaders.some((h) => f.startsWith(h))) {
      bodyEnd = i;
      // The signer follows the last recipient line ("- …").
      let lastDash = i;
      for (let j = i + 1; j < blocks.length; j++) if (/^\s*[-–+•]/.test(blocks[j]!.text)) lastDash = j;
      const sig = blocks
        .slice(lastDash + 1)
        .map((b) => b.text.trim())
        .filter((t) => t && t.length < 80);
      if (sig.length) meta.signer = sig.join(', ');
      break;
    }
    const sigStart = furniture.signaturePrefixes.some((p) => fold(blocks[i]!.text.trim()).startsWith(p));
    if (sigStart && i > from && blocks.length - i <= 6 && isUpperText(blocks[i]!.text)) {
      bodyEnd = i;
      meta.signer = blocks
        .slice(i)
        .map((b) => b.text.trim())
        .filter(Boolean)
        .join(', ');
      break;
    }
  }
  if (kind !== 'article') return { bodyEnd, meta };

  // Articles: walk back over furniture, the source line and the author line.
  let end = bodyEnd;
  while (end > from) {
    const t = blocks[end - 1]!.text.trim();
    const compact = foldCompact(t);
    if (!t || FURNITURE_LINES.has(compact)) {
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
    const byline = /^(?:b[aà]i(?:\s+v[aà]\s+[aả]nh)?|theo|t[aá]c\s+gi[aả]|ảnh)\s*:\s*(.+)$/iu.exec(t);
    if (byline && t.length < 120) {
      const who = byline[1]!.trim();
      const paren = /^(.*?)\s*\(([^)]+)\)\s*$/.exec(who);
      meta.author = (paren ? paren[1]! : who).trim();
      if (paren) meta.outlet = paren[2]!.trim();
      end--;
      continue;
    }
    // "Name - Organisation": a short line, no sentence punctuation, names capitalised.
    if (!meta.author && t.length < 120 && !/[.!?;:]$/.test(t) && /^(\p{Lu}\p{Ll}*\s){1,4}\p{Lu}\p{Ll}*(\s+[-–]\s+.+)?$/u.test(t)) {
      const [name, ...org] = t.split(/\s+[-–]\s+/);
      meta.author = name!.trim();
      if (org.length && !meta.outlet) meta.outlet = org.join(' - ');
      end--;
      continue;
    }
    break;
  }
  return { bodyEnd: end, meta };
}

function parseArticleHeader(blocks: readonly SourceBlock[]): HeaderResult {
  const meta: Partial<DocumentMeta> = {};
  let i = 0;
  while (i < blocks.length && !blocks[i]!.text.trim()) i++;
  meta.heading = blocks[i]?.text.trim() ?? '';
  let bodyStart = i + 1;
  for (let j = i + 1; j < Math.min(blocks.length, i + 6); j++) {
    const t = blocks[j]!.text.trim();
    const compact = foldCompact(t);
    const date = /(?:(\d{1,2}):(\d{2})\s*)?(?:[^\d]*?)(\d{1,2})\/(\d{1,2})\/(\d{4})/.exec(t);
    if (FURNITURE_LINES.has(compact)) {
      bodyStart = j + 1;
    } else if (date && t.length < 60) {
      meta.date = isoDate(date[3]!, date[4]!, date[5]!);
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

interface SectionDraft {
  path: string[];
  paragraphs: Paragraph[];
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

export interface StructureInput {
  id: string;
  file: string;
  source: LoadedSource;
  /** Metadata from a sidecar or front-matter; wins over detection. */
  overrides?: Partial<DocumentMeta>;
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
  const tail = parseTail(blocks, bodyStart, kind);
  const bodyBlocks = blocks.slice(bodyStart, tail.bodyEnd);

  const fm = source.frontMatter ?? {};
  const detected: Omit<DocumentMeta, 'title'> = {
    id: input.id,
    file: input.file,
    kind: (fm.kind as DocumentKind) ?? kind,
    heading: fm.heading ?? fm.title ?? headMeta.heading ?? input.id,
    ...headMeta,
    ...tail.meta,
    ...(fm.number ? { number: fm.number } : {}),
    ...(fm.issuer ? { issuer: fm.issuer } : {}),
    ...(fm.date ? { date: fm.date } : {}),
    ...(fm.signer ? { signer: fm.signer } : {}),
    ...(fm.outlet ? { outlet: fm.outlet } : {}),
    ...(fm.author ? { author: fm.author } : {}),
    ...(fm.source_url || fm.sourceurl || fm.url ? { sourceUrl: fm.source_url ?? fm.sourceurl ?? fm.url } : {}),
  };
  if (fm.title) detected.heading = fm.title;
  if (!detected.date) {
    const fromUrl = dateFromUrl(detected.sourceUrl);
    if (fromUrl) detected.date = fromUrl;
  }
  const merged = { ...detected, ...(input.overrides ?? {}) };
  const meta: DocumentMeta = { ...merged, title: input.overrides?.title ?? composeTitle(merged) };

  // Photo captions are printed twice in a row by some sites: drop both copies.
  const dropped = new Set<number>();
  bodyBlocks.forEach((b, i) => {
    const next = bodyBlocks[i + 1];
    if (next && b.text.trim() === next.text.trim() && b.text.length < 250) {
      dropped.add(i);
      dropped.add(i + 1);
    }
    if (FURNITURE_LINES.has(foldCompact(b.text))) dropped.add(i);
  });

  // Section tree.
  const hasRoman = bodyBlocks.some((b) => ROMAN.test(b.text.trim()));
  const sections: SectionDraft[] = [];
  const stack: { depth: number; heading: string }[] = [];
  let current: SectionDraft = { path: [PREAMBLE_SECTION], paragraphs: [], start: bodyBlocks[0]?.start ?? 0, end: 0 };
  const openSection = (depth: number, heading: string, start: number) => {
    while (stack.length && stack[stack.length - 1]!.depth >= depth) stack.pop();
    stack.push({ depth, heading });
    if (current.paragraphs.length || current.path[0] !== PREAMBLE_SECTION) sections.push(current);
    current = { path: stack.map((s) => s.heading), paragraphs: [], start, end: start };
  };
  let lastExplicit = 0;
  bodyBlocks.forEach((b, i) => {
    if (dropped.has(i)) return;
    const t = b.text.trim();
    if (b.headingLevel) {
      lastExplicit = b.headingLevel;
      openSection(b.headingLevel, t, b.start);
      return;
    }
    if (explicitHeadings === false || !b.headingLevel) {
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
      if ((kind !== 'article' && isUpperHeading(t)) || (kind === 'article' && isArticleSubheading(t, bodyBlocks[i + 1]))) {
        openSection(kind === 'article' ? 1 : hasRoman ? 1 : 1, t, b.start);
        return;
      }
    }
    current.paragraphs.push({ text: t, start: b.start, end: b.end, anchors: b.footnoteAnchors });
    current.end = b.end;
  });
  sections.push(current);
  for (const s of sections) s.end = Math.max(s.end, s.paragraphs[s.paragraphs.length - 1]?.end ?? s.start);

  // Chunks: whole sentences, never across sections; footnotes get chunks of their own.
  const chunks: Chunk[] = [];
  const footnotes: FootnoteInfo[] = [];
  const footnoteText = new Map(source.footnotes.map((f) => [f.n, f]));
  const pendingFootnotes: { n: number; chunk: Chunk; anchorSentence: string; anchorOffset: number }[] = [];
  let ordinal = 0;
  for (const section of sections) {
    let buffer: { text: string; start: number; end: number; refs: number[] }[] = [];
    let bufferLen = 0;
    const emit = () => {
      if (!buffer.length) return;
      const text = buffer.map((s) => s.text).join(' ');
      const chunk: Chunk = {
        id: `${input.id}#${ordinal}`,
        text,
        metadata: {
          documentId: input.id,
          sectionPath: section.path,
          kind: 'body',
          footnoteRefs: [...new Set(buffer.flatMap((s) => s.refs))],
          charStart: buffer[0]!.start,
          charEnd: buffer[buffer.length - 1]!.end,
          ordinal: ordinal++,
        },
      };
      chunks.push(chunk);
      for (const p of pendingFootnotes.splice(0)) p.chunk = chunk;
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
        for (const n of refs) {
          // A note cited twice is one note: the first citation is its anchor.
          if (footnotes.some((f) => f.n === n)) continue;
          const placeholder = { n, chunk: undefined as unknown as Chunk, anchorSentence: text, anchorOffset: para.start + span.end };
          pendingFootnotes.push(placeholder);
          footnotes.push({
            n,
            text: footnoteText.get(n)?.text ?? '',
            sectionPath: section.path,
            anchorSentence: text,
            anchorOffset: para.start + span.end,
            charStart: footnoteText.get(n)?.start ?? 0,
            charEnd: footnoteText.get(n)?.end ?? 0,
          });
        }
      });
    }
    emit();
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
      id: `${input.id}#fn${f.n}`,
      text: f.text,
      metadata: {
        documentId: input.id,
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

  const sectionInfos: SectionInfo[] = sections
    .filter((s) => s.paragraphs.length || s.path[0] !== PREAMBLE_SECTION)
    .map((s) => ({ path: s.path, charStart: s.start, charEnd: s.end }));
  return { meta, sections: sectionInfos, footnotes, chunks, warnings };
}

/** "III. Đánh giá chung › 2. Hạn chế… › chú thích 4" */
export function sectionLabel(path: readonly string[], footnote?: number): string {
  const parts = [...path];
  if (footnote !== undefined) parts.push(`chú thích ${footnote}`);
  return parts.join(' › ');
}
