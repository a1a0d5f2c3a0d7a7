/**
 * Sliding one-minute window per user. Refusals are not counted, so a user who keeps typing
 * while limited is not locked out for longer.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {}

  /** Returns 0 when the action may proceed (and records it), else the milliseconds to wait. */
  take(key: string): number {
    if (this.perMinute <= 0) return 0;
    const t = this.now();
    const recent = (this.hits.get(key) ?? []).filter((at) => t - at < this.windowMs);
    if (recent.length >= this.perMinute) {
      this.hits.set(key, recent);
      const oldest = recent[0] ?? t;
      return Math.max(1, oldest + this.windowMs - t);
    }
    recent.push(t);
    this.hits.set(key, recent);
    if (this.hits.size > 10_000) this.prune(t);
    return 0;
  }

  /** Forgets users idle for a whole window, so one-off visitors do not accumulate forever. */
  private prune(t: number): void {
    for (const [key, hits] of this.hits) {
      if (hits.every((at) => t - at >= this.windowMs)) this.hits.delete(key);
    }
  }
}
