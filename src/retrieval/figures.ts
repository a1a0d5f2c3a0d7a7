import { figureMatches } from '../ingest/facts.js';
import { fold } from '../ingest/normalize.js';
import { lexicon } from './lexicon.js';

/**
 * Figures in report prose, as the fact extractor finds them (src/ingest/facts.ts): years, dates
 * and parts of document codes are not figures anyone asks "how many" about.
 */
export { figureMatches };

export function sentenceFigures(text: string, options: { keepDurations?: boolean } = {}): string[] {
  return figureMatches(text, options).map((m) => m[0].trim());
}

/** "bao nhiêu năm", "mấy tháng": then durations are the figures asked for. */
export function asksForDuration(unitTokens: readonly string[]): boolean {
  return /^(nam|thang|ngay|quy|gio|phut|tuan|lan|nhiem)$/.test(unitTokens[0] ?? '');
}

/** Dates as reports write them: "ngày 06-5-2009", "27/02/2019", "tháng 12-2017", "quý I-2018", "năm 2020". */
export const DATE_RE = /(?:ngày\s+)?\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|(?:tháng|quý)\s+[\dIV]{1,4}[-/]\d{4}|năm\s+(?:19|20)\d{2}/iu;

/**
 * The unit as asked and in its other spellings: "TCCSĐ" ↔ "tổ chức cơ sở đảng" (anywhere in
 * the unit: "chủ doanh nghiệp tư nhân" ↔ "chủ DNTN"), and money or percentages as reports write them.
 */
export function unitVariants(unitTokens: readonly string[]): string[][] {
  const out: string[][] = [[...unitTokens]];
  for (const a of lexicon().abbreviations) {
    unitTokens.forEach((t, i) => {
      if (t === a.folded) for (const e of a.expansions) out.push([...unitTokens.slice(0, i), ...e, ...unitTokens.slice(i + 1)]);
    });
    for (const e of a.expansions) {
      if (e.length < 2) continue;
      for (let i = 0; i + e.length <= unitTokens.length; i++)
        if (e.every((t, k) => unitTokens[i + k] === t)) out.push([...unitTokens.slice(0, i), a.folded, ...unitTokens.slice(i + e.length)]);
      // The unit was cut short ("chủ doanh nghiệp" of "chủ doanh nghiệp tư nhân"): a prefix at its end counts.
      for (let len = Math.min(e.length - 1, unitTokens.length); len >= 2; len--) {
        const at = unitTokens.length - len;
        if (e.slice(0, len).every((t, k) => unitTokens[at + k] === t)) {
          out.push([...unitTokens.slice(0, at), a.folded]);
          break;
        }
      }
    }
  }
  const first = unitTokens[0];
  if (first === 'tien' || first === 'kinh' || first === 'ngan') out.push(['trieu'], ['ty'], ['nghin'], ['dong']);
  return out;
}

/**
 * How directly a figure carries the question's unit: 2 when its words follow the number
 * ("698 tổ chức cơ sở đảng"), 1 when only the first unit word does ("119/156 xã, phường"), 0 otherwise.
 */
export function unitAfterNumber(text: string, unitTokens: readonly string[]): 0 | 1 | 2 {
  let best: 0 | 1 | 2 = 0;
  for (const v of unitVariants(unitTokens)) {
    const r = unitAfterNumberOne(text, v, unitTokens);
    if (r > best) best = r;
  }
  return best;
}

function unitAfterNumberOne(text: string, unitVariant: readonly string[], unitTokens: readonly string[]): 0 | 1 | 2 {
  const unit = unitVariant.slice(0, 2);
  if (!unit.length) return 0;
  let best: 0 | 1 | 2 = 0;
  for (const m of figureMatches(text, { keepDurations: asksForDuration(unitTokens) })) {
    const after = (fold(text.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 40)).match(/[a-z]+/g) ?? []).slice(0, 3);
    for (const shift of [0, 1]) {
      if (after[shift] !== unit[0]) continue;
      best = unit.length > 1 && after[shift + 1] === unit[1] ? 2 : Math.max(best, 1) as 1 | 2;
      if (best === 2) return 2;
    }
  }
  return best;
}

/**
 * Is the unit of the question ("đảng viên", "xã") said within a few words of a figure, as in
 * "12.668 đảng viên" or "tổng số đảng viên … lên 26.773"? The first two unit words must appear
 * together, so "Đảng" alone near a number does not count as "đảng viên".
 */
export function unitNearNumber(text: string, unitTokens: readonly string[]): boolean {
  return unitVariants(unitTokens).some((v) => unitNearNumberOne(text, v));
}

function unitNearNumberOne(text: string, unitTokens: readonly string[]): boolean {
  const unit = unitTokens.slice(0, 2);
  if (!unit.length) return false;
  const words: { w: string; at: number }[] = [];
  for (const m of fold(text).matchAll(/[a-z]+/g)) words.push({ w: m[0], at: m.index ?? 0 });
  const unitStarts: number[] = [];
  for (let i = 0; i + unit.length <= words.length; i++) if (unit.every((u, k) => words[i + k]!.w === u)) unitStarts.push(words[i]!.at);
  if (!unitStarts.length) return false;
  for (const m of figureMatches(text, { keepDurations: true })) {
    const at = m.index ?? 0;
    const end = at + m[0].length;
    const gapAfter = (u: number) => fold(text.slice(end, u)).match(/[a-z]+/g)?.length ?? 0;
    const gapBefore = (u: number) => fold(text.slice(u, at)).match(/[a-z]+/g)?.length ?? 0;
    if (unitStarts.some((u) => (u >= end && gapAfter(u) <= 3) || (u < at && gapBefore(u) <= 8))) return true;
  }
  return false;
}
