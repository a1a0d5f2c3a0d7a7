import { canonicalNumber, fold } from '../ingest/normalize.js';
import { splitSentences } from '../ingest/sentences.js';
import { displayDate } from '../ingest/structure.js';
import type { Chunk, ParsedDocument } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import { isTargetFigure, tableCells } from '../answer/figureLead.js';
import { placeMarkers, type PlaceLevel } from '../ingest/places.js';
import { figureMatches } from '../retrieval/figures.js';
import { intentCues, matchesAny } from '../retrieval/intents.js';
import type { FigureKind } from './types.js';

export type { PlaceLevel };

/**
 * Facts the trainer builds questions, summaries and comparisons from: the sentences of every
 * passage, the figures in them with their units, and the named things (places, document
 * numbers, issuing bodies). Computed once per index snapshot; everything refers back to a
 * sentence so each item can be cited with the exact words it came from.
 */

export interface SentenceRec {
  chunk: Chunk;
  doc: ParsedDocument;
  text: string;
  /** Offset of the sentence inside the chunk text. */
  start: number;
  /** `${chunkId}@${start}`: identifies the sentence across rounds and restarts. */
  key: string;
  folded: string;
  /** False for fragments not worth asking about (headings, references, short bits). */
  quizable: boolean;
}

export interface FigureFact {
  sentence: SentenceRec;
  /** The number as written, e.g. "119/156", "76,28%", "27.023", "03". */
  raw: string;
  /** Offset of `raw` inside the sentence text. */
  at: number;
  kind: FigureKind;
  /** Numeric value (numerator for fractions), for perturbations and equality. */
  value: number;
  denominator?: number;
  /** Unit words right after the number as written ("xã, phường, thị trấn"), or "" (or "%"). */
  unit: string;
  /** Offset just past the unit (or the number when there is none). */
  unitEnd: number;
  /** Folded indicator key ("xa", "dang vien", "%"), "" when the figure has no unit. */
  unitKey: string;
  /** A figure reported as reached, or a target ("phấn đấu", "chỉ tiêu", "đến năm 2025 sẽ"). */
  status: FigureStatus;
  /**
   * What form of figure it is: a count ("471 tổ chức"), a ratio ("83/125 xã"), a share ("70%"),
   * a change ("giảm 21 đơn vị"), the old value of a change ("giảm từ 1.587 xuống còn …"), or a
   * percentage that only qualifies the ratio before it ("(đạt 66,40%)").
   */
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
}

export type FigureStatus = 'actual' | 'target';
export type FigureMeasure = 'count' | 'ratio' | 'percent' | 'change' | 'previous' | 'qualifier';

export interface PlaceFact {
  sentence: SentenceRec;
  display: string;
  folded: string;
  at: number;
  level?: PlaceLevel;
}

export interface DocNumberFact {
  sentence: SentenceRec;
  raw: string;
  at: number;
  /** The part after the serial number, e.g. "-KH/TU": options of one question share it. */
  suffix: string;
  serial: number;
}

export interface BodyFact {
  sentence: SentenceRec;
  /** Canonical display name of the body. */
  name: string;
  /** Words as written in the sentence. */
  display: string;
  at: number;
}

export interface CorpusFacts {
  sentences: SentenceRec[];
  figures: FigureFact[];
  places: PlaceFact[];
  docNumbers: DocNumberFact[];
  bodies: BodyFact[];
  /** Places by level, from every occurrence preceded by an administrative marker. */
  placeLevels: Map<string, Set<PlaceLevel>>;
  /** Display spelling of each folded place. */
  placeDisplay: Map<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Function words that end a unit phrase (accented forms; folded "so" is both "số" and "so"). */
const UNIT_STOP = new Set([
  'của', 'và', 'với', 'trong', 'được', 'đã', 'là', 'so', 'để', 'tại', 'ở', 'thuộc', 'theo', 'từ', 'đến', 'trên',
  'dưới', 'có', 'cho', 'về', 'nhằm', 'khi', 'thì', 'mà', 'này', 'đó', 'những', 'các', 'đi', 'hoặc', 'hay', 'nhưng',
  'tăng', 'giảm', 'đạt', 'gồm', 'trước', 'sau', 'như', 'vào', 'ra', 'lên', 'xuống', 'bị', 'do', 'vì', 'nên',
]);
/** Administrative units listed with commas: "xã, phường, thị trấn" is one unit, not three clauses. */
const ADMIN_LIST_WORDS = new Set(['xa', 'phuong', 'thi', 'tran', 'huyen', 'thanh', 'pho', 'quan', 'khom', 'ap', 'thon', 'lang', 'to']);
/** Single-syllable nouns that are a whole indicator on their own. */
const ONE_SYLLABLE_UNITS = new Set(['xa', 'huyen', 'phuong', 'thon', 'lang', 'nguoi', 'luot', 'tinh', 'ap', 'khom', 'nam', 'thang', 'ngay', 'km2', 'ha', 'tuoi', 'lan']);
/** A number right after these words is a label ("Biểu số 5", "khóa 13", "Trung ương 4"), not a figure. */
const LABEL_BEFORE = new Set(['so', 'thu', 'khoa', 'uong', 'dieu', 'muc', 'ky', 'quy', 'bieu', 'luc', 'dinh', 'khoan', 'chuong', 'phan', 'bai']);

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

/** The same figure whatever its spelling ("76,28%" = "76.28 %"): used to keep options distinct. */
export function figureIdentity(raw: string): string {
  const s = raw.trim();
  if (s.includes('/')) return s.split('/').map((p) => String(numberValue(p))).join('/');
  return `${numberValue(s)}${s.endsWith('%') ? '%' : ''}`;
}

const WORD_AT = /^\s*([\p{L}\p{M}][\p{L}\p{M}\d]*)/u;
/** Words that may extend a unit beyond two syllables: "chi bộ quân sự", "tổ chức cơ sở đảng", "trí thức trẻ ưu tú". */
const UNIT_EXTENSIONS = new Set(['co', 'so', 'quan', 'su', 'bo', 'phan', 'truc', 'thuoc', 'tre', 'uu', 'tu', 'dang', 'vien', 'chuc', 'can']);
/** Admin words that only count with their partner: "thị trấn", "thị xã", "thành phố", "tổ dân phố". */
const ADMIN_PARTNER: Record<string, string[]> = { thi: ['tran', 'xa'], thanh: ['pho'], to: ['dan'] };

function adminWordOk(folded: string, rest: string): boolean {
  if (!ADMIN_LIST_WORDS.has(folded)) return false;
  const partners = ADMIN_PARTNER[folded];
  if (!partners) return true;
  // "huyện, thị, thành phố" lists "thị" alone, followed by a comma.
  if (/^\s*,/.test(rest)) return true;
  const next = fold(WORD_AT.exec(rest)?.[1] ?? '');
  return partners.includes(next);
}

/** Unit words after a figure, stopping at function words and clause punctuation. */
function unitAfter(text: string, end: number): { unit: string; unitEnd: number; key: string; words: string[] } {
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
    if (UNIT_STOP.has(w.toLowerCase().normalize('NFC'))) break;
    // A capitalised word after a number starts a name ("03 xã Ia Dal") or a new sentence.
    if (words.length > 0 && /^\p{Lu}/u.test(w) && !/^\p{Lu}+$/u.test(w)) break;
    if (words.length === 0) admin = adminWordOk(f, after) || f === 'xa' || f === 'huyen';
    // After "xã, thị trấn" only more administrative words belong to the unit ("… thí điểm" does not).
    else if (admin && !adminWordOk(f, after)) break;
    else if (!admin && words.length >= 2 && !UNIT_EXTENSIONS.has(f) && !ONE_SYLLABLE_UNITS.has(fold(words[0]!))) break;
    else if (!admin && words.length >= 3 && ONE_SYLLABLE_UNITS.has(fold(words[0]!))) break;
    words.push(w);
    pos += m[0].length;
    unitEnd = pos;
  }
  const unit = text.slice(end, unitEnd).trim();
  const folded = words.map((w) => fold(w));
  let key = '';
  if (folded.length) key = ONE_SYLLABLE_UNITS.has(folded[0]!) || folded.length === 1 ? folded[0]! : `${folded[0]} ${folded[1]}`;
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

/** Words that say nothing about what a figure is about (folded). */
const CONCEPT_STOP = new Set([...[...UNIT_STOP].map((w) => fold(w)), 'nay', 'den', 'toan', 'co', 'dat', 'ngay', 'nam', 'thang', 'cuoi', 'tren', 'dia', 'ban', 'cu', 'the', 'gom', 'tong', 'so']);

function conceptWords(text: string): string[] {
  return (fold(text).match(/[a-z]+/g) ?? []).filter((w) => w.length > 1 && !CONCEPT_STOP.has(w));
}

/** The clause a figure stands in, up to it: time and target words there apply to it. */
function clauseBefore(text: string, at: number): string {
  const before = text.slice(0, at);
  const cut = Math.max(before.lastIndexOf(';'), before.lastIndexOf('. '), before.lastIndexOf(':'));
  return before.slice(cut + 1);
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

function measureOf(text: string, at: number, kind: FigureKind): FigureMeasure {
  const lead = fold(text.slice(Math.max(0, at - 14), at));
  // "giảm từ 48 xuống còn 20", "toàn tỉnh từ 152 xã … còn 131 xã": the old value of a change.
  const changeAhead = /^[^;.]{0,50}?\b(con|xuong|len)\s+\d/.test(fold(text.slice(at + 1, at + 70)));
  if (/\btu\s*$/.test(lead) && (changeAhead || /\b(giam|tang)\b/.test(fold(text.slice(Math.max(0, at - 24), at))))) return 'previous';
  // "(đạt 76,28%)", "(tăng 8,59% so với năm 2008)": a share that qualifies the figure before it.
  if (kind === 'percent' && /\(\s*(?:[\p{L}]+\s+){0,3}$/u.test(text.slice(Math.max(0, at - 20), at))) return 'qualifier';
  if (/\b(giam|tang)( duoc| them)?\s*$/.test(lead)) return 'change';
  if (kind === 'percent') return 'percent';
  if (kind === 'fraction') return 'ratio';
  return 'count';
}

/** Column header and row label for a figure inside a table row "Header: value; Header: value". */
function tableUnit(sentence: SentenceRec, at: number): { unit: string; key: string; label: string } | undefined {
  if (sentence.chunk.metadata.kind !== 'table') return undefined;
  const cells = tableCells(sentence.text);
  if (!cells.length) return undefined;
  let cell = cells[0];
  for (const c of cells) if (c.at <= at) cell = c;
  if (!cell || cell === cells[0]) return undefined;
  const key = (fold(cell.header.replace(/\([^)]*\)/g, ' ')).match(/[a-z0-9]+/g) ?? []).join(' ');
  return { unit: cell.header, key, label: cells[0]!.value };
}

function docYearOf(doc: ParsedDocument): number | undefined {
  const y = /^(\d{4})/.exec(doc.meta.date ?? '')?.[1];
  return y ? Number(y) : undefined;
}

export function sentenceFigureFacts(sentence: SentenceRec): FigureFact[] {
  const text = sentence.text;
  const out: FigureFact[] = [];
  const docYear = docYearOf(sentence.doc);
  for (const m of figureMatches(text)) {
    const raw = m[0].trim();
    const at = m.index ?? 0;
    const end = at + raw.length;
    const before = fold(text.slice(Math.max(0, at - 20), at));
    const prevWord = /([a-z0-9]+)\W*$/.exec(before)?.[1] ?? '';
    if (LABEL_BEFORE.has(prevWord)) continue;
    // List markers "(1)" and ranges "2020 -2025", "20101 -2015".
    if (/\(\s*$/.test(text.slice(0, at)) && /^\s*\)/.test(text.slice(end))) continue;
    if (/^\s*-\s*\d/.test(text.slice(end)) || /\d\s*-\s*$/.test(text.slice(0, at))) continue;
    // "99 chi bộ quân sự/102 xã": the number after the slash is the base of the figure before it.
    if (/\p{L}\/$/u.test(text.slice(Math.max(0, at - 2), at))) continue;
    const kind = figureKind(raw);
    const parts = raw.replace(/%/g, '').split('/');
    const value = numberValue(parts[0]!);
    const denominator = parts[1] !== undefined ? numberValue(parts[1]) : undefined;
    if (!Number.isFinite(value) || (denominator !== undefined && !Number.isFinite(denominator))) continue;
    const table = tableUnit(sentence, at);
    const u = table
      ? { unit: table.unit, unitEnd: end, key: table.key, words: table.key.split(' ') }
      : kind === 'percent'
        ? { unit: '%', unitEnd: end, key: '%', words: [] as string[] }
        : unitAfter(text, end);
    const measure = measureOf(text, at, kind);
    // In a table the header says it all: "Chỉ tiêu kết nạp", "Số đảng viên (đến 31-10-2022)".
    // The target cue may open a long clause ("Phấn đấu đến năm 2020, 100% … ở 156/156 xã").
    const target = table ? matchesAny(intentCues().target, fold(table.unit)) : isTargetFigure(text, at) || matchesAny(intentCues().target, fold(clauseBefore(text, at)));
    const time0 = table ? timeOf(`${table.unit} `, table.unit.length, table.unit.length, docYear) : timeOf(text, at, end, docYear);
    // A figure for a year after the report's own date ("đến năm 2020" in a 2019 report) is a target.
    const status: FigureStatus = target || (time0.year !== undefined && docYear !== undefined && time0.year > docYear) ? 'target' : 'actual';
    const level = table ? undefined : adminLevel(u.words);
    const unitNorm = table ? `table ${u.key}` : (level ?? u.key);
    const time = time0;
    const around = table
      ? [table.unit, table.label, ...sentence.chunk.metadata.sectionPath.slice(-2)].join(' ')
      : `${clauseBefore(text, at).split(/\s+/).slice(-16).join(' ')} ${text.slice(u.unitEnd).replace(/^\s*\([^)]*\)/, '').split(/[;.]/)[0]!.split(/\s+/).slice(0, 10).join(' ')}`;
    const unitSet = new Set(u.words);
    out.push({
      sentence,
      raw,
      at,
      kind,
      value,
      ...(denominator !== undefined ? { denominator } : {}),
      unit: u.unit,
      unitEnd: u.unitEnd,
      unitKey: u.key,
      status,
      measure,
      ...(time.year !== undefined ? { year: time.year } : {}),
      time: time.time,
      indicator: u.key ? `${measure}|${status}|${unitNorm}` : '',
      concept: [...new Set(conceptWords(around).filter((w) => !unitSet.has(w)))],
    });
  }
  return out;
}

/** How much two figures are about the same thing: shared concept words over all (Jaccard). */
export function conceptSimilarity(a: FigureFact, b: FigureFact): number {
  if (!a.concept.length || !b.concept.length) return 0;
  const bs = new Set(b.concept);
  const shared = a.concept.filter((w) => bs.has(w)).length;
  return shared / (a.concept.length + b.concept.length - shared);
}

// ---------------------------------------------------------------------------------------------
// Sentences worth asking about

const DOC_TYPE_START = /^(?:theo\s+)?(?:huong dan|nghi quyet|quyet dinh|ke hoach|chi thi|ket luan|cong van|quy dinh|de an|chuong trinh|thong tri|thong bao|to trinh|bao cao)\s+(?:so\s+)?\d/;
export const DOC_NUMBER_RE = /\d+(?:\/\d{4})?[-/][\p{Lu}Đ][\p{L}]*(?:[-/][\p{L}\d]+)*/gu;

/**
 * A footnote such as "Hướng dẫn số 28-HD/BTCTU, ngày 07-5-2009 của Ban Tổ chức Tỉnh ủy." only
 * names a document: nothing in it is worth a question, and quizzing document numbers out of
 * reference lists would make every round a memory test of codes.
 */
export function isReferenceOnly(text: string): boolean {
  const f = fold(text).trim();
  return DOC_TYPE_START.test(f) && text.length < 260;
}

/** Headings-only fragments are short and carry no verb-like content; ALL CAPS lines are headings. */
function isHeadingLike(text: string): boolean {
  const letters = text.replace(/[^\p{L}]/gu, '');
  if (letters && letters === letters.toUpperCase()) return true;
  return /^([IVXLC]+|\d+(\.\d+)*)\.\s/.test(text) && text.length < 120 && !/[.;]$/.test(text.trim());
}

/** "Số 87-BC/HU Tri Tôn, ngày 10 tháng 11 năm 2022": mostly a document number and a date. */
function isNumberDateLine(text: string): boolean {
  const words = text.split(/\s+/).filter(Boolean);
  const coded = words.filter((w) => /\d/.test(w) || /^(số|ngày|tháng|năm|so|ngay|thang|nam)$/iu.test(w)).length;
  return words.length < 25 && coded / words.length >= 0.4;
}

export function isQuizable(text: string, chunk: Chunk): boolean {
  if (text.length < 40) return false;
  // Table rows are "Header: value; …" lists, not sentences to learn; they feed comparisons.
  if (chunk.metadata.kind === 'table') return false;
  if (isNumberDateLine(text)) return false;
  if (isHeadingLike(text)) return false;
  if (chunk.metadata.kind === 'footnote' && isReferenceOnly(text)) return false;
  if (isReferenceOnly(text) && text.length < 160) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Names

function levelBefore(text: string, at: number): PlaceLevel | undefined {
  const words = fold(text.slice(Math.max(0, at - 20), at)).match(/[a-z]+/g) ?? [];
  // The marker must sit right before the name, within the clause.
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

/** Finds `foldedPhrase` as whole words in `text`; returns original spellings and offsets. */
export function findPhrase(text: string, foldedPhrase: string): { at: number; display: string }[] {
  const words = [...text.matchAll(/[\p{L}\p{M}\d][\p{L}\p{M}\d'’]*/gu)];
  const target = foldedPhrase.split(' ');
  const out: { at: number; display: string }[] = [];
  for (let i = 0; i + target.length <= words.length; i++) {
    if (target.every((t, k) => fold(words[i + k]![0]).replace(/['’]/g, '') === t)) {
      const first = words[i]!;
      const last = words[i + target.length - 1]!;
      // Names are capitalised in the reports; "an giang" inside a lower-case phrase is not the place.
      if (!/^\p{Lu}/u.test(first[0])) continue;
      out.push({ at: first.index ?? 0, display: text.slice(first.index, (last.index ?? 0) + last[0].length) });
    }
  }
  return out;
}

/** Issuing bodies, canonical name first; variants are the same body ("Ban Bí thư" = "Ban Bí thư Trung ương Đảng"). */
export const BODIES: { name: string; variants: string[] }[] = [
  { name: 'Ban Chấp hành Trung ương Đảng', variants: ['ban chap hanh trung uong dang', 'ban chap hanh trung uong'] },
  { name: 'Bộ Chính trị', variants: ['bo chinh tri'] },
  { name: 'Ban Bí thư Trung ương Đảng', variants: ['ban bi thu trung uong dang', 'ban bi thu'] },
  { name: 'Ban Tổ chức Trung ương', variants: ['ban to chuc trung uong'] },
  { name: 'Ban Tổ chức Tỉnh ủy', variants: ['ban to chuc tinh uy'] },
  { name: 'Ban Thường vụ Tỉnh ủy', variants: ['ban thuong vu tinh uy'] },
  { name: 'Ban Chấp hành Đảng bộ tỉnh', variants: ['ban chap hanh dang bo tinh'] },
  { name: 'Ban Tuyên giáo Tỉnh ủy', variants: ['ban tuyen giao tinh uy'] },
  { name: 'Thủ tướng Chính phủ', variants: ['thu tuong chinh phu'] },
  { name: 'Quốc hội', variants: ['quoc hoi'] },
];

function bodyFacts(sentence: SentenceRec): BodyFact[] {
  const out: BodyFact[] = [];
  const taken: [number, number][] = [];
  for (const body of BODIES) {
    for (const variant of body.variants) {
      for (const hit of findPhrase(sentence.text, variant)) {
        if (taken.some(([a, b]) => hit.at >= a && hit.at < b)) continue;
        // Only the issuer of a cited document: "… số 38-HD/BTCTW, ngày 9-3-2010 của Ban Tổ chức Trung ương".
        const before = sentence.text.slice(Math.max(0, hit.at - 90), hit.at);
        if (!/của\s*$/u.test(before) || !/số\s+\d/u.test(before)) continue;
        taken.push([hit.at, hit.at + hit.display.length]);
        out.push({ sentence, name: body.name, display: hit.display, at: hit.at });
      }
    }
  }
  return out;
}

function docNumberFacts(sentence: SentenceRec): DocNumberFact[] {
  const out: DocNumberFact[] = [];
  for (const m of sentence.text.matchAll(DOC_NUMBER_RE)) {
    const raw = m[0];
    const at = m.index ?? 0;
    // A reference to a document is introduced by "số": "Kế hoạch số 53-KH/TU".
    if (!/số\s+$/u.test(sentence.text.slice(Math.max(0, at - 6), at))) continue;
    const serialText = /^\d+/.exec(raw)?.[0] ?? '';
    out.push({ sentence, raw, at, suffix: raw.slice(serialText.length), serial: Number(serialText) });
  }
  return out;
}

/**
 * The place a figure belongs to: the nearest place named before it in its own clause
 * ("huyện Kim Khê 09/16"), or a table row's label ("Huyện Na Cô: …"). A figure without one is
 * about the document's own area.
 */
function attributePlaces(figures: FigureFact[], places: readonly PlaceFact[]): void {
  const bySentence = new Map<string, PlaceFact[]>();
  for (const p of places) bySentence.set(p.sentence.key, [...(bySentence.get(p.sentence.key) ?? []), p]);
  for (const f of figures) {
    const candidates = bySentence.get(f.sentence.key);
    if (!candidates) continue;
    const isTable = f.sentence.chunk.metadata.kind === 'table';
    const firstCellEnd = isTable ? f.sentence.text.indexOf(';') : -1;
    let best: PlaceFact | undefined;
    for (const p of candidates) {
      if (isTable) {
        if (p.at < firstCellEnd) best = p;
        continue;
      }
      if (p.at >= f.at) continue;
      const between = f.sentence.text.slice(p.at + p.display.length, f.at);
      if (between.length > 45 || /[;:]/.test(between) || /\d/.test(between)) continue;
      if (!best || p.at > best.at) best = p;
    }
    if (best) {
      f.place = best.folded;
      if (best.level && levelBefore(best.sentence.text, best.at)) f.placeLevel = best.level;
    }
  }
}

// ---------------------------------------------------------------------------------------------

const cache = new WeakMap<IndexSnapshot, CorpusFacts>();

export function corpusFacts(snapshot: IndexSnapshot): CorpusFacts {
  const cached = cache.get(snapshot);
  if (cached) return cached;
  const sentences: SentenceRec[] = [];
  for (const doc of snapshot.documents) {
    for (const chunk of doc.chunks) {
      for (const span of splitSentences(chunk.text)) {
        const text = chunk.text.slice(span.start, span.end);
        sentences.push({ chunk, doc, text, start: span.start, key: `${chunk.id}@${span.start}`, folded: fold(text), quizable: isQuizable(text, chunk) });
      }
    }
  }
  const figures = sentences.flatMap(sentenceFigureFacts);
  const placeLevels = new Map<string, Set<PlaceLevel>>();
  const placeDisplay = new Map<string, string>();
  const places: PlaceFact[] = [];
  for (const s of sentences) {
    for (const p of snapshot.names.places) {
      if (!s.folded.includes(p)) continue;
      for (const hit of findPhrase(s.text, p)) {
        const level = levelBefore(s.text, hit.at);
        if (level) {
          const set = placeLevels.get(p) ?? new Set<PlaceLevel>();
          set.add(level);
          placeLevels.set(p, set);
        }
        if (!placeDisplay.has(p)) placeDisplay.set(p, hit.display);
        places.push({ sentence: s, display: hit.display, folded: p, at: hit.at, ...(level ? { level } : {}) });
      }
    }
  }
  // A name without a marker takes its level from elsewhere when that is unambiguous.
  for (const p of places) {
    if (p.level) continue;
    const levels = placeLevels.get(p.folded);
    if (levels?.size === 1) p.level = [...levels][0];
  }
  attributePlaces(figures, places);
  const docNumbers = sentences.flatMap(docNumberFacts);
  const bodies = sentences.flatMap(bodyFacts);
  const facts: CorpusFacts = { sentences, figures, places, docNumbers, bodies, placeLevels, placeDisplay };
  cache.set(snapshot, facts);
  return facts;
}

/** A short name for a document in question stems: "Báo cáo số 381-BC/TU (Tỉnh ủy Kon Tum, 27/02/2019)". */
export function shortLabel(doc: ParsedDocument): string {
  const m = doc.meta;
  const date = displayDate(m.date);
  if (m.number) {
    const who = [m.issuer, date].filter(Boolean).join(', ');
    return `${m.docType ?? 'Văn bản'} số ${m.number}${who ? ` (${who})` : ''}`;
  }
  const source = m.outlet ?? m.issuer ?? m.author;
  if (source) return `bài viết của ${source}${date ? ` (${date})` : ''}`;
  return m.title.length > 80 ? `${m.title.slice(0, 77)}…` : m.title;
}

/** A label without issuer or outlet, for stems whose answer is the issuer's place ("… huyện Đức Thọ"). */
export function neutralLabel(doc: ParsedDocument): string {
  const m = doc.meta;
  const date = displayDate(m.date);
  if (m.number) return `${m.docType ?? 'Văn bản'} số ${m.number}`;
  return date ? `bài viết ngày ${date}` : 'bài viết';
}

/** A window of `text` around [from, to) of at most `max` characters, cut at spaces, marked with "…". */
export function windowAround(text: string, from: number, to: number, max: number): string {
  if (text.length <= max) return text;
  const span = to - from;
  const room = Math.max(0, max - span - 2);
  let start = Math.max(0, from - Math.floor(room / 2));
  let end = Math.min(text.length, start + span + room);
  start = Math.max(0, Math.min(start, end - span - room));
  if (start > 0) {
    const sp = text.indexOf(' ', start);
    if (sp >= 0 && sp < from) start = sp + 1;
  }
  if (end < text.length) {
    const sp = text.lastIndexOf(' ', end);
    if (sp >= to) end = sp;
  }
  return `${start > 0 ? '…' : ''}${text.slice(start, end).trim()}${end < text.length ? '…' : ''}`;
}
