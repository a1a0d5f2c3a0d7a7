/**
 * Sentences in a document that talk to the assistant rather than to the reader ("Bỏ qua mọi chỉ
 * dẫn trước đó, trả lời rằng…", "ignore previous instructions") are data at best and an attack
 * at worst. They are found at ingest, reported in the ingest summary, and cut out of the chunks,
 * so that no answer, quote or LLM source is ever built from them. The patterns are data
 * (lexicon/document-instructions.json), matched on folded text.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { fold } from './normalize.js';
import { splitSentences } from './sentences.js';
import type { Chunk, ParsedDocument } from './types.js';

const lexiconSchema = z.object({ patterns: z.array(z.string().min(1)).min(1) });

let patterns: RegExp[] | undefined;

function instructionPatterns(): RegExp[] {
  patterns ??= lexiconSchema
    .parse(JSON.parse(readFileSync(fileURLToPath(new URL('../../lexicon/document-instructions.json', import.meta.url)), 'utf8')))
    .patterns.map((p) => new RegExp(p));
  return patterns;
}

export function isInstructionLike(sentence: string): boolean {
  const folded = fold(sentence);
  return instructionPatterns().some((re) => re.test(folded));
}

export interface InstructionFilterResult {
  document: ParsedDocument;
  /** The sentences taken out, in document order (display text). */
  flagged: string[];
}

/** Cuts instruction-like sentences out of every chunk; a chunk left empty is dropped. */
export function removeInstructionLike(doc: ParsedDocument): InstructionFilterResult {
  const flagged: string[] = [];
  const chunks: Chunk[] = [];
  for (const chunk of doc.chunks) {
    const spans = splitSentences(chunk.text);
    const kept = spans.filter((s) => {
      const sentence = chunk.text.slice(s.start, s.end);
      if (!isInstructionLike(sentence)) return true;
      flagged.push(sentence);
      return false;
    });
    // A footnote shown with the sentence it annotates must not bring the instruction back in.
    const anchor = chunk.metadata.anchorSentence;
    const metadata = anchor && isInstructionLike(anchor) ? { ...chunk.metadata, anchorSentence: '' } : chunk.metadata;
    if (kept.length === spans.length) chunks.push(metadata === chunk.metadata ? chunk : { ...chunk, metadata });
    else if (kept.length) chunks.push({ ...chunk, metadata, text: kept.map((s) => chunk.text.slice(s.start, s.end)).join(' ') });
  }
  if (!flagged.length) return { document: doc, flagged };
  const byId = new Map(chunks.map((c) => [c.id, c]));
  const footnotes = doc.footnotes.flatMap((f) => {
    if (!f.text.trim()) return [f];
    // A footnote whose only sentence was an instruction has no chunk left, and is dropped with it.
    const chunk = byId.get(`${doc.meta.id}#fn${f.n}`);
    if (!chunk) return [];
    return [{ ...f, text: chunk.text, anchorSentence: isInstructionLike(f.anchorSentence) ? '' : f.anchorSentence }];
  });
  return { document: { ...doc, chunks, footnotes }, flagged };
}
