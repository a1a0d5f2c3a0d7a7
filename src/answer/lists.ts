import { fold } from '../ingest/normalize.js';
import { intentCues } from '../retrieval/intents.js';
import { placeMarkers } from '../ingest/places.js';

/**
 * Lists and reasons in a lead: every item of the sentences (or section points) that list them,
 * each cut to its head phrase, so "những khó khăn gì?" is answered with the difficulties
 * themselves rather than a quotation with nothing in its first line.
 */

/** At most this many characters of items in a lead (the contract's bound is 500). */
const LIST_BUDGET_CHARS = 460;
const MAX_ITEMS = 8;
const MIN_ITEM_CHARS = 60;
const MAX_ITEM_CHARS = 150;
const FAIR_SHARE_ITEMS = 4;

/** Bullets and enumerators that open a point: "- ", "+ ", "•", "a)", "1)". */
const BULLET = /^\s*(?:[-+•*–]\s+|[a-zđ]\)\s+|\d{1,2}[).]\s+)/u;

function cutAtWord(text: string, max: number): string {
  const t = text.trim().replace(/[\s,;:.]+$/, '');
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${cut.slice(0, space > max * 0.5 ? space : max).replace(/[\s,;:–-]+$/, '')}…`;
}

/**
 * Where an enumeration starts in a sentence: after a colon, or after an introducer word ("gồm",
 * "là", "do", "như") that is followed by at least two separated items.
 */
function enumerationStart(text: string): number {
  const colon = text.indexOf(':');
  // "Chọn đúng người: người được bố trí phải có bản lĩnh, uy tín…" is one titled point, its head
  // before the colon; a colon starts an enumeration when ';' separates what follows, or the lead-in is long.
  if (colon > 0 && colon < text.length * 0.7) {
    const after = text.slice(colon + 1);
    // A lead-in that announces several things ("gồm", "như sau", "một số kết quả") introduces a list.
    const leadIn = fold(text.slice(0, colon));
    const announces = intentCues().listIntroducers.some((w) => new RegExp(`\\b${w}\\s*$`).test(leadIn)) || /\b(nhung|cac|mot so|nhieu)\b/.test(leadIn);
    if (after.includes(';') || (announces && after.includes(','))) return colon + 1;
  }
  // The lead-in stands before the first item: an introducer inside a later item is that item's own word.
  const firstItem = text.split(';')[0] ?? text;
  const folded = fold(firstItem);
  let best = -1;
  for (const word of intentCues().listIntroducers) {
    const re = new RegExp(`\\b${word}\\b\\s+`, 'g');
    for (const m of folded.matchAll(re)) {
      const at = (m.index ?? 0) + m[0].length;
      // "… còn gặp một số khó khăn, vướng mắc do <items>": a lead-in of a few words at least.
      if (folded.slice(0, m.index ?? 0).split(' ').length < 4) continue;
      const rest = text.slice(at);
      // Two or more items after the introducer: separators, not one clause that happens to follow "là".
      const separators = (rest.match(/;/g) ?? []).length + (/,[^,]+\svà\s/u.test(rest) ? 1 : 0);
      if (separators >= 1 && (best < 0 || at < best)) best = at;
    }
  }
  return best;
}

/** Items of one sentence: its enumeration split at ";" (or "," and "và" for short items), else the sentence. */
export function itemsOf(sentence: string): string[] {
  // Points run together by the sentence splitter ("… cụ thể. - Một số cấp ủy …") are items each.
  const points = sentence.split(/(?<=[.;:])\s+(?=[-+•–]\s)/u);
  if (points.length > 1) return points.flatMap((p) => itemsOf(p));
  const text = sentence.replace(BULLET, '').trim();
  const start = enumerationStart(text);
  const body = start > 0 ? text.slice(start) : text;
  const bySemicolon = body.split(/\s*;\s*/).map((s) => s.trim()).filter(Boolean);
  if (bySemicolon.length >= 2) return bySemicolon.map((s) => s.replace(BULLET, '').replace(/^(và|hoặc)\s+/u, ''));
  if (start > 0) {
    const parts = body.split(/\s*,\s*|\s+và\s+/u).map((s) => s.trim()).filter(Boolean);
    if (parts.length >= 2 && parts.every((p) => p.split(/\s+/).length <= 10)) return parts;
  }
  return [text];
}

let namedRe: RegExp | undefined;
/** A capitalised name of two or more words standing alone ("Nà Sang", "Thạch Bình (huyện …)"). */
const BARE_NAME = /^(\p{Lu}[\p{L}\p{M}'’]*(?:\s+\p{Lu}[\p{L}\p{M}'’]*)+(?:\s*\([^)]{1,60}\))?)/u;

/** A place marker and the capitalised name after it ("huyện Tri Tôn", "Xã Đăk Pét (huyện Đăk Glei)"). */
function namedItemRe(): RegExp {
  if (namedRe) return namedRe;
  const markers = placeMarkers()
    .filter((m) => !m.english)
    .map((m) => m.text.replace(/[.]/g, '\\.'))
    .join('|');
  const name = '\\p{Lu}[\\p{L}\\p{M}\'’]*(?:\\s+\\p{Lu}[\\p{L}\\p{M}\'’]*)*';
  namedRe = new RegExp(`(?:^|\\s)((?:(?:${markers})\\s+)${name}(?:\\s*\\([^)]{1,60}\\))?)`, 'iu');
  return namedRe;
}

/**
 * For "những đơn vị nào", "xã nào", "which units": the longest run of consecutive list parts that
 * are each a marked place name, cut after the name ("… 4/11 đơn vị là thành phố Long Xuyên,
 * thành phố Châu Đốc, huyện Châu Phú và huyện Tri Tôn đã triển khai …" → the four names).
 */
export function namedItems(items: readonly string[]): string[] | undefined {
  const parts = items.flatMap((i) => i.split(/\s*[,;]\s*|\s+và\s+/u)).filter(Boolean);
  let best: string[] = [];
  let run: string[] = [];
  for (const part of parts) {
    const m = namedItemRe().exec(part);
    let name = m?.[1]?.trim();
    // "các xã Lũng Cao, Nà Sang và Thạch Bình": after a marked name, bare names share its marker.
    if (!name && run.length) name = BARE_NAME.exec(part.trim())?.[1];
    // The name must start with a capital after its marker: "xã thực hiện" is not a name.
    if (name && (/\s\p{Lu}/u.test(name) || (run.length > 0 && /^\p{Lu}/u.test(name)))) {
      run.push(name);
      if (run.length > best.length) best = [...run];
    } else run = [];
  }
  return best.length >= 2 ? best : undefined;
}

export interface ListLeadInput {
  /** Evidence sentences, best first. */
  sentences: readonly string[];
  /** The question asks for names ("những đơn vị nào", "which communes"). */
  wantsNames: boolean;
  /** Folded words of what is asked ("kho khan", "bai hoc"): a sentence ending in them introduces the list. */
  focusWords?: readonly string[];
}

/** "… vẫn còn những khó khăn." / "… một số bài học kinh nghiệm sau:" introduces items rather than being one. */
export function isLeadIn(item: string, focusWords: readonly string[]): boolean {
  const f = fold(item).replace(/[^a-z0-9 ]+/g, ' ').trim();
  if (/:\s*$/.test(item)) return true;
  const tail = f.split(/\s+/).slice(-4).join(' ');
  return focusWords.length > 0 && focusWords.every((w) => tail.includes(w));
}

/** The items of a list answer as one line within the lead's bound, or undefined when nothing lists. */
export function listLead({ sentences, wantsNames, focusWords = [] }: ListLeadInput): string | undefined {
  let items: string[] = [];
  if (wantsNames) {
    // The sentence that names the units, wherever it ranks among the evidence.
    for (const s of sentences) {
      const named = namedItems(itemsOf(s));
      if (named) {
        items = named;
        break;
      }
    }
  }
  if (!items.length) {
    for (const s of sentences) for (const item of itemsOf(s)) if (!items.includes(item) && !isLeadIn(item, focusWords)) items.push(item);
  }
  items = items.slice(0, MAX_ITEMS);
  if (!items.length) return undefined;
  // Each of the first few items gets a fair share; short items leave room for more.
  const per = Math.min(MAX_ITEM_CHARS, Math.max(MIN_ITEM_CHARS, Math.floor(LIST_BUDGET_CHARS / Math.min(items.length, FAIR_SHARE_ITEMS)) - 2));
  const out: string[] = [];
  let used = 0;
  for (const item of items) {
    const cut = cutAtWord(item, per);
    if (used + cut.length + 2 > LIST_BUDGET_CHARS) break;
    out.push(cut);
    used += cut.length + 2;
  }
  if (!out.length) return undefined;
  const first = out[0]!;
  out[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return out.join('; ');
}

/** The best sentence as a lead when no kind-specific answer applies: its first words, within bounds. */
export function sentenceLead(sentence: string, maxChars = 320): string {
  return cutAtWord(sentence.replace(BULLET, ''), maxChars);
}
