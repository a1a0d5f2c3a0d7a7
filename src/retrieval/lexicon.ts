import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fold } from '../ingest/normalize.js';

/**
 * Domain vocabulary kept as data in `lexicon/`: abbreviations, the English glossary, stop
 * words and prompt-injection patterns. Loaded once; nothing here names a document or a figure.
 */

function readLexicon<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../lexicon/${name}`, import.meta.url)), 'utf8')) as T;
}

export interface Abbreviation {
  /** As written, e.g. "HĐND". */
  short: string;
  /** Folded, e.g. "hdnd". */
  folded: string;
  /** Folded token lists of each expansion. */
  expansions: string[][];
}

export interface GlossaryEntry {
  /** Lower-case English tokens. */
  english: string[];
  /** Vietnamese phrases (display form) and their folded tokens. */
  vietnamese: { text: string; tokens: string[] }[];
}

const tokensOf = (s: string) => fold(s).match(/[a-z0-9]+/g) ?? [];

export interface Lexicon {
  abbreviations: Abbreviation[];
  glossary: GlossaryEntry[];
  /** Accented single stop words and multi-word stop phrases (as token lists). */
  stopwordsVi: Set<string>;
  stopPhrasesVi: string[][];
  /** The same for questions typed without diacritics: only unambiguous folded forms. */
  stopwordsViFolded: Set<string>;
  stopPhrasesViFolded: string[][];
  stopwordsEn: Set<string>;
  injection: RegExp[];
}

let cached: Lexicon | undefined;

export function lexicon(): Lexicon {
  if (cached) return cached;
  const abbr = readLexicon<Record<string, string[] | string>>('abbreviations.json');
  const glossary = readLexicon<Record<string, string[] | string>>('glossary.en-vi.json');
  const stop = readLexicon<{ vi: string[]; viFolded: string[]; en: string[] }>('stopwords.json');
  const inj = readLexicon<{ patterns: string[] }>('injection.json');
  const abbreviations: Abbreviation[] = Object.entries(abbr)
    .filter(([k, v]) => !k.startsWith('_') && Array.isArray(v))
    .map(([k, v]) => ({ short: k, folded: tokensOf(k).join(''), expansions: (v as string[]).map(tokensOf) }));
  const glossaryEntries: GlossaryEntry[] = Object.entries(glossary)
    .filter(([k, v]) => !k.startsWith('_') && Array.isArray(v))
    .map(([k, v]) => ({
      english: k.toLowerCase().match(/[a-z0-9']+/g)?.map((t) => t.replace(/'s$/, '')) ?? [],
      vietnamese: (v as string[]).map((text) => ({ text, tokens: tokensOf(text) })),
    }))
    .sort((a, b) => b.english.length - a.english.length);
  const single = (list: string[]) => new Set(list.filter((w) => !w.includes(' ')));
  const phrases = (list: string[]) => list.filter((w) => w.includes(' ')).map((w) => w.split(' ')).sort((a, b) => b.length - a.length);
  cached = {
    abbreviations,
    glossary: glossaryEntries,
    stopwordsVi: single(stop.vi),
    stopPhrasesVi: phrases(stop.vi),
    stopwordsViFolded: single(stop.viFolded),
    stopPhrasesViFolded: phrases(stop.viFolded),
    stopwordsEn: new Set(stop.en),
    injection: inj.patterns.map((p) => new RegExp(p)),
  };
  return cached;
}
