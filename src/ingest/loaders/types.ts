/**
 * What a format loader hands to the structure parser. Loaders only turn bytes into paragraphs
 * (with explicit headings and footnotes where the format has them); everything about report
 * structure, metadata and chunking happens once, format-independently, in structure.ts.
 */

export type SourceFormat = 'txt' | 'md' | 'docx' | 'doc' | 'pdf';

export interface FootnoteAnchor {
  /** Footnote number as the document numbers it. */
  n: number;
  /** Offset inside the block's `text` where the footnote mark stood. */
  offset: number;
}

export interface SourceBlock {
  /** One paragraph, heading or list item, in the original spelling (NFC). No trailing newline. */
  text: string;
  /** Offsets of the block in `LoadedSource.originalText`. */
  start: number;
  end: number;
  /** Explicit heading level from the format (Word "Heading N" → N, Markdown "#"s). */
  headingLevel?: number;
  /** Footnote marks inside this block, in order. */
  footnoteAnchors: FootnoteAnchor[];
  /** The whole paragraph is bold (Word run formatting, Markdown `**…**`): a heading candidate. */
  bold?: boolean;
  /** A data table; `text` then holds its rows joined by TABLE_ROW_SEPARATOR, cells by " | ". */
  table?: SourceTable;
}

/** Joins a table's rows in its block text: a block stays one line, and no report uses "‖". */
export const TABLE_ROW_SEPARATOR = ' ‖ ';

/** A data table as a grid: every row has one cell per column (spans expanded). */
export interface SourceTable {
  /** Column headers; several header rows are joined per column ("Năm 2022 – Kết nạp"). */
  header: string[];
  rows: string[][];
}

export interface SourceFootnote {
  n: number;
  text: string;
  start: number;
  end: number;
}

/** Pages read by OCR (no text layer) and how long that took. */
export interface OcrStats {
  pages: number;
  durationMs: number;
}

export interface LoadedSource {
  format: SourceFormat;
  /** The text that every offset refers to and that quotes are cut from. */
  originalText: string;
  blocks: SourceBlock[];
  footnotes: SourceFootnote[];
  /** Front-matter fields of a .md file (title, number, issuer, date, …). */
  frontMatter?: Record<string, string>;
  /** Set when pages of a scanned PDF were read by OCR. */
  ocr?: OcrStats;
}

/** A file the loader cannot read; `reason` is shown to users and in the ingest summary. */
export class UnsupportedDocumentError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'UnsupportedDocumentError';
  }
}
