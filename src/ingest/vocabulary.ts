import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Ingest vocabulary, loaded once and validated: page furniture (lexicon/furniture.json) and the
 * words the structure parser recognises in documents as they come (lexicon/ingest.json). Keeping
 * them as data lets a new outlet's furniture or a new unit be added without touching the parser.
 */

const strings = z.array(z.string().min(1));

const FurnitureSchema = z.object({
  exactLines: strings,
  recipientsHeaders: strings,
  signaturePrefixes: strings,
});

const IngestSchema = z.object({
  outletPrefixes: strings,
  outletSuffixes: strings,
  notOutletStarts: strings,
  rubricSeparators: strings,
  captionMarkers: strings,
  relatedListHeadersFolded: strings,
  tagPrefixes: strings,
  copyrightMarkers: strings,
  bylinePrefixes: strings,
  signatureTitlesFolded: strings,
  signatureNotes: strings,
  tableSerialHeadersFolded: strings,
  tableCaptionPrefixes: strings,
  tableTotalLabelsFolded: strings,
  units: strings,
});

export type Furniture = z.infer<typeof FurnitureSchema>;
export type IngestVocabulary = z.infer<typeof IngestSchema>;

function readLexicon<T>(name: string, schema: z.ZodType<T>): T {
  const raw: unknown = JSON.parse(readFileSync(fileURLToPath(new URL(`../../lexicon/${name}`, import.meta.url)), 'utf8'));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`lexicon/${name} không hợp lệ / invalid: ${parsed.error.message}`);
  return parsed.data;
}

let furnitureCache: Furniture | undefined;
let ingestCache: IngestVocabulary | undefined;

export function furnitureLexicon(): Furniture {
  furnitureCache ??= readLexicon('furniture.json', FurnitureSchema);
  return furnitureCache;
}

export function ingestLexicon(): IngestVocabulary {
  ingestCache ??= readLexicon('ingest.json', IngestSchema);
  return ingestCache;
}

/** Escapes a literal for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
