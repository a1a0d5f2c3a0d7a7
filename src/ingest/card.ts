/**
 * What the parser read from one document, as a user checks it after `npm run ingest` or with
 * /nguon: type, number, issuer, date, signer or author, title, and how many sections, footnotes,
 * tables and OCR'd pages it found. A document read with low confidence (no title line found, no
 * section headings) is flagged, so a misread file is seen at once instead of through wrong
 * answers later.
 */
import { displayDate, PREAMBLE_SECTION } from './structure.js';
import type { ParsedDocument } from './types.js';

export interface DocumentCard {
  id: string;
  file: string;
  kind: ParsedDocument['meta']['kind'];
  docType?: string;
  number?: string;
  issuer?: string;
  /** dd/mm/yyyy */
  date?: string;
  signer?: string;
  signerTitle?: string;
  author?: string;
  outlet?: string;
  /** The document's own title line(s). */
  heading: string;
  sections: number;
  footnotes: number;
  tables: number;
  ocrPages: number;
  /** Reasons to check the document by hand (Vietnamese / English). */
  lowConfidence: string[];
}

export const LOW_NO_TITLE = 'không tìm thấy tiêu đề / no title found';
export const LOW_NO_SECTIONS = 'không có mục nào / no sections found';

/** Sections with a heading of their own (the untitled opening part does not count). */
function headedSections(doc: ParsedDocument): number {
  return doc.sections.filter((s) => s.path.length > 0 && s.path[0] !== PREAMBLE_SECTION).length;
}

export function documentCard(doc: ParsedDocument): DocumentCard {
  const m = doc.meta;
  const heading = m.heading.trim();
  const sections = headedSections(doc);
  const lowConfidence: string[] = [];
  // The parser falls back to the file's id when it finds no title line.
  if (!heading || heading === m.id || heading === m.id.split('/').pop()) lowConfidence.push(LOW_NO_TITLE);
  if (sections === 0) lowConfidence.push(LOW_NO_SECTIONS);
  const date = displayDate(m.date);
  return {
    id: m.id,
    file: m.file,
    kind: m.kind,
    ...(m.docType ? { docType: m.docType } : {}),
    ...(m.number ? { number: m.number } : {}),
    ...(m.issuer ? { issuer: m.issuer } : {}),
    ...(date ? { date } : {}),
    ...(m.signer ? { signer: m.signer } : {}),
    ...(m.signerTitle ? { signerTitle: m.signerTitle } : {}),
    ...(m.author ? { author: m.author } : {}),
    ...(m.outlet ? { outlet: m.outlet } : {}),
    heading,
    sections,
    footnotes: doc.footnotes.length,
    tables: doc.tables?.length ?? 0,
    ocrPages: doc.ocr?.pages ?? 0,
    lowConfidence,
  };
}

const KIND_LABEL: Record<DocumentCard['kind'], string> = { report: 'văn bản / report', article: 'bài báo / article', document: 'tài liệu / document' };

/** The card as aligned "label: value" lines, indented by `indent`. */
export function formatCard(card: DocumentCard, indent = '  '): string {
  const rows: [string, string | undefined][] = [
    ['loại / type', card.docType ? `${card.docType} (${KIND_LABEL[card.kind]})` : KIND_LABEL[card.kind]],
    ['số / number', card.number],
    ['cơ quan / issuer', card.issuer ?? card.outlet],
    ['ngày / date', card.date],
    ['người ký / signer', card.signer ? `${card.signer}${card.signerTitle ? ` (${card.signerTitle})` : ''}` : undefined],
    ['tác giả / author', card.author],
    ['tiêu đề / title', card.heading || undefined],
    ['nội dung / content', `${card.sections} mục, ${card.footnotes} chú thích, ${card.tables} bảng${card.ocrPages ? `, ${card.ocrPages} trang OCR` : ''}`],
  ];
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  const lines = [`${indent}${card.file}${card.lowConfidence.length ? '  ⚠ cần kiểm tra / check' : ''}`];
  for (const [label, value] of shown) lines.push(`${indent}  ${`${label}:`.padEnd(width + 1)} ${value}`);
  for (const reason of card.lowConfidence) lines.push(`${indent}  ⚠ ${reason}`);
  return lines.join('\n');
}
