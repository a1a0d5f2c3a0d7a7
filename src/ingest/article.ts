import { fold } from './normalize.js';
import type { SourceBlock } from './loaders/types.js';
import { escapeRegExp, furnitureLexicon, ingestLexicon } from './vocabulary.js';

/**
 * News-page furniture: what a web page prints around an article that is not the article — the
 * outlet's name, the rubric, the date line, photo captions, "Tin liên quan:" lists, tags and the
 * copyright line. Recognised by shape and by the vocabulary in lexicon/ingest.json.
 */

const foldCompact = (s: string) => fold(s).replace(/[^a-z0-9/]/g, '');
const isUpperText = (s: string) => /\p{L}/u.test(s) && s === s.toUpperCase() && s !== s.toLowerCase();
const words = (s: string) => s.trim().split(/\s+/).filter(Boolean);

/** "Thứ Sáu, 15/07/2022 - 07:30", "16:50 23/04/2020", "15/7/2022": a short line holding a date. */
export function articleDateLine(t: string): string | undefined {
  if (t.length >= 60) return undefined;
  const m = /(\d{1,2})\/(\d{1,2})\/(\d{4})/.exec(t);
  if (!m) return undefined;
  // The rest must be date furniture (weekday, time, "cập nhật"), not a sentence with a date in it.
  const rest = fold(t.replace(m[0], ' ')).replace(/\d{1,2}:\d{2}(:\d{2})?|gmt\s*\+?\d*|[(),\-–|:/]/g, ' ');
  const leftover = rest.split(/\s+/).filter((w) => w && !/^(thu|hai|ba|tu|nam|sau|bay|chu|nhat|ngay|cap|nhat|dang|luc|gio|sa|ch)$/.test(w));
  if (leftover.length > 2) return undefined;
  return `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
}

/** "BÁO NAM THẠCH ĐIỆN TỬ", "Báo Lao Động", "baochinhphu.vn": the outlet's name line. */
export function isOutletLine(t: string): boolean {
  const text = t.trim();
  if (!text || text.length > 60 || words(text).length > 8 || /[.!?;:,]$/.test(text)) return false;
  const lx = ingestLexicon();
  const f = fold(text);
  if (lx.notOutletStarts.some((p) => f.startsWith(fold(p)))) return false;
  const prefixed = lx.outletPrefixes.some((p) => f.startsWith(`${fold(p)} `));
  const suffixed = lx.outletSuffixes.some((s) => f.endsWith(fold(s)));
  return prefixed || suffixed;
}

/** "BÁO NAM THẠCH ĐIỆN TỬ" → "Báo Nam Thạch điện tử": prefix and suffix in lower case, the name title-cased. */
export function readableOutlet(t: string): string {
  const text = t.trim().replace(/\s+/g, ' ');
  if (!isUpperText(text)) return text;
  const lx = ingestLexicon();
  const f = fold(text);
  const prefix = lx.outletPrefixes.filter((p) => f.startsWith(`${fold(p)} `)).sort((a, b) => b.length - a.length)[0];
  const suffix = lx.outletSuffixes.filter((s) => f.endsWith(` ${fold(s)}`)).sort((a, b) => b.length - a.length)[0];
  const ws = words(text);
  const nPrefix = prefix ? words(prefix).length : 0;
  const nSuffix = suffix ? words(suffix).length : 0;
  return ws
    .map((w, i) => {
      const lower = w.toLowerCase();
      if (i < nPrefix || i >= ws.length - nSuffix) return i === 0 ? lower.charAt(0).toUpperCase() + lower.slice(1) : lower;
      return lower.charAt(0).toUpperCase() + lower.slice(1);
    })
    .join(' ');
}

/** "Chính trị › Xây dựng Đảng", "Thời sự | Trong nước": a breadcrumb of short segments. */
export function isRubricLine(t: string): boolean {
  const text = t.trim();
  if (text.length > 80 || /[.!?;]$/.test(text)) return false;
  const seps = ingestLexicon().rubricSeparators.map(escapeRegExp).join('|');
  const parts = text.split(new RegExp(`\\s*(?:${seps})\\s*`, 'u')).filter(Boolean);
  return parts.length >= 2 && parts.every((p) => words(p).length <= 5 && /^\p{Lu}/u.test(p));
}

/** A short rubric word or two ("Xã hội", "THỜI SỰ") standing alone before the date line. */
export function isShortRubric(t: string, next: string | undefined): boolean {
  const text = t.trim();
  return words(text).length <= 4 && text.length <= 40 && !/[.!?;:,]$/.test(text) && next !== undefined && articleDateLine(next) !== undefined;
}

let captionRes: RegExp[] | undefined;

/** A photo caption: a line ending in "Ảnh: T.H", "(Ảnh: TTXVN)" or "(Ảnh minh họa)". */
export function isCaptionLine(t: string): boolean {
  if (!captionRes) {
    const markers = [...ingestLexicon().captionMarkers].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
    captionRes = [
      // The credit may hold initials with dots ("T.H") but no sentence of its own.
      new RegExp(`(?:^|[\\s.(\\-–])(?:${markers})\\s*:\\s*[^!?:;]{1,60}\\)?\\s*$`, 'iu'),
      new RegExp(`(?:^|\\s)\\((?:${markers})\\)\\s*$`, 'iu'),
    ];
  }
  const text = t.trim();
  // "Bài và ảnh: Thanh Sang (TTXVN)" is the byline, not a caption.
  const f = fold(text);
  if (text.length < 120 && ingestLexicon().bylinePrefixes.some((p) => f.startsWith(`${fold(p)}:`) || f.startsWith(`${fold(p)} `))) return false;
  return text.length <= 400 && captionRes.some((re) => re.test(text));
}

export function isTagLine(t: string): boolean {
  const f = fold(t.trim());
  return ingestLexicon().tagPrefixes.some((p) => f.startsWith(`${fold(p)}:`) || f.startsWith(`${fold(p)} :`));
}

export function isCopyrightLine(t: string): boolean {
  const text = t.trim();
  if (text.length > 250) return false;
  const f = fold(text);
  return ingestLexicon().copyrightMarkers.some((m) => (m === '©' ? text.includes('©') : f.startsWith(fold(m)) || f.includes(` ${fold(m)} `)));
}

function isRelatedHeader(t: string): boolean {
  const c = foldCompact(t);
  return ingestLexicon().relatedListHeadersFolded.includes(c.replace(/\//g, ''));
}

/** A related headline: a list item or a short line that does not end a sentence. */
function isRelatedItem(t: string): boolean {
  const text = t.trim();
  return /^[-–•+*]\s*\S/.test(text) || (text.length <= 160 && !/[.!?;:]$/.test(text));
}

/**
 * Indices of blocks that are page furniture of an article: site furniture lines, captions,
 * tags, copyright lines, and "Tin liên quan:" headers with the headlines listed after them.
 */
export function articleFurniture(blocks: readonly SourceBlock[], from: number): Set<number> {
  const dropped = new Set<number>();
  const exact = new Set(furnitureLexicon().exactLines);
  for (let i = from; i < blocks.length; i++) {
    const t = blocks[i]!.text.trim();
    if (isRelatedHeader(t)) {
      dropped.add(i);
      // A bulleted list ends at its first line without a bullet (a subhead may follow it).
      const bulleted = /^[-–•+*]\s*\S/.test(blocks[i + 1]?.text.trim() ?? '');
      const isItem = (text: string) => (bulleted ? /^[-–•+*]\s*\S/.test(text.trim()) : isRelatedItem(text));
      for (let j = i + 1; j < blocks.length && isItem(blocks[j]!.text); j++) {
        dropped.add(j);
        i = j;
      }
      continue;
    }
    if (exact.has(foldCompact(t)) || isCaptionLine(t) || isTagLine(t) || isCopyrightLine(t)) dropped.add(i);
  }
  return dropped;
}

/** A person's name alone: 2–5 capitalised words ("Hoàng Thu Hà", "HOÀNG THU HÀ"). */
export function isNameLine(t: string): boolean {
  const text = t.trim();
  const ws = words(text);
  if (ws.length < 2 || ws.length > 5 || text.length > 50) return false;
  return ws.every((w) => /^\p{Lu}[\p{L}'’]*$/u.test(w));
}

export function readableName(t: string): string {
  const text = t.trim().replace(/\s+/g, ' ');
  if (!isUpperText(text)) return text;
  return words(text)
    .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
    .join(' ');
}
