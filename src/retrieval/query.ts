import { fold, hasVietnameseMarks, normalizeText } from '../ingest/normalize.js';
import { BIGRAM_JOINER, syllables, wordTokens, type WordToken } from '../index/tokenizer.js';
import type { NameIndex } from '../index/names.js';
import type { TermStats } from '../index/termStats.js';
import type { Language } from '../answer/types.js';
import { lexicon } from './lexicon.js';
import { placeMarkers, type PlaceLevel } from '../ingest/places.js';
import { typesNamedIn } from '../ingest/documentTypes.js';
import { documentFieldOf, intentCues, matchesAny, type DocumentField } from './intents.js';

/**
 * Query understanding: language, intent, the concepts a passage must cover, expansions
 * (abbreviations both ways, the English glossary), typo-tolerant recognition of the corpus's
 * place names, and names the corpus has never heard of (for the entity guard).
 */

export type Intent = 'count' | 'who' | 'docnumber' | 'list' | 'why' | 'what' | 'when' | 'general';

export interface EntityMention {
  /** As the user wrote it (or as corrected from a typo). */
  text: string;
  folded: string;
  kind: 'place' | 'name' | 'document';
  /** The administrative level the question's marker gives it ("tỉnh Hà Sơn" → province), when one stands before it. */
  level?: PlaceLevel;
  known: boolean;
}

/** One idea of the question; a passage covers it through any one alternative. */
export interface ConceptGroup {
  label: string;
  /** The thing asked for ("nguyên nhân", "weaknesses"), as opposed to the topic around it. */
  focus?: boolean;
  /** Each alternative is a list of index terms (syllables or bigrams) that must all be present. */
  alternatives: string[][];
  weight: number;
}

export interface AnalyzedQuery {
  raw: string;
  normalized: string;
  language: Language;
  intent: Intent;
  wantsFigure: boolean;
  injection: boolean;
  /** Folded syllables of the (translated, corrected) question. */
  tokens: string[];
  contentTokens: string[];
  groups: ConceptGroup[];
  searchTerms: string[];
  termBoost: Map<string, number>;
  vectorText: string;
  entities: EntityMention[];
  unknownEntities: EntityMention[];
  /** Folded words that name what is counted ("xa", "dang vien"), from around "bao nhiêu". */
  unitTokens: string[];
  /** The document detail asked for ("ai ký báo cáo …", "ban hành ngày nào"), answered from the document's card. */
  documentField?: DocumentField;
  /** "… đã … chưa?", "có … không?": answered "Có"/"Chưa" with the figure behind it. */
  yesNo: boolean;
  /** What the figure should be: a target ("phấn đấu", "by 2025"), the current state ("hiện nay"), a percentage, the new value of a change. */
  figureWish: FigureWish;
  /** Years named in the question ("năm 2020", "2019"). */
  years: number[];
}

export interface FigureWish {
  target: boolean;
  now: boolean;
  percent: boolean;
  changeTo: boolean;
  /** "giảm bao nhiêu": the size of the change. */
  changeBy: boolean;
}

export interface QueryContext {
  names: NameIndex;
  termStats: TermStats;
  /** Folded document numbers of the corpus ("381-bc/tu"). */
  documentNumbers: Set<string>;
}

// The query analyser's markers: folded-safe ones that can stand before an unknown name in a question
// (villages left out: "thôn", "ấp" rarely front a place the corpus must know).
const PLACE_MARKER_DEFS = placeMarkers().filter((m) => m.foldedSafe && m.level !== 'village' && m.words.join(' ') !== 'tp.');
const PLACE_MARKERS = PLACE_MARKER_DEFS.map((m) => m.words);

const markerWords = new Set(PLACE_MARKERS.flat());
/** First words of institutions ("Ban", "Bộ", "Tỉnh ủy"…): a capitalised run starting so is not a proper name. */
const INSTITUTION = new Set(['ban', 'bo', 'uy', 'tinh', 'huyen', 'dang', 'hoi', 'so', 'phong', 'trung', 'mat', 'chi', 'van', 'thuong', 'cong', 'nghi', 'ke', 'quyet', 'chuong', 'huong', 'ket', 'bao', 'to', 'chinh', 'quoc', 'nha', 'thu', 'chu', 'pho', 'bi']);

let glossaryWordsCache: Set<string> | undefined;
function glossaryWordSet(): Set<string> {
  glossaryWordsCache ??= new Set(lexicon().glossary.flatMap((g) => g.english));
  return glossaryWordsCache;
}

// Questions write numbers loosely ("53-kh/tu", "28 - CT/TW"): looser than the documents' own pattern (ingest/documentTypes.ts).
const DOC_NUMBER_RE = /\b\d{1,5}\s*[-/]\s*[A-ZĐa-zđ]{1,10}(?:\s*[-/]\s*[A-ZĐa-zđ0-9]{1,10}){0,3}\b/gu;

function isStopToken(t: string, language: Language): boolean {
  const lx = lexicon();
  return language === 'en' ? lx.stopwordsEn.has(t) : lx.stopwordsViFolded.has(t);
}

/**
 * Marks stop words and stop phrases ("bao nhiêu", "là gì"). With diacritics typed, matching is
 * on the accented form, so "bí thư" is content while "bị" is not; without diacritics only the
 * folded forms that cannot be a content word count.
 */
function stopMask(words: readonly WordToken[], accented: boolean): boolean[] {
  const lx = lexicon();
  const key = (w: WordToken) => (accented ? w.surface : w.folded);
  const single = accented ? lx.stopwordsVi : lx.stopwordsViFolded;
  const phrases = accented ? lx.stopPhrasesVi : lx.stopPhrasesViFolded;
  const mask = words.map((w) => single.has(key(w)));
  for (let i = 0; i < words.length; i++) {
    for (const phrase of phrases) {
      if (phrase.every((p, k) => words[i + k] !== undefined && key(words[i + k]!) === p)) {
        for (let k = 0; k < phrase.length; k++) mask[i + k] = true;
        break;
      }
    }
  }
  return mask;
}

const placeIndexCache = new WeakMap<NameIndex, Map<string, string[]>>();

function placesByInitial(names: NameIndex): Map<string, string[]> {
  let m = placeIndexCache.get(names);
  if (!m) {
    m = new Map();
    for (const p of names.places) m.set(p[0]!, [...(m.get(p[0]!) ?? []), p]);
    placeIndexCache.set(names, m);
  }
  return m;
}

function editDistanceAtMost1(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

export function detectLanguage(text: string): Language {
  if (hasVietnameseMarks(text)) return 'vi';
  const words = text.toLowerCase().match(/[a-z']+/g) ?? [];
  if (!words.length) return 'vi';
  const lx = lexicon();
  const en = words.filter((w) => lx.stopwordsEn.has(w.replace(/'s$/, '')) && !lx.stopwordsViFolded.has(w)).length;
  const glossaryHits = words.filter((w) => lx.glossary.some((g) => g.english.length === 1 && g.english[0] === w.replace(/'s$/, ''))).length;
  return en >= 2 || (en >= 1 && glossaryHits >= 1) || en / words.length >= 0.3 ? 'en' : 'vi';
}

function detectIntent(folded: string, language: Language): { intent: Intent; wantsFigure: boolean } {
  const f = folded;
  if (/\bso (may|bao nhieu|nao|gi|hieu)\b/.test(f) && /\b(ke hoach|nghi quyet|quyet dinh|chi thi|huong dan|bao cao|cong van|ket luan|chuong trinh|to trinh|thong bao|de an|van ban)\b/.test(f))
    return { intent: 'docnumber', wantsFigure: true };
  if (/\b(document|plan|resolution|decision|directive|report) number\b|\bwhat number\b/.test(f)) return { intent: 'docnumber', wantsFigure: true };
  if (/\b(bao nhieu|so luong|ty le|bao nhieu phan tram|dat bao nhieu|phan tram)\b|\bmay\b(?! (moc|tinh|bay))/.test(f) || /\bhow (many|much)\b|\bwhat (percentage|proportion|share|number|rate)\b|\b(number|rate|percentage|proportion|share) of\b|\bpercent/.test(f))
    return { intent: 'count', wantsFigure: true };
  if (/\b(la ai|ai la|nguoi nao|do ai)\b|^ai\b/.test(f) || (language === 'en' && /\bwho\b/.test(f))) return { intent: 'who', wantsFigure: false };
  if (/\b(khi nao|bao gio|nam nao|ngay nao|thang nao|thoi diem nao)\b/.test(f) || (language === 'en' && /\bwhen\b/.test(f)))
    return { intent: 'when', wantsFigure: true };
  if (/\b(tai sao|vi sao|nguyen nhan|ly do)\b/.test(f) || (language === 'en' && /\b(why|causes?|reasons?)\b/.test(f))) return { intent: 'why', wantsFigure: false };
  if (/\b(nhung|cac)\b.*\b(nao|gi)\b|\bgom (nhung )?(gi|ai|nao)\b|\bke ten\b|\bliet ke\b|\bnhung gi\b/.test(f) || (language === 'en' && /\b(which|list|what are|what were)\b/.test(f)))
    return { intent: 'list', wantsFigure: false };
  if (/\bla gi\b|\bnhu the nao\b|\bra sao\b|\bthe nao\b/.test(f) || (language === 'en' && /\b(what|how)\b/.test(f))) return { intent: 'what', wantsFigure: false };
  return { intent: 'general', wantsFigure: false };
}

/** Words that name what is counted: the content words right after "bao nhiêu" / "how many". */
const UNIT_END = new Set(['thuc', 'duoc', 'da', 'dang', 'se', 'lam', 'tham', 'giam', 'tang', 'dat', 'co', 've', 'cho', 'tai', 'o', 'cua', 'trong', 'theo', 'sau', 'khi', 'tu', 'den', 'nam', 'thang', 'bi', 'ket', 'tuyen', 'bau', 'tro', 'duy', 'trien', 'xay', 'nhat', 'kiem', 'dong', 'la', 'va', 'voi', 'nhu', 'tren', 'duoi']);

/**
 * The same words with their accents, for questions typed with diacritics: there "cơ" (of "cơ sở")
 * is not "có", and "đảng" (of "tổ chức đảng") is not "đang".
 */
const UNIT_END_ACCENTED = new Set(['thực', 'được', 'đã', 'đang', 'sẽ', 'làm', 'tham', 'giảm', 'tăng', 'đạt', 'có', 'về', 'cho', 'tại', 'ở', 'của', 'trong', 'theo', 'sau', 'khi', 'từ', 'đến', 'năm', 'tháng', 'bị', 'kết', 'tuyển', 'bầu', 'trở', 'duy', 'triển', 'xây', 'nhất', 'kiêm', 'đồng', 'là', 'và', 'với', 'như', 'trên', 'dưới']);

function unitAfterCountWord(tokens: readonly string[], mask: readonly boolean[], surfaces?: readonly string[]): string[] {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    // "ở tất cả các xã chưa?", "mọi thôn": a yes/no about all of a unit counts that unit (13/13 xã).
    const allOf = t === 'tat' && next === 'ca' ? (tokens[i + 2] === 'cac' ? 3 : 2) : t === 'moi' && i > 0 ? 1 : 0;
    const isCount = (t === 'bao' && next === 'nhieu') || t === 'may' || (t === 'how' && (next === 'many' || next === 'much')) || allOf > 0;
    if (!isCount) continue;
    const start = allOf ? i + allOf : t === 'may' ? i + 1 : i + 2;
    const unit: string[] = [];
    for (let j = start; j < tokens.length && unit.length < 4; j++) {
      // The counted noun ends where a verb or preposition starts ("xã, phường, thị trấn | thực hiện").
      const ends = surfaces ? UNIT_END_ACCENTED.has(surfaces[j] ?? '') : UNIT_END.has(tokens[j]!);
      if (unit.length && (mask[j] || ends)) break;
      if (!mask[j]) unit.push(tokens[j]!);
    }
    return unit;
  }
  return [];
}

interface Translation {
  /** Vietnamese phrases chosen for glossary hits, one OR-group each. */
  groups: { label: string; alternatives: string[][] }[];
  /** English words left untranslated (names, or words outside the glossary). */
  leftover: string[];
  /** Text fed to the vector embedder. */
  text: string;
}

function translateEnglish(raw: string): Translation {
  const lx = lexicon();
  const words = (raw.toLowerCase().match(/[a-z0-9]+(?:'s)?/g) ?? []).map((w) => w.replace(/'s$/, ''));
  const groups: Translation['groups'] = [];
  const leftover: string[] = [];
  const parts: string[] = [];
  for (let i = 0; i < words.length; ) {
    const entry = lx.glossary.find((g) => g.english.every((e, k) => words[i + k] === e));
    if (entry) {
      groups.push({ label: entry.english.join(' '), alternatives: entry.vietnamese.map((v) => v.tokens) });
      parts.push(entry.vietnamese.map((v) => v.text).join(' '));
      i += entry.english.length;
    } else {
      leftover.push(words[i]!);
      i++;
    }
  }
  return { groups, leftover, text: parts.join(' ') };
}

/** Capitalised runs of words as typed, with their folded tokens. */
function capitalizedRuns(raw: string): string[][] {
  const runs: string[][] = [];
  let run: string[] = [];
  for (const m of normalizeText(raw).matchAll(/[\p{L}\p{M}][\p{L}\p{M}'’]*|[^\s\p{L}\p{M}]+/gu)) {
    const w = m[0];
    if (/^\p{Lu}/u.test(w) && !/^\p{Lu}{2,}$/u.test(w)) run.push(w);
    else {
      if (run.length) runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

/**
 * Query understanding in named stages: read the question (language, intent, injection), tokenize
 * (English through the glossary), recognise the corpus's places, names and document numbers,
 * find names the corpus does not know, build the concepts a passage must cover, weigh them, mark
 * the focus, plan the search, and read what shape of answer is asked for.
 */
export function analyzeQuery(raw: string, ctx: QueryContext): AnalyzedQuery {
  const read = readQuestion(raw);
  const { words, vectorText, translation } = tokenize(read.normalized, read.language);
  const tokens = words.map((w) => w.folded);
  const d: Draft = { ...read, raw, words, tokens, translation, entities: [], unknownEntities: [], entityAt: new Array<number>(tokens.length).fill(-1) };
  recognizeKnownPlaces(d, ctx);
  recognizeKnownNames(d, ctx);
  recognizeDocumentNumbers(d, ctx);
  findUnknownNames(d, ctx);
  const concepts = buildConcepts(d, ctx);
  const groups = weighConcepts(concepts.groups, ctx);
  markFocus(d.intent, d.language, tokens, concepts.mask, concepts.covered, translation, groups);
  const plan = searchPlan(groups, d, concepts.unitTokens);
  const shape = answerShape(d);
  return {
    raw,
    normalized: d.normalized,
    language: d.language,
    intent: d.intent,
    // "đã … ở tất cả các xã chưa?", "có hoàn thành chỉ tiêu không?" are decided by a figure; "có phải là … không?" by a statement.
    wantsFigure: d.wantsFigure || (shape.yesNo && (concepts.unitTokens.length > 0 || shape.figureWish.percent)),
    ...(shape.documentField ? { documentField: shape.documentField } : {}),
    yesNo: shape.yesNo,
    figureWish: shape.figureWish,
    years: shape.years,
    injection: d.injection,
    tokens,
    contentTokens: concepts.contentTokens,
    groups,
    searchTerms: plan.searchTerms,
    termBoost: plan.termBoost,
    vectorText: [vectorText, ...plan.corrected, plan.expansionText].join(' ').trim(),
    entities: d.entities,
    unknownEntities: d.unknownEntities,
    unitTokens: concepts.unitTokens,
  };
}

/** What the stages share: the question as read and tokenized, and the entities found so far. */
interface Draft {
  raw: string;
  normalized: string;
  folded: string;
  injection: boolean;
  language: Language;
  intent: Intent;
  wantsFigure: boolean;
  accented: boolean;
  words: WordToken[];
  /** Folded tokens; place recognition writes corrected spellings back into it. */
  tokens: string[];
  translation: Translation | undefined;
  entities: EntityMention[];
  unknownEntities: EntityMention[];
  /** For each token, the index of the entity it belongs to, or -1. */
  entityAt: number[];
}

function readQuestion(raw: string): Pick<Draft, 'normalized' | 'folded' | 'injection' | 'language' | 'intent' | 'wantsFigure' | 'accented'> {
  const lx = lexicon();
  const normalized = normalizeText(raw).replace(/\s+/g, ' ').trim();
  const folded = fold(normalized).replace(/['’]/g, "'");
  const language = detectLanguage(normalized);
  const { intent, wantsFigure } = detectIntent(folded, language);
  return { normalized, folded, injection: lx.injection.some((re) => re.test(folded)), language, intent, wantsFigure, accented: hasVietnameseMarks(normalized) };
}

function tokenize(normalized: string, language: Language): { words: WordToken[]; vectorText: string; translation: Translation | undefined } {
  if (language !== 'en') return { words: wordTokens(normalized), vectorText: normalized, translation: undefined };
  const translation = translateEnglish(normalized);
  // Names stay as typed ("An Giang"); everything else comes from the glossary.
  const nameTokens = capitalizedRuns(normalized)
    .filter((r) => r.length >= 2)
    .flatMap((r) => r.map((w) => fold(w).replace(/['’]/g, '')));
  return {
    words: [...wordTokens(translation.text), ...nameTokens.map((t) => ({ surface: t, folded: t }))],
    vectorText: `${translation.text} ${nameTokens.join(' ')}`,
    translation,
  };
}

function recognizeKnownPlaces(d: Draft, ctx: QueryContext): void {
  const { tokens, entities, entityAt } = d;
  // Typo-tolerant recognition of the corpus's place names: exact windows first, then one edit.
  const places = placesByInitial(ctx.names);
  for (let len = 4; len >= 2; len--) {
    for (let i = 0; i + len <= tokens.length; i++) {
      if (entityAt.slice(i, i + len).some((e) => e >= 0)) continue;
      const window = tokens.slice(i, i + len);
      const phrase = window.join(' ');
      let match = ctx.names.places.has(phrase) ? phrase : undefined;
      if (!match && window.join('').length >= 5) {
        // A typo rarely hits the first letter: compare only with places sharing it.
        match = (places.get(window[0]![0]!) ?? []).find((p) => {
          const pt = p.split(' ');
          if (pt.length !== len) return false;
          const diff = pt.filter((t, k) => t !== window[k]);
          return diff.length === 1 && pt.every((t, k) => editDistanceAtMost1(t, window[k]!)) && pt.some((t, k) => t !== window[k] && (t.length >= 4 || (t.length === 3 && window[k]!.length === 2)));
        });
      }
      if (!match) continue;
      const matchTokens = match.split(' ');
      for (let k = 0; k < len; k++) {
        tokens[i + k] = matchTokens[k]!;
        entityAt[i + k] = entities.length;
      }
      entities.push({ text: match, folded: match, kind: 'place', known: true });
    }
  }

}

function recognizeKnownNames(d: Draft, ctx: QueryContext): void {
  const { normalized, tokens, entities, entityAt } = d;
  // Other proper names the corpus knows (places without a marker there, people): "An Giang", "Trần Thanh Nhã".
  const nameRuns = /\p{Ll}/u.test(normalized) ? capitalizedRuns(normalized) : [];
  for (const run of nameRuns) {
    const ws = run.map((w) => fold(w).replace(/['’]/g, ''));
    for (let len = Math.min(4, ws.length); len >= 2; len--) {
      for (let a = 0; a + len <= ws.length; a++) {
        const phrase = ws.slice(a, a + len).join(' ');
        if (INSTITUTION.has(ws[a]!) || !ctx.names.names.has(phrase) || entities.some((e) => e.folded.includes(phrase))) continue;
        const at = tokens.findIndex((_, i) => ws.slice(a, a + len).every((w, k) => tokens[i + k] === w));
        if (at < 0 || entityAt.slice(at, at + len).some((e) => e >= 0)) continue;
        for (let k = 0; k < len; k++) entityAt[at + k] = entities.length;
        entities.push({ text: run.slice(a, a + len).join(' '), folded: phrase, kind: 'name', known: true });
      }
    }
  }

}

function recognizeDocumentNumbers(d: Draft, ctx: QueryContext): void {
  const { normalized, entities, unknownEntities } = d;
  // Document numbers ("381-BC/TU").
  for (const m of normalized.matchAll(DOC_NUMBER_RE)) {
    const f = fold(m[0]).replace(/\s+/g, '');
    if (!/[a-z]/.test(f)) continue;
    const known = ctx.documentNumbers.has(f) || ctx.termStats.documentFrequency(syllables(f).slice(0, 2).join(BIGRAM_JOINER)) > 0;
    const mention: EntityMention = { text: m[0].replace(/\s+/g, ''), folded: f, kind: 'document', known };
    (known ? entities : unknownEntities).push(mention);
  }

}

function findUnknownNames(d: Draft, ctx: QueryContext): void {
  const lx = lexicon();
  const { normalized, language, tokens, entities, unknownEntities, entityAt } = d;
  // Names the corpus does not know: capitalised runs, and words after a place marker.
  const glossaryWords = glossaryWordSet();
  const isKnownPhrase = (ft: string[]) =>
    ctx.names.names.has(ft.join(' ')) || ctx.names.places.has(ft.join(' ')) || entities.some((e) => e.folded.includes(ft.join(' ')));
  // In a Title Case question every word is capitalised and runs say nothing about names.
  const wordsTyped = normalized.match(/[\p{L}\p{M}]+/gu) ?? [];
  const titleCase = wordsTyped.filter((w) => /^\p{Lu}/u.test(w)).length >= 0.6 * wordsTyped.length;
  for (const run of titleCase ? [] : capitalizedRuns(normalized)) {
    let ws = run.map((w) => fold(w).replace(/['’]/g, ''));
    const trimmable = (w: string) => markerWords.has(w) || isStopToken(w, language) || glossaryWords.has(w) || lx.stopwordsViFolded.has(w);
    while (ws.length && trimmable(ws[0]!)) ws = ws.slice(1);
    while (ws.length && trimmable(ws[ws.length - 1]!)) ws = ws.slice(0, -1);
    if (ws.length < 2 || ws.some((w) => glossaryWords.has(w))) continue;
    if (isKnownPhrase(ws)) continue;
    // A typo of a name already recognised ("An Giag" → An Giang) is not an unknown place.
    if (entities.some((e) => e.folded.split(' ').length === ws.length && e.folded.split(' ').every((t, k) => editDistanceAtMost1(t, ws[k]!)))) continue;
    // Capitalised words in running text name something; the corpus must know the name as a name
    // (folded text alone would confuse "Đà Nẵng" with "đã nâng").
    if (language === 'en' && ctx.termStats.documentFrequency(ws.slice(0, 2).join(BIGRAM_JOINER)) > 0) continue;
    unknownEntities.push({ text: run.slice(run.length - ws.length).join(' '), folded: ws.join(' '), kind: 'place', known: false });
  }
  if (language === 'en') {
    // "Hanoi", "Vientiane": a capitalised word inside an English sentence that the reports never use.
    const words = normalized.match(/[\p{L}'’]+/gu) ?? [];
    words.forEach((w, i) => {
      const f = fold(w).replace(/['’]s$/, '').replace(/['’]/g, '');
      if (i === 0 || !/^\p{Lu}/u.test(w) || /^\p{Lu}+$/u.test(w) || lx.stopwordsEn.has(f) || glossaryWords.has(f)) return;
      const inRun = (k: number) => k >= 0 && k < words.length && /^\p{Lu}/u.test(words[k]!);
      if (inRun(i - 1) || inRun(i + 1)) return;
      if (ctx.termStats.documentFrequency(f) === 0 && !unknownEntities.some((u) => u.folded === f))
        unknownEntities.push({ text: w, folded: f, kind: 'place', known: false });
    });
  }
  if (!/\p{Lu}/u.test(normalized)) {
    // All lower-case: a marker followed by two words that never occur together in the corpus.
    for (let i = 0; i < tokens.length; i++) {
      const marker = PLACE_MARKERS.find((m) => m.every((t, k) => tokens[i + k] === t));
      if (!marker) continue;
      const j = i + marker.length;
      const name = tokens.slice(j, j + 2);
      if (name.length < 2 || entityAt[j]! >= 0 || name.some((w) => markerWords.has(w) || isStopToken(w, 'vi'))) continue;
      if (isKnownPhrase(name)) continue;
      if (ctx.termStats.documentFrequency(name.join(BIGRAM_JOINER)) === 0 && !unknownEntities.some((u) => u.folded === name.join(' ')))
        unknownEntities.push({ text: name.join(' '), folded: name.join(' '), kind: 'place', known: false });
      i = j;
    }
  }

}

function buildConcepts(d: Draft, ctx: QueryContext): { groups: ConceptGroup[]; contentTokens: string[]; unitTokens: string[]; mask: boolean[]; covered: boolean[] } {
  const lx = lexicon();
  const { normalized, language, accented, words, tokens, entities, entityAt, translation } = d;
  const groups: ConceptGroup[] = [];
  // Concepts: entities as wholes, abbreviations with their expansions, glossary groups (English),
  // content words, and the phrases (bigrams) the question and the corpus share.
  const mask = language === 'en' ? tokens.map((t) => isStopToken(t, 'en')) : stopMask(words, accented);
  const unitTokens = language === 'en' ? translationUnit(normalized) : unitAfterCountWord(tokens, mask, accented ? words.map((w) => w.surface) : undefined);
  const covered = new Array<boolean>(tokens.length).fill(false);
  // Markers in front of a place ("Đảng bộ tỉnh Kon Tum", "xã Đăk Pét") belong to the mention.
  for (let i = 0; i < tokens.length; i++) {
    if (entityAt[i]! < 0 || (i > 0 && entityAt[i - 1] === entityAt[i])) continue;
    for (const def of PLACE_MARKER_DEFS) {
      const m = def.words;
      const start = i - m.length;
      if (start >= 0 && m.every((t, k) => tokens[start + k] === t && entityAt[start + k]! < 0)) {
        for (let k = start; k < i; k++) covered[k] = true;
        const entity = entities[entityAt[i]!];
        if (entity) entity.level = def.level;
        break;
      }
    }
  }
  entities.forEach((e, idx) => {
    if (e.kind === 'document') {
      groups.push({ label: e.text, alternatives: [withBigrams(syllables(e.folded))], weight: 0 });
      return;
    }
    tokens.forEach((_, i) => {
      if (entityAt[i] === idx) covered[i] = true;
    });
    groups.push({ label: e.text, alternatives: [withBigrams(e.folded.split(' '))], weight: 0 });
  });
  for (const a of lx.abbreviations) {
    tokens.forEach((t, i) => {
      if (covered[i] || t !== a.folded || a.folded.length < 2) return;
      // Only when typed as an abbreviation (upper case), or the whole question is lower-case.
      const typed = new RegExp(`(^|[^\\p{L}])${a.short.replace(/[-,]/g, '.?')}($|[^\\p{L}])`, 'u').test(normalized);
      if (!typed && /\p{Lu}/u.test(normalized)) return;
      covered[i] = true;
      groups.push({ label: a.short, alternatives: [[a.folded], ...a.expansions.map(withBigrams)], weight: 0 });
    });
    for (const exp of a.expansions) {
      for (let i = 0; i + exp.length <= tokens.length; i++) {
        if (exp.length >= 2 && exp.every((e, k) => tokens[i + k] === e && !covered[i + k])) {
          for (let k = 0; k < exp.length; k++) covered[i + k] = true;
          groups.push({ label: exp.join(' '), alternatives: [withBigrams(exp), [a.folded]], weight: 0 });
        }
      }
    }
  }
  const contentTokens: string[] = [];
  if (translation) {
    for (const g of translation.groups) groups.push({ label: g.label, alternatives: g.alternatives.map(withBigrams), weight: 0 });
    // English words outside the glossary (and not names, numbers or function words) are concepts
    // the reports cannot be matched on: "GDP growth of An Giang" must not pass on "An Giang" alone.
    const nameWords = new Set(entities.flatMap((e) => e.folded.split(' ')));
    for (const w of new Set(translation.leftover)) {
      if (lx.stopwordsEn.has(w) || nameWords.has(w) || /^\d/.test(w) || w.length < 3) continue;
      groups.push({ label: w, alternatives: [[`en:${w}`]], weight: 0 });
    }
  } else {
    tokens.forEach((t, i) => {
      if (mask[i] || covered[i]) return;
      contentTokens.push(t);
    });
    for (const t of new Set(contentTokens)) groups.push({ label: t, alternatives: [[t]], weight: 0 });
    for (let i = 1; i < tokens.length; i++) {
      if (mask[i] || mask[i - 1] || covered[i] || covered[i - 1]) continue;
      const b = tokens[i - 1] + BIGRAM_JOINER + tokens[i];
      // A phrase the corpus never contains cannot tell passages apart; it only lowers every score.
      if (ctx.termStats.documentFrequency(b) === 0) continue;
      groups.push({ label: b.replace(BIGRAM_JOINER, ' '), alternatives: [[b]], weight: 0 });
    }
  }
  return { groups, contentTokens, unitTokens, mask, covered };
}

/** Each concept weighs its rarest term's IDF (capped); phrases a little less than words. */
function weighConcepts(groups: readonly ConceptGroup[], ctx: QueryContext): ConceptGroup[] {
  const uniqueGroups = new Map<string, ConceptGroup>();
  const maxIdf = Math.log(2 + ctx.termStats.documentCount);
  for (const g of groups) {
    const key = JSON.stringify(g.alternatives);
    if (uniqueGroups.has(key)) continue;
    if (g.alternatives[0]![0]!.startsWith('en:')) {
      g.weight = 0.5 * maxIdf;
      uniqueGroups.set(key, g);
      continue;
    }
    const idfs = g.alternatives.map((alt) => Math.max(...alt.map((t) => ctx.termStats.idf(t))));
    g.weight = Math.min(Math.max(...idfs), maxIdf) * (g.alternatives.length === 1 && g.alternatives[0]!.length === 1 && g.alternatives[0]![0]!.includes(BIGRAM_JOINER) ? 0.8 : 1);
    uniqueGroups.set(key, g);
  }

  return [...uniqueGroups.values()];
}

function searchPlan(groups: readonly ConceptGroup[], d: Draft, unitTokens: readonly string[]): { termBoost: Map<string, number>; searchTerms: string[]; expansionText: string; corrected: string[] } {
  const { normalized, entities } = d;
  const uniqueGroups = new Map(groups.map((g) => [JSON.stringify(g.alternatives), g]));
  const termBoost = new Map<string, number>();
  const searchTerms = new Set<string>();
  for (const g of uniqueGroups.values()) {
    for (const alt of g.alternatives)
      for (const t of alt) {
        if (t.startsWith('en:')) continue;
        searchTerms.add(t);
        termBoost.set(t, Math.max(termBoost.get(t) ?? 0, t.includes(BIGRAM_JOINER) ? 1.6 : 1));
      }
  }
  for (const e of entities) for (const t of withBigrams(e.folded.split(' '))) termBoost.set(t, (termBoost.get(t) ?? 1) * 1.3);
  for (const t of unitTokens) termBoost.set(t, (termBoost.get(t) ?? 1) * 1.2);
  const expansionText = [...uniqueGroups.values()]
    .filter((g) => g.alternatives.length > 1)
    .map((g) => g.alternatives.map((a) => a.filter((t) => !t.includes(BIGRAM_JOINER)).join(' ')).join(' '))
    .join(' ');
  const corrected = entities.filter((e) => e.kind === 'place' && !fold(normalized).includes(e.folded)).map((e) => e.folded);

  return { termBoost, searchTerms: [...searchTerms], expansionText, corrected };
}

/** What shape of answer is asked for: a document detail, yes or no, which figure, which years. */
function answerShape(d: Draft): { documentField?: DocumentField; yesNo: boolean; figureWish: FigureWish; years: number[] } {
  const { folded, entities, intent } = d;
  const cues = intentCues();
  const mentionsDocument =
    entities.some((e) => e.kind === 'document') ||
    typesNamedIn(folded).length > 0 ||
    [...cues.documentWords.report, ...cues.documentWords.article, ...cues.documentWords.any].some((w) => new RegExp(`\\b${w}\\b`).test(folded));
  const documentField = mentionsDocument ? documentFieldOf(folded) : undefined;
  const yesNo = !documentField && intent !== 'who' && matchesAny(cues.yesNo, folded);
  const years = [...folded.matchAll(/\b(19|20)\d{2}\b/g)].map((m) => Number(m[0]));
  const figureWish: FigureWish = {
    target: matchesAny(cues.target, folded),
    now: matchesAny(cues.actualNow, folded),
    percent: matchesAny(cues.percent, folded),
    changeTo: matchesAny(cues.changeTo, folded),
    changeBy: matchesAny(cues.changeBy, folded),
  };

  return { ...(documentField ? { documentField } : {}), yesNo, figureWish, years };
}

const FOCUS_WEIGHT = 2.5;

/**
 * For "what/which/why" questions the first content words name what is asked ("Nguyên nhân của
 * …", "What were the weaknesses of …"); the rest is topic that the whole document may match.
 * Focus groups weigh more, and a section whose heading names the focus is preferred.
 */
function markFocus(
  intent: Intent,
  language: Language,
  tokens: readonly string[],
  mask: readonly boolean[],
  covered: readonly boolean[],
  translation: Translation | undefined,
  groups: ConceptGroup[],
): void {
  if (intent !== 'list' && intent !== 'why' && intent !== 'what' && intent !== 'general') return;
  const focusTerms: string[] = [];
  if (language === 'en') {
    const first = translation?.groups[0];
    const g = first && groups.find((x) => x.label === first.label);
    if (g) {
      g.focus = true;
      g.weight *= FOCUS_WEIGHT;
    }
    return;
  }
  const isContent = (k: number) => k >= 0 && k < tokens.length && !mask[k] && !covered[k];
  // "những X nào", "các X gì": X is what is asked for.
  let start = -1;
  const which = tokens.findIndex((t, k) => (t === 'nao' || t === 'gi') && k > 0);
  if (intent === 'list' && which > 0) {
    for (let k = which - 1; k >= 0 && (isContent(k) || tokens[k] === 'nhung' || tokens[k] === 'cac'); k--) {
      if (tokens[k] === 'nhung' || tokens[k] === 'cac') {
        start = k + 1;
        break;
      }
    }
  }
  if (start < 0) {
    // Otherwise the first content words, skipping a leading place or time phrase ("Ở cấp huyện, …").
    const leadingAdverbial = ['o', 'tai', 'trong', 'den', 'tu'].includes(tokens[0] ?? '') && mask[0];
    let k = tokens.findIndex((t, j) => isContent(j) && !markerWords.has(t));
    if (leadingAdverbial && k >= 0) {
      while (k < tokens.length && isContent(k)) k++;
      while (k < tokens.length && !isContent(k)) k++;
    }
    start = k;
  }
  if (start < 0 || start >= tokens.length) return;
  for (let k = start; k < tokens.length && focusTerms.length < 4 && isContent(k); k++) focusTerms.push(tokens[k]!);
  // One syllable ("chủ" of "chủ doanh nghiệp") is too vague to steer towards a section.
  if (focusTerms.length < 2) return;
  const span = new Set([...focusTerms, ...withBigrams(focusTerms).filter((t) => t.includes(BIGRAM_JOINER))]);
  for (const g of groups) {
    if (g.alternatives.length === 1 && g.alternatives[0]!.every((t) => span.has(t))) {
      g.focus = true;
      g.weight *= FOCUS_WEIGHT;
    }
  }
}

function withBigrams(tokens: readonly string[]): string[] {
  const out = [...tokens];
  for (let i = 1; i < tokens.length; i++) out.push(tokens[i - 1] + BIGRAM_JOINER + tokens[i]);
  return out;
}

/** "how many communes" → the Vietnamese words for "communes". */
function translationUnit(raw: string): string[] {
  const m = /\bhow (?:many|much)\s+([a-z' -]+)/i.exec(raw) ?? /\bnumber of\s+([a-z' -]+)/i.exec(raw);
  if (!m) return [];
  const t = translateEnglish(m[1]!.split(/\s+/).slice(0, 3).join(' '));
  return t.groups[0]?.alternatives[0] ?? [];
}
