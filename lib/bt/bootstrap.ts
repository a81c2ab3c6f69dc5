// Bootstrap confidence intervals for ratings (as the LMSYS Chatbot Arena reports them):
// resample the comparisons with replacement, refit, take percentiles. Seeded, so the
// same data and seed give the same intervals. Ranks separate two items only when their
// intervals do not overlap: rank_i = 1 + #{j : low_j > high_i}.
import { countsOf, type PairCounts, type PairIndex } from "./pair-counts";

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Interval = { low: number; high: number };
export type BootstrapResult = { intervals: Interval[]; samples: Float64Array[] };

/**
 * `fit` maps pair counts to ratings (fitBradleyTerry, fitDavidson, …). Each resample draws
 * N comparisons with replacement, as multiplicities, and refits.
 */
export function bootstrapRatings(
  index: PairIndex,
  fit: (counts: PairCounts) => Float64Array,
  opts: { resamples?: number; seed?: number; level?: number } = {},
): BootstrapResult {
  const { resamples = 100, seed = 1, level = 0.95 } = opts;
  const N = index.pairOf.length;
  const rand = mulberry32(seed);
  const weights = new Float64Array(N);
  const samples: Float64Array[] = [];
  for (let b = 0; b < resamples; b++) {
    weights.fill(0);
    for (let r = 0; r < N; r++) weights[Math.floor(rand() * N)]! += 1;
    samples.push(fit(countsOf(index, weights)));
  }
  const n = index.nItems;
  const alpha = (1 - level) / 2;
  const column = new Float64Array(resamples);
  const intervals: Interval[] = [];
  for (let k = 0; k < n; k++) {
    for (let b = 0; b < resamples; b++) column[b] = samples[b]![k]!;
    column.sort();
    intervals.push({ low: quantile(column, alpha), high: quantile(column, 1 - alpha) });
  }
  return { intervals, samples };
}

/** Linear-interpolated quantile of sorted values (type 7, as numpy's default). */
export function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function separatedRanks(intervals: Interval[]): number[] {
  return intervals.map((mine) => 1 + intervals.filter((other) => other.low > mine.high).length);
}
