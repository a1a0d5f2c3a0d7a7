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
  signer?: string;
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

export type ChunkKind = 'body' | 'footnote';

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

export interface ParsedDocument {
  meta: DocumentMeta;
  sections: SectionInfo[];
  footnotes: FootnoteInfo[];
  chunks: Chunk[];
  /** Non-fatal observations, e.g. footnote anchors that could not be matched. */
  warnings: string[];
}

export interface ScoredChunk {
  chunk: Chunk;
  score: number;
}
