import type { Citation, Language } from '../answer/types.js';

/**
 * Platform-neutral shapes of the trainer features (quizzes, summaries, comparisons). Channels
 * render them (plain text for console/Zalo, native quiz polls for Telegram); every item carries
 * the Citation it was taken from so a trainer can always show where a fact comes from.
 */

export type { Citation, Language };

/** How a figure is written; options of one question always share it. */
export type FigureKind = 'percent' | 'fraction' | 'thousands' | 'integer' | 'padded' | 'decimal';

/**
 * Cloze kinds (a blanked figure, place, document number or body; a true/false statement) and
 * teaching kinds: an item of a lessons/causes/recommendations section, which report said it,
 * which body issued a report, when, and who signed it, which locality ranks first on one indicator.
 */
export type QuestionKind = 'figure' | 'place' | 'docnumber' | 'body' | 'truefalse' | 'item' | 'source' | 'issuer' | 'signer' | 'year' | 'compare';

export interface QuizQuestion {
  /** Stable id: the same sentence and target always give the same id. */
  id: string;
  kind: QuestionKind;
  /** The question as shown (≤ 300 characters so it fits a Telegram quiz poll). */
  text: string;
  /** 2–4 options, each ≤ 100 characters. */
  options: string[];
  /** Index of the correct option. */
  answer: number;
  /** Reveal text: why the answer is right, quoting the source. */
  explanation: string;
  citation: Citation;
  /**
   * Text that must appear in the cited passage: the correct option for multiple choice, the
   * true figure/name for a true/false statement. Tests and the CLI check it.
   */
  evidence: string;
  /** Short name of the source document for stems and poll explanations ("Báo cáo số 381-BC/TU (…)"). */
  source: string;
  /** Key of the source sentence, so a round never asks about one sentence twice. */
  sentenceKey: string;
  /** For figure questions: the kind shared by every option. */
  figureKind?: FigureKind;
  /** True/false only: the full statement shown (the source sentence, or it with one value swapped). */
  statement?: string;
  statementTrue?: boolean;
}

export interface SummaryLine {
  /** Display text (a source sentence, possibly shortened at a word boundary with "…"). */
  text: string;
  kind: 'figure' | 'finding' | 'lesson' | 'recommendation';
  citation: Citation;
}

export type SectionRole = 'body' | 'lessons' | 'recommendations' | 'tasks' | 'limits' | 'causes';

export interface SummarySection {
  /** Heading path from the root, e.g. ["III. Đánh giá chung", "3. Bài học kinh nghiệm"]. */
  path: string[];
  /** Short reference used on every line, e.g. "III › 3". */
  ref: string;
  role: SectionRole;
  lines: SummaryLine[];
}

export interface ReportSummary {
  /** `label` is the short name used in the heading ("Báo cáo 412-BC/TU (Tỉnh ủy Hà Sơn, 20/11/2024)"). */
  document: { id: string; title: string; label: string; number?: string };
  sections: SummarySection[];
  /** Long form ("đầy đủ", up to three messages) or the default single message. */
  full: boolean;
  /** Sections left out to stay within the message budget. */
  omittedSections: number;
}

export type SummaryResult =
  | { kind: 'summary'; summary: ReportSummary }
  /** No or several documents match: the caller lists them and asks which one. */
  | { kind: 'choose'; query: string; noMatch: boolean; candidates: { id: string; title: string; number?: string }[] };

export interface ComparedFigure {
  /** Number and unit exactly as written in the quote, e.g. "119/156 xã, phường, thị trấn (đạt 76,28%)". */
  text: string;
  /** A verbatim window of the quote around the figure (with "…" where cut), for context. */
  context: string;
  /** Short name of the source document ("Báo cáo số 381-BC/TU (…)"). */
  source: string;
  citation: Citation;
  /** The figure's typed indicator (facts.ts), equal on every side of a row. */
  indicator: string;
  unitKey: string;
  status: 'actual' | 'target';
  /** How the source dates it ("Đến ngày 30-9-2024", "đến nay"), when it does. */
  time?: string;
  year?: number;
}

export interface ComparisonRow {
  /** Indicator shown to the user, e.g. "xã, phường, thị trấn". */
  indicator: string;
  /** Indicator key the row is built on, e.g. "ratio|actual|commune". */
  key: string;
  measure: 'count' | 'ratio' | 'percent' | 'change';
  status: 'actual' | 'target';
  /** What is counted, in the source's words after the unit ("thực hiện mô hình bí thư…"), or "". */
  about: string;
  /** One cell per side; an empty array means "no figure" and is rendered as such. */
  sides: ComparedFigure[][];
}

export interface ComparisonSide {
  query: string;
  /** Display label, e.g. "An Giang" or "Báo cáo số 381-BC/TU". */
  label: string;
  kind: 'document' | 'place' | 'period' | 'keyword';
  documents: string[];
}

export type ComparisonResult =
  | { kind: 'comparison'; sides: ComparisonSide[]; topic?: string; rows: ComparisonRow[]; omittedRows: number }
  | { kind: 'usage' }
  /** Years compared for one place, but no place is reported in every year. */
  | { kind: 'noCommonPlace'; sides: ComparisonSide[] }
  | { kind: 'unknown'; side: string };
