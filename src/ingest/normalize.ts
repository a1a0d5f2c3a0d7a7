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
  // Fast path: a table lookup per UTF-16 unit. It covers ASCII, the Latin blocks Vietnamese uses,
  // combining marks and typographic punctuation, where folding one character at a time is exactly
  // folding the whole string; any other character takes the general path below. Folding runs on
  // every candidate passage of every question, and the regex-with-callback form cost several ms.
  const table = (foldTable ??= buildFoldTable());
  const n = input.length;
  const out = n <= SCRATCH.length ? SCRATCH : new Uint16Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const m = table[input.charCodeAt(i)]!;
    if (m >= 0) out[j++] = m;
    else if (m === FOLD_SLOW) return foldSlow(input);
  }
  // The table holds no surrogates, so the units are well-formed UTF-16 in the machine's byte order.
  return UTF16.decode(out.subarray(0, j));
}

/** The definition of folding; `fold` computes the same, faster, for the characters it knows. */
export function foldSlow(input: string): string {
  return input.normalize('NFD').replace(FOLD_RE, foldChar).toLowerCase();
}

const FOLD_DROP = -2;
const FOLD_SLOW = -1;
const FOLD_RANGES: readonly [number, number][] = [
  [0x0000, 0x024f],
  [0x0300, 0x036f],
  [0x1e00, 0x1eff],
  [0x2000, 0x206f],
  [0xfeff, 0xfeff],
];
const SCRATCH = new Uint16Array(16_384);
const UTF16 = new TextDecoder(new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 'utf-16le' : 'utf-16be');
let foldTable: Int32Array | undefined;

function buildFoldTable(): Int32Array {
  const table = new Int32Array(0x10000).fill(FOLD_SLOW);
  for (const [from, to] of FOLD_RANGES) {
    for (let c = from; c <= to; c++) {
      const folded = foldSlow(String.fromCharCode(c));
      table[c] = folded.length === 0 ? FOLD_DROP : folded.length === 1 ? folded.charCodeAt(0) : FOLD_SLOW;
    }
  }
  return table;
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
