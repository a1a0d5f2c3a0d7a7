import { sectionLabel } from '../../ingest/structure.js';
import type { Chunk } from '../../ingest/types.js';
import type { IndexSnapshot } from '../../index/store.js';
import type { RetrievedChunk } from '../../retrieval/hybrid.js';
import type { Answer } from '../types.js';
import { fill, type LlmPromptSet } from './prompts.js';

/**
 * The numbered sources the model sees. Numbering is the model's citation space: [n] in its
 * reply refers to `sources[n - 1]`. Passage text is data; anything in it that looks like the
 * block's own delimiters is removed so a document cannot close the block and speak as the user.
 */

export interface NumberedSource {
  /** 1-based number the model cites. */
  n: number;
  chunk: Chunk;
  title: string;
  section: string;
  /** The passage as shown to the model (footnotes with the sentence they annotate). */
  text: string;
}

export interface SourceSelection {
  /** Passages shown to the model, at most this many (context budget, and fewer distractors). */
  maxSources?: number;
  /** Characters per passage; longer passages are cut (chunks are normally well under this). */
  maxSourceChars?: number;
}

/** Tags used (in any language set) to delimit data blocks; stripped from passage text. */
const DELIMITER_TAG = /<\s*\/?\s*(?:ngu[oồ]n|sources?|lich_su|l[iị]ch_s[uử]|history)\b[^>]*>/giu;

export function sanitizeSourceText(text: string): string {
  return text.replace(DELIMITER_TAG, ' ');
}

/**
 * Retrieval order, with the passages the extractive answer quoted guaranteed a place: they are
 * known evidence, and the model should be able to cite what the offline path would have cited.
 */
export function selectSources(retrieved: readonly RetrievedChunk[], extractive: Answer, snapshot: IndexSnapshot, options: SourceSelection = {}): NumberedSource[] {
  const max = Math.max(1, options.maxSources ?? 6);
  const maxChars = Math.max(200, options.maxSourceChars ?? 2000);
  // Evidence first in the budget, then retrieval order; shown to the model in retrieval order.
  const evidenceIds = new Set(extractive.citations.map((c) => c.chunkId).filter((id) => snapshot.chunkById.has(id)));
  const keep = new Set(evidenceIds);
  for (const r of retrieved) {
    if (keep.size >= Math.max(max, evidenceIds.size)) break;
    keep.add(r.chunk.id);
  }
  const chosen: Chunk[] = [];
  for (const r of retrieved) if (keep.delete(r.chunk.id)) chosen.push(r.chunk);
  // Evidence the retriever did not return (should not happen, but the quote must be citable).
  for (const id of keep) chosen.push(snapshot.chunkById.get(id)!);
  return chosen.map((chunk, i) => {
    const m = chunk.metadata;
    const body = m.kind === 'footnote' && m.anchorSentence ? `${chunk.text}\n(${m.anchorSentence})` : chunk.text;
    const cut = body.length > maxChars ? `${body.slice(0, maxChars)}…` : body;
    return {
      n: i + 1,
      chunk,
      title: snapshot.documentById.get(m.documentId)?.meta.title ?? m.documentId,
      section: sectionLabel(m.sectionPath, m.footnote),
      text: sanitizeSourceText(cut),
    };
  });
}

/** "[n] <title> — <section>\n<text>" blocks separated by blank lines, per the prompt file. */
export function formatSources(sources: readonly NumberedSource[], prompts: LlmPromptSet): string {
  return sources
    .map((s) =>
      fill(s.section ? prompts.source : prompts.sourceNoSection, {
        n: s.n,
        title: sanitizeSourceText(s.title),
        section: sanitizeSourceText(s.section),
        text: s.text,
      }),
    )
    .join('\n\n');
}
