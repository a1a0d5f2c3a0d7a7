import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Nearest-rank percentile (p in 0–100) of a sample; NaN for an empty sample. */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const mean = samplesMs.reduce((s, x) => s + x, 0) / Math.max(1, samplesMs.length);
  return {
    samples: samplesMs.length,
    p50Ms: percentile(samplesMs, 50),
    p95Ms: percentile(samplesMs, 95),
    p99Ms: percentile(samplesMs, 99),
    meanMs: samplesMs.length ? mean : Number.NaN,
  };
}

/** Bytes of every file under `dir` (what "index size on disk" means in the tables). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await directoryBytes(p);
    else if (e.isFile()) total += (await fs.stat(p)).size;
  }
  return total;
}

/**
 * Peak resident set size of this process so far, in MiB. VmHWM is what the kernel itself
 * tracks; resourceUsage().maxRSS is the portable fallback (also a high-water mark, in KiB).
 */
export async function peakRssMiB(): Promise<number> {
  try {
    const status = await fs.readFile('/proc/self/status', 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Runs `work` repeatedly over `items` until `minSamples` timings or `budgetMs` elapsed (at least one pass). */
export async function timeRounds<T>(
  items: readonly T[],
  work: (item: T) => Promise<unknown>,
  options: { minSamples: number; budgetMs: number },
): Promise<number[]> {
  const out: number[] = [];
  const started = performance.now();
  for (let round = 0; ; round++) {
    for (const item of items) {
      const t0 = performance.now();
      await work(item);
      out.push(performance.now() - t0);
      // The budget may cut a pass short: a slow baseline at 100k chunks must not run for hours.
      if (round > 0 || out.length >= 5) {
        if (performance.now() - started > options.budgetMs) return out;
      }
    }
    if (out.length >= options.minSamples || !items.length) return out;
  }
}

/** Largest number of timestamps inside any window of `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
