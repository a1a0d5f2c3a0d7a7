import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { cardCitation, splitSigner } from '../answer/documentDetails.js';
import { citationFor } from '../answer/extractive.js';
import { itemsOf } from '../answer/lists.js';
import type { Language } from '../answer/types.js';
import { fold } from '../ingest/normalize.js';
import { displayDate } from '../ingest/structure.js';
import type { Chunk, ParsedDocument } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import { fnv1a } from '../index/hash.js';
import { corpusFacts, shortLabel, type FigureFact, type SentenceRec } from './facts.js';
import { tt } from './messages.js';
import { seededRng, shuffle, type Rng } from './random.js';
import { inScope, type Scope } from './scope.js';
import { bulletSpans, sectionRole } from './summary.js';
import type { QuestionKind, QuizQuestion, SectionRole } from './types.js';

/**
 * Questions on what the reports teach rather than on a blanked word: which of these is a lesson
 * (cause, recommendation, limitation, task) named in a report — the right option an item of that
 * section, the wrong ones items of other sections or reports; which report said something; which
 * body issued a report and who signed it (from the document card); which of two or more
 * localities named in one sentence has the higher ratio. Each question cites where its answer is.
 */

export const POLL_QUESTION_MAX = 300;
export const POLL_OPTION_MAX = 100;
const OPTIONS_WANTED = 4;
const MIN_ITEM_CHARS = 25;
const MAX_ITEM_SOURCE_CHARS = 220;

const QuizKindsFile = z.object({
  kindWords: z.object({ teach: z.array(z.string()), figures: z.array(z.string()), documents: z.array(z.string()), compare: z.array(z.string()) }),
  roleNames: z.object({ lessons: z.string(), causes: z.string(), recommendations: z.string(), limits: z.string(), tasks: z.string() }),
});
type QuizKindsLexicon = z.infer<typeof QuizKindsFile>;
let lexiconCache: QuizKindsLexicon | undefined;

function quizKindsLexicon(): QuizKindsLexicon {
  lexiconCache ??= QuizKindsFile.parse(JSON.parse(readFileSync(fileURLToPath(new URL('../../lexicon/quiz-kinds.json', import.meta.url)), 'utf8')));
  return lexiconCache;
}

const KIND_GROUPS: Record<keyof QuizKindsLexicon['kindWords'], QuestionKind[]> = {
  teach: ['item'],
  figures: ['figure', 'compare', 'truefalse'],
  documents: ['source', 'issuer', 'signer', 'year', 'docnumber', 'body'],
  compare: ['compare'],
};

/** "/kiemtra bài học Hà Sơn" → kinds ["item"], topic "Hà Sơn"; a topic without a kind word is left as is. */
export function parseQuizTopic(raw: string): { topic: string; kinds: QuestionKind[] } {
  const text = raw.trim();
  const folded = fold(text);
  let best: { words: string; kinds: QuestionKind[] } | undefined;
  for (const [group, phrases] of Object.entries(quizKindsLexicon().kindWords) as [keyof QuizKindsLexicon['kindWords'], string[]][]) {
    for (const p of phrases) {
      if ((folded === p || folded.startsWith(`${p} `)) && (!best || p.length > best.words.length)) best = { words: p, kinds: KIND_GROUPS[group] };
    }
  }
  if (!best) return { topic: text, kinds: [] };
  // Folding keeps one character per character, so the cut applies to the text as typed.
  return { topic: text.slice(best.words.length).trim(), kinds: best.kinds };
}

/** Cuts at a word boundary with "…" so no word is broken. */
export function cutWords(text: string, max: number): string {
  const t = text.trim().replace(/[\s,;:]+$/, '');
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${cut.slice(0, space > max * 0.5 ? space : max - 1).replace(/[\s,;:–-]+$/, '')}…`;
}

/** The option as it appears in the source, without the "…" of a cut. */
export function optionEvidence(option: string): string {
  return option.replace(/…$/, '').replace(/^…/, '').trim();
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

type TeachRole = Exclude<SectionRole, 'body'>;

interface Item {
  doc: ParsedDocument;
  chunk: Chunk;
  /** The sentence the item is part of: the quote of the citation. */
  sentence: string;
  option: string;
  role: SectionRole;
  /** Section path key: items of one section are never each other's distractors. */
  section: string;
}

const itemCache = new WeakMap<IndexSnapshot, Item[]>();

/** Items of every body section of the corpus (an enumeration's items, a bullet point, a sentence). */
function corpusItems(snapshot: IndexSnapshot): Item[] {
  const cached = itemCache.get(snapshot);
  if (cached) return cached;
  const out: Item[] = [];
  for (const doc of snapshot.documents) {
    for (const chunk of doc.chunks) {
      if (chunk.metadata.kind !== 'body' || !chunk.metadata.sectionPath.length) continue;
      const role = sectionRole(chunk.metadata.sectionPath);
      for (const span of bulletSpans(chunk.text)) {
        const sentence = chunk.text.slice(span.start, span.end);
        if (sentence.length > 900) continue;
        for (const raw of itemsOf(sentence)) {
          const item = raw.replace(/^\(\d+\)\s*/, '').replace(/[.;:,\s]+$/, '').trim();
          // Lead-ins ("… những bài học sau:") and fragments are not items; long passages are not options.
          if (item.length < MIN_ITEM_CHARS || item.length > MAX_ITEM_SOURCE_CHARS || /:\s*$/.test(raw)) continue;
          if (!/\p{L}{2,}/u.test(item) || /^\d/.test(item)) continue;
          out.push({ doc, chunk, sentence, option: capitalise(cutWords(item, POLL_OPTION_MAX)), role, section: chunk.metadata.sectionPath.join(' › ') });
        }
      }
    }
  }
  itemCache.set(snapshot, out);
  return out;
}

function questionId(kind: QuestionKind, key: string): string {
  return `q${fnv1a(`${kind}|${key}`).toString(36)}`;
}

function assemble(
  kind: QuestionKind,
  key: string,
  text: string,
  answer: string,
  wrong: readonly string[],
  rng: Rng,
  meta: { explanation: string; citation: QuizQuestion['citation']; source: string },
): QuizQuestion | undefined {
  if (wrong.length < 2 || text.length > POLL_QUESTION_MAX || answer.length > POLL_OPTION_MAX) return undefined;
  const options = shuffle([answer, ...wrong.slice(0, OPTIONS_WANTED - 1)], rng);
  return {
    id: questionId(kind, key),
    kind,
    text,
    options,
    answer: options.indexOf(answer),
    explanation: meta.explanation,
    citation: meta.citation,
    evidence: optionEvidence(answer),
    source: meta.source,
    sentenceKey: key,
  };
}

/** "Theo báo cáo X, đâu là một bài học kinh nghiệm được nêu?" */
function* itemQuestions(snapshot: IndexSnapshot, scope: Scope, seed: string, lang: Language): Generator<QuizQuestion> {
  const items = corpusItems(snapshot);
  const roleNames = quizKindsLexicon().roleNames;
  const rng = seededRng(`${seed}|items`);
  const shuffled = shuffle(items.filter((i) => i.role !== 'body' && (scope.kind === 'all' || scope.documents.has(i.doc.meta.id) || scope.chunkIds.has(i.chunk.id))), rng);
  // One item of each section before a second of any: a round visits lessons, causes and tasks alike.
  const bySection = new Map<string, Item[]>();
  for (const i of shuffled) bySection.set(i.section, [...(bySection.get(i.section) ?? []), i]);
  const answers: Item[] = [];
  for (let k = 0; answers.length < shuffled.length; k++) for (const list of bySection.values()) if (list[k]) answers.push(list[k]!);
  for (const item of answers) {
    const local = seededRng(`${seed}|${item.chunk.id}|${item.option}`);
    // What the section says, folded, so a distractor that it also names is never offered.
    const sectionText = fold(item.doc.chunks.filter((c) => c.metadata.sectionPath.join(' › ') === item.section).map((c) => c.text).join(' '));
    const sameDocOther = items.filter((o) => o.doc === item.doc && o.role !== item.role && o.section !== item.section);
    const otherDocs = items.filter((o) => o.doc !== item.doc && o.role !== item.role);
    const near = (o: Item) => o.option.length >= item.option.length * 0.4 && o.option.length <= item.option.length * 2.5;
    const wrong: string[] = [];
    const seen = new Set([fold(item.option)]);
    for (const o of [...shuffle(sameDocOther.filter(near), local), ...shuffle(otherDocs.filter(near), local)]) {
      if (wrong.length >= OPTIONS_WANTED - 1) break;
      const f = fold(o.option);
      if (seen.has(f) || sectionText.includes(fold(optionEvidence(o.option)))) continue;
      seen.add(f);
      wrong.push(o.option);
    }
    const source = shortLabel(item.doc);
    const citation = citationFor(item.chunk, snapshot, item.sentence);
    const role = roleNames[item.role as TeachRole];
    const text = tt(lang, 'quiz.item', { source, role, section: cutWords(item.chunk.metadata.sectionPath.at(-1) ?? '', 70) });
    const q = assemble('item', `${item.chunk.id}|${item.option}`, text, item.option, wrong, local, {
      source,
      citation,
      explanation: tt(lang, 'quiz.explainItem', { answer: item.option, role, source, section: citation.section, quote: item.sentence }),
    });
    if (q) yield q;
  }
}

function docLabel(doc: ParsedDocument): string {
  return cutWords(shortLabel(doc), POLL_OPTION_MAX);
}

/** "Câu sau được nêu trong văn bản nào?" — about a quizable sentence with a figure or a teaching point. */
function* sourceQuestions(snapshot: IndexSnapshot, scope: Scope, seed: string, lang: Language): Generator<QuizQuestion> {
  const facts = corpusFacts(snapshot);
  const rng = seededRng(`${seed}|source`);
  const withFigure = new Set(facts.figures.filter((f) => f.indicator).map((f) => f.sentence.key));
  const docs = snapshot.documents;
  const candidates = shuffle(facts.sentences.filter((s) => s.quizable && withFigure.has(s.key) && s.text.length <= 220 && inScope(scope, s)), rng);
  for (const s of candidates) {
    const local = seededRng(`${seed}|${s.key}|source`);
    const others = shuffle(docs.filter((d) => d !== s.doc), local).slice(0, OPTIONS_WANTED - 1);
    const all = [s.doc, ...others];
    // A sentence that names one option's place or number gives the answer away.
    const leaks = all.some((d) => [d.meta.place, d.meta.number, d.meta.issuer].some((v) => v && s.folded.includes(fold(v))));
    if (leaks) continue;
    const labels = others.map(docLabel);
    const answer = docLabel(s.doc);
    if (new Set([answer, ...labels]).size !== labels.length + 1) continue;
    const citation = citationFor(s.chunk, snapshot, s.text);
    const text = tt(lang, 'quiz.source', { passage: cutWords(s.text, POLL_QUESTION_MAX - tt(lang, 'quiz.source', { passage: '' }).length) });
    const q = assemble('source', s.key, text, answer, labels, local, {
      source: answer,
      citation,
      explanation: tt(lang, 'quiz.explainSource', { answer, section: citation.section, quote: s.text }),
    });
    // The passage is the evidence: the right option is the document that contains it.
    if (q) yield { ...q, evidence: s.text };
  }
}

/** "Văn bản số X do cơ quan nào ban hành?" and "Ai ký văn bản số X?" — from the document card. */
function* cardQuestions(snapshot: IndexSnapshot, scope: Scope, kind: 'issuer' | 'signer' | 'year', seed: string, lang: Language): Generator<QuizQuestion> {
  const valueOf = (d: ParsedDocument): string | undefined =>
    kind === 'issuer' ? d.meta.issuer : kind === 'year' ? /^\d{4}/.exec(d.meta.date ?? '')?.[0] : d.meta.signer ? splitSigner(d.meta.signer).name : undefined;
  const rng = seededRng(`${seed}|${kind}`);
  const docs = shuffle(snapshot.documents.filter((d) => scope.kind === 'all' || scope.documents.has(d.meta.id)), rng);
  for (const doc of docs) {
    const answer = valueOf(doc);
    if (!answer || !doc.meta.number || answer.length > POLL_OPTION_MAX) continue;
    const local = seededRng(`${seed}|${doc.meta.id}|${kind}`);
    const wrong = shuffle([...new Set(snapshot.documents.map(valueOf).filter((v): v is string => Boolean(v) && fold(v!) !== fold(answer)))], local);
    // Years: neighbouring years fill in where the corpus has few others.
    for (let d = 1; kind === 'year' && wrong.length < OPTIONS_WANTED - 1 && d <= 3; d++) for (const y of [Number(answer) - d, Number(answer) + d]) if (!wrong.includes(String(y))) wrong.push(String(y));
    const label = `${doc.meta.docType ?? tt(lang, 'quiz.documentWord')} số ${doc.meta.number}`;
    const heading = cutWords(doc.meta.heading || doc.meta.title, 140);
    // The issuer's place in the heading would give the issuer away.
    if (kind === 'issuer' && doc.meta.place && fold(heading).includes(fold(doc.meta.place))) continue;
    // A heading ending in the year ("giai đoạn 2020 - 2022") says when the report was written.
    if (kind === 'year' && heading.includes(answer)) continue;
    const role = kind === 'signer' ? (doc.meta.signerTitle ?? (doc.meta.signer ? splitSigner(doc.meta.signer).role : '')) : '';
    const quote = kind === 'signer' ? [role, answer].filter(Boolean).join(', ') : kind === 'year' ? `${label}, ${displayDate(doc.meta.date)}` : `${answer} — ${label}`;
    const citation = cardCitation(doc, quote, lang);
    const text = cutWords(tt(lang, `quiz.${kind}`, { label, heading }), POLL_QUESTION_MAX);
    const q = assemble(kind, `${doc.meta.id}|${kind}`, text, answer, wrong, local, {
      source: shortLabel(doc),
      citation,
      explanation: tt(lang, `quiz.explain.${kind}`, { answer, label, role: role ? ` (${role})` : '' }),
    });
    if (q) yield q;
  }
}

function ratioOf(f: FigureFact): number {
  return f.denominator ? f.value / f.denominator : f.value;
}

/** "Trong các đơn vị sau, nơi nào có tỷ lệ … cao nhất?" — places named with figures of one indicator in one sentence. */
function* compareQuestions(snapshot: IndexSnapshot, scope: Scope, seed: string, lang: Language): Generator<QuizQuestion> {
  const facts = corpusFacts(snapshot);
  const bySentence = new Map<string, FigureFact[]>();
  for (const f of facts.figures) {
    // "huyện Thạch Lũng 12/18, huyện Kim Khê 09/16 … xã": listed ratios carry the unit once, at the end.
    if (!f.place || (f.measure !== 'ratio' && f.measure !== 'percent')) continue;
    bySentence.set(f.sentence.key, [...(bySentence.get(f.sentence.key) ?? []), f]);
  }
  const rng = seededRng(`${seed}|compare`);
  for (const [key, figures] of shuffle([...bySentence.entries()], rng)) {
    const s: SentenceRec = figures[0]!.sentence;
    if (!inScope(scope, s)) continue;
    const measure = `${figures[0]!.measure}|${figures[0]!.status}`;
    const byPlace = new Map<string, FigureFact>();
    for (const f of figures) if (`${f.measure}|${f.status}` === measure && !byPlace.has(f.place!)) byPlace.set(f.place!, f);
    const unit = figures.find((f) => f.unit && f.unit !== '%')?.unit ?? '';
    if (byPlace.size < 3) continue;
    const local = seededRng(`${seed}|${key}|compare`);
    const chosen = shuffle([...byPlace.values()], local).slice(0, OPTIONS_WANTED);
    const ratios = chosen.map(ratioOf);
    const max = Math.max(...ratios);
    if (ratios.filter((r) => r === max).length !== 1) continue;
    const best = chosen[ratios.indexOf(max)]!;
    const display = (f: FigureFact) => facts.placeDisplay.get(f.place!) ?? f.place!;
    const answer = display(best);
    const wrong = chosen.filter((f) => f !== best).map(display);
    if (new Set([answer, ...wrong]).size !== chosen.length) continue;
    const source = shortLabel(s.doc);
    const citation = citationFor(s.chunk, snapshot, s.text);
    const what = cutWords(`${unit}${s.chunk.metadata.sectionPath.length ? ` (${s.chunk.metadata.sectionPath.at(-1)})` : ''}`, 150);
    const text = cutWords(tt(lang, 'quiz.compare', { source, what }), POLL_QUESTION_MAX);
    const q = assemble('compare', key, text, answer, wrong, local, {
      source,
      citation,
      explanation: tt(lang, 'quiz.explainCompare', { answer, figure: best.raw, source, section: citation.section, quote: s.text }),
    });
    if (q) yield q;
  }
}

/** Candidate questions of one teaching kind, in a seeded order; the caller takes what it needs. */
export function teachingQuestions(snapshot: IndexSnapshot, scope: Scope, kind: QuestionKind, seed: string, lang: Language): Iterator<QuizQuestion> | undefined {
  switch (kind) {
    case 'item':
      return itemQuestions(snapshot, scope, seed, lang);
    case 'source':
      return sourceQuestions(snapshot, scope, seed, lang);
    case 'issuer':
    case 'signer':
    case 'year':
      return cardQuestions(snapshot, scope, kind, seed, lang);
    case 'compare':
      return compareQuestions(snapshot, scope, seed, lang);
    default:
      return undefined;
  }
}

export const TEACHING_KINDS: readonly QuestionKind[] = ['item', 'source', 'issuer', 'signer', 'year', 'compare'];
