/**
 * User-facing texts that only the Zalo channel needs; everything else comes from the core's
 * prompts/bot.*.json. Vietnamese first; English for replies the core marked as English.
 */

import type { Language } from '../../answer/types.js';

export interface ZaloStrings {
  /** Zalo has no buttons: the textual stand-in for the "open citation N" button. */
  citeHintOne: (n: number) => string;
  citeHintMany: (ns: number[]) => string;
}

const vi: ZaloStrings = {
  citeHintOne: (n) => `Gõ /trichdan ${n} để xem đoạn trích.`,
  citeHintMany: (ns) =>
    `Gõ /trichdan kèm số nguồn để xem đoạn trích, ví dụ ${ns
      .slice(0, 3)
      .map((n) => `/trichdan ${n}`)
      .join(', ')}.`,
};

const en: ZaloStrings = {
  citeHintOne: (n) => `Type /trichdan ${n} to see the passage.`,
  citeHintMany: (ns) =>
    `Type /trichdan with a source number to see the passage, e.g. ${ns
      .slice(0, 3)
      .map((n) => `/trichdan ${n}`)
      .join(', ')}.`,
};

export function zaloStrings(language: Language = 'vi'): ZaloStrings {
  return language === 'en' ? en : vi;
}
