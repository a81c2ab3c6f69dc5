// Bradley–Terry: P(i ≻ j) = π_i / (π_i + π_j) = σ(r_i − r_j) with r = log π
// (Bradley & Terry 1952; used for reward models by Christiano et al. 2017).
//
// fitBradleyTerry fits by Newton's method with conjugate gradients (newton.ts). Kept as
// its reference: the MM algorithm of Hunter (2004), "MM algorithms for generalized
// Bradley–Terry models", eq. (3):
//     π_i ← (W_i + prior) / (2·prior / (π_i + 1) + Σ_j n_ij / (π_i + π_j))
// with W_i the wins of i (ties as half wins; davidson.ts models ties properly) and n_ij
// the games of i and j. The prior — `prior` virtual wins and losses against a reference
// item at the geometric mean of π, which is rescaled to 1 every sweep — keeps undefeated,
// winless and disconnected items finite. One sweep costs a division per pair and no
// transcendental functions; SQUAREM (Varadhan & Roland 2008) extrapolates along the
// sweeps so that tens of sweeps do what plain MM needs hundreds for.
import { fitBradleyTerryNewton } from "./newton";
import type { PairCounts } from "./pair-counts";

export type BtOptions = {
  prior?: number;
  /** stop when no log-strength moves more than this in a sweep */
  tolerance?: number;
  maxIterations?: number;
  /** log-strengths to start from (a bootstrap resample starts from the full fit) */
  init?: Float64Array;
};
export type BtFit = {
  /** r_i = log π_i, centred to mean 0 */
  ratings: Float64Array;
  /** MM sweeps done */
  iterations: number;
  converged: boolean;
};

export const DEFAULT_PRIOR = 0.5;

/** One MM sweep in log space: θ → log of the rescaled update. */
function mmSweep(counts: PairCounts, wins: Float64Array, games: Float64Array, prior: number, theta: Float64Array, out: Float64Array, denom: Float64Array): void {
  const n = counts.nItems;
  const pi = out; // reuse: π first, then log π
  for (let k = 0; k < n; k++) {
    pi[k] = Math.exp(theta[k]!);
    denom[k] = (2 * prior) / (pi[k]! + 1);
  }
  const I = counts.i;
  const J = counts.j;
  for (let p = 0; p < games.length; p++) {
    const i = I[p]!;
    const j = J[p]!;
    const g = games[p]! / (pi[i]! + pi[j]!);
    denom[i]! += g;
    denom[j]! += g;
  }
  let mean = 0;
  for (let k = 0; k < n; k++) mean += out[k] = Math.log((wins[k]! + prior) / denom[k]!);
  mean /= n || 1;
  for (let k = 0; k < n; k++) out[k]! -= mean;
}

/**
 * The Bradley–Terry fit every caller uses: Newton with conjugate gradients (newton.ts),
 * which reaches the optimum in a few passes over the pairs where MM needs tens.
 * `iterations` counts Newton steps.
 */
export function fitBradleyTerry(counts: PairCounts, opts: BtOptions = {}): BtFit {
  const { ratings, iterations, converged } = fitBradleyTerryNewton(counts, {
    prior: opts.prior ?? DEFAULT_PRIOR,
    tolerance: opts.tolerance ?? 1e-9,
    maxIterations: opts.maxIterations ?? 100,
    init: opts.init,
  });
  return { ratings, iterations, converged };
}

/** Hunter's MM with SQUAREM (the header): the reference the Newton fit is tested against. */
export function fitBradleyTerryMM(counts: PairCounts, opts: BtOptions = {}): BtFit {
  const { prior = DEFAULT_PRIOR, tolerance = 1e-9, maxIterations = 10_000 } = opts;
  const n = counts.nItems;
  const P = counts.i.length;
  const wins = new Float64Array(n);
  const games = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    const t = counts.ties[p]! / 2;
    wins[counts.i[p]!]! += counts.winsIJ[p]! + t;
    wins[counts.j[p]!]! += counts.winsJI[p]! + t;
    games[p] = counts.winsIJ[p]! + counts.winsJI[p]! + counts.ties[p]!;
  }
  let theta = opts.init ? Float64Array.from(opts.init) : new Float64Array(n);
  const t1 = new Float64Array(n);
  const t2 = new Float64Array(n);
  const r = new Float64Array(n);
  const v = new Float64Array(n);
  const denom = new Float64Array(n);
  let iterations = 0;
  let converged = false;
  const sweep = (from: Float64Array, to: Float64Array) => {
    mmSweep(counts, wins, games, prior, from, to, denom);
    iterations++;
  };
  while (iterations < maxIterations) {
    // SQUAREM, scheme S3: two sweeps give r and v; jump along them; one sweep to settle.
    sweep(theta, t1);
    let step = 0;
    for (let k = 0; k < n; k++) step = Math.max(step, Math.abs((r[k] = t1[k]! - theta[k]!)));
    if (step < tolerance) {
      theta = Float64Array.from(t1);
      converged = true;
      break;
    }
    sweep(t1, t2);
    let rr = 0;
    let vv = 0;
    for (let k = 0; k < n; k++) {
      v[k] = t2[k]! - t1[k]! - r[k]!;
      rr += r[k]! * r[k]!;
      vv += v[k]! * v[k]!;
    }
    const alpha = vv === 0 ? -1 : Math.min(-1, -Math.sqrt(rr / vv));
    const jump = new Float64Array(n);
    for (let k = 0; k < n; k++) jump[k] = theta[k]! - 2 * alpha * r[k]! + alpha * alpha * v[k]!;
    const settled = new Float64Array(n);
    sweep(jump, settled);
    // A jump that lands somewhere non-finite falls back to the plain double sweep.
    theta = settled.every(Number.isFinite) ? settled : Float64Array.from(t2);
  }
  return { ratings: centred(theta), iterations, converged };
}

function centred(r: Float64Array): Float64Array {
  let mean = 0;
  for (let k = 0; k < r.length; k++) mean += r[k]!;
  mean /= r.length || 1;
  return r.map((x) => x - mean);
}

/**
 * π is only defined up to scale; the prior's reference item sits at the geometric mean.
 * Rescaling every sweep removes the one direction MM would otherwise crawl along (the
 * overall scale, held only by the weak prior), so convergence is fast and stable.
 */
export function normaliseGeometricMean(pi: Float64Array): void {
  let logMean = 0;
  for (let k = 0; k < pi.length; k++) logMean += Math.log(pi[k]!);
  const scale = Math.exp(logMean / (pi.length || 1));
  for (let k = 0; k < pi.length; k++) pi[k]! /= scale;
}

export function centredLog(pi: Float64Array): Float64Array {
  const r = new Float64Array(pi.length);
  let mean = 0;
  for (let k = 0; k < pi.length; k++) mean += (r[k] = Math.log(pi[k]!));
  mean /= pi.length || 1;
  for (let k = 0; k < pi.length; k++) r[k]! -= mean;
  return r;
}

/** Log-likelihood of BT at ratings r (ties as half wins), without the prior: for tests and reports. */
export function btLogLikelihood(counts: PairCounts, r: Float64Array): number {
  let ll = 0;
  for (let p = 0; p < counts.i.length; p++) {
    const d = r[counts.i[p]!]! - r[counts.j[p]!]!;
    const t = counts.ties[p]! / 2;
    ll += (counts.winsIJ[p]! + t) * logSigmoid(d) + (counts.winsJI[p]! + t) * logSigmoid(-d);
  }
  return ll;
}

export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}
