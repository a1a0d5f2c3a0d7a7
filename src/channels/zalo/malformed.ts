/**
 * Counts Zalo answers and webhook bodies that do not fit the documented shapes. They are skipped,
 * never thrown at the poller or the webhook; the count is the metric an operator watches (a
 * rising count means the platform changed its format, or a proxy is mangling answers).
 */

import type { Logger } from '../../logger.js';

export class MalformedCounter {
  private readonly byMethod = new Map<string, number>();
  private totalCount = 0;

  constructor(
    private readonly logger?: Logger,
    /** Log the first of a kind, then every this many, so a broken proxy does not flood the log. */
    private readonly logEvery = 100,
  ) {}

  /** Records one malformed answer of `method` ('webhook' for webhook bodies); `issues` never hold values. */
  count(method: string, issues: readonly string[]): void {
    const n = (this.byMethod.get(method) ?? 0) + 1;
    this.byMethod.set(method, n);
    this.totalCount++;
    if (n === 1 || n % this.logEvery === 0) {
      this.logger?.warn({ method, malformed: n, issues }, 'zalo: malformed answer skipped');
    }
  }

  get total(): number {
    return this.totalCount;
  }

  of(method: string): number {
    return this.byMethod.get(method) ?? 0;
  }

  /** For logs and metrics: counts per method. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.byMethod);
  }
}
