import { displayDate } from '../ingest/structure.js';
import type { DocumentMeta } from '../ingest/types.js';
import type { Language } from './types.js';

/**
 * Short names for documents, for leads and chat citations: "Báo cáo 381-BC/TU (Tỉnh ủy Kon Tum,
 * 27/02/2019)" rather than the full 250-character title, which stays in /nguon.
 */

const HEADING_MAX_CHARS = 80;

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max * 0.6)).replace(/[\s,;:–-]+$/, '')}…`;
}

export function shortDocumentLabel(meta: DocumentMeta, language: Language = 'vi'): string {
  const date = displayDate(meta.date);
  if (meta.number) {
    const type = meta.docType ?? (language === 'en' ? 'Document' : 'Văn bản');
    const who = [meta.issuer, date].filter(Boolean).join(', ');
    return `${type} ${meta.number}${who ? ` (${who})` : ''}`;
  }
  const by = [meta.outlet ?? meta.issuer ?? meta.author, date].filter(Boolean).join(', ');
  const what = meta.kind === 'article' ? (language === 'en' ? 'Article' : 'Bài') : (meta.docType ?? (language === 'en' ? 'Document' : 'Tài liệu'));
  return `${what} “${clip(meta.heading || meta.title, HEADING_MAX_CHARS)}”${by ? ` (${by})` : ''}`;
}

/** "III. Đánh giá chung › 2. Hạn chế… › 2.2. Nguyên nhân" → "mục III.2.2" where headings are numbered; else the last heading, clipped. */
export function shortSectionLabel(section: string, language: Language = 'vi'): string {
  if (!section) return '';
  const parts = section.split(' › ');
  const footnote = /^chú thích (\d+)$/.exec(parts[parts.length - 1] ?? '');
  const headings = footnote ? parts.slice(0, -1) : parts;
  const numbers = headings.map((h) => /^([IVXLC]+|\d+(?:\.\d+)*|[A-ZĐ])[.)]\s/u.exec(h)?.[1]);
  let label: string;
  if (numbers.length && numbers.every(Boolean)) {
    // "2.2" already carries its parent's "2": keep the deepest full number after the Roman part.
    const roman = /^[IVXLC]+$/.test(numbers[0]!) ? numbers[0]! : '';
    const rest = numbers.slice(roman ? 1 : 0);
    const deepest = rest[rest.length - 1];
    label = `${language === 'en' ? 'section' : 'mục'} ${[roman, deepest].filter(Boolean).join('.')}`;
  } else {
    label = clip(headings[headings.length - 1] ?? '', 60);
  }
  if (footnote) label = `${label}${label ? ', ' : ''}${language === 'en' ? 'footnote' : 'chú thích'} ${footnote[1]}`;
  return label;
}
