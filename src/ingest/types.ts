/** Shapes produced by ingestion and consumed by every later stage. */

export type DocumentKind = 'report' | 'article' | 'document';

export interface DocumentMeta {
  /** Stable id: the corpus file name without its extension. */
  id: string;
  /** Path relative to the corpus folder. */
  file: string;
  kind: DocumentKind;
  /** Human title used in citations: number, issuer and date included where known. */
  title: string;
  /** The document's own title line(s), e.g. "Báo cáo sơ kết 09 năm thực hiện mô hình …". */
  heading: string;
  docType?: string;
  number?: string;
  issuer?: string;
  place?: string;
  /** ISO date (yyyy-mm-dd) where one was found. */
  date?: string;
  /** The signer's name alone ("Bế Thị Lan"); the capacity is in `signerTitle`. */
  signer?: string;
  /** The signature caption lines, e.g. "T/M BAN THƯỜNG VỤ, PHÓ BÍ THƯ" or "KT. CHỦ TỊCH, PHÓ CHỦ TỊCH". */
  signerTitle?: string;
  /** Name of the news outlet (articles), or of the publication a report was taken from. */
  outlet?: string;
  author?: string;
  sourceUrl?: string;
}

export interface SectionInfo {
  /** Headings from the root down, e.g. ["III. Đánh giá chung", "2. Hạn chế…", "2.2. Nguyên nhân"]. */
  path: string[];
  charStart: number;
  charEnd: number;
}

export interface FootnoteInfo {
  n: number;
  text: string;
  /** Section path of the anchor. */
  sectionPath: string[];
  /** The sentence the footnote annotates (display text). */
  anchorSentence: string;
  /** Offset of the anchor in the original text. */
  anchorOffset: number;
  charStart: number;
  charEnd: number;
}

/**
 * body: running text; footnote: a note, cited at its anchor's section + "chú thích N";
 * table: one row of a data table as "column header: cell" pairs, its section path ending in the
 * table's caption and the row's label (first cell), e.g. ["Phụ lục", "Bảng 1", "Huyện Na Cô"].
 */
export type ChunkKind = 'body' | 'footnote' | 'table';

export interface ChunkMetadata {
  documentId: string;
  sectionPath: string[];
  kind: ChunkKind;
  /** Footnote number when the chunk is a footnote. */
  footnote?: number;
  /** Footnotes anchored inside this chunk. */
  footnoteRefs: number[];
  /** For a footnote: the sentence it annotates. */
  anchorSentence?: string;
  /** For a table row: which table (index into ParsedDocument.tables) and the row's label. */
  table?: { index: number; row: string };
  /** Character offsets into the original text of the document. */
  charStart: number;
  charEnd: number;
  /** Position of the chunk within its document (0-based), for neighbours. */
  ordinal: number;
}

export interface Chunk {
  id: string;
  /** Display text in the original spelling, line breaks from footnote marks repaired. */
  text: string;
  metadata: ChunkMetadata;
}

/** A data table of the document (Word table, Markdown pipe table). */
export interface TableInfo {
  /** The caption printed above it ("Biểu số 01: …"), or "Bảng N" when it has none. */
  caption: string;
  /** Section path of the table itself; its rows are cited as [...sectionPath, caption, row label]. */
  sectionPath: string[];
  columns: string[];
  /** Body rows (header excluded), one chunk each. */
  rowCount: number;
}

export interface ParsedDocument {
  meta: DocumentMeta;
  sections: SectionInfo[];
  footnotes: FootnoteInfo[];
  tables: TableInfo[];
  chunks: Chunk[];
  /** Non-fatal observations, e.g. footnote anchors that could not be matched. */
  warnings: string[];
  /** Pages of a scanned PDF that were read by OCR, and how long that took. */
  ocr?: { pages: number; durationMs: number };
}

export interface ScoredChunk {
  chunk: Chunk;
  score: number;
}
