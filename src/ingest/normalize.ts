/**
 * Vietnamese text normalisation.
 *
 * Two layers: `normalizeText` keeps the spelling readers expect (it only unifies Unicode form,
 * tone-mark placement, quotes and white space), and `fold` strips every diacritic for matching.
 * Search always works on folded text so that "chu tich", "chủ tịch", NFD input and the old
 * "uỷ" placement all meet in one form.
 */

const TONE_MARKS = new Set(['\u0300', '\u0301', '\u0303', '\u0309', '\u0323']);

/**
 * Moves the tone mark of open "oa", "oe", "uy" syllables onto the first vowel ("hoà" → "hòa",
 * "uỷ" → "ủy"). The reports mix both placements; picking one lets exact-phrase matching and
 * de-duplication work on accented text too.
 */
const OLD_STYLE_ENDING = /[oOuU][àáảãạèéẻẽẹỳýỷỹỵÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴ]$/u;

function canonicalToneWord(word: string): string {
  // Cheap test first: only "…oà", "…oẻ", "…uỷ"-shaped words can need a move.
  if (!OLD_STYLE_ENDING.test(word)) return word;
  const d = word.normalize('NFD');
  // Base letters with the marks that follow each one.
  const letters: { base: string; marks: string[] }[] = [];
  for (const ch of d) {
    if (/[\u0300-\u036f]/.test(ch)) {
      const last = letters[letters.length - 1];
      if (last) last.marks.push(ch);
    } else {
      letters.push({ base: ch, marks: [] });
    }
  }
  const n = letters.length;
  if (n < 2) return word;
  const last = letters[n - 1]!;
  const prev = letters[n - 2]!;
  const pair = (prev.base + last.base).toLowerCase();
  if (pair !== 'oa' && pair !== 'oe' && pair !== 'uy') return word;
  // "qu" + "y": the u belongs to the consonant, the tone stays on y.
  if (pair === 'uy' && n >= 3 && letters[n - 3]!.base.toLowerCase() === 'q') return word;
  const tone = last.marks.find((m) => TONE_MARKS.has(m));
  if (!tone || prev.marks.some((m) => TONE_MARKS.has(m))) return word;
  last.marks = last.marks.filter((m) => m !== tone);
  prev.marks.push(tone);
  return letters.map((l) => l.base + l.marks.join('')).join('').normalize('NFC');
}

const WORD = /[\p{L}\p{M}]+/gu;

/** NFC, one tone placement, straight quotes, plain spaces. Length may change (NFC composes). */
export function normalizeText(input: string): string {
  return input
    .normalize('NFC')
    .replace(/[\u2018\u2019\u201a\u201b\u02bc\u0060\u00b4]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u00ab\u00bb]/g, '"')
    .replace(/[\u00a0\u2007\u202f\u2009\u200a\t]/g, ' ')
    .replace(/\u200b|\u200c|\u200d|\ufeff/g, '')
    .replace(WORD, canonicalToneWord);
}

/**
 * Lower-case, diacritic-free form used for every comparison and for the search indexes. Tone
 * placement does not matter once marks are gone, so this skips that part of normalizeText.
 */
export function fold(input: string): string {
  return input.normalize('NFD').replace(FOLD_RE, foldChar).toLowerCase();
}

// One pass over the decomposed text: marks vanish, đ becomes d, quotes and spaces are unified.
const FOLD_RE = /[\u0300-\u036f\u2018\u2019\u201a\u201b\u02bc\u0060\u00b4\u201c-\u201f\u00ab\u00bb\u00a0\u2007\u202f\u2009\u200a\t\ufeffđĐ]|\u200b|\u200c|\u200d/g;
function foldChar(c: string): string {
  if (c === 'đ') return 'd';
  if (c === 'Đ') return 'D';
  if (c === '\u00a0' || c === '\u2007' || c === '\u202f' || c === '\u2009' || c === '\u200a' || c === '\t') return ' ';
  if ('\u2018\u2019\u201a\u201b\u02bc\u0060\u00b4'.includes(c)) return "'";
  if ('\u201c\u201d\u201e\u201f\u00ab\u00bb'.includes(c)) return '"';
  return '';
}

/** Collapses runs of white space; used for display text that came from ragged line breaks. */
export function squeezeSpaces(input: string): string {
  return input.replace(/[ \t\u00a0]+/g, ' ').replace(/ ?\n ?/g, '\n').trim();
}

/** True when the string carries any diacritic (or đ): the user typed Vietnamese with accents. */
export function hasVietnameseMarks(input: string): boolean {
  return /[\u0300-\u036f]/.test(input.normalize('NFD')) || /[đĐ]/.test(input);
}

/**
 * Canonical form of a number as written in Vietnamese documents: "27.023" → "27023",
 * "76,28" → "76.28", "76.28" stays. Used to compare figures across spellings.
 */
export function canonicalNumber(raw: string): string {
  const s = raw.trim();
  if (/^\d{1,3}(\.\d{3})+$/.test(s)) return s.replace(/\./g, '');
  if (/^\d+,\d+$/.test(s)) return s.replace(',', '.');
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s) && s.split(',').length > 2) return s.replace(/,/g, '');
  return s;
}
