import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { canonicalNumber, fold } from './normalize.js';
import { placeMarkers, scopePhrases, type PlaceLevel } from './places.js';
import { splitSentences } from './sentences.js';
import type { Chunk, ParsedDocument } from './types.js';

/**
 * Typed facts about every figure of the corpus, extracted once when the index is built and
 * shared by the answers (which figure answers a question) and the trainer (quizzes,
 * comparisons, summaries): what a figure counts (the unit after it), its form (count, ratio,
 * percentage, a change, the old value of a change), whether it is a target or an actual figure,
 * its time, and the place and level of its clause. Everything refers to a sentence of a chunk
 * (the chunk id and the sentence's offset), so an answer or a question cites the exact words.
 */

export type FigureKind = 'percent' | 'fraction' | 'thousands' | 'integer' | 'padded' | 'decimal';
export type FigureStatus = 'actual' | 'target';
export type FigureMeasure = 'count' | 'ratio' | 'percent' | 'change' | 'previous' | 'qualifier';
/** The role of a figure in a change: "giảm 21" (by), "xuống còn 20" (to), "từ 48" (from). */
export type ChangeRole = 'by' | 'to' | 'from';

/** What the sentence's own words say about a figure, whatever document it stands in. */
export interface TextFigure {
  /** The number as written, e.g. "119/156", "76,28%", "27.023", "03". */
  raw: string;
  /** Offset of `raw` inside the sentence text. */
  at: number;
  /** Offset just past the number's match (white space before a "%" included). */
  matchEnd: number;
  kind: FigureKind;
  /** Numeric value (numerator for fractions). */
  value: number;
  denominator?: number;
  /** "10 năm thực hiện", "03 tháng": a duration, an answer only when a question asks how long. */
  duration: boolean;
  /**
   * False for numbers that count nothing: labels ("Trung ương 4", "Biểu số 5"), list markers
   * "(1)", bounds of a range ("2020 -2025") and the base after a slash ("99 chi bộ/102 xã").
   */
  counted: boolean;
  /** A target cue governs it ("phấn đấu", "chỉ tiêu", "đến năm 2025 sẽ"): the end of its clause names one. */
  targetCue: boolean;
  /** The year written next to it: the last one of its clause before it, or one just after it ("(năm 2021)"). */
  writtenYear?: number;
  change?: ChangeRole;
  /** The level of the last place or scope named before it ("thành phố Hà Sơn 04/14", "toàn tỉnh có 58/131"). */
  scopeLevel?: PlaceLevel;
  /** Its clause names a place (a marker and a name: "huyện Đá Bia 11/19"), whichever place that is. */
  placeInClause: boolean;
}

/** A figure read in its document: unit, time and status resolved, place attributed. */
export interface FigureFact extends TextFigure {
  /** Unit words right after the number as written ("xã, phường, thị trấn"), "%", or a table's column header. */
  unit: string;
  /** Offset just past the unit (or the number when there is none). */
  unitEnd: number;
  /** Folded indicator key ("xa", "dang vien", "%"), "" when the figure has no unit. */
  unitKey: string;
  status: FigureStatus;
  measure: FigureMeasure;
  /** Year the figure refers to: the one written in its clause ("năm 2020", "đến 31-12-2021"), else the document's. */
  year?: number;
  /** How the time is written in the clause ("Đến ngày 30-9-2024", "năm 2020", "đến nay"), or "". */
  time: string;
  /**
   * Normalised indicator: measure, status and unit ("ratio|actual|xa", "count|target|dang vien"),
   * administrative lists reduced to their level ("xã, thị trấn" = "xã, phường, thị trấn" = "xa").
   * Figures are comparable only when their indicators are equal.
   */
  indicator: string;
  /** Folded content words around the figure (its clause and the words after its unit): what it is about. */
  concept: string[];
  /** Folded place named in the figure's own clause ("huyện Kim Khê 09/16" → "kim khe"), if any. */
  place?: string;
  /** The level its marker gives that place in the clause ("thành phố Hà Sơn" → district). */
  placeLevel?: PlaceLevel;
  /**
   * For a figure in a generic unit ("khai trừ 12 trường hợp"), the unit key of what the sentence
   * it details counts ("dang vien"): a footnote's anchor sentence, or the sentence before "Trong đó: …".
   */
  contextUnitKey?: string;
}

/** A known place named in a sentence. */
export interface PlaceMention {
  display: string;
  folded: string;
  at: number;
  /** The level of the marker right before the name ("huyện Kim Khê"), when there is one. */
  level?: PlaceLevel;
}

export interface SentenceFacts {
  /** Offsets of the sentence inside its chunk's text. */
  start: number;
  end: number;
  figures: FigureFact[];
  places: PlaceMention[];
}

// ---------------------------------------------------------------------------------------------
// Vocabulary (lexicon/facts.json; target cues and lead-in words shared with questions in intents.json)

const Words = z.array(z.string().min(1));
const FactsFile = z.object({
  unitStops: Words,
  adminListWordsFolded: Words,
  adminPartnersFolded: z.record(z.string(), Words),
  oneSyllableUnitsFolded: Words,
  unitExtensionsFolded: Words,
  labelBeforeFolded: Words,
  conceptStopsFolded: Words,
  changeByBeforeFolded: Words,
  changeToBeforeFolded: Words,
  changeFromBeforeFolded: Words,
  genericUnitsFolded: Words,
  subsetOpenersFolded: Words,
});
const IntentsPart = z.object({ target: Words, figureLeadIn: Words });

interface FactVocabulary {
  unitStops: Set<string>;
  adminListWords: Set<string>;
  adminPartners: Map<string, string[]>;
  oneSyllableUnits: Set<string>;
  unitExtensions: Set<string>;
  labelBefore: Set<string>;
  conceptStops: Set<string>;
  changeBy: RegExp;
  changeTo: RegExp;
  changeFrom: RegExp;
  target: RegExp[];
  /** Folded function words that may stand right before a figure without naming another quantity. */
  figureLeadIn: Set<string>;
  genericUnits: Set<string>;
  /** "Trong đó: …" opening a sentence, and anywhere in one. */
  subsetOpener: RegExp;
  subsetWithin: RegExp;
}

function readLexicon<T>(name: string, schema: z.ZodType<T>): T {
  const raw: unknown = JSON.parse(readFileSync(fileURLToPath(new URL(`../../lexicon/${name}`, import.meta.url)), 'utf8'));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`lexicon/${name} không hợp lệ / invalid: ${parsed.error.message}`);
  return parsed.data;
}

const alternation = (words: readonly string[]) => words.map((w) => w.replace(/\s+/g, ' ')).join('|');

let vocabularyCache: FactVocabulary | undefined;

export function factVocabulary(): FactVocabulary {
  if (vocabularyCache) return vocabularyCache;
  const file = readLexicon('facts.json', FactsFile);
  const intents = readLexicon('intents.json', IntentsPart);
  const unitStops = new Set(file.unitStops.map((w) => w.normalize('NFC')));
  vocabularyCache = {
    unitStops,
    adminListWords: new Set(file.adminListWordsFolded),
    adminPartners: new Map(Object.entries(file.adminPartnersFolded)),
    oneSyllableUnits: new Set(file.oneSyllableUnitsFolded),
    unitExtensions: new Set(file.unitExtensionsFolded),
    labelBefore: new Set(file.labelBeforeFolded),
    conceptStops: new Set([...[...unitStops].map((w) => fold(w)), ...file.conceptStopsFolded]),
    changeBy: new RegExp(`\\b(${alternation(file.changeByBeforeFolded)})( duoc| them)?\\s*$`),
    changeTo: new RegExp(`\\b(${alternation(file.changeToBeforeFolded)})\\s*$`),
    changeFrom: new RegExp(`\\b(${alternation(file.changeFromBeforeFolded)})\\s*$`),
    target: intents.target.map((p) => new RegExp(p)),
    figureLeadIn: new Set(intents.figureLeadIn),
    genericUnits: new Set(file.genericUnitsFolded),
    subsetOpener: new RegExp(`^\\W*(${alternation(file.subsetOpenersFolded)})\\b`),
    subsetWithin: new RegExp(`\\b(${alternation(file.subsetOpenersFolded)})\\b`),
  };
  return vocabularyCache;
}

// ---------------------------------------------------------------------------------------------
// Numbers in prose

/**
 * Numbers that are years, dates or parts of document codes ("22-NQ/TW", "26-3-2018",
 * "170/QĐ-TTg") are not figures anyone asks "how many" about.
 */
const NUMBER_RE = /\d+(?:[.,]\d+)*(?:\/\d+(?:[.,]\d+)*)?\s*%?/g;
const YEARISH = /^(19|20)\d{2}$/;
// Durations and dates ("10 năm thực hiện", "quý I") are rarely what "bao nhiêu <noun>" asks for.
const TIME_UNIT = /^\s*(năm|tháng|ngày|quý|giờ|phút|tuần|nhiệm kỳ|khóa|khoá|lần thứ)\b/iu;

interface NumberMatch {
  match: RegExpMatchArray;
  duration: boolean;
}

/** Every figure-like number of a text, durations flagged. */
function numberMatches(text: string): NumberMatch[] {
  const out: NumberMatch[] = [];
  for (const m of text.matchAll(NUMBER_RE)) {
    const n = m[0].trim();
    const at = m.index ?? 0;
    const after = text.slice(at + m[0].length, at + m[0].length + 3);
    const before = text.slice(Math.max(0, at - 2), at);
    if (YEARISH.test(n)) continue;
    if (/^\s*[-/]\s*[\p{Lu}Đ]/u.test(after) || /^[-/]\d/.test(after) || /\d[-/]$/.test(before) || /[\p{Lu}][-/]$/u.test(before)) continue;
    // Ordinals and labels ("lần thứ 6", "Biểu số 5", "khóa 13") count nothing.
    if (/(thứ|số|khóa|khoá|Biểu|Phụ lục|Điều|Khoản|Chương|Mục)\s*$/iu.test(text.slice(Math.max(0, at - 10), at))) continue;
    // "38,5% năm 2020" is a figure of a year, not a duration; "10 năm thực hiện" is a duration.
    const following = text.slice(at + m[0].length, at + m[0].length + 12);
    const duration = !n.endsWith('%') && TIME_UNIT.test(following) && !/^\s*(năm|tháng)\s+\d/iu.test(following);
    out.push({ match: m, duration });
  }
  return out;
}

export function figureMatches(text: string, options: { keepDurations?: boolean } = {}): RegExpMatchArray[] {
  return numberMatches(text)
    .filter((n) => options.keepDurations || !n.duration)
    .map((n) => n.match);
}

export function figureKind(raw: string): FigureKind {
  const s = raw.trim();
  if (s.endsWith('%')) return 'percent';
  if (s.includes('/')) return 'fraction';
  if (/^\d{1,3}(\.\d{3})+$/.test(s)) return 'thousands';
  if (/^0\d+$/.test(s)) return 'padded';
  if (/^\d+$/.test(s)) return 'integer';
  return 'decimal';
}

/** Value of a number as written in Vietnamese ("27.023" = 27023, "76,28" = 76.28). */
export function numberValue(raw: string): number {
  const s = raw.replace(/%/g, '').trim();
  if (/^\d{1,3}(\.\d{3})+,\d+$/.test(s)) return Number(s.replace(/\./g, '').replace(',', '.'));
  return Number(canonicalNumber(s));
}

// ---------------------------------------------------------------------------------------------
// Clause context

/** The clause a figure stands in, up to it: where target words or a year would apply to it. */
export function clauseBefore(text: string, at: number): string {
  const before = text.slice(0, at);
  const cut = Math.max(before.lastIndexOf(';'), before.lastIndexOf('. '), before.lastIndexOf(':'));
  return before.slice(cut + 1);
}

export const matchesAnyCue = (patterns: readonly RegExp[], folded: string): boolean => patterns.some((p) => p.test(folded));

/** A target cue at the end of the figure's clause ("phấn đấu đến năm 2025 có 100% …"). */
export function isTargetFigure(sentence: string, at: number): boolean {
  return matchesAnyCue(factVocabulary().target, fold(clauseBefore(sentence, at).slice(-90)));
}

/**
 * "Đến ngày 30-9-2024, toàn tỉnh có …; có …; có …": a time that opens the sentence, up to its
 * first comma, dates every clause that does not name a time of its own.
 */
const OPENING_TIME_RE = /^\s*(?:[-–•+]\s*)?(?:tính\s+)?(?:đến|tới|cuối|hết|trong|năm|tháng|ngày)\b[^,;:\d]{0,20}(?:\d{1,2}\s*[-/]\s*){0,2}((?:19|20)\d{2})\s*,/iu;

/** A year written near a figure: in its clause before it, right after it ("(năm 2021)"), or opening its sentence. */
function writtenYearOf(sentence: string, at: number, end: number): number | undefined {
  const years = [...clauseBefore(sentence, at).matchAll(/\b(19|20)\d{2}\b/g)];
  const last = years[years.length - 1];
  if (last) return Number(last[0]);
  const after = /^[^.;]{0,25}?\b((?:19|20)\d{2})\b/.exec(sentence.slice(end));
  if (after) return Number(after[1]);
  const opening = OPENING_TIME_RE.exec(sentence);
  return opening && opening[0].length <= at ? Number(opening[1]) : undefined;
}

let scopeRes: { level: PlaceLevel; re: RegExp }[] | undefined;

/** A place marker before a name ("huyện Kim Khê") or a scope phrase ("toàn tỉnh") in a text. */
interface ScopeMark {
  level: PlaceLevel;
  index: number;
  end: number;
}

/**
 * Every marker and scope phrase of `text`, in the order the rules are tried. Markers are matched
 * on the text as written (a capital starts the name), scope phrases folded; undefined when folding
 * changes the text's length, so that folded offsets are not the text's.
 */
function scopeMarks(text: string, sameOffsets = true): ScopeMark[] | undefined {
  scopeRes ??= [
    ...placeMarkers()
      .filter((m) => !m.english && m.words.length)
      .map((m) => ({ level: m.level, re: new RegExp(`(?:^|[^\\p{L}])${m.text.replace('.', '\\.')}\\s+\\p{Lu}`, 'giu') })),
    ...scopePhrases().map((p) => ({ level: p.level, re: new RegExp(`\\b${p.words.join(' ')}\\b`, 'g') })),
  ];
  const folded = fold(text);
  if (sameOffsets && folded.length !== text.length) return undefined;
  const marks: ScopeMark[] = [];
  for (const { level, re } of scopeRes) {
    const hay = re.flags.includes('u') ? text : folded;
    re.lastIndex = 0;
    for (const m of hay.matchAll(re)) {
      // A marker before a capital only counts when case matters: "Xã" at a sentence start is fine, "xã, phường" is not a name.
      if (re.flags.includes('u') && !/\s\p{Lu}$/u.test(m[0])) continue;
      marks.push({ level, index: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
    }
  }
  return marks;
}

/**
 * The level of the last place or scope named before a figure in its sentence: "thành phố Hà Sơn
 * 04/14" is a district's figure, "toàn tỉnh có 58/131" the province's. `marks`: the sentence's,
 * found once for all its figures.
 */
export function scopeLevelBefore(sentence: string, at: number, marks: ScopeMark[] | undefined = scopeMarks(sentence)): PlaceLevel | undefined {
  // Text whose folded form is shorter (rare characters) is read up to the figure itself.
  const own = marks?.filter((m) => m.end <= at) ?? scopeMarks(sentence.slice(0, at), false) ?? [];
  let best: ScopeMark | undefined;
  for (const m of own) if (!best || m.index > best.index) best = m;
  return best?.level;
}

let markerRe: RegExp | undefined;
/** Does a folded clause name a place below the province (a marker and a two-word name)? */
export function namesPlaceBelowProvince(foldedClause: string): boolean {
  markerRe ??= new RegExp(`\\b(${placeMarkers().filter((m) => m.foldedSafe && !m.english && m.level !== 'province').map((m) => m.words.join(' ').replace('.', '\\.')).join('|')}) [a-z]+ [a-z]+`);
  return markerRe.test(foldedClause);
}

function changeRoleOf(text: string, at: number): ChangeRole | undefined {
  const lead = fold(text.slice(Math.max(0, at - 14), at));
  const v = factVocabulary();
  if (v.changeBy.test(lead)) return 'by';
  if (v.changeTo.test(lead)) return 'to';
  if (v.changeFrom.test(lead)) return 'from';
  return undefined;
}

/** Numbers that count nothing: labels, list markers, range bounds, the base after a slash. */
function countsSomething(text: string, at: number, end: number): boolean {
  const before = fold(text.slice(Math.max(0, at - 20), at));
  const prevWord = /([a-z0-9]+)\W*$/.exec(before)?.[1] ?? '';
  if (factVocabulary().labelBefore.has(prevWord)) return false;
  // List markers "(1)" and ranges "2020 -2025", "20101 -2015".
  if (/\(\s*$/.test(text.slice(0, at)) && /^\s*\)/.test(text.slice(end))) return false;
  if (/^\s*-\s*\d/.test(text.slice(end)) || /\d\s*-\s*$/.test(text.slice(0, at))) return false;
  // "99 chi bộ quân sự/102 xã": the number after the slash is the base of the figure before it.
  if (/\p{L}\/$/u.test(text.slice(Math.max(0, at - 2), at))) return false;
  return true;
}

/** The figures of a sentence as its own words describe them (durations included, flagged). */
export function textFigures(text: string): TextFigure[] {
  const out: TextFigure[] = [];
  const numbers = numberMatches(text);
  const marks = numbers.length ? scopeMarks(text) : undefined;
  for (const { match: m, duration } of numbers) {
    const raw = m[0].trim();
    const at = m.index ?? 0;
    const matchEnd = at + m[0].length;
    const parts = raw.replace(/%/g, '').split('/');
    const value = numberValue(parts[0]!);
    const denominator = parts[1] !== undefined ? numberValue(parts[1]) : undefined;
    const writtenYear = writtenYearOf(text, at, matchEnd);
    const change = changeRoleOf(text, at);
    const scopeLevel = scopeLevelBefore(text, at, marks);
    out.push({
      raw,
      at,
      matchEnd,
      kind: figureKind(raw),
      value,
      ...(denominator !== undefined ? { denominator } : {}),
      duration,
      counted: Number.isFinite(value) && (denominator === undefined || Number.isFinite(denominator)) && countsSomething(text, at, at + raw.length),
      targetCue: isTargetFigure(text, at),
      ...(writtenYear !== undefined ? { writtenYear } : {}),
      ...(change ? { change } : {}),
      ...(scopeLevel ? { scopeLevel } : {}),
      placeInClause: namesPlaceBelowProvince(fold(text.slice(0, at).split(/[;]/).pop() ?? '').slice(-70)),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Units

const WORD_AT = /^\s*([\p{L}\p{M}][\p{L}\p{M}\d]*)/u;

function adminWordOk(folded: string, rest: string): boolean {
  const v = factVocabulary();
  if (!v.adminListWords.has(folded)) return false;
  const partners = v.adminPartners.get(folded);
  if (!partners) return true;
  // "huyện, thị, thành phố" lists "thị" alone, followed by a comma.
  if (/^\s*,/.test(rest)) return true;
  const next = fold(WORD_AT.exec(rest)?.[1] ?? '');
  return partners.includes(next);
}

interface UnitWords {
  unit: string;
  unitEnd: number;
  key: string;
  words: string[];
}

/** Unit words after a figure, stopping at function words and clause punctuation. */
function unitAfter(text: string, end: number): UnitWords {
  const v = factVocabulary();
  let pos = end;
  const words: string[] = [];
  let unitEnd = end;
  let admin = false;
  while (words.length < 4) {
    const rest = text.slice(pos);
    const m = WORD_AT.exec(rest);
    if (!m) {
      // A comma continues the unit only inside a list of administrative units.
      const comma = /^,\s*([\p{L}\p{M}]+)/u.exec(rest);
      if (comma && admin && adminWordOk(fold(comma[1]!), rest.slice(comma[0].length))) {
        pos += comma[0].length - comma[1]!.length;
        continue;
      }
      break;
    }
    const w = m[1]!;
    const f = fold(w);
    const after = rest.slice(m[0].length);
    if (v.unitStops.has(w.toLowerCase().normalize('NFC'))) break;
    // A capitalised word after a number starts a name ("03 xã Ia Dal") or a new sentence.
    if (words.length > 0 && /^\p{Lu}/u.test(w) && !/^\p{Lu}+$/u.test(w)) break;
    if (words.length === 0) admin = adminWordOk(f, after) || f === 'xa' || f === 'huyen';
    // After "xã, thị trấn" only more administrative words belong to the unit ("… thí điểm" does not).
    else if (admin && !adminWordOk(f, after)) break;
    else if (!admin && words.length >= 2 && !v.unitExtensions.has(f) && !v.oneSyllableUnits.has(fold(words[0]!))) break;
    else if (!admin && words.length >= 3 && v.oneSyllableUnits.has(fold(words[0]!))) break;
    words.push(w);
    pos += m[0].length;
    unitEnd = pos;
  }
  const unit = text.slice(end, unitEnd).trim();
  const folded = words.map((w) => fold(w));
  let key = '';
  if (folded.length) key = v.oneSyllableUnits.has(folded[0]!) || folded.length === 1 ? folded[0]! : `${folded[0]} ${folded[1]}`;
  return { unit, unitEnd, key, words: folded };
}

/** Unit words that are administrative units: the indicator is their level, whatever the list. */
function adminLevel(words: readonly string[]): PlaceLevel | undefined {
  for (const m of placeMarkers()) {
    if (m.english || !m.foldedSafe || m.words.some((w) => w.includes('.'))) continue;
    if (m.words.length <= words.length && m.words.every((w, i) => words[i] === w)) return m.level;
  }
  return undefined;
}

function conceptWords(text: string): string[] {
  const stops = factVocabulary().conceptStops;
  return (fold(text).match(/[a-z]+/g) ?? []).filter((w) => w.length > 1 && !stops.has(w));
}

const TIME_RE = /(?:(?:tính\s+)?(?:đến|tới|cuối|hết|trong)\s+(?:ngày\s+|cuối\s+|hết\s+)?(?:năm\s+|tháng\s+)?|năm\s+|tháng\s+)?(?:\d{1,2}\s*[-/]\s*)?(?:\d{1,2}\s*[-/]\s*)?((?:19|20)\d{2})\b|(?:đến|tới|cho đến)\s+nay|hiện nay/giu;

/** The time of a figure: the last date or year of its clause ("Đến ngày 30-9-2024"), "đến nay", or one right after it. */
function timeOf(text: string, at: number, end: number, docYear: number | undefined): { year?: number; time: string } {
  const clause = clauseBefore(text, at);
  let found: { year?: number; time: string } | undefined;
  for (const m of clause.matchAll(TIME_RE)) {
    // "So với năm 2017, … giảm 23 phòng": the year of comparison is not the figure's time.
    if (/so\s+với\s*$/iu.test(clause.slice(Math.max(0, (m.index ?? 0) - 10), m.index ?? 0))) continue;
    const year = m[1] ? Number(m[1]) : docYear;
    found = { ...(year !== undefined ? { year } : {}), time: m[0].trim() };
  }
  if (!found) {
    const after = /^[^.;]{0,25}?\b((?:19|20)\d{2})\b/u.exec(text.slice(end));
    if (after && !/so\s+với/iu.test(after[0])) found = { year: Number(after[1]), time: `năm ${after[1]}` };
  }
  return found ?? { ...(docYear !== undefined ? { year: docYear } : {}), time: '' };
}

function measureOf(text: string, f: TextFigure): FigureMeasure {
  const at = f.at;
  // "giảm từ 48 xuống còn 20", "toàn tỉnh từ 152 xã … còn 131 xã": the old value of a change.
  const changeAhead = /^[^;.]{0,50}?\b(con|xuong|len)\s+\d/.test(fold(text.slice(at + 1, at + 70)));
  if (f.change === 'from' && (changeAhead || /\b(giam|tang)\b/.test(fold(text.slice(Math.max(0, at - 24), at))))) return 'previous';
  // "(đạt 76,28%)", "(tăng 8,59% so với năm 2008)": a share that qualifies the figure before it.
  if (f.kind === 'percent' && /\(\s*(?:[\p{L}]+\s+){0,3}$/u.test(text.slice(Math.max(0, at - 20), at))) return 'qualifier';
  if (f.change === 'by') return 'change';
  if (f.kind === 'percent') return 'percent';
  if (f.kind === 'fraction') return 'ratio';
  return 'count';
}

// ---------------------------------------------------------------------------------------------
// Tables

/** A table row passage: "Column: cell; Column: cell; …" (see ingest's table rows). */
const CELL_RE = /(?:^|;\s*)([^:;]{1,80}):\s*([^;]+)/gu;

export interface TableCell {
  header: string;
  value: string;
  at: number;
}

export function tableCells(text: string): TableCell[] {
  const cells: TableCell[] = [];
  for (const m of text.matchAll(CELL_RE)) cells.push({ header: m[1]!.trim(), value: m[2]!.trim(), at: m.index ?? 0 });
  return cells.length >= 3 && cells.length * 2 >= (text.match(/;/g) ?? []).length ? cells : [];
}

/** Column header and row label for a figure inside a table row "Header: value; Header: value". */
function tableUnit(text: string, chunk: Chunk, at: number): { unit: string; key: string; label: string } | undefined {
  if (chunk.metadata.kind !== 'table') return undefined;
  const cells = tableCells(text);
  if (!cells.length) return undefined;
  let cell = cells[0];
  for (const c of cells) if (c.at <= at) cell = c;
  if (!cell || cell === cells[0]) return undefined;
  const key = (fold(cell.header.replace(/\([^)]*\)/g, ' ')).match(/[a-z0-9]+/g) ?? []).join(' ');
  return { unit: cell.header, key, label: cells[0]!.value };
}

// ---------------------------------------------------------------------------------------------
// Figures in their document

export interface FigureContext {
  chunk: Chunk;
  /** The year of the document's own date: figures without a time of their own are of that year. */
  docYear?: number;
}

export function documentYear(doc: ParsedDocument): number | undefined {
  const y = /^(\d{4})/.exec(doc.meta.date ?? '')?.[1];
  return y ? Number(y) : undefined;
}

/** Unit, time, status and concept of one figure of a sentence, read in its chunk and document. */
function figureInContext(text: string, f: TextFigure, ctx: FigureContext): FigureFact {
  const { chunk, docYear } = ctx;
  const end = f.at + f.raw.length;
  const table = tableUnit(text, chunk, f.at);
  const u: UnitWords = table
    ? { unit: table.unit, unitEnd: end, key: table.key, words: table.key.split(' ') }
    : f.kind === 'percent'
      ? { unit: '%', unitEnd: end, key: '%', words: [] }
      : unitAfter(text, end);
  const measure = measureOf(text, f);
  const targetCues = factVocabulary().target;
  // In a table the header says it all: "Chỉ tiêu kết nạp", "Số đảng viên (đến 31-10-2022)".
  // The target cue may open a long clause ("Phấn đấu đến năm 2020, 100% … ở 156/156 xã").
  const target = table ? matchesAnyCue(targetCues, fold(table.unit)) : f.targetCue || matchesAnyCue(targetCues, fold(clauseBefore(text, f.at)));
  const time = table ? timeOf(`${table.unit} `, table.unit.length, table.unit.length, docYear) : timeOf(text, f.at, end, docYear);
  // A figure for a year after the report's own date ("đến năm 2020" in a 2019 report) is a target.
  const status: FigureStatus = target || (time.year !== undefined && docYear !== undefined && time.year > docYear) ? 'target' : 'actual';
  const level = table ? undefined : adminLevel(u.words);
  const unitNorm = table ? `table ${u.key}` : (level ?? u.key);
  const around = table
    ? [table.unit, table.label, ...chunk.metadata.sectionPath.slice(-2)].join(' ')
    : `${clauseBefore(text, f.at).split(/\s+/).slice(-16).join(' ')} ${text.slice(u.unitEnd).replace(/^\s*\([^)]*\)/, '').split(/[;.]/)[0]!.split(/\s+/).slice(0, 10).join(' ')}`;
  const unitSet = new Set(u.words);
  return {
    ...f,
    unit: u.unit,
    unitEnd: u.unitEnd,
    unitKey: u.key,
    status,
    measure,
    ...(time.year !== undefined ? { year: time.year } : {}),
    time: time.time,
    indicator: u.key ? `${measure}|${status}|${unitNorm}` : '',
    concept: [...new Set(conceptWords(around).filter((w) => !unitSet.has(w)))],
  };
}

/** Every figure of a sentence, typed in its document (places are attributed by the corpus pass). */
export function sentenceFigureFacts(text: string, ctx: FigureContext): FigureFact[] {
  return textFigures(text).map((f) => figureInContext(text, f, ctx));
}

// ---------------------------------------------------------------------------------------------
// Places

/** The level of the marker right before a place name ("huyện Kim Khê" → district), within its clause. */
export function markerLevelBefore(text: string, at: number): PlaceLevel | undefined {
  const words = fold(text.slice(Math.max(0, at - 20), at)).match(/[a-z]+/g) ?? [];
  if (/[.,;:()]\s*$/.test(text.slice(0, at))) return undefined;
  const accented = text.slice(Math.max(0, at - 20), at).toLowerCase().normalize('NFC').trimEnd();
  for (const m of placeMarkers()) {
    if (m.english || m.words.some((w) => w.includes('.'))) continue;
    // A marker whose folded form is a common word ("ban") counts only as written ("bản").
    if (!m.foldedSafe && !accented.endsWith(m.text)) continue;
    const tail = words.slice(-m.words.length);
    if (tail.length === m.words.length && tail.every((w, i) => w === m.words[i])) return m.level;
  }
  return undefined;
}

/** Known places, looked up by the folded words of a sentence (names are capitalised in reports). */
export class PlaceMatcher {
  private readonly order = new Map<string, number>();
  private readonly firstWords = new Set<string>();
  private readonly maxWords: number;

  /** `places`: folded names; their order is the order mentions of one sentence are listed in. */
  constructor(places: Iterable<string>) {
    let max = 1;
    for (const p of places) {
      if (!this.order.has(p)) this.order.set(p, this.order.size);
      const words = p.split(' ');
      this.firstWords.add(words[0]!);
      max = Math.max(max, words.length);
    }
    this.maxWords = max;
  }

  mentions(text: string): PlaceMention[] {
    if (!this.order.size) return [];
    const found: { rank: number; mention: PlaceMention }[] = [];
    // Names start with a capital at the start of a word; only those that start a known name are read on.
    for (const cap of text.matchAll(WORD_START_CAPITAL)) {
      const at = cap.index ?? 0;
      if (!this.firstWords.has(foldWord(cap[0]))) continue;
      const level = markerLevelBefore(text, at);
      WORD.lastIndex = at;
      let key = '';
      for (let len = 1; len <= this.maxWords; len++) {
        const word = WORD.exec(text);
        if (!word) break;
        key = len === 1 ? foldWord(word[0]) : `${key} ${foldWord(word[0])}`;
        const rank = this.order.get(key);
        if (rank === undefined) continue;
        found.push({ rank, mention: { display: text.slice(at, (word.index ?? 0) + word[0].length), folded: key, at, ...(level ? { level } : {}) } });
      }
    }
    return found.sort((a, b) => a.rank - b.rank || a.mention.at - b.mention.at).map((x) => x.mention);
  }
}

/** A word of a name, and a capital that starts one (not one inside "H’Đrai"). */
const WORD = /[\p{L}\p{M}\d][\p{L}\p{M}\d'’]*/gu;
const WORD_START_CAPITAL = /(?<![\p{L}\p{M}\d]['’]*)\p{Lu}[\p{L}\p{M}\d'’]*/gu;
const foldWord = (w: string) => fold(w).replace(/['’]/g, '');

/**
 * The place a figure belongs to: the nearest place named before it in its own clause
 * ("huyện Kim Khê 09/16"), or a table row's label ("Huyện Na Cô: …"). A figure without one is
 * about the document's own area.
 */
function attributePlaces(text: string, isTable: boolean, figures: FigureFact[], places: readonly PlaceMention[]): void {
  if (!places.length) return;
  const firstCellEnd = isTable ? text.indexOf(';') : -1;
  for (const f of figures) {
    let best: PlaceMention | undefined;
    for (const p of places) {
      if (isTable) {
        if (p.at < firstCellEnd) best = p;
        continue;
      }
      if (p.at >= f.at) continue;
      const between = text.slice(p.at + p.display.length, f.at);
      if (between.length > 45 || /[;:]/.test(between) || /\d/.test(between)) continue;
      if (!best || p.at > best.at) best = p;
    }
    if (best) {
      f.place = best.folded;
      if (best.level) f.placeLevel = best.level;
    }
  }
}

/** The unit counted by the first figure of `text` that has a specific one. */
function countedUnit(text: string, chunk: Chunk): string | undefined {
  const generic = factVocabulary().genericUnits;
  return sentenceFigureFacts(text, { chunk: { ...chunk, metadata: { ...chunk.metadata, kind: 'body' } } }).find(
    (f) => f.counted && !f.duration && f.unitKey && f.unitKey !== '%' && !generic.has(f.unitKey),
  )?.unitKey;
}

/**
 * "100% đảng viên … được giới thiệu, trong đó có 98,09% được …": a share or a generic count after
 * a subset opener inside the sentence counts what the figure before it counts.
 */
function resolveSubsets(text: string, figures: FigureFact[]): void {
  const v = factVocabulary();
  const counted = figures.filter((f) => f.counted && !f.duration);
  for (let i = 1; i < counted.length; i++) {
    const f = counted[i]!;
    const prev = counted[i - 1]!;
    if (f.contextUnitKey || !(f.unitKey === '%' || v.genericUnits.has(f.unitKey))) continue;
    if (!v.subsetWithin.test(fold(text.slice(prev.matchEnd, f.at)))) continue;
    const unit = prev.unitKey === '%' ? unitAfter(text, prev.at + prev.raw.length).key : prev.contextUnitKey ?? prev.unitKey;
    if (unit && unit !== '%' && !v.genericUnits.has(unit)) f.contextUnitKey = unit;
  }
}

/** Figures in a generic unit take the unit of the sentence they detail. */
function resolveGenericUnits(figures: FigureFact[], detailed: () => string | undefined, chunk: Chunk): void {
  const v = factVocabulary();
  if (!figures.some((f) => v.genericUnits.has(f.unitKey))) return;
  const context = detailed();
  const unit = context ? countedUnit(context, chunk) : undefined;
  if (!unit) return;
  for (const f of figures) if (v.genericUnits.has(f.unitKey)) f.contextUnitKey = unit;
}

/** The facts of every sentence of a chunk. */
export function chunkFacts(chunk: Chunk, docYear: number | undefined, places: PlaceMatcher): SentenceFacts[] {
  const spans = splitSentences(chunk.text);
  return spans.map((span, i) => {
    const text = chunk.text.slice(span.start, span.end);
    const figures = sentenceFigureFacts(text, { chunk, ...(docYear !== undefined ? { docYear } : {}) });
    const previous = spans[i - 1];
    resolveGenericUnits(
      figures,
      () =>
        factVocabulary().subsetOpener.test(fold(text)) && previous
          ? chunk.text.slice(previous.start, previous.end)
          : chunk.metadata.kind === 'footnote'
            ? chunk.metadata.anchorSentence
            : undefined,
      chunk,
    );
    resolveSubsets(text, figures);
    const mentions = places.mentions(text);
    attributePlaces(text, chunk.metadata.kind === 'table', figures, mentions);
    return { start: span.start, end: span.end, figures, places: mentions };
  });
}

// ---------------------------------------------------------------------------------------------
// The store

/**
 * The version of the extractor's output. Stored facts of another version are read afresh from
 * the documents when the index loads: a change to the rules reaches an index built before it.
 */
export const FACTS_VERSION = 4;

/** Facts of the corpus by chunk and sentence; built with the index and shared by every later stage. */
export class FactStore {
  private constructor(private readonly byChunk: Map<string, SentenceFacts[]>) {}

  static build(documents: readonly ParsedDocument[], placeNames: Iterable<string>): FactStore {
    const matcher = new PlaceMatcher(placeNames);
    const byChunk = new Map<string, SentenceFacts[]>();
    for (const doc of documents) {
      const year = documentYear(doc);
      for (const chunk of doc.chunks) byChunk.set(chunk.id, chunkFacts(chunk, year, matcher));
    }
    return new FactStore(byChunk);
  }

  /** The stored facts, or undefined when they were written by another version of the extractor. */
  static fromJSON(json: FactStoreJSON): FactStore | undefined {
    return json.version === FACTS_VERSION ? new FactStore(new Map(json.chunks)) : undefined;
  }

  toJSON(): FactStoreJSON {
    return { version: FACTS_VERSION, chunks: [...this.byChunk.entries()] };
  }

  /** The sentences of a chunk with their facts, in order; empty for an unknown chunk. */
  sentences(chunkId: string): readonly SentenceFacts[] {
    return this.byChunk.get(chunkId) ?? [];
  }

  /** The sentence of a chunk starting at `start` (an offset from splitSentences). */
  sentenceAt(chunkId: string, start: number): SentenceFacts | undefined {
    return this.byChunk.get(chunkId)?.find((s) => s.start === start);
  }
}

export interface FactStoreJSON {
  version?: number;
  chunks: [string, SentenceFacts[]][];
}
