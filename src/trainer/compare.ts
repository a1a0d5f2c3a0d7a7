import { citationFor } from '../answer/extractive.js';
import { fold } from '../ingest/normalize.js';
import type { IndexSnapshot } from '../index/store.js';
import { conceptSimilarity, corpusFacts, isReferenceOnly, shortLabel, windowAround, type FigureFact } from './facts.js';
import { inScope, resolveScope, sentenceMatchesTopic, topicTokens, type Scope } from './scope.js';
import type { ComparedFigure, ComparisonResult, ComparisonRow, ComparisonSide } from './types.js';

/**
 * /sosanh A | B [| C] [: topic]: figures of places, documents or periods side by side. A row
 * pairs figures of one indicator only (facts.ts: same measure, same status, same unit — a ratio
 * of communes is never set against a count of communes, a target never against a result) and
 * about the same thing (their surrounding words overlap). Every figure shown is a verbatim slice
 * of the sentence it cites; a side without such a figure is reported as having none, never
 * filled from elsewhere. Without a topic only indicators every side reports are shown.
 */

export const MAX_ROWS = 8;
export const MAX_SIDES = 3;
const CONTEXT_CHARS = 110;
/** Two figures are about the same thing from this share of shared context words on. */
const SAME_CONCEPT = 0.2;
const SAME_CONCEPT_AGAIN = 0.4;
/** Durations and ages are not indicators anyone compares ("sau 3 năm", "trên 40 tuổi"). */
const NOT_INDICATORS = new Set(['nam', 'thang', 'ngay', 'tuoi', 'lan', '%']);
/** Measures a row can hold; old values of changes and shares in brackets ride with their figure. */
const COMPARABLE = new Set(['count', 'ratio', 'percent', 'change']);

export interface ParsedCompare {
  /** Two or three side queries, as typed. */
  sides: string[];
  topic: string;
}

/** "A | B", "A | B | C", "A | B: topic", "A vs B". A third part that names no side is the topic. */
export function parseCompareArgs(args: string): ParsedCompare | undefined {
  let parts = args.split('|').map((p) => p.trim());
  if (parts.length < 2) parts = args.split(/\s+(?:vs\.?|với|and)\s+/i).map((p) => p.trim());
  if (parts.length < 2) return undefined;
  let topic = '';
  const last = parts[parts.length - 1]!;
  const colon = last.indexOf(':');
  if (colon >= 0) {
    topic = last.slice(colon + 1).trim();
    parts[parts.length - 1] = last.slice(0, colon).trim();
  }
  const sides = parts.filter(Boolean);
  if (sides.length < 2 || sides.length !== parts.length) return undefined;
  return { sides, topic };
}

/** The figure as written with its unit, plus a parenthesis that qualifies it ("(đạt 76,28%)"). */
export function figureText(f: FigureFact): string {
  const s = f.sentence.text;
  if (f.sentence.chunk.metadata.kind === 'table') return `${f.unit}: ${f.raw}`;
  let end = f.unitEnd;
  const paren = /^\s*\(([^()]{1,40})\)/.exec(s.slice(end));
  // "(đạt 76,28%)" qualifies the figure; "(Biểu số 10)" only points to an annex table.
  if (paren && /\d/.test(paren[1]!) && !/^\s*(biểu|phụ lục)/iu.test(paren[1]!)) end += paren[0].length;
  const from = /(?:giảm|tăng)\s+từ\s+[\d.,/]+\s*(?:[\p{L}]+\s+){0,4}?(?:xuống\s+|lên\s+)?còn\s+$|(?:giảm|tăng)(?:\s+được|\s+thêm)?\s+$/u.exec(s.slice(Math.max(0, f.at - 60), f.at));
  const start = from ? f.at - from[0].length : f.at;
  return s.slice(start, end).trim();
}

interface SideScope {
  scope: Scope;
  side: ComparisonSide;
  /** Folded place the side is about, when it is a place: figures of other places named in a clause are not its own. */
  place?: string;
  /** The place is a province somewhere in the corpus: a district of the same name is another unit. */
  provincial?: boolean;
}

const YEAR_AT_END = /^(.*?)[\s,]*\b((?:19|20)\d{2})$/u;

/** A side: a place, a document, a year, or a place in a year ("Hà Sơn 2021"). */
function resolveSide(snapshot: IndexSnapshot, query: string): SideScope | undefined {
  const withYear = YEAR_AT_END.exec(query);
  if (withYear && withYear[1]!.trim()) {
    const base = resolveSide(snapshot, withYear[1]!.trim());
    if (!base) return undefined;
    const year = withYear[2]!;
    const documents = new Set([...base.scope.documents].filter((id) => snapshot.documentById.get(id)?.meta.date?.startsWith(year)));
    if (!documents.size) return undefined;
    const scope: Scope = { ...base.scope, kind: 'period', query, label: `${base.scope.label} ${year}`, documents, chunkIds: new Set() };
    return { scope, side: sideOf(scope), ...(base.place ? { place: base.place, provincial: base.provincial } : {}) };
  }
  const scope = resolveScope(snapshot, query);
  if (!scope || scope.kind === 'all') return undefined;
  const place = scope.kind === 'place' ? topicTokens(query).join(' ') : undefined;
  const provincial = place ? Boolean(corpusFacts(snapshot).placeLevels.get(place)?.has('province')) : false;
  return { scope, side: sideOf(scope), ...(place ? { place, provincial } : {}) };
}

/**
 * "/sosanh 2019 | 2023": one place over time. The years' documents are narrowed to the places
 * reported in every year, so a 2019 report of one province is not set against another's.
 */
function narrowPeriodsToCommonPlace(snapshot: IndexSnapshot, sides: SideScope[]): SideScope[] | undefined {
  if (!sides.every((s) => s.scope.kind === 'period' && !s.place)) return sides;
  const placesOf = (s: SideScope) => new Set([...s.scope.documents].map((id) => fold(snapshot.documentById.get(id)?.meta.place ?? '')).filter(Boolean));
  const common = [...placesOf(sides[0]!)].filter((p) => sides.every((s) => placesOf(s).has(p)));
  if (!common.length) return undefined;
  const place = common[0]!;
  return sides.map((s) => {
    const documents = new Set([...s.scope.documents].filter((id) => fold(snapshot.documentById.get(id)?.meta.place ?? '') === place));
    const display = [...documents].map((id) => snapshot.documentById.get(id)?.meta.place).find(Boolean) ?? '';
    const scope: Scope = { ...s.scope, documents, label: `${display} ${s.scope.label}`.trim() };
    return { scope, side: sideOf(scope), place, provincial: Boolean(corpusFacts(snapshot).placeLevels.get(place)?.has('province')) };
  });
}

function sideOf(scope: Scope): ComparisonSide {
  const kind = scope.kind === 'all' ? 'keyword' : scope.kind;
  return { query: scope.query, label: scope.label || scope.query, kind, documents: [...scope.documents] };
}

/** A side's own figure: in its scope, and not one of another place named in the figure's clause. */
function belongsTo(s: SideScope, f: FigureFact): boolean {
  if (!inScope(s.scope, f.sentence)) return false;
  if (!s.place) return true;
  // "thành phố Hà Sơn giảm 03 đơn vị" in a report on the province of Hà Sơn is the city's figure.
  if (s.provincial && f.place === s.place && f.placeLevel && f.placeLevel !== 'province') return false;
  if (f.place) return f.place === s.place;
  // Passages of other documents that name the place count only where the figure is attributed to it.
  return s.scope.documents.has(f.sentence.doc.meta.id);
}

/** A figure inside quotation marks belongs to a cited title ("… thuộc 62 huyện nghèo”"), not to the side. */
function insideQuotation(f: FigureFact): boolean {
  const before = f.sentence.text.slice(0, f.at);
  return (before.match(/“/g) ?? []).length > (before.match(/”/g) ?? []).length;
}

/** What the figure is about, in the source's words after its unit: "thực hiện mô hình bí thư cấp ủy…". */
function aboutOf(f: FigureFact): string {
  if (f.sentence.chunk.metadata.kind === 'table') return f.sentence.chunk.metadata.sectionPath.at(-2) ?? '';
  const rest = f.sentence.text.slice(f.unitEnd).replace(/^\s*\([^)]*\)/, '');
  const clause = (rest.split(/[;:(]|[.,](?!\d)/)[0] ?? '').trim();
  const words = clause.split(/\s+/).filter(Boolean);
  if (words.length < 2) return '';
  const head = words.slice(0, 9).join(' ').replace(/[,\s]+$/, '');
  return words.length > 9 ? `${head}…` : head;
}

function compared(snapshot: IndexSnapshot, f: FigureFact): ComparedFigure {
  const text = figureText(f);
  const start = f.sentence.text.indexOf(text);
  return {
    text,
    source: shortLabel(f.sentence.doc),
    context: windowAround(f.sentence.text, Math.max(0, start), Math.max(0, start) + text.length, CONTEXT_CHARS),
    citation: citationFor(f.sentence.chunk, snapshot, f.sentence.text),
    indicator: f.indicator,
    unitKey: f.unitKey,
    status: f.status,
    ...(f.time ? { time: f.time } : {}),
    ...(f.year !== undefined ? { year: f.year } : {}),
  };
}

/** Newest first, then the document's own order: the latest figure speaks for a side. */
const newestFirst = (a: FigureFact, b: FigureFact) =>
  (b.year ?? 0) - (a.year ?? 0) || (b.sentence.doc.meta.date ?? '').localeCompare(a.sentence.doc.meta.date ?? '') || a.sentence.chunk.metadata.ordinal - b.sentence.chunk.metadata.ordinal || a.at - b.at;

interface DraftRow {
  indicator: string;
  figures: (FigureFact | undefined)[];
}

/** Rows of one indicator: each anchor figure with the most similar unused figure of every other side. */
function rowsOfIndicator(perSide: FigureFact[][], indicator: string, partial: boolean): DraftRow[] {
  const lists = perSide.map((fs) => fs.filter((f) => f.indicator === indicator).sort(newestFirst));
  const used = lists.map(() => new Set<FigureFact>());
  const rows: DraftRow[] = [];
  for (let anchorSide = 0; anchorSide < lists.length; anchorSide++) {
    for (const anchor of lists[anchorSide]!) {
      if (used[anchorSide]!.has(anchor)) continue;
      const figures = lists.map((fs, i) => {
        if (i === anchorSide) return anchor;
        let best: { f: FigureFact; sim: number } | undefined;
        for (const f of fs) {
          if (used[i]!.has(f)) continue;
          const sim = conceptSimilarity(anchor, f);
          if (sim >= SAME_CONCEPT && (!best || sim > best.sim)) best = { f, sim };
        }
        return best?.f;
      });
      // A second row of one indicator needs figures clearly about the same thing.
      const others = figures.filter((f): f is FigureFact => Boolean(f) && f !== anchor);
      if (rows.length > 0 && others.some((f) => conceptSimilarity(anchor, f) < SAME_CONCEPT_AGAIN)) continue;
      const complete = figures.every(Boolean);
      if (!complete && !partial) continue;
      figures.forEach((f, i) => f && used[i]!.add(f));
      rows.push({ indicator, figures });
    }
  }
  return rows;
}

export function compareSides(snapshot: IndexSnapshot, args: string, options: { maxRows?: number } = {}): ComparisonResult {
  const parsed = parseCompareArgs(args);
  if (!parsed) return { kind: 'usage' };
  if (parsed.sides.length > MAX_SIDES) return { kind: 'usage' };
  let sides: SideScope[] = [];
  for (const [i, q] of parsed.sides.entries()) {
    const s = resolveSide(snapshot, q);
    // "A | B | chủ đề": a third part that names no side is the topic.
    if (!s && i === 2 && !parsed.topic) {
      parsed.topic = q;
      continue;
    }
    if (!s) return { kind: 'unknown', side: q };
    sides.push(s);
  }
  const narrowed = narrowPeriodsToCommonPlace(snapshot, sides);
  if (!narrowed) return { kind: 'noCommonPlace', sides: sides.map((s) => s.side) };
  sides = narrowed;
  const facts = corpusFacts(snapshot);
  const usable = facts.figures.filter(
    (f) =>
      f.indicator &&
      COMPARABLE.has(f.measure) &&
      !insideQuotation(f) &&
      !NOT_INDICATORS.has(f.unitKey) &&
      f.value > 0 &&
      !isReferenceOnly(f.sentence.text) &&
      (!parsed.topic || sentenceMatchesTopic(f.sentence, parsed.topic)),
  );
  const perSide = sides.map((s) => usable.filter((f) => belongsTo(s, f)));
  const counts = new Map<string, number>();
  for (const fs of perSide) for (const f of fs) counts.set(f.indicator, (counts.get(f.indicator) ?? 0) + 1);
  // With a topic the trainer wants to see where a side has nothing; without one, only what all share.
  const partial = Boolean(parsed.topic);
  const drafts = [...counts.keys()].flatMap((indicator) => rowsOfIndicator(perSide, indicator, partial));
  const sidesWith = (indicator: string) => perSide.filter((fs) => fs.some((f) => f.indicator === indicator)).length;
  const weight = (r: DraftRow) => r.figures.filter(Boolean).length * 1000 + sidesWith(r.indicator) * 100 + Math.min(99, counts.get(r.indicator) ?? 0);
  drafts.sort((x, y) => weight(y) - weight(x) || x.indicator.localeCompare(y.indicator));
  // Rows only one side fills take turns between the sides, so a long report does not crowd out a short one.
  const complete = drafts.filter((d) => d.figures.filter(Boolean).length > 1);
  const single = drafts.filter((d) => d.figures.filter(Boolean).length <= 1);
  const turns = sides.map((_, i) => single.filter((d) => d.figures[i]));
  for (let k = 0; turns.some((t) => t.length > k); k++) {
    for (const t of turns) {
      const row = t[k];
      if (row) complete.push(row);
    }
  }
  drafts.splice(0, drafts.length, ...complete);
  const maxRows = options.maxRows ?? MAX_ROWS;
  const rows: ComparisonRow[] = drafts.slice(0, maxRows).map((d) => {
    const anchor = d.figures.find((f): f is FigureFact => Boolean(f))!;
    const [measure = 'count', status = 'actual'] = d.indicator.split('|');
    return {
      indicator: anchor.unit,
      key: d.indicator,
      measure: measure as ComparisonRow['measure'],
      status: status as ComparisonRow['status'],
      about: aboutOf(anchor),
      sides: d.figures.map((f) => (f ? [compared(snapshot, f)] : [])),
    };
  });
  return {
    kind: 'comparison',
    sides: sides.map((s) => s.side),
    ...(parsed.topic ? { topic: parsed.topic } : {}),
    rows,
    omittedRows: Math.max(0, drafts.length - rows.length),
  };
}
