import { seededRng } from '../trainer/random.js';

/**
 * A seeded PRNG (the quizzes' mulberry32, with helpers). The synthetic corpus and the sampled
 * question sets must be identical from run to run so that figures in docs/BENCHMARKS.md can be
 * compared across commits; Math.random() cannot be seeded.
 */
export class Rng {
  private readonly source: () => number;

  constructor(seed: number) {
    this.source = seededRng(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.source();
  }

  /** Integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (!items.length) throw new Error('Rng.pick on an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}
