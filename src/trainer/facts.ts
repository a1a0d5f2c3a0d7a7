import { fold } from '../ingest/normalize.js';
import { displayDate } from '../ingest/structure.js';
import {
  chunkFacts,
  documentYear,
  figureKind,
  numberValue,
  PlaceMatcher,
  sentenceFigureFacts as typedFigures,
  type FigureFact as StoredFigure,
  type FigureMeasure,
  type FigureStatus,
  type SentenceFacts,
} from '../ingest/facts.js';
import type { Chunk, ParsedDocument } from '../ingest/types.js';
import type { IndexSnapshot } from '../index/store.js';
import type { PlaceLevel } from '../ingest/places.js';

export type { PlaceLevel, FigureMeasure, FigureStatus };
export { figureKind, numberValue };

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

/**
 * A figure of the shared fact store (src/ingest/facts.ts), with the sentence it stands in: only
 * figures that count something (no labels, list markers or durations) are quizzed and compared.
 */
export interface FigureFact extends StoredFigure {
  sentence: SentenceRec;
}

/** The counted figures of a sentence the trainer split itself (summaries), typed by the shared extractor. */
export function sentenceFigureFacts(sentence: SentenceRec): FigureFact[] {
  const docYear = documentYear(sentence.doc);
  return typedFigures(sentence.text, { chunk: sentence.chunk, ...(docYear !== undefined ? { docYear } : {}) })
    .filter(quizFigure)
    .map((f) => ({ ...f, sentence }));
}

function quizFigure(f: StoredFigure): boolean {
  return f.counted && !f.duration;
}

/** The same figure whatever its spelling ("76,28%" = "76.28 %"): used to keep options distinct. */
export function figureIdentity(raw: string): string {
  const s = raw.trim();
  if (s.includes('/')) return s.split('/').map((p) => String(numberValue(p))).join('/');
  return `${numberValue(s)}${s.endsWith('%') ? '%' : ''}`;
}

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

// ---------------------------------------------------------------------------------------------

const cache = new WeakMap<IndexSnapshot, CorpusFacts>();

/** The stored facts of a chunk; a chunk the store lacks (a snapshot assembled by hand) is read now. */
function storedSentences(snapshot: IndexSnapshot, doc: ParsedDocument, chunk: Chunk, matcher: () => PlaceMatcher): readonly SentenceFacts[] {
  const stored = snapshot.facts.sentences(chunk.id);
  return stored.length || !chunk.text.trim() ? stored : chunkFacts(chunk, documentYear(doc), matcher());
}

export function corpusFacts(snapshot: IndexSnapshot): CorpusFacts {
  const cached = cache.get(snapshot);
  if (cached) return cached;
  const sentences: SentenceRec[] = [];
  const figures: FigureFact[] = [];
  const places: PlaceFact[] = [];
  const placeLevels = new Map<string, Set<PlaceLevel>>();
  const placeDisplay = new Map<string, string>();
  let matcher: PlaceMatcher | undefined;
  const lazyMatcher = () => (matcher ??= new PlaceMatcher([...snapshot.names.places]));
  for (const doc of snapshot.documents) {
    for (const chunk of doc.chunks) {
      for (const sf of storedSentences(snapshot, doc, chunk, lazyMatcher)) {
        const text = chunk.text.slice(sf.start, sf.end);
        const rec: SentenceRec = { chunk, doc, text, start: sf.start, key: `${chunk.id}@${sf.start}`, folded: fold(text), quizable: isQuizable(text, chunk) };
        sentences.push(rec);
        for (const f of sf.figures) if (quizFigure(f)) figures.push({ ...f, sentence: rec });
        for (const p of sf.places) {
          if (p.level) {
            const set = placeLevels.get(p.folded) ?? new Set<PlaceLevel>();
            set.add(p.level);
            placeLevels.set(p.folded, set);
          }
          if (!placeDisplay.has(p.folded)) placeDisplay.set(p.folded, p.display);
          places.push({ sentence: rec, display: p.display, folded: p.folded, at: p.at, ...(p.level ? { level: p.level } : {}) });
        }
      }
    }
  }
  // A name without a marker takes its level from elsewhere when that is unambiguous.
  for (const p of places) {
    if (p.level) continue;
    const levels = placeLevels.get(p.folded);
    if (levels?.size === 1) p.level = [...levels][0];
  }
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
