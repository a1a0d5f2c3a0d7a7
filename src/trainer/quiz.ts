import { citationFor } from '../answer/extractive.js';
import { fold } from '../ingest/normalize.js';
import type { Language } from '../answer/types.js';
import type { IndexSnapshot } from '../index/store.js';
import {
  BODIES,
  corpusFacts,
  figureIdentity,
  findPhrase,
  neutralLabel,
  sentenceFigureFacts,
  shortLabel,
  windowAround,
  type BodyFact,
  type CorpusFacts,
  type DocNumberFact,
  type FigureFact,
  type PlaceFact,
  type SentenceRec,
} from './facts.js';
import { tt } from './messages.js';
import { fnv1a } from '../index/hash.js';
import { randInt, seededRng, shuffle, type Rng } from './random.js';
import { inScope, resolveScope, type Scope } from './scope.js';
import { cutWords, parseQuizTopic, teachingQuestions, TEACHING_KINDS } from './quizTeach.js';
import type { QuestionKind, QuizQuestion } from './types.js';

/**
 * Quiz questions generated offline from the reports: a blanked figure, place, document number
 * or issuing body with distractors of the same kind, or a true/false statement (the real
 * sentence or the same sentence with one figure swapped). Each question quotes and cites the
 * sentence it came from; the right answer is always text of that sentence.
 */

export const POLL_QUESTION_MAX = 300;
export const POLL_OPTION_MAX = 100;
const BLANK = '____';
const OPTIONS_WANTED = 4;
const MIN_OPTIONS = 3;

export interface QuizOptions {
  /** Place, document number, year or keyword; empty = whole corpus. */
  topic?: string;
  count?: number;
  seed?: string | number;
  /** Sentence keys or question ids already asked in this round. */
  exclude?: Iterable<string>;
  lang?: Language;
  /** Restrict to these kinds (default: all, mixed). */
  kinds?: readonly QuestionKind[];
}

export interface QuizResult {
  questions: QuizQuestion[];
  /** Undefined when the topic matched nothing in the corpus. */
  scope: Scope | undefined;
  /** Quizable sentences in scope not yet used (before picking). */
  available: number;
}

// ---------------------------------------------------------------------------------------------
// Number formatting in the source's own style

function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
}

function formatLike(template: string, value: number): string {
  const s = template.trim();
  if (/^\d{1,3}(\.\d{3})+$/.test(s)) return groupThousands(Math.round(value));
  if (/^0\d+$/.test(s)) return String(Math.round(value)).padStart(s.length, '0');
  if (/^\d+$/.test(s)) return String(Math.round(value));
  const dec = /^(\d{1,3}(?:\.\d{3})+|\d+)([.,])(\d+)$/.exec(s);
  if (dec) {
    const [intPart, frac] = value.toFixed(dec[3]!.length).split('.');
    const grouped = dec[1]!.includes('.') ? groupThousands(Number(intPart)) : intPart!;
    return `${grouped}${dec[2]}${frac}`;
  }
  return String(value);
}

/** Decimal places and separator of a number as written (for "same format" checks). */
function shape(raw: string): string {
  const s = raw.replace(/\s*%$/, '').trim();
  if (s.includes('/')) return 'fraction';
  const dec = /[.,](\d+)$/.exec(s);
  if (/^\d{1,3}(\.\d{3})+$/.test(s)) return 'thousands';
  if (/^0\d+$/.test(s)) return `padded${s.length}`;
  if (dec) return `dec${s.includes(',') ? ',' : '.'}${dec[1]!.length}`;
  return 'int';
}

/** A plausible wrong value in the same format: 27.023 → 25.417, 76,28% → 71,93%, 119/156 → 131/156. */
function perturbFigure(f: FigureFact, rng: Rng): string | undefined {
  const raw = f.raw;
  const sign = rng() < 0.5 ? -1 : 1;
  switch (f.kind) {
    case 'percent': {
      const num = raw.replace(/\s*%$/, '');
      const pct = raw.slice(num.length);
      const v = f.value;
      const decimals = /[.,](\d+)$/.exec(num)?.[1]?.length ?? 0;
      const step = Math.max(2, Math.round(Math.min(v, 100) * 0.25));
      const delta = randInt(rng, 1, step) + (decimals ? rng() : 0);
      let next = v + sign * delta;
      // A share stays a share: reflect instead of clamping (clamping piles options up at 99,99%).
      if (v <= 100 && next > 100) next = v - delta;
      if (next <= 0) next = v + delta;
      next = Number(next.toFixed(decimals));
      return `${formatLike(num, next)}${pct}`;
    }
    case 'fraction': {
      const [a, b] = raw.split('/');
      const den = f.denominator ?? 0;
      if (!a || !b || den < 3) return undefined;
      const step = Math.max(2, Math.round(den * 0.2));
      let next = f.value + sign * randInt(rng, 1, step);
      if (next > den) next = f.value - randInt(rng, 1, step);
      if (next < 1) next = Math.min(den, f.value + randInt(rng, 1, step));
      return `${formatLike(a, next)}/${b}`;
    }
    case 'thousands': {
      const next = Math.round(f.value * (1 + sign * (0.03 + rng() * 0.12)));
      return next >= 1000 ? formatLike(raw, next) : undefined;
    }
    case 'padded': {
      const width = raw.length;
      let next = f.value + sign * randInt(rng, 1, 3);
      if (next < 1) next = f.value + randInt(rng, 1, 3);
      return next < 10 ** width ? formatLike(raw, next) : undefined;
    }
    case 'integer': {
      const digits = raw.length;
      let next = f.value < 10 ? f.value + sign * randInt(rng, 1, 3) : Math.round(f.value * (1 + sign * (0.05 + rng() * 0.25)));
      if (next < 1) next = f.value + randInt(rng, 1, 3);
      if (f.value >= 10) next = Math.min(10 ** digits - 1, Math.max(10 ** (digits - 1), next));
      return formatLike(raw, next);
    }
    case 'decimal': {
      const decimals = /[.,](\d+)$/.exec(raw)?.[1]?.length ?? 0;
      const next = f.value * (1 + sign * (0.05 + rng() * 0.2));
      return next > 0 ? formatLike(raw, Number(next.toFixed(decimals))) : undefined;
    }
  }
}

/**
 * Wrong options for a figure: figures of the same kind and unit elsewhere in the corpus (same
 * document first: those are the "nearby" numbers a reader might confuse), then perturbations of
 * the right value. Values visible in the question sentence are never offered.
 */
export function figureDistractors(f: FigureFact, facts: CorpusFacts, rng: Rng, wanted = OPTIONS_WANTED - 1): string[] {
  const taken = new Set(sentenceFigureFacts(f.sentence).map((x) => figureIdentity(x.raw)));
  taken.add(figureIdentity(f.raw));
  const myShape = shape(f.raw);
  // Same order of magnitude too: 1.545 offered for 515.000 would give the answer away.
  const close = (x: FigureFact) => f.kind === 'percent' || f.kind === 'fraction' || (x.value >= f.value / 4 && x.value <= f.value * 4);
  const pool = facts.figures.filter(
    (x) => x.value > 0 && close(x) && x.kind === f.kind && x.unitKey === f.unitKey && x.sentence.key !== f.sentence.key && shape(x.raw) === myShape && (x.kind !== 'percent' || /\s%$/.test(x.raw) === /\s%$/.test(f.raw)),
  );
  const sameDoc = shuffle(pool.filter((x) => x.sentence.doc === f.sentence.doc), rng);
  const otherDocs = shuffle(pool.filter((x) => x.sentence.doc !== f.sentence.doc), rng);
  const out: string[] = [];
  // At most two corpus figures: a third perturbation keeps questions from being "spot the odd one".
  for (const x of [...sameDoc, ...otherDocs]) {
    if (out.length >= Math.min(2, wanted)) break;
    const id = figureIdentity(x.raw);
    if (taken.has(id)) continue;
    taken.add(id);
    out.push(x.raw);
  }
  for (let attempt = 0; out.length < wanted && attempt < 40; attempt++) {
    const p = perturbFigure(f, rng);
    if (!p) continue;
    const id = figureIdentity(p);
    if (taken.has(id)) continue;
    taken.add(id);
    out.push(p);
  }
  return out;
}

function placeDistractors(p: PlaceFact, facts: CorpusFacts, rng: Rng): string[] {
  if (!p.level) return [];
  const candidates = [...facts.placeLevels.entries()]
    .filter(([name, levels]) => levels.has(p.level!) && name !== p.folded && !p.sentence.folded.includes(name) && !name.includes(p.folded) && !p.folded.includes(name))
    .map(([name]) => facts.placeDisplay.get(name))
    .filter((d): d is string => Boolean(d));
  return shuffle([...new Set(candidates)].sort(), rng).slice(0, OPTIONS_WANTED - 1);
}

function docNumberDistractors(d: DocNumberFact, facts: CorpusFacts, rng: Rng): string[] {
  const inSentence = new Set(facts.docNumbers.filter((x) => x.sentence.key === d.sentence.key).map((x) => x.raw));
  const taken = new Set<string>([d.raw, ...inSentence]);
  const out: string[] = [];
  for (const x of shuffle(facts.docNumbers.filter((x) => x.suffix === d.suffix), rng)) {
    if (out.length >= 2) break;
    if (taken.has(x.raw) || d.sentence.text.includes(x.raw)) continue;
    taken.add(x.raw);
    out.push(x.raw);
  }
  const serialText = /^\d+/.exec(d.raw)?.[0] ?? '';
  for (let attempt = 0; out.length < OPTIONS_WANTED - 1 && attempt < 40; attempt++) {
    const step = Math.max(5, Math.round(d.serial * 0.5));
    let next = d.serial + (rng() < 0.5 ? -1 : 1) * randInt(rng, 1, step);
    if (next < 1) next = d.serial + randInt(rng, 1, step);
    const raw = `${String(next).padStart(serialText.length, '0')}${d.suffix}`;
    if (taken.has(raw)) continue;
    taken.add(raw);
    out.push(raw);
  }
  return out;
}

let corpusBodiesCache: WeakMap<CorpusFacts, string[]> = new WeakMap();

function bodyDistractors(b: BodyFact, facts: CorpusFacts, rng: Rng): string[] {
  let present = corpusBodiesCache.get(facts);
  if (!present) {
    // Only bodies the reports mention: an invented or foreign body would be an easy giveaway.
    present = BODIES.filter((body) => facts.sentences.some((s) => body.variants.some((v) => findPhrase(s.text, v).length > 0))).map((body) => body.name);
    corpusBodiesCache.set(facts, present);
  }
  const excluded = new Set(BODIES.filter((body) => body.variants.some((v) => findPhrase(b.sentence.text, v).length > 0)).map((body) => body.name));
  return shuffle(present.filter((name) => name !== b.name && !excluded.has(name)), rng).slice(0, OPTIONS_WANTED - 1);
}

/** Forgets cached corpus lookups (tests that rebuild indexes call it; snapshots are weakly held anyway). */
export function resetQuizCaches(): void {
  corpusBodiesCache = new WeakMap();
}

// ---------------------------------------------------------------------------------------------
// Question assembly

interface Target {
  kind: Exclude<QuestionKind, 'truefalse'>;
  sentence: SentenceRec;
  /** The right answer as written in the sentence. */
  answer: string;
  at: number;
  figure?: FigureFact;
  place?: PlaceFact;
  docNumber?: DocNumberFact;
  body?: BodyFact;
}

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) n++;
  return n;
}

/** How often the figure is written in its sentence, or 0 when it also hides inside another number. */
function figureRepeats(f: FigureFact): number {
  const asFigure = sentenceFigureFacts(f.sentence).filter((x) => x.raw === f.raw).length;
  return occurrences(f.sentence.text, f.raw) === asFigure ? asFigure : 0;
}

function eligibleFigure(f: FigureFact): boolean {
  if (!f.unitKey) return false;
  if (f.value <= 0) return false;
  // "giảm được 06 đầu mối, 06 cấp trưởng": every occurrence is blanked, so a repeat is fine;
  // a number that also hides inside a longer one ("06" in "2006") is not.
  return figureRepeats(f) >= 1;
}

function targetsOf(s: SentenceRec, facts: CorpusFacts): Target[] {
  const out: Target[] = [];
  for (const f of facts.figures) if (f.sentence === s && eligibleFigure(f)) out.push({ kind: 'figure', sentence: s, answer: f.raw, at: f.at, figure: f });
  for (const p of facts.places) {
    if (p.sentence !== s || !p.level || p.level === 'province') continue;
    if (findPhrase(s.text, p.folded).length !== 1) continue;
    out.push({ kind: 'place', sentence: s, answer: p.display, at: p.at, place: p });
  }
  for (const d of facts.docNumbers) if (d.sentence === s) out.push({ kind: 'docnumber', sentence: s, answer: d.raw, at: d.at, docNumber: d });
  for (const b of facts.bodies) if (b.sentence === s && occurrences(s.text, b.display) === 1) out.push({ kind: 'body', sentence: s, answer: b.display, at: b.at, body: b });
  return out;
}

function distractorsFor(t: Target, facts: CorpusFacts, rng: Rng): string[] {
  if (t.figure) return figureDistractors(t.figure, facts, rng);
  if (t.place) return placeDistractors(t.place, facts, rng);
  if (t.docNumber) return docNumberDistractors(t.docNumber, facts, rng);
  if (t.body) return bodyDistractors(t.body, facts, rng);
  return [];
}

/** Replaces every occurrence of the answer with the blank (a document number may be repeated). */
function blankOut(text: string, t: Target): { text: string; at: number } {
  if (t.kind === 'docnumber' || (t.figure && figureRepeats(t.figure) > 1)) {
    const first = text.indexOf(t.answer);
    return { text: text.split(t.answer).join(BLANK), at: first };
  }
  return { text: `${text.slice(0, t.at)}${BLANK}${text.slice(t.at + t.answer.length)}`, at: t.at };
}

function fitStem(lang: Language, key: string, source: string, passageText: string, focusAt: number, focusLen: number): string {
  const overhead = tt(lang, key, { source, passage: '' }).length;
  const room = Math.max(80, POLL_QUESTION_MAX - overhead);
  const passage = windowAround(passageText, focusAt, focusAt + focusLen, room);
  const text = tt(lang, key, { source, passage });
  return text.length > POLL_QUESTION_MAX ? cutWords(text, POLL_QUESTION_MAX) : text;
}

function questionId(kind: QuestionKind, t: Target): string {
  return `q${fnv1a(`${kind}|${t.sentence.key}|${t.answer}`).toString(36)}`;
}

/**
 * The stem names its source ("Báo cáo số 381-BC/TU (Tỉnh ủy Kon Tum, …)"); when that would give
 * the answer away (a question about Kon Tum or Đức Thọ), a label without the issuer is used.
 */
function sourceFor(t: Target): string {
  const label = shortLabel(t.sentence.doc);
  if (t.kind === 'figure' || !fold(label).includes(fold(t.answer))) return label;
  return neutralLabel(t.sentence.doc);
}

function leaksInSource(t: Target): boolean {
  return t.kind !== 'figure' && fold(sourceFor(t)).includes(fold(t.answer));
}

function buildChoice(t: Target, facts: CorpusFacts, snapshot: IndexSnapshot, rng: Rng, lang: Language): QuizQuestion | undefined {
  if (leaksInSource(t)) return undefined;
  const wrong = distractorsFor(t, facts, rng).filter((w) => w.length <= POLL_OPTION_MAX);
  if (wrong.length < MIN_OPTIONS - 1 || t.answer.length > POLL_OPTION_MAX) return undefined;
  const options = shuffle([t.answer, ...wrong], rng);
  const answer = options.indexOf(t.answer);
  const source = sourceFor(t);
  const blanked = blankOut(t.sentence.text, t);
  const text = fitStem(lang, `quiz.${t.kind}`, source, blanked.text, blanked.at, BLANK.length);
  const citation = citationFor(t.sentence.chunk, snapshot, t.sentence.text);
  return {
    id: questionId(t.kind, t),
    kind: t.kind,
    text,
    options,
    answer,
    explanation: tt(lang, 'quiz.explain', { answer: t.answer, source, section: citation.section, quote: t.sentence.text }),
    citation,
    evidence: t.answer,
    source,
    sentenceKey: t.sentence.key,
    ...(t.figure ? { figureKind: t.figure.kind } : {}),
  };
}

function buildTrueFalse(t: Target, facts: CorpusFacts, snapshot: IndexSnapshot, rng: Rng, lang: Language): QuizQuestion | undefined {
  if ((t.kind !== 'figure' && t.kind !== 'place') || leaksInSource(t)) return undefined;
  // Swapping one of two equal figures would make a half-true statement.
  if (t.figure && figureRepeats(t.figure) !== 1) return undefined;
  const truthful = rng() < 0.5;
  const fake = truthful ? undefined : distractorsFor(t, facts, rng)[0];
  if (!truthful && !fake) return undefined;
  const s = t.sentence.text;
  const statementFull = fake ? `${s.slice(0, t.at)}${fake}${s.slice(t.at + t.answer.length)}` : s;
  const source = sourceFor(t);
  const passage = fitStem(lang, 'quiz.truefalse', source, statementFull, t.at, (fake ?? t.answer).length);
  const options = [tt(lang, 'quiz.optionTrue'), tt(lang, 'quiz.optionFalse')];
  const citation = citationFor(t.sentence.chunk, snapshot, s);
  return {
    id: questionId('truefalse', t),
    kind: 'truefalse',
    text: passage,
    options,
    answer: truthful ? 0 : 1,
    explanation: truthful
      ? tt(lang, 'quiz.explainTrue', { source, section: citation.section, quote: s })
      : tt(lang, 'quiz.explainFalse', { truth: t.answer, fake: fake ?? '', source, section: citation.section, quote: s }),
    citation,
    evidence: t.answer,
    source,
    sentenceKey: t.sentence.key,
    statement: statementFull,
    statementTrue: truthful,
    ...(t.figure ? { figureKind: t.figure.kind } : {}),
  };
}

/** The order kinds come in, so a round mixes teaching points, figures, names and documents. */
const KIND_CYCLE: readonly (QuestionKind | 'entity')[] = ['item', 'figure', 'source', 'compare', 'item', 'truefalse', 'signer', 'figure', 'item', 'entity', 'issuer', 'year'];
const ENTITY_KINDS: readonly QuestionKind[] = ['place', 'docnumber', 'body'];
const ALL_KINDS: readonly QuestionKind[] = ['item', 'figure', 'source', 'compare', 'truefalse', 'signer', 'issuer', 'year', 'place', 'docnumber', 'body'];

export function generateQuiz(snapshot: IndexSnapshot, options: QuizOptions = {}): QuizResult {
  const lang = options.lang ?? 'vi';
  const count = Math.max(1, Math.min(50, options.count ?? 5));
  const seed = options.seed ?? 1;
  // "/kiemtra bài học Hà Sơn": the kind words pick the kinds, the rest is the topic.
  const parsedTopic = parseQuizTopic(options.topic ?? '');
  const topic = parsedTopic.topic;
  const scope = resolveScope(snapshot, topic);
  if (!scope) return { questions: [], scope: undefined, available: 0 };
  const facts = corpusFacts(snapshot);
  const excluded = new Set(options.exclude ?? []);
  const chosenKinds = options.kinds?.length ? options.kinds : parsedTopic.kinds;
  const allowed = new Set<QuestionKind>(chosenKinds.length ? chosenKinds : ALL_KINDS);

  const sentences = facts.sentences.filter((s) => s.quizable && inScope(scope, s) && !excluded.has(s.key));
  const rng = seededRng(`${seed}|${topic}`);
  const order = shuffle(sentences, rng);
  const targets = new Map(order.map((s) => [s.key, targetsOf(s, facts)]));
  const used = new Set<string>();
  const questions: QuizQuestion[] = [];
  let entityTurn = 0;
  const teaching = new Map<QuestionKind, Iterator<QuizQuestion> | undefined>();

  const tryBuild = (kind: QuestionKind, s: SentenceRec): QuizQuestion | undefined => {
    const ts = targets.get(s.key) ?? [];
    // One rng per (seed, sentence, kind): a question does not change when other questions do.
    const local = seededRng(`${seed}|${s.key}|${kind}`);
    const pool = kind === 'truefalse' ? ts.filter((t) => t.kind === 'figure' || t.kind === 'place') : ts.filter((t) => t.kind === kind);
    for (const t of shuffle(pool, local)) {
      const q = kind === 'truefalse' ? buildTrueFalse(t, facts, snapshot, local, lang) : buildChoice(t, facts, snapshot, local, lang);
      if (q && !excluded.has(q.id)) return q;
    }
    return undefined;
  };

  const nextTeaching = (kind: QuestionKind): QuizQuestion | undefined => {
    if (!teaching.has(kind)) teaching.set(kind, teachingQuestions(snapshot, scope, kind, `${seed}|${topic}`, lang));
    const it = teaching.get(kind);
    if (!it) return undefined;
    for (let r = it.next(); !r.done; r = it.next()) {
      const q = r.value;
      if (!excluded.has(q.id) && !excluded.has(q.sentenceKey) && !used.has(q.sentenceKey)) return q;
    }
    return undefined;
  };

  const pick = (kinds: readonly QuestionKind[]): QuizQuestion | undefined => {
    for (const kind of kinds) {
      if (!allowed.has(kind) || !TEACHING_KINDS.includes(kind)) continue;
      const q = nextTeaching(kind);
      if (q) return q;
    }
    const clozeKinds = kinds.filter((k) => allowed.has(k) && !TEACHING_KINDS.includes(k));
    if (!clozeKinds.length) return undefined;
    for (const s of order) {
      if (used.has(s.key)) continue;
      for (const kind of clozeKinds) {
        const q = tryBuild(kind, s);
        if (q) return q;
      }
    }
    return undefined;
  };

  for (let slot = 0; questions.length < count && slot < count * 4 + KIND_CYCLE.length; slot++) {
    const want = KIND_CYCLE[slot % KIND_CYCLE.length]!;
    let kinds: QuestionKind[];
    if (want === 'entity') {
      kinds = [...ENTITY_KINDS.slice(entityTurn % 3), ...ENTITY_KINDS.slice(0, entityTurn % 3)];
      entityTurn++;
    } else kinds = [want];
    let q = pick(kinds);
    // Fall back to any allowed kind rather than stop: a small topic may only have figures.
    q ??= pick(ALL_KINDS);
    if (!q) break;
    used.add(q.sentenceKey);
    questions.push(q);
  }
  return { questions, scope, available: sentences.length };
}
