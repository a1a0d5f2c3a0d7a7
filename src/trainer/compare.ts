import { citationFor } from '../answer/extractive.js';
import type { IndexSnapshot } from '../index/store.js';
import { corpusFacts, isReferenceOnly, shortLabel, windowAround, type FigureFact } from './facts.js';
import { inScope, resolveScope, sentenceMatchesTopic, type Scope } from './scope.js';
import type { ComparedFigure, ComparisonResult, ComparisonRow, ComparisonSide } from './types.js';

/**
 * /sosanh A | B [: topic]: figures of two places, documents or periods side by side, grouped
 * by indicator (the unit words after each figure: "xã, phường, thị trấn", "đảng viên", …).
 * Every figure shown is a verbatim slice of the sentence it cites; a side without a figure for
 * an indicator is reported as having none, never filled from elsewhere.
 */

export const MAX_ROWS = 10;
export const MAX_FIGURES_PER_CELL = 2;
const CONTEXT_CHARS = 110;
/** Durations and ages are not indicators anyone compares ("sau 3 năm", "trên 40 tuổi"). */
const NOT_INDICATORS = new Set(['nam', 'thang', 'ngay', 'tuoi', 'lan', '%']);

export interface ParsedCompare {
  a: string;
  b: string;
  topic: string;
}

/** "A | B", "A | B: topic", "A | B | topic", or "A vs B". */
export function parseCompareArgs(args: string): ParsedCompare | undefined {
  let parts = args.split('|').map((p) => p.trim());
  if (parts.length < 2) parts = args.split(/\s+(?:vs\.?|với|and)\s+/i).map((p) => p.trim());
  if (parts.length < 2) return undefined;
  const [first = '', second = '', ...rest] = parts;
  const a = first.trim();
  let b = second;
  let topic = rest.join(' ').trim();
  if (!topic) {
    const colon = b.indexOf(':');
    if (colon >= 0) {
      topic = b.slice(colon + 1).trim();
      b = b.slice(0, colon).trim();
    }
  }
  if (!a || !b) return undefined;
  return { a, b, topic };
}

/** The figure as written with its unit, plus a parenthesis that qualifies it ("(đạt 76,28%)"). */
export function figureText(f: FigureFact): string {
  const s = f.sentence.text;
  let end = f.unitEnd;
  const paren = /^\s*\(([^()]{1,40})\)/.exec(s.slice(end));
  // "(đạt 76,28%)" qualifies the figure; "(Biểu số 10)" only points to an annex table.
  if (paren && /\d/.test(paren[1]!) && !/^\s*(biểu|phụ lục)/iu.test(paren[1]!)) end += paren[0].length;
  return s.slice(f.at, end).trim();
}

function sideOf(scope: Scope): ComparisonSide {
  const kind = scope.kind === 'all' ? 'keyword' : scope.kind;
  return { query: scope.query, label: scope.label || scope.query, kind, documents: [...scope.documents] };
}

function indicatorLabel(figures: FigureFact[]): string {
  const counts = new Map<string, number>();
  for (const f of figures) counts.set(f.unit, (counts.get(f.unit) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0].length - a[0].length)[0]?.[0] ?? '';
}

export function compareSides(snapshot: IndexSnapshot, args: string, options: { maxRows?: number } = {}): ComparisonResult {
  const parsed = parseCompareArgs(args);
  if (!parsed) return { kind: 'usage' };
  const scopes: Scope[] = [];
  for (const q of [parsed.a, parsed.b]) {
    const scope = resolveScope(snapshot, q);
    if (!scope || scope.kind === 'all') return { kind: 'unknown', side: q };
    scopes.push(scope);
  }
  const facts = corpusFacts(snapshot);
  const usable = facts.figures.filter(
    (f) => f.unitKey && !NOT_INDICATORS.has(f.unitKey) && f.value > 0 && !isReferenceOnly(f.sentence.text) && (!parsed.topic || sentenceMatchesTopic(f.sentence, parsed.topic)),
  );
  const perSide = scopes.map((scope) => usable.filter((f) => inScope(scope, f.sentence)));
  const keys = new Set(perSide.flatMap((fs) => fs.map((f) => f.unitKey)));
  const rows: (ComparisonRow & { weight: number })[] = [];
  for (const key of keys) {
    const cells = perSide.map((fs) => {
      const seen = new Set<string>();
      const out: ComparedFigure[] = [];
      for (const f of fs) {
        if (f.unitKey !== key) continue;
        const text = figureText(f);
        const id = `${f.sentence.key}|${text}`;
        if (seen.has(id) || out.length >= MAX_FIGURES_PER_CELL) continue;
        seen.add(id);
        out.push({ text, source: shortLabel(f.sentence.doc), context: windowAround(f.sentence.text, f.at, f.at + text.length, CONTEXT_CHARS), citation: citationFor(f.sentence.chunk, snapshot, f.sentence.text) });
      }
      return out;
    });
    const all = perSide.flatMap((fs) => fs.filter((f) => f.unitKey === key));
    const both = cells.every((c) => c.length > 0);
    rows.push({ indicator: indicatorLabel(all), key, sides: [cells[0] ?? [], cells[1] ?? []], weight: (both ? 1000 : 0) + all.length });
  }
  rows.sort((x, y) => y.weight - x.weight || x.key.localeCompare(y.key));
  const maxRows = options.maxRows ?? MAX_ROWS;
  const shown = rows.slice(0, maxRows).map(({ weight: _weight, ...row }) => row);
  return {
    kind: 'comparison',
    sides: [sideOf(scopes[0]!), sideOf(scopes[1]!)],
    ...(parsed.topic ? { topic: parsed.topic } : {}),
    rows: shown,
    omittedRows: Math.max(0, rows.length - shown.length),
  };
}
