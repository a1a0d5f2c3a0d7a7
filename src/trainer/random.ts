/**
 * Seeded randomness: quizzes must be reproducible (same seed, same questions) so a round can be
 * replayed after a restart and tests can pin exact output. Math.random is never used.
 */

import { fnv1a } from '../index/hash.js';

export type Rng = () => number;

/** mulberry32: tiny, fast and good enough for shuffling quiz questions. */
export function seededRng(seed: string | number): Rng {
  let a = typeof seed === 'number' ? seed >>> 0 : fnv1a(seed);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
