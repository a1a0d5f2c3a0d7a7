import { fold, normalizeText } from '../ingest/normalize.js';
import { documentCode, documentNumberRe } from '../ingest/documentTypes.js';
import { namesPlaceBelowProvince, scopeLevelBefore, tableCells, textFigures, type FigureFact, type TextFigure } from '../ingest/facts.js';
import { asksForDuration, unitVariants } from '../retrieval/figures.js';
import { intentCues } from '../retrieval/intents.js';
import type { PlaceLevel } from '../ingest/places.js';
import type { FigureWish } from '../retrieval/query.js';

/**
 * The figure a question asks for, chosen among the typed facts of the evidence sentence (the
 * fact store built with the index, src/ingest/facts.ts): by what it counts (the unit after it),
 * whether it is a target or an actual figure, the year written with it, a percentage or a ratio,
 * its role in a change and the level of the place before it; then the phrase the source uses for
 * it ("119/156 xã, phường, thị trấn (đạt 76,28%)"), extended over figures joined to it
 * ("99 chi bộ quân sự/102 xã, phường, thị trấn với 872 đảng viên").
 */

/** A figure as the sentence's words give it, with what its document adds when it comes from the store. */
export type SentenceFigure = TextFigure & Partial<Pick<FigureFact, 'contextUnitKey'>>;

/** A sentence with the facts of its figures: from the store, or read now for text the store lacks. */
export interface FigureSentence {
  text: string;
  figures: readonly SentenceFigure[];
}

/**
 * "khai trừ 12 trường hợp" in a note on "… 71 đảng viên": a figure in a generic unit counts the
 * unit of the sentence it details, and that unit is the one asked.
 */
export function contextUnitFits(f: SentenceFigure, unitTokens: readonly string[]): boolean {
  const key = f.contextUnitKey;
  if (!key || !unitTokens.length) return false;
  const words = key.split(' ');
  return unitVariants(unitTokens).some((v) => v.length >= words.length && words.every((w, i) => v[i] === w));
}

export type SentenceInput = string | FigureSentence;

export function asFigureSentence(sentence: SentenceInput): FigureSentence {
  return typeof sentence === 'string' ? { text: sentence, figures: textFigures(sentence) } : sentence;
}

export interface FigureQuestion {
  unitTokens: readonly string[];
  /** Folded syllables of the question. */
  tokens: readonly string[];
  wish: FigureWish;
  years: readonly number[];
  /** Yes/no questions: a ratio ("13/13") says more than a percentage or a count. */
  preferRatio?: boolean;
  /** Folded places the question names: a figure in a clause about one of them is theirs. */
  places?: readonly string[];
  /** The level the question gives its place ("tỉnh Hà Sơn"): the city of the same name is another place. */
  placeLevel?: PlaceLevel;
}

const DOC_NUMBER_RE = documentNumberRe();

/** Function words that never end a figure phrase (compared accented: "từ" ≠ "tú"). */
const TRAILING_FILLER = new Set(['và', 'của', 'cho', 'được', 'với', 'để', 'mà', 'thì', 'là', 'có', 'trong', 'tại', 'ở', 'đến', 'từ', 'về', 'như', 'hoặc', 'đã', 'sẽ', 'qua', 'so', 'trên', 'dưới', 'xuống', 'còn', 'lên']);
/** Words that join a second figure to the first one ("… với 872 đảng viên", "xuống còn 20"). */
// Up to seven words may stand between ("99 chi bộ quân sự/102 xã, phường, thị trấn với 872 đảng viên").
const JOINERS = /^(?:[\s,]+[\p{L}\p{M}]+){0,7}?\s*,?\s+(?:với|và|trong đó|gồm|xuống còn|giảm còn|còn|lên|tăng lên|đạt|chiếm|bằng)\s+(?:[\p{L}\p{M}]+\s+){0,2}?(?=\d)/u;
const MAX_PHRASE_CHARS = 220;

const foldedWords = (text: string): string[] => fold(text).match(/[a-z]+/g) ?? [];

/** Words that may stand right before a figure without saying what it counts ("có", "được", "lên", "khoảng"). */
const FIGURE_LEAD_FUNCTION_WORDS = new Set(intentCues().figureLeadIn);

function score(sentence: string, f: SentenceFigure, q: FigureQuestion): number {
  const at = f.at;
  const end = f.matchEnd;
  const after = foldedWords(sentence.slice(end)).slice(0, 6);
  const before = foldedWords(sentence.slice(0, at)).slice(-8);
  const variants = unitVariants(q.unitTokens).filter((v) => v.length);
  let s = 0;
  // How much of the unit follows the number, in order: "186,4 km đường giao thông" covers half of "km đường thôn xóm".
  const prefix = Math.max(0, ...variants.map((v) => {
    let k = 0;
    while (k < Math.min(4, v.length) && after[k] === v[k]) k++;
    return k / Math.min(4, v.length);
  }));
  if (prefix > 0) s += 2.5 + 3.5 * prefix;
  // A generic unit resolved to the one asked is the whole unit: "12 trường hợp" of "đảng viên".
  else if (contextUnitFits(f, q.unitTokens)) s += 6;
  else if (variants.some((v) => after.slice(0, 3).includes(v[0]!))) s += 3;
  else if (variants.some((v) => before.slice(-6).includes(v[0]!))) s += 1.5;
  const question = new Set(q.tokens);
  s += Math.min(1.5, [...after, ...before].filter((w) => question.has(w)).length * 0.2);
  // "…; có 98/125 xã (đạt 78,40%) thực hiện trưởng ban dân vận …": the clause a figure stands in
  // says what it measures, so the clause that shares most with the question wins.
  const clauseStart = sentence.lastIndexOf(';', at) + 1;
  const clauseEndAt = sentence.indexOf(';', end);
  const clause = new Set(foldedWords(sentence.slice(clauseStart, clauseEndAt < 0 ? undefined : clauseEndAt)));
  const asked = [...question].filter((w) => /^[a-z]{2,}$/.test(w));
  if (asked.length) s += (3 * asked.filter((w) => clause.has(w)).length) / asked.length;
  // Among the clauses of one sentence, the one holding the asked words the others lack wins
  // ("…; có 98/125 xã (đạt 78,40%) thực hiện trưởng ban dân vận …"); only a less telling clause
  // loses points, so sentences still compare as before.
  const clauses = sentence.split(';').map((c) => new Set(foldedWords(c)));
  if (clauses.length > 1) {
    const telling = asked.filter((w) => clauses.some((c) => c.has(w)) && !clauses.every((c) => c.has(w)));
    if (telling.length) {
      const share = (c: Set<string>) => telling.filter((w) => c.has(w)).length / telling.length;
      const mine = share(clauses[sentence.slice(0, at).split(';').length - 1] ?? new Set());
      s -= 3 * (Math.max(...clauses.map(share)) - mine);
    }
  }
  // "kết nạp được 12.668 đảng viên" counts admissions, not members: content words right before a
  // figure that the question does not use say it is another quantity.
  // Only the words of this figure's own phrase: not the previous figure's unit ("15 đảng bộ trực thuộc, 698 …").
  const ownStart = Math.max(...[',', ';', ':', '(', ')'].map((c) => sentence.lastIndexOf(c, at - 1)), sentence.slice(0, at).search(/\d[^\d]*$/));
  // "… tổ dân phố có 19 đồng chí": what stands before "có" is the possessor, not another quantity.
  const own = foldedWords(sentence.slice(ownStart + 1, at));
  const afterHave = own.slice(own.lastIndexOf('co') + 1);
  const leadIn = afterHave.slice(-3).filter((w) => !FIGURE_LEAD_FUNCTION_WORDS.has(w));
  s -= Math.min(2.4, leadIn.filter((w) => !question.has(w)).length * 0.8);
  if (q.wish.target) s += f.targetCue ? 2.5 : -1;
  else if (f.targetCue) s -= 2.5;
  if (q.wish.percent) s += f.kind === 'percent' ? 3 : f.kind === 'fraction' ? 0.5 : -0.5;
  // "bao nhiêu xã" asks for a count: a share answers only when nothing counts.
  else if (f.kind === 'percent' && q.unitTokens.length) s -= 2;
  if (q.preferRatio && f.kind === 'fraction') s += 1.5;
  // "119/156 xã (đạt 76,28%) của 100% đơn vị cấp huyện": a figure after "của" qualifies the one before it.
  if (/\bcua\s*$/.test(fold(sentence.slice(Math.max(0, at - 8), at)))) s -= 1;
  // "giảm từ 48 xuống còn 20": the value after "còn/xuống/lên" is the new one; "từ 48" the old one.
  if (q.wish.changeBy && f.change === 'by') s += 3;
  if (f.change === 'to') s += q.wish.changeTo ? 2 : 0.5;
  else if (f.change === 'from') s -= q.wish.changeTo ? 2 : 0.5;
  if (q.places?.length) {
    // "huyện A 06/17 xã; huyện Đá Bia 11/19 xã": the figure belongs to the place of its own clause.
    const clause = fold(sentence.slice(0, at).split(/[;]/).pop() ?? '');
    const tail = clause.slice(-70);
    // The place is this figure's when no other figure stands between them.
    const own = q.places.some((p) => {
      const i = tail.lastIndexOf(p);
      return i >= 0 && !/\d/.test(tail.slice(i + p.length));
    });
    if (own) s += 2.5;
    else if (f.placeInClause) s -= 2;
  }
  if (q.placeLevel && f.scopeLevel) s += f.scopeLevel === q.placeLevel ? 1.5 : -3;
  if (q.years.length && f.writtenYear !== undefined) s += q.years.includes(f.writtenYear) ? 2.5 : -2;
  return s;
}

/** The figure chosen: as written, and where it stands in the sentence. */
export interface ChosenFigure {
  raw: string;
  at: number;
}

export interface ScoredFigure {
  figure: ChosenFigure;
  score: number;
}

/** The figures a question may be answered with: numbers that count something, durations only when it asks how long. */
function candidates(sentence: FigureSentence, q: FigureQuestion): readonly SentenceFigure[] {
  const durations = asksForDuration(q.unitTokens);
  return sentence.figures.filter((f) => f.counted && (durations || !f.duration));
}

/** The figure of `sentence` that answers, with how well it fits, or undefined when it has none. */
export function chooseFigureScored(input: SentenceInput, q: FigureQuestion): ScoredFigure | undefined {
  const sentence = asFigureSentence(input);
  const cell = tableCellFigure(sentence.text, q);
  // A row about another place than the one asked holds no figure for the question.
  if (cell?.otherPlace) return undefined;
  if (cell) {
    const m = [...sentence.text.matchAll(/\d+(?:[.,]\d+)*/g)].find((x) => cell.phrase.endsWith(x[0]) || cell.phrase.includes(`: ${x[0]}`));
    if (m) return { figure: { raw: m[0], at: m.index ?? 0 }, score: cell.score + 2 };
  }
  let best: ScoredFigure | undefined;
  for (const f of candidates(sentence, q)) {
    const s = score(sentence.text, f, q);
    if (!best || s > best.score) best = { figure: f, score: s };
  }
  return best;
}

export function chooseFigure(sentence: SentenceInput, q: FigureQuestion): ChosenFigure | undefined {
  return chooseFigureScored(sentence, q)?.figure;
}

/** The source's words for the figure at `at`: through its unit words, plus a parenthesis that follows. */
function phraseAt(sentence: string, at: number, unitTokens: readonly string[]): { text: string; end: number } {
  const rest = sentence.slice(at);
  const units = new Set(unitVariants(unitTokens).flat());
  const wordRe = /\S+/g;
  const spans: { end: number; word: string }[] = [];
  for (let m = wordRe.exec(rest); m && spans.length < 14; m = wordRe.exec(rest)) spans.push({ end: m.index + m[0].length, word: m[0] });
  let endIdx = -1;
  if (units.size) {
    // Run through the unit words; a comma ends the run unless a unit word follows it ("xã, phường, thị trấn").
    const isUnit = (i: number) => Boolean(spans[i] && fold(spans[i]!.word).match(/[a-z]+/g)?.some((w) => units.has(w)));
    for (let i = 1; i < spans.length && i <= 10; i++) {
      if (/^\d/.test(spans[i]!.word)) break;
      if (isUnit(i)) endIdx = i;
      if (/[,;:.]$/.test(spans[i]!.word) && !isUnit(i + 1)) break;
    }
  }
  if (endIdx < 0) {
    // No unit words: stop at the first clause punctuation, keeping the words that say what is counted.
    endIdx = Math.min(spans.length - 1, 6);
    for (let i = 1; i < spans.length && i <= 6; i++) {
      if (/^\d/.test(spans[i]!.word) && i > 1) {
        endIdx = i - 1;
        break;
      }
      if (/[,;:.]$/.test(spans[i]!.word)) {
        endIdx = i;
        break;
      }
    }
  }
  let end = spans[endIdx]?.end ?? rest.length;
  const paren = /^\s*,?\s*\([^)]{1,60}\)/.exec(rest.slice(end));
  if (paren && !/[.;]$/.test(rest.slice(0, end))) end += paren[0].length;
  let words = rest.slice(0, end).replace(/[;:.,]+$/, '').trim().split(' ');
  while (words.length > 1 && TRAILING_FILLER.has(normalizeText(words[words.length - 1]!).toLowerCase().replace(/[;:.,]+$/, ''))) words = words.slice(0, -1);
  // "5.000 đảng viên;cũng cố …": a semicolon glued to the next word still ends the phrase.
  let text = (words.join(' ').split(/;/)[0] ?? '').replace(/[;:.,]+$/, '');
  // "17 xã và 01 thị trấn) sau …": a closing parenthesis with no opening one is cut off.
  const close = text.indexOf(')');
  if (close >= 0 && text.lastIndexOf('(', close) < 0) text = text.slice(0, close).replace(/[\s,;]+$/, '');
  return { text, end: at + rest.indexOf(text) + text.length };
}

/**
 * In a table row the unit of a number is its column header: the cell whose header shares most
 * with the question answers ("Kết nạp mới: 431" for "kết nạp được bao nhiêu đảng viên mới").
 */
export function tableCellFigure(text: string, q: FigureQuestion): { phrase: string; score: number; otherPlace: boolean } | undefined {
  const row = tableCells(text);
  const cells = row.filter((c) => /\d/.test(c.value) && !/^(19|20)\d{2}$/.test(c.value));
  if (!cells.length) return undefined;
  const question = new Set(q.tokens);
  const unit = new Set(q.unitTokens);
  // The row's label (its first cell) names what the row is about: "Đường thôn, xóm", "Huyện Na Cô".
  const labelText = row[0]?.value ?? '';
  const label = fold(labelText);
  const labelWords = foldedWords(labelText);
  const labelShare = labelWords.length ? labelWords.filter((w) => question.has(w)).length / labelWords.length : 0;
  // A row about a place the question does not name ("Huyện Na Cô" for a province-wide question) is another place's figure.
  const labelLevel = scopeLevelBefore(`${labelText} `, labelText.length + 1);
  const otherPlace =
    namesPlaceBelowProvince(label) && (!(q.places ?? []).some((p) => label.includes(p)) || (q.placeLevel !== undefined && labelLevel !== undefined && labelLevel !== q.placeLevel)) ? 4 : 0;
  // The total row speaks for the table's whole scope: the province or district the question names.
  const totalRow = intentCues().totalRowLabels.includes(label.replace(/[^a-z ]/g, '').trim()) && labelShare === 0 ? 2.5 : 0;
  let best: { phrase: string; score: number; otherPlace: boolean } | undefined;
  for (const c of cells) {
    const words = foldedWords(c.header);
    if (!words.length) continue;
    const shared = words.filter((w) => question.has(w)).length;
    let score = (4 * shared) / words.length + shared * 0.5 + words.filter((w) => unit.has(w)).length;
    if (q.wish.percent) score += c.value.includes('%') || /(ty le|phan tram|%)/.test(fold(c.header)) ? 3 : -1;
    else if (c.value.includes('%')) score -= 1;
    score += 3 * labelShare - otherPlace + totalRow;
    if (!best || score > best.score) best = { phrase: `${c.header}: ${c.value}`, score, otherPlace: otherPlace > 0 };
  }
  return best;
}

/** The figure phrase for a count question, extended over figures joined to it. */
export function figurePhrase(input: SentenceInput, q: FigureQuestion): string | undefined {
  const facts = asFigureSentence(input);
  const sentence = facts.text;
  const cell = tableCellFigure(sentence, q);
  if (cell?.otherPlace) return undefined;
  if (cell) return cell.phrase;
  let chosen = chooseFigure(facts, q);
  if (!chosen) return undefined;
  // "98/125 xã, phường, thị trấn (đạt 78,40%)": a figure in a parenthesis is read with the one it qualifies.
  const opening = sentence.slice(Math.max(0, chosen.at - 12), chosen.at);
  let qualifier: ChosenFigure | undefined;
  if (/\([^)]*$/.test(opening)) {
    const at = chosen.at;
    const before = facts.figures.filter((f) => !f.duration && f.at < at && at - f.at <= 80 && f.matchEnd <= at).pop();
    if (before) {
      qualifier = chosen;
      chosen = before;
    }
  }
  let { text, end } = phraseAt(sentence, chosen.at, q.unitTokens);
  // The share asked for stays in the phrase: "98/125 xã, phường, thị trấn (đạt 78,40%)".
  if (qualifier && qualifier.at >= end) {
    const close = sentence.indexOf(')', qualifier.at);
    if (close > 0 && close + 1 - chosen.at <= MAX_PHRASE_CHARS) {
      text = sentence.slice(chosen.at, close + 1);
      end = close + 1;
    }
  }
  for (let k = 0; k < 2; k++) {
    const join = JOINERS.exec(sentence.slice(end));
    if (!join) break;
    const nextAt = end + join[0].length;
    const next = phraseAt(sentence, nextAt, []);
    const joined = `${text}${sentence.slice(end, nextAt)}${next.text}`;
    if (joined.length > MAX_PHRASE_CHARS) break;
    text = joined;
    end = next.end;
  }
  // A change reads from its old value: "giảm từ 48 xuống còn 20".
  const from = /(?:giảm|tăng)?\s*từ\s+$/u.exec(sentence.slice(Math.max(0, chosen.at - 12), chosen.at));
  if (from && /\b(xuống|còn|lên)\b/u.test(text)) text = `${from[0].trim()} ${text}`;
  return text || undefined;
}

export function docNumberIn(sentence: string, code?: string): string | undefined {
  if (!code) return DOC_NUMBER_RE.exec(sentence)?.[0];
  for (const m of sentence.matchAll(documentNumberRe('gu'))) if (documentCode(m[0]) === code.toUpperCase()) return m[0];
  return undefined;
}
