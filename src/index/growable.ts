/**
 * Append-only typed arrays that double when full: postings for 100k passages are tens of millions
 * of numbers, which as plain JS arrays would cost several times the memory.
 */

abstract class Growable<T extends Uint32Array | Uint16Array> {
  protected data: T;
  protected length = 0;

  constructor(protected readonly make: (size: number) => T, initialSize = 1024) {
    this.data = make(initialSize);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  get(index: number): number {
    return this.data[index] ?? 0;
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  get size(): number {
    return this.length;
  }

  /** The filled part, without copying. */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

export class GrowableUint32 extends Growable<Uint32Array> {
  constructor(initialSize = 1024) {
    super((n) => new Uint32Array(n), initialSize);
  }
}

export class GrowableUint16 extends Growable<Uint16Array> {
  constructor(initialSize = 1024) {
    super((n) => new Uint16Array(n), initialSize);
  }
}
