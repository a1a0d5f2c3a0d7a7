/**
 * An upper bound on chunk size. The chunker (structure.ts) cuts between sentences, so a single
 * overlong "sentence" — a 662 KB paragraph without full stops, a 5 MB line — became one chunk,
 * and `/trichdan` then sent it as 166 messages. Chunks longer than `maxChars` are cut again here:
 * at sentence boundaries first, then at clause boundaries (; : , –), then between words, and
 * only as a last resort inside a word. Pieces are packed up to `targetChars`, the chunker's own
 * target, so a cut chunk looks like its neighbours.
 */
import { splitSentences } from './sentences.js';
import { CHUNK_TARGET_CHARS } from './structure.js';
import type { Chunk, ParsedDocument } from './types.js';

export interface ChunkCap {
  /** Chunks longer than this are cut. */
  maxChars: number;
  /** Size the pieces of a cut chunk are packed to (≤ maxChars). */
  targetChars: number;
}

export const DEFAULT_CHUNK_CAP: ChunkCap = { maxChars: 2 * CHUNK_TARGET_CHARS, targetChars: CHUNK_TARGET_CHARS };

/** A piece of a text: `text.slice(start, end)`, separators included so pieces tile the text. */
interface Piece {
  start: number;
  end: number;
}

type Level = 'sentence' | 'clause' | 'word' | 'char';
const NEXT_LEVEL: Record<Level, Level | undefined> = { sentence: 'clause', clause: 'word', word: 'char', char: undefined };

/** Boundaries inside text[start, end) at one level, as tiling pieces. */
function tile(text: string, start: number, end: number, level: Level, size: number): Piece[] {
  const slice = text.slice(start, end);
  const cuts: number[] = [];
  if (level === 'sentence') {
    for (const span of splitSentences(slice).slice(1)) cuts.push(span.start);
  } else if (level === 'clause' || level === 'word') {
    const re = level === 'clause' ? /[;:,]\s+|\s+[–—-]\s+/gu : /\s+/gu;
    for (let m = re.exec(slice); m; m = re.exec(slice)) if (m.index + m[0].length < slice.length) cuts.push(m.index + m[0].length);
  } else {
    for (let i = size; i < slice.length; i += size) {
      // Never split a surrogate pair: a half character is not text.
      const at = /[\uDC00-\uDFFF]/.test(slice[i] ?? '') ? i + 1 : i;
      if (at < slice.length) cuts.push(at);
    }
  }
  const pieces: Piece[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut > from) pieces.push({ start: start + from, end: start + cut });
    from = cut;
  }
  pieces.push({ start: start + from, end });
  return pieces;
}

/** Cuts text[start, end) into pieces of at most `size` characters, preferring coarse boundaries. */
function cutRange(text: string, start: number, end: number, size: number, level: Level): Piece[] {
  if (end - start <= size) return [{ start, end }];
  const units = tile(text, start, end, level, size).flatMap((u) => {
    const next = NEXT_LEVEL[level];
    return u.end - u.start > size && next ? cutRange(text, u.start, u.end, size, next) : [u];
  });
  // Pack consecutive units back together up to `size`.
  const packed: Piece[] = [];
  for (const u of units) {
    const last = packed[packed.length - 1];
    if (last && u.end - last.start <= size) last.end = u.end;
    else packed.push({ ...u });
  }
  return packed;
}

/** The text cut into trimmed pieces of at most `cap.targetChars` (when it exceeds `cap.maxChars`). */
export function cutLongText(text: string, cap: ChunkCap = DEFAULT_CHUNK_CAP): { text: string; offset: number }[] {
  if (text.length <= cap.maxChars) return [{ text, offset: 0 }];
  return cutRange(text, 0, text.length, cap.targetChars, 'sentence').flatMap((p) => {
    const raw = text.slice(p.start, p.end);
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    return trimmed ? [{ text: trimmed, offset: p.start + lead }] : [];
  });
}

function piecesOf(chunk: Chunk, cap: ChunkCap): Chunk[] {
  const pieces = cutLongText(chunk.text, cap);
  if (pieces.length === 1) return [chunk];
  const { charStart, charEnd } = chunk.metadata;
  return pieces.map((p, i) => {
    // Offsets are exact inside one sentence (the usual case: one overlong paragraph), and kept
    // inside the chunk's own range otherwise.
    const start = Math.min(charEnd, charStart + p.offset);
    return {
      id: chunk.id,
      text: p.text,
      metadata: {
        ...chunk.metadata,
        // Footnote marks stay with the first piece; it is the one the footnote chunk points to.
        footnoteRefs: i === 0 ? chunk.metadata.footnoteRefs : [],
        charStart: start,
        charEnd: Math.min(charEnd, start + p.text.length),
      },
    };
  });
}

/** The document with every chunk over `cap.maxChars` cut; ids and ordinals renumbered if needed. */
export function capChunks(doc: ParsedDocument, cap: ChunkCap = DEFAULT_CHUNK_CAP): ParsedDocument {
  if (!doc.chunks.some((c) => c.text.length > cap.maxChars)) return doc;
  const chunks = doc.chunks.flatMap((c) => piecesOf(c, cap));
  let ordinal = 0;
  const seenFootnotePieces = new Map<number, number>();
  const renumbered = chunks.map((c): Chunk => {
    const own = ordinal++;
    if (c.metadata.kind === 'footnote' && c.metadata.footnote !== undefined) {
      // The first piece keeps "#fn<n>" (anchors and partners look it up); later ones get a suffix.
      const k = seenFootnotePieces.get(c.metadata.footnote) ?? 0;
      seenFootnotePieces.set(c.metadata.footnote, k + 1);
      const id = k === 0 ? `${doc.meta.id}#fn${c.metadata.footnote}` : `${doc.meta.id}#fn${c.metadata.footnote}.${k}`;
      return { ...c, id, metadata: { ...c.metadata, ordinal: own } };
    }
    return { ...c, id: `${doc.meta.id}#${own}`, metadata: { ...c.metadata, ordinal: own } };
  });
  return { ...doc, chunks: renumbered };
}
