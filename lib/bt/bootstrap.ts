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
import { addPrior, MAX_STEP, newtonStep, newtonWork, pairSystem, quadraticStop, solveNewtonStep } from "./newton";
import type { PairCounts } from "./pair-counts";
import { PoissonStream } from "./poisson";

export { poisson } from "./poisson";

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
 * `fit` maps pair counts to ratings (fitBradleyTerry, fitDavidson, …); `start` (optional)
 * is given to it as a warm start, e.g. the fit on all the data.
 */
export function bootstrapRatings(
  counts: PairCounts,
  fit: (counts: PairCounts) => Float64Array,
  opts: { resamples?: number; seed?: number; level?: number } = {},
): BootstrapResult {
  const { resamples = 100, seed = 1, level = 0.95 } = opts;
  const stream = new PoissonStream(seed);
  const P = counts.i.length;
  const samples: Float64Array[] = [];
  // One set of resampled counts, refilled each time (fits keep no reference to their input).
  const drawn = [new Float32Array(P), new Float32Array(P), new Float32Array(P)] as const;
  const winsIJ = new Float64Array(P);
  const winsJI = new Float64Array(P);
  const ties = new Float64Array(P);
  const hasTies = counts.ties.some((t) => t > 0);
  for (let b = 0; b < resamples; b++) {
    resample(counts, stream, drawn[0], drawn[1], hasTies ? drawn[2] : null);
    winsIJ.set(drawn[0]);
    winsJI.set(drawn[1]);
    ties.set(drawn[2]);
    samples.push(fit({ ...counts, winsIJ, winsJI, ties }));
  }
  return { intervals: percentileIntervals(samples, counts.nItems, level), samples };
}

/** One Poisson-bootstrap resample of the counts (the header). */
function resample(counts: PairCounts, stream: PoissonStream, winsIJ: Float32Array, winsJI: Float32Array, ties: Float32Array | null): void {
  stream.fill(counts.winsIJ, winsIJ);
  stream.fill(counts.winsJI, winsJI);
  if (ties) stream.fill(counts.ties, ties); // null when there are no ties: every draw would be 0
}

/**
 * The Bradley–Terry bootstrap, fast: each resample is fitted by Newton steps from the full
 * fit θ̂ (the k-step bootstrap of Andrews 2002, "Higher-order improvements of a
 * computationally attractive k-step bootstrap for extremum estimators"), continued until
 * no rating moves more than `tolerance`, so it is a refit, only a cheap one:
 * - the first step needs no exponential or division: σ(θ̂_i − θ̂_j) is computed once, and
 *   each pair's resampled gradient term and Hessian weight are formed in one pass over
 *   the drawn counts;
 * - the resample's optimum lies within a few standard errors of θ̂, where Newton converges
 *   quadratically: with a million comparisons two steps reach 1e-3.
 * Same draws as bootstrapRatings for the same seed (tests compare the two).
 */
export function bootstrapBradleyTerry(
  counts: PairCounts,
  fitted: Float64Array,
  opts: { resamples?: number; seed?: number; level?: number; prior?: number; tolerance?: number; maxSteps?: number } = {},
): BootstrapResult & { steps: number } {
  const { resamples = 100, seed = 1, level = 0.95, prior = 0.5, tolerance = 1e-3, maxSteps = 50 } = opts;
  const stream = new PoissonStream(seed);
  const n = counts.nItems;
  const P = counts.i.length;
  const system = pairSystem(counts);
  const { cell, w, a: cellA, m: cellM } = system;
  if (!system.I) cellM.fill(0); // triangle cells of pairs that never met stay empty
  const I = counts.i;
  const J = counts.j;
  const x = new Float32Array(P);
  const y = new Float32Array(P);
  const tied = new Float32Array(P); // stays 0 when there are no ties
  const hasTies = counts.ties.some((t) => t > 0);
  const s = new Float32Array(P); // σ(θ̂_i − θ̂_j); 32 bits: this pass is bound by memory traffic
  for (let p = 0; p < P; p++) s[p] = 1 / (1 + Math.exp(fitted[J[p]!]! - fitted[I[p]!]!));
  const work = newtonWork(n);
  const { grad, diag, step } = work;
  const priorGrad = new Float64Array(n);
  const priorDiag = new Float64Array(n);
  const priorW = new Float64Array(n);
  addPrior(prior, fitted.map(Math.exp), priorGrad, priorDiag, priorW);
  const samples: Float64Array[] = [];
  let steps = 0;
  for (let b = 0; b < resamples; b++) {
    resample(counts, stream, x, y, hasTies ? tied : null);
    grad.set(priorGrad);
    diag.set(priorDiag);
    for (let p = 0; p < P; p++) {
      const t = tied[p]!;
      const a = x[p]! + t / 2;
      const m = x[p]! + y[p]! + t;
      const sp = s[p]!;
      const g = a - m * sp;
      const wp = m * sp * (1 - sp);
      const i = I[p]!;
      const j = J[p]!;
      grad[i]! += g;
      grad[j]! -= g;
      diag[i]! += wp;
      diag[j]! += wp;
      const q = cell[p]!;
      w[q] = wp;
      cellA[q] = a;
      cellM[q] = m;
    }
    for (let k = 0; k < n; k++) if (!(diag[k]! > 1e-12)) diag[k] = 1e-12;
    solveNewtonStep(system, grad, diag, priorW, 1e-2, step, work.scratch);
    const theta = Float64Array.from(fitted, (r, k) => r + clampStep(step[k]!));
    let largest = 0;
    for (let k = 0; k < n; k++) largest = Math.max(largest, Math.abs(step[k]!));
    steps++;
    // Newton until the next step would move no rating more than the tolerance.
    const nextUnderTolerance = quadraticStop(tolerance);
    nextUnderTolerance(largest);
    for (let k = 1; k < maxSteps && largest >= tolerance; k++) {
      steps++;
      largest = newtonStep(system, prior, theta, largest > 0.1 ? 1e-2 : 1e-3, work).largest;
      if (nextUnderTolerance(largest)) break;
    }
    let mean = 0;
    for (let k = 0; k < n; k++) mean += theta[k]!;
    for (let k = 0; k < n; k++) theta[k]! -= mean / n;
    samples.push(theta);
  }
  return { intervals: percentileIntervals(samples, n, level), samples, steps: steps / Math.max(resamples, 1) };
}

/** Newton's step cap (newton.ts), per rating here: the first step can only be large for an item with little data. */
function clampStep(x: number): number {
  return Math.max(-MAX_STEP, Math.min(MAX_STEP, x));
}

function percentileIntervals(samples: Float64Array[], n: number, level: number): Interval[] {
  const alpha = (1 - level) / 2;
  const column = new Float64Array(samples.length);
  const intervals: Interval[] = [];
  for (let k = 0; k < n; k++) {
    for (let b = 0; b < samples.length; b++) column[b] = samples[b]![k]!;
    column.sort();
    intervals.push({ low: quantile(column, alpha), high: quantile(column, 1 - alpha) });
  }
  return intervals;
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
