import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { fold } from './normalize.js';

/**
 * Administrative place markers ("tỉnh", "huyện ủy", "thị trấn", "thôn"), defined once in
 * lexicon/places.json for every stage that recognises places: the name index, the query
 * analyser, list answers and the trainer.
 */

export type PlaceLevel = 'province' | 'district' | 'commune' | 'village';

const PlacesFile = z.object({
  scopePhrases: z.object({ province: z.array(z.string()), district: z.array(z.string()), commune: z.array(z.string()), village: z.array(z.string()) }),
  markers: z.array(
    z.object({
      text: z.string().min(1),
      level: z.enum(['province', 'district', 'commune', 'village']),
      foldedSafe: z.boolean().optional(),
      english: z.boolean().optional(),
    }),
  ),
});

export interface PlaceMarker {
  /** As written, with diacritics ("thị trấn"). */
  text: string;
  /** Folded words ("thi", "tran"). */
  words: string[];
  level: PlaceLevel;
  /** False when the folded form is also a common word ("ban"): match it accented only. */
  foldedSafe: boolean;
  english: boolean;
}

let cached: PlaceMarker[] | undefined;
let cachedScopes: { level: PlaceLevel; words: string[] }[] | undefined;

function readPlaces(): z.infer<typeof PlacesFile> {
  return PlacesFile.parse(JSON.parse(readFileSync(fileURLToPath(new URL('../../lexicon/places.json', import.meta.url)), 'utf8')));
}

/** Phrases that set a level without a name ("toàn tỉnh", "Đảng bộ huyện"), as folded words. */
export function scopePhrases(): { level: PlaceLevel; words: string[] }[] {
  if (cachedScopes) return cachedScopes;
  const file = readPlaces();
  cachedScopes = (['province', 'district', 'commune', 'village'] as const).flatMap((level) => file.scopePhrases[level].map((p) => ({ level, words: fold(p).split(/\s+/) })));
  return cachedScopes;
}

/** Every marker, longest first, so "thị trấn" is tried before "thị". */
export function placeMarkers(): PlaceMarker[] {
  if (cached) return cached;
  const file = readPlaces();
  cached = file.markers
    .map((m) => ({ text: m.text, words: fold(m.text).match(/[a-z.]+/g) ?? [], level: m.level, foldedSafe: m.foldedSafe ?? true, english: m.english ?? false }))
    .sort((a, b) => b.words.length - a.words.length);
  return cached;
}
