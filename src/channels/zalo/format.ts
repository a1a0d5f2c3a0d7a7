/**
 * Plain-text rendering for Zalo. The Bot API's sendMessage takes bare text of 1..2000
 * characters with no parse mode (docs: sendMessage → text), so there is no HTML, no bold, no
 * buttons: citations are numbered lines, and a button becomes an instruction to type a command.
 */

import type { Reply, ReplyBlock, ReplyCitation } from '../../bot/index.js';
import { ZALO_MAX_TEXT_CHARS } from './client.js';
import { zaloStrings } from './strings.js';

/** Long quotes stay readable in the list; /trichdan N shows the full passage. */
const CITATION_QUOTE_MAX_CHARS = 220;

/**
 * Splits text into parts of at most `maxChars`, preferring paragraph boundaries, then line
 * breaks, then sentence ends, then spaces; only a single unbroken run longer than the limit is
 * cut mid-word (never inside a surrogate pair).
 */
export function splitMessage(text: string, maxChars: number = ZALO_MAX_TEXT_CHARS): string[] {
  if (maxChars < 2) throw new RangeError('maxChars must be at least 2');
  const normalized = text.normalize('NFC').replace(/\r\n?/g, '\n').trim();
  if (!normalized) return [];
  return pack(normalized, maxChars, 0)
    .map((p) => p.trim())
    .filter(Boolean);
}

const SEPARATORS: { split: RegExp; join: string }[] = [
  { split: /\n{2,}/, join: '\n\n' },
  { split: /\n/, join: '\n' },
  { split: /(?<=[.!?…;:])\s+/, join: ' ' },
  { split: /\s+/, join: ' ' },
];

function pack(text: string, maxChars: number, level: number): string[] {
  if (text.length <= maxChars) return [text];
  const sep = SEPARATORS[level];
  if (!sep) return hardCut(text, maxChars);
  const pieces = text.split(sep.split).filter((p) => p.length > 0);
  if (pieces.length <= 1) return pack(text, maxChars, level + 1);

  const parts: string[] = [];
  let current = '';
  for (const piece of pieces) {
    const candidate = current ? current + sep.join + piece : piece;
    if (candidate.length <= maxChars) {
      current = candidate;
      continue;
    }
    if (current) parts.push(current);
    if (piece.length <= maxChars) {
      current = piece;
    } else {
      const sub = pack(piece, maxChars, level + 1);
      current = sub.pop() ?? '';
      parts.push(...sub);
    }
  }
  if (current) parts.push(current);
  return parts;
}

function hardCut(text: string, maxChars: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    let cut = maxChars;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep surrogate pairs whole
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) parts.push(rest);
  return parts;
}

/** LLM output sometimes carries Markdown emphasis that Zalo would show literally. */
export function toPlainText(text: string): string {
  return text
    .replace(/\*\*(.+?)\*\*/gs, '$1')
    .replace(/__(.+?)__/gs, '$1')
    .replace(/<\/?(b|i|u|strong|em|code|pre|blockquote)>/gi, '')
    .replace(/[ \t]+\n/g, '\n');
}

function renderBlock(block: ReplyBlock): string {
  const text = toPlainText(block.text).trim();
  switch (block.kind) {
    case 'quote':
      return text
        .split('\n')
        .map((line) => `❝ ${line}`)
        .join('\n');
    case 'notice':
    case 'paragraph':
    case 'code':
    default:
      return text;
  }
}

function truncate(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= maxChars) return flat;
  const cut = flat.slice(0, maxChars - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxChars * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function renderCitation(c: ReplyCitation): string {
  const where = [c.title, c.section].map((s) => s.trim()).filter(Boolean).join(' › ');
  const quote = c.quote.trim() ? `\n   “${truncate(toPlainText(c.quote), CITATION_QUOTE_MAX_CHARS)}”` : '';
  return `[${c.n}] ${where}${quote}`;
}

/**
 * The textual stand-in for the core's buttons. Citation buttons become "gõ /trichdan N";
 * buttons we cannot map are listed by label so nothing the core offered silently disappears.
 */
function renderButtons(reply: Reply): string | undefined {
  const s = zaloStrings(reply.language);
  const citeNumbers = new Set<number>(reply.citations.map((c) => c.n));
  const other: string[] = [];
  for (const b of reply.buttons) {
    const n = citationNumberOfButton(b.data, b.label);
    if (n !== undefined) citeNumbers.add(n);
    else if (b.label.trim().startsWith('/')) other.push(b.label.trim());
  }
  const ns = [...citeNumbers].sort((a, b) => a - b);
  const lines: string[] = [];
  if (ns.length === 1 && ns[0] !== undefined) lines.push(s.citeHintOne(ns[0]));
  else if (ns.length > 1) lines.push(s.citeHintMany(ns));
  lines.push(...other);
  return lines.length ? lines.join('\n') : undefined;
}

/** "cite:<turn>:<n>" or "cite:<n>" data, or a label such as "Trích dẫn 2" / "[2]". */
export function citationNumberOfButton(data: string, label: string): number | undefined {
  const byData = /^cite:(?:[^:]*:)?(\d+)$/i.exec(data.trim());
  if (byData?.[1]) return Number(byData[1]);
  const byLabel = /^(?:\[(\d+)\]|(?:trích dẫn|trích|nguồn|cite|source|quote)\s*(\d+))$/i.exec(label.trim());
  const n = byLabel?.[1] ?? byLabel?.[2];
  return n ? Number(n) : undefined;
}

/** Renders a core reply as one or more Zalo messages, each within the sendMessage limit. */
export interface RenderOptions {
  maxChars?: number;
  /** Heading of the citation list, from the core's messages so all channels word it alike. */
  sourcesHeading?: string;
}

export function renderReply(reply: Reply, options: RenderOptions = {}): string[] {
  const heading = options.sourcesHeading ?? (reply.language === 'en' ? 'Sources:' : 'Nguồn:');
  const paragraphs = reply.blocks.map(renderBlock).filter(Boolean);
  if (reply.citations.length) {
    paragraphs.push([heading, ...reply.citations.map(renderCitation)].join('\n'));
  }
  const hint = renderButtons(reply);
  if (hint) paragraphs.push(hint);
  return splitMessage(paragraphs.join('\n\n'), options.maxChars ?? ZALO_MAX_TEXT_CHARS);
}
