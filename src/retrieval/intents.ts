import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * What kind of answer a question asks for, from cue phrases kept as data (lexicon/intents.json):
 * a document's own details (signer, date, number, issuer, author, title, which document), yes or
 * no, a target rather than an actual figure, a percentage, the new value of a change, and the
 * short follow-ups of a conversation ("tại sao?", "nguồn nào?"). Cues match folded text.
 */

export type DocumentField = 'signer' | 'date' | 'number' | 'issuer' | 'author' | 'title' | 'which';
export type FollowUpKind = 'why' | 'source' | 'more' | 'year';

const Patterns = z.array(z.string().min(1));
const IntentFile = z.object({
  documentFields: z.object({ signer: Patterns, date: Patterns, number: Patterns, issuer: Patterns, author: Patterns, title: Patterns, which: Patterns }),
  documentWords: z.object({ report: Patterns, article: Patterns, any: Patterns }),
  yesNo: Patterns,
  negative: Patterns,
  target: Patterns,
  actualNow: Patterns,
  changeTo: Patterns,
  changeBy: Patterns,
  percent: Patterns,
  followUp: z.object({ why: Patterns, source: Patterns, more: Patterns, year: Patterns }),
  reasonWords: Patterns,
  listIntroducers: Patterns,
  figureLeadIn: Patterns,
  totalRowLabels: Patterns,
});

export interface IntentCues {
  documentFields: { field: DocumentField; patterns: RegExp[] }[];
  documentWords: { report: string[]; article: string[]; any: string[] };
  yesNo: RegExp[];
  negative: RegExp[];
  target: RegExp[];
  actualNow: RegExp[];
  changeTo: RegExp[];
  changeBy: RegExp[];
  percent: RegExp[];
  followUp: { kind: FollowUpKind; patterns: RegExp[] }[];
  reasonWords: string[];
  listIntroducers: string[];
  /** Folded function words that may stand right before a figure without naming another quantity. */
  figureLeadIn: string[];
  /** Folded labels of a table's total row ("tong cong", "toan tinh"). */
  totalRowLabels: string[];
}

let cached: IntentCues | undefined;

const compile = (list: readonly string[]) => list.map((p) => new RegExp(p));

export function intentCues(): IntentCues {
  if (cached) return cached;
  const file = IntentFile.parse(JSON.parse(readFileSync(fileURLToPath(new URL('../../lexicon/intents.json', import.meta.url)), 'utf8')));
  // The order matters: "ai ký báo cáo số …" asks for the signer, not the number.
  const fieldOrder: DocumentField[] = ['signer', 'author', 'issuer', 'date', 'title', 'number', 'which'];
  cached = {
    documentFields: fieldOrder.map((field) => ({ field, patterns: compile(file.documentFields[field]) })),
    documentWords: file.documentWords,
    yesNo: compile(file.yesNo),
    negative: compile(file.negative),
    target: compile(file.target),
    actualNow: compile(file.actualNow),
    changeTo: compile(file.changeTo),
    changeBy: compile(file.changeBy),
    percent: compile(file.percent),
    followUp: (['why', 'source', 'more', 'year'] as const).map((kind) => ({ kind, patterns: compile(file.followUp[kind]) })),
    reasonWords: file.reasonWords,
    listIntroducers: file.listIntroducers,
    figureLeadIn: file.figureLeadIn,
    totalRowLabels: file.totalRowLabels,
  };
  return cached;
}

export const matchesAny = (patterns: readonly RegExp[], folded: string): boolean => patterns.some((p) => p.test(folded));

/** The document detail a question asks for, if it asks for one. */
export function documentFieldOf(folded: string): DocumentField | undefined {
  return intentCues().documentFields.find((f) => matchesAny(f.patterns, folded))?.field;
}

export function followUpKindOf(folded: string): FollowUpKind | undefined {
  const f = folded.replace(/[?!.\s]+$/, '').trim();
  return intentCues().followUp.find((k) => k.patterns.some((p) => p.test(f)))?.kind;
}
