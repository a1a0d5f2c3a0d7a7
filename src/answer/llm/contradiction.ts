import { fold } from '../../ingest/normalize.js';
import { scopePhrases } from '../../ingest/places.js';
import { intentCues, matchesAny } from '../../retrieval/intents.js';
import type { AnalyzedQuery } from '../../retrieval/query.js';
import type { Answer } from '../types.js';

/**
 * Does a model reply contradict what the extractive path established? The extractive lead is
 * built from the ranked evidence by rules a document cannot talk to, so a direct answer that
 * gives another figure for the same unit and place ("999 xã" where the lead says "119/156 xã"),
 * says none exist ("không có xã nào"), or answers "Không" where the lead says "Có", is not a
 * rewording: it is another answer, and the extractive one goes out instead. Only the direct
 * answer (the first paragraph) is held to the lead; the evidence after it is held to its
 * sources by the figure, link and sentence checks.
 */

export interface ExtractiveFacts {
  /** The extractive lead ("An Giang: 119/156 xã.", "Có. …"). */
  lead: string;
  yesNo: boolean;
  /** Folded words of the unit the question counts ("xa"), empty when it counts nothing. */
  unitTokens: readonly string[];
  /** Folded places the question names. */
  places: readonly string[];
  /** The question asks for a target or plan: then target sentences state the figure asked. */
  wantsTarget: boolean;
}

export function extractiveFacts(query: AnalyzedQuery, extractive: Answer): ExtractiveFacts {
  return {
    lead: extractive.lead,
    yesNo: query.yesNo,
    unitTokens: query.unitTokens,
    places: query.entities.filter((e) => e.kind === 'place').map((e) => e.folded),
    wantsTarget: query.figureWish.target,
  };
}

export interface Contradiction {
  sentence: string;
  /** What the extractive answer says instead: its lead. */
  expected: string;
}

/** A figure, a ratio counting as one ("119/156"). */
const FIGURE_RE = /\d+(?:[.,]\d+)*(?:\s*\/\s*\d+(?:[.,]\d+)*)?/g;

/** Folded figures of `text` followed by the unit (at once, or after one word: "119/156 đơn vị xã"). */
function unitFigures(folded: string, unit: string): string[] {
  const out: string[] = [];
  for (const m of folded.matchAll(FIGURE_RE)) {
    const after = (folded.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 30).match(/^[\s,:()-]*([a-z]+)(?:\s+([a-z]+))?/) ?? []).slice(1);
    if (after[0] === unit || after[1] === unit) out.push(m[0]);
  }
  return out;
}

function aboutPlace(folded: string, facts: ExtractiveFacts): boolean {
  if (!facts.places.length) return true;
  if (facts.places.some((p) => folded.includes(p))) return true;
  // "Toàn tỉnh có …": the scope of the place asked.
  return scopePhrases().some((s) => new RegExp(`\\b${s.words.join('\\s+')}\\b`).test(folded));
}

type Polarity = 'yes' | 'no';

function leadingPolarity(folded: string): Polarity | undefined {
  const m = /^\s*(co|yes|dung|roi|khong|chua|no)\s*[.,:;!—–-]/.exec(folded);
  if (!m) return undefined;
  return ['khong', 'chua', 'no'].includes(m[1]!) ? 'no' : 'yes';
}

/**
 * `readings` gives every reading of a written number (27.023 is 27023 or 27.023), so a figure
 * agrees with the lead when each of its parts is one of the lead's numbers in some reading.
 */
export function contradictions(sentences: readonly { text: string; paragraph: number }[], facts: ExtractiveFacts, askedWords: ReadonlySet<string>, readings: (raw: string) => string[]): Contradiction[] {
  const out: Contradiction[] = [];
  const lead = fold(facts.lead);
  const unit = facts.unitTokens[0];
  const leadNumbers = new Set((lead.match(/\d+(?:[.,]\d+)*/g) ?? []).flatMap(readings));
  const leadHasUnitFigure = unit !== undefined && unitFigures(lead, unit).some((f) => /[1-9]/.test(f));
  const leadPolarity = facts.yesNo ? leadingPolarity(lead) : undefined;
  const targetCues = intentCues().target;
  // The direct answer is the first paragraph (the prompt asks for it there, and it becomes the
  // lead). Evidence below it may quote other figures of the same unit: admitted members beside
  // the total, a decision's national quota beside the province's share.
  for (const s of sentences.filter((x) => x.paragraph === 0)) {
    const folded = fold(s.text);
    if (!unit || !leadHasUnitFigure || !aboutPlace(folded, facts) || (!facts.wantsTarget && matchesAny(targetCues, folded))) continue;
    const other = unitFigures(folded, unit).find((f) => !f.split('/').every((part) => readings(part.trim()).some((r) => leadNumbers.has(r))));
    const none = new RegExp(`\\b(khong|chua)\\s+(co\\s+)?(mot\\s+)?${unit}\\s+nao\\b`).test(folded);
    if (other !== undefined || none) out.push({ sentence: s.text, expected: facts.lead });
  }
  // Yes or no is the reply's first sentence; later ones may qualify it ("Có. … còn 37 xã chưa …").
  const first = sentences[0];
  if (leadPolarity && first && polarityOf(fold(first.text), askedWords) === opposite(leadPolarity) && !out.some((c) => c.sentence === first.text)) {
    out.push({ sentence: first.text, expected: facts.lead });
  }
  return out;
}

const opposite = (p: Polarity): Polarity => (p === 'yes' ? 'no' : 'yes');

/**
 * The yes or no of a reply's first sentence: its opening word ("Không.", "Có,"), else a negation
 * right before a word of the question ("chưa thực hiện", "không có xã"): a denial of what was asked.
 */
function polarityOf(folded: string, askedWords: ReadonlySet<string>): Polarity | undefined {
  const opening = leadingPolarity(folded);
  if (opening) return opening;
  for (const m of folded.matchAll(/\b(?:khong|chua|not|never)\s+(?:co\s+|duoc\s+|da\s+)?([a-z]+)/g)) {
    if (askedWords.has(m[1]!)) return 'no';
  }
  return undefined;
}
