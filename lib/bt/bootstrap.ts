// Bootstrap confidence intervals for ratings (as the LMSYS Chatbot Arena reports them):
// resample the judgments, refit, take percentiles. Seeded, so the same data and seed give
// the same intervals. Ranks separate two items only when their intervals do not overlap:
// rank_i = 1 + #{j : low_j > high_i}.
//
// The resampling is the Poisson bootstrap (Hanley & MacGibbon 2006; as used at scale by
// Chamandy et al. 2012): every comparison gets an independent Poisson(1) multiplicity
// instead of a multinomial draw of N out of N. Summed over the c comparisons with one
// outcome for one pair that is a single Poisson(c) draw, so a resample costs one draw per
// pair and outcome rather than one per comparison.
import type { PairCounts } from "./pair-counts";

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
 * Counts are mostly small integers, so Poisson(λ) for integer λ < 50 is drawn by inversion
 * of a cumulative table built once per λ: one uniform and about λ + 1 comparisons.
 */
const CDF: Float64Array[] = [];
function cdfOf(lambda: number): Float64Array {
  let table = CDF[lambda];
  if (!table) {
    const values: number[] = [];
    let p = Math.exp(-lambda);
    let c = 0;
    for (let k = 0; c < 1 - 1e-15 && k < 10 * lambda + 50; k++) {
      c += p;
      values.push(c);
      p *= lambda / (k + 1);
    }
    values[values.length - 1] = 1;
    table = CDF[lambda] = Float64Array.from(values);
  }
  return table;
}

/** Poisson(λ): inversion for integer λ < 50, Knuth's product of uniforms for other small λ, a rounded normal for large λ. */
export function poisson(lambda: number, rand: () => number): number {
  if (lambda <= 0) return 0;
  if (lambda >= 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rand)));
  if (Number.isInteger(lambda)) {
    const cdf = cdfOf(lambda);
    const u = rand();
    let k = 0;
    while (u > cdf[k]!) k++;
    return k;
  }
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * `fit` maps pair counts to ratings (fitBradleyTerry, fitDavidson, …); `start` (optional)
 * is given to it as a warm start, e.g. the fit on all the data.
 */
export function bootstrapRatings(
  counts: PairCounts,
  fit: (counts: PairCounts) => Float64Array,
  opts: { resamples?: number; seed?: number; level?: number } = {},
): BootstrapResult {
  const { resamples = 100, seed = 1, level = 0.95 } = opts;
  const rand = mulberry32(seed);
  const P = counts.i.length;
  const samples: Float64Array[] = [];
  // One set of resampled counts, refilled each time (fits keep no reference to their input).
  const winsIJ = new Float64Array(P);
  const winsJI = new Float64Array(P);
  const ties = new Float64Array(P);
  for (let b = 0; b < resamples; b++) {
    for (let p = 0; p < P; p++) {
      winsIJ[p] = poisson(counts.winsIJ[p]!, rand);
      winsJI[p] = poisson(counts.winsJI[p]!, rand);
      ties[p] = poisson(counts.ties[p]!, rand);
    }
    samples.push(fit({ ...counts, winsIJ, winsJI, ties }));
  }
  const n = counts.nItems;
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
