/** What the answer stage hands to the conversation core and to the CLI. */

export type Language = 'vi' | 'en';

/** The answer contract's bound on `lead` (shared/eval README). */
export const LEAD_MAX_CHARS = 500;

export type AnswerKind =
  | 'answer'
  /** The reports do not say. */
  | 'not_found'
  /** The question names a place, body or document that no report covers. */
  | 'unknown_entity'
  /** Prompt injection, requests for configuration or secrets. */
  | 'refused'
  /** Empty, emoji-only or otherwise unusable input. */
  | 'invalid';

export interface Citation {
  /** Stable document id (corpus file name without extension). */
  document: string;
  /** Human title with number, issuer and date. */
  title: string;
  /** Section path joined with " › ", ending in "chú thích N" for footnotes. */
  section: string;
  /** The cited text, in the original spelling. */
  quote: string;
  /** Short form for chat: "Báo cáo 381-BC/TU (Tỉnh ủy Kon Tum, 27/02/2019), mục III.2.2"; full titles stay in /nguon. */
  label?: string;
  chunkId: string;
}

export interface Answer {
  question: string;
  answered: boolean;
  kind: AnswerKind;
  language: Language;
  /**
   * The direct answer, the line a chat shows first (at most LEAD_MAX_CHARS): the figure with its
   * unit and place, the name, the date, yes or no with its figure, the items of a list. For a
   * refusal it is the refusal itself.
   */
  lead: string;
  /** Answer text without the citation list (the lead, then the quoted evidence); channels render citations themselves. */
  text: string;
  citations: Citation[];
  /** Which path produced the text (extractive or llm), for logs and tests. */
  via: 'extractive' | 'llm';
}

/** One earlier exchange, used to resolve follow-ups ("còn Kon Tum thì sao?"). */
export interface ConversationTurn {
  question: string;
  /** The standalone question that was actually answered. */
  resolvedQuestion: string;
  answer: Answer;
}
