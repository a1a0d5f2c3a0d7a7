import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { fold } from './normalize.js';

/**
 * Document types and document numbers, defined once in lexicon/documents.json: the structure
 * parser names a document's type from its heading or number, the query analyser recognises
 * "kế hoạch số mấy", and answers tell a corpus document's own number from one it cites.
 */

const DocumentsFile = z.object({
  types: z.array(z.object({ name: z.string().min(1), codes: z.array(z.string()) })),
  numberPattern: z.string().min(1),
});

export interface DocumentType {
  /** As written in sentence case ("Báo cáo"). */
  name: string;
  /** Folded ("bao cao"). */
  folded: string;
  /** Upper-case codes in document numbers ("BC"). */
  codes: string[];
}

interface DocumentLexicon {
  types: DocumentType[];
  numberSource: string;
}

let cached: DocumentLexicon | undefined;

function lexicon(): DocumentLexicon {
  if (cached) return cached;
  const file = DocumentsFile.parse(JSON.parse(readFileSync(fileURLToPath(new URL('../../lexicon/documents.json', import.meta.url)), 'utf8')));
  cached = {
    types: file.types.map((t) => ({ name: t.name, folded: fold(t.name), codes: t.codes.map((c) => c.toUpperCase()) })),
    numberSource: file.numberPattern,
  };
  return cached;
}

export function documentTypes(): readonly DocumentType[] {
  return lexicon().types;
}

/** A fresh regular expression for document numbers ("g" for all of them in a text). */
export function documentNumberRe(flags: 'u' | 'gu' = 'u'): RegExp {
  return new RegExp(lexicon().numberSource, flags);
}

/** The type code of a number: "45-BC/HU" → "BC", "127/BC-UBND" → "BC". */
export function documentCode(number: string): string | undefined {
  return /^\d+(?:\/\d{4})?[-/]([\p{L}]+)/u.exec(number.trim())?.[1]?.toUpperCase();
}

/** "45-BC/HU" → "Báo cáo". */
export function typeOfCode(code: string): string | undefined {
  const c = code.toUpperCase();
  return lexicon().types.find((t) => t.codes.includes(c))?.name;
}

/** The document types a folded text names ("bao cao ve ke hoach" → Báo cáo, Kế hoạch). */
export function typesNamedIn(folded: string): DocumentType[] {
  return lexicon().types.filter((t) => new RegExp(`\\b${t.folded}\\b`).test(folded));
}
