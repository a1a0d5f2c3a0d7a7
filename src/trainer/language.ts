import type { Language } from '../answer/types.js';
import { detectLanguage } from '../retrieval/query.js';

/**
 * The trainer answers in the language the user wrote: an English alias alone ("/quiz") is not
 * English writing, so it gets Vietnamese; "/quiz lessons learned in Ha Son" gets English. A round
 * keeps the language its starter wrote in, so only an English starter makes an English round.
 */
export function trainerLanguage(args: string): Language {
  // A topic of two unaccented words ("an giang", "kon tum") is a name, not English writing.
  const words = args.trim().split(/\s+/).filter(Boolean);
  return words.length >= 3 && detectLanguage(args) === 'en' ? 'en' : 'vi';
}
