// Bradley–Terry by Newton's method with a conjugate-gradient solve (truncated Newton).
// The log-likelihood over pair counts, with `prior` virtual wins and losses of every item
// against a reference of rating 0 (the prior of bradley-terry.ts),
//     ℓ(θ) = Σ_p [a_p log σ(θ_i − θ_j) + b_p log σ(θ_j − θ_i)] + prior · Σ_k [log σ(θ_k) + log σ(−θ_k)]
// (a_p, b_p: wins of i and of j in pair p, ties as half of each), has gradient
//     g_i = Σ_{p ∋ i} ±(a_p − m_p s_p) + prior (1 − 2σ(θ_i)),   s_p = σ(θ_i − θ_j), m_p = a_p + b_p
// and negative Hessian H = L_w + D: a graph Laplacian with weights w_p = m_p s_p (1 − s_p),
// plus the prior's diagonal 2·prior·σ(θ_k)(1 − σ(θ_k)). Each Newton step solves H Δ = g by
// conjugate gradients preconditioned with H's diagonal: a product with H costs one pass
// over the pairs, and comparison graphs of arenas are expanders, so a handful of CG steps
// suffice. Newton then converges quadratically: four or five steps from the win-rate
// start. Steps are capped at 2 in any rating so that far from the optimum (undefeated
// items) Newton cannot overshoot.
//
// Two layouts of the same sums (PairSystem): when most pairs of items have met (an arena's
// 1,000 models × 1,000,000 comparisons fill 86% of the pairs), a packed upper triangle read
// front to back; otherwise the list of pairs. σ(θ_i − θ_j) is computed as E_i / (E_i + E_j)
// with E = e^θ, one division per pair instead of an exponential.
import type { PairCounts } from "./pair-counts";

export type NewtonOptions = {
  prior?: number;
  /** converged when the next step would move no rating more than this */
  tolerance?: number;
  maxIterations?: number;
  init?: Float64Array;
};

export type NewtonFit = { ratings: Float64Array; iterations: number; converged: boolean; cgSteps: number };

/** Largest change of one rating in one Newton step. */
export const MAX_STEP = 2;

/**
 * The pairs in the layout the passes read: a_q (wins of the lower-numbered item, ties as
 * half), m_q (games) and w_q (the Hessian weight of the last gradient pass), where q is a
 * pair's cell: its position in the packed triangle, or in the list. 32-bit cells: counts
 * are integers (exact to 2^24) or weights, w only shapes the Newton step, and the
 * gradient is summed in double precision; half the memory each pass reads.
 */
export type PairSystem = {
  n: number;
  /** cell of pair p of the PairCounts the system was filled from */
  cell: Int32Array;
  a: Float32Array;
  m: Float32Array;
  w: Float32Array;
  /** list layout only: the items of each cell */
  I: Int32Array | null;
  J: Int32Array | null;
};

/**
 * Systems kept per pair layout (the `counts.i` array): a bootstrap refits the same pairs a
 * hundred times with new counts and should not rebuild or reallocate the layout each time.
 */
const systems = new WeakMap<Int32Array, PairSystem>();

/** The triangle when at least a quarter of all pairs have met (and it fits in 2048²/2 cells). */
export function pairSystem(counts: PairCounts): PairSystem {
  const cached = systems.get(counts.i);
  if (cached) return cached;
  const n = counts.nItems;
  const P = counts.i.length;
  const cells = (n * (n - 1)) / 2;
  const triangle = n <= 2048 && 4 * P >= cells;
  const cell = new Int32Array(P);
  for (let p = 0; p < P; p++) {
    const i = counts.i[p]!;
    // packed upper triangle: row i holds j = i+1..n−1 at offset i·n − i(i+1)/2
    cell[p] = triangle ? i * n - (i * (i + 1)) / 2 + (counts.j[p]! - i - 1) : p;
  }
  const size = triangle ? cells : P;
  const system: PairSystem = {
    n,
    cell,
    a: new Float32Array(size),
    m: new Float32Array(size),
    w: new Float32Array(size),
    I: triangle ? null : counts.i,
    J: triangle ? null : counts.j,
  };
  systems.set(counts.i, system);
  return system;
}

/**
 * Writes the counts into the system's cells and returns the win-rate start: each item's
 * log-odds of winning, logit((W + ½) / (G − W + ½)). Exact for one opponent at rating 0
 * and close in well-mixed designs; one pass that also fills the cells.
 */
export function fillSystem(system: PairSystem, counts: PairCounts): Float64Array {
  const { a, m, cell } = system;
  if (system.I === null) m.fill(0); // the triangle has cells for pairs that never met
  const wins = new Float64Array(system.n);
  const games = new Float64Array(system.n);
  const I = counts.i;
  const J = counts.j;
  for (let p = 0; p < cell.length; p++) {
    const x = counts.winsIJ[p]!;
    const y = counts.winsJI[p]!;
    const t = counts.ties[p]!;
    const q = cell[p]!;
    const mp = x + y + t;
    a[q] = x + t / 2;
    m[q] = mp;
    wins[I[p]!]! += x + t / 2;
    wins[J[p]!]! += y + t / 2;
    games[I[p]!]! += mp;
    games[J[p]!]! += mp;
  }
  return wins.map((w, k) => Math.log((w + 0.5) / (games[k]! - w + 0.5)));
}

/** g += pair terms of the gradient at E = e^θ, diag += Σ w, and w = m s (1 − s) kept for hv. */
export function gradientPass(system: PairSystem, E: Float64Array, grad: Float64Array, diag: Float64Array): void {
  if (system.I) listGradient(system.I, system.J!, system.a, system.m, system.w, E, grad, diag);
  else triangleGradient(system.n, system.a, system.m, system.w, E, grad, diag);
}

/** out += L_w · v, the pair part of H. */
export function hessianTimes(system: PairSystem, v: Float64Array, out: Float64Array): void {
  if (system.I) listHv(system.I, system.J!, system.w, v, out);
  else triangleHv(system.n, system.w, v, out);
}

// The passes are plain functions of typed arrays, so V8 compiles each loop once for one
// set of array types.

function triangleGradient(n: number, a: Float32Array, m: Float32Array, w: Float32Array, E: Float64Array, grad: Float64Array, diag: Float64Array): void {
  let q = 0;
  for (let i = 0; i < n; i++) {
    const Ei = E[i]!;
    let gi = 0;
    let di = 0;
    for (let j = i + 1; j < n; j++, q++) {
      const mq = m[q]!;
      if (mq === 0) {
        w[q] = 0;
        continue;
      }
      const s = Ei / (Ei + E[j]!);
      const g = a[q]! - mq * s;
      gi += g;
      grad[j]! -= g;
      const wq = mq * s * (1 - s);
      w[q] = wq;
      di += wq;
      diag[j]! += wq;
    }
    grad[i]! += gi;
    diag[i]! += di;
  }
}

function triangleHv(n: number, w: Float32Array, v: Float64Array, out: Float64Array): void {
  let q = 0;
  for (let i = 0; i < n; i++) {
    const vi = v[i]!;
    let acc = 0;
    for (let j = i + 1; j < n; j++, q++) {
      const t = w[q]! * (vi - v[j]!);
      acc += t;
      out[j]! -= t;
    }
    out[i]! += acc;
  }
}

function listGradient(I: Int32Array, J: Int32Array, a: Float32Array, m: Float32Array, w: Float32Array, E: Float64Array, grad: Float64Array, diag: Float64Array): void {
  for (let p = 0; p < I.length; p++) {
    const i = I[p]!;
    const j = J[p]!;
    const s = E[i]! / (E[i]! + E[j]!);
    const g = a[p]! - m[p]! * s;
    grad[i]! += g;
    grad[j]! -= g;
    const wp = m[p]! * s * (1 - s);
    w[p] = wp;
    diag[i]! += wp;
    diag[j]! += wp;
  }
}

function listHv(I: Int32Array, J: Int32Array, w: Float32Array, v: Float64Array, out: Float64Array): void {
  for (let p = 0; p < I.length; p++) {
    const t = w[p]! * (v[I[p]!]! - v[J[p]!]!);
    out[I[p]!]! += t;
    out[J[p]!]! -= t;
  }
}

/** The prior's terms at θ: g += prior (1 − 2σ(θ)), and its diagonal of H, also added to diag. */
export function addPrior(prior: number, E: Float64Array, grad: Float64Array, diag: Float64Array, priorW: Float64Array): void {
  for (let k = 0; k < E.length; k++) {
    const s = E[k]! / (1 + E[k]!);
    grad[k]! += prior * (1 - 2 * s);
    priorW[k] = 2 * prior * s * (1 - s);
    diag[k]! += priorW[k]!;
    if (!(diag[k]! > 1e-12)) diag[k] = 1e-12; // an item in no pair and no prior: leave it be
  }
}

/** Scratch vectors of one Newton solve, reused across steps and resamples. */
export type NewtonScratch = { r: Float64Array; z: Float64Array; dir: Float64Array; Hd: Float64Array };

export function newtonScratch(n: number): NewtonScratch {
  return { r: new Float64Array(n), z: new Float64Array(n), dir: new Float64Array(n), Hd: new Float64Array(n) };
}

function centre(v: Float64Array): void {
  let mean = 0;
  for (let k = 0; k < v.length; k++) mean += v[k]!;
  mean /= v.length || 1;
  for (let k = 0; k < v.length; k++) v[k]! -= mean;
}

/**
 * Solves H·step = grad by conjugate gradients preconditioned with diag(H), to relative
 * residual `eta`. H = L_w (the weights of the last gradient pass) + diag(priorW). Without
 * a prior H is singular along the constant vector, and the iterates stay orthogonal to it.
 * Returns the CG steps taken.
 */
export function solveNewtonStep(
  system: PairSystem,
  grad: Float64Array,
  diag: Float64Array,
  priorW: Float64Array,
  eta: number,
  step: Float64Array,
  scratch: NewtonScratch,
): number {
  const n = system.n;
  const { r, z, dir, Hd } = scratch;
  const project = !priorW.some((x) => x > 0);
  if (project) centre(grad);
  step.fill(0);
  r.set(grad);
  let rz = 0;
  let rr0 = 0;
  for (let k = 0; k < n; k++) {
    z[k] = r[k]! / diag[k]!;
    rz += r[k]! * z[k]!;
    rr0 += r[k]! * r[k]!;
  }
  const stop = Math.max(eta * eta * rr0, 1e-30);
  if (project) centre(z);
  dir.set(z);
  let steps = 0;
  for (let it = 0; it < n && rr0 > 0; it++) {
    steps++;
    Hd.fill(0);
    hessianTimes(system, dir, Hd);
    let dHd = 0;
    for (let k = 0; k < n; k++) {
      Hd[k]! += priorW[k]! * dir[k]!;
      dHd += dir[k]! * Hd[k]!;
    }
    if (!(dHd > 0)) break;
    const alpha = rz / dHd;
    let rr = 0;
    for (let k = 0; k < n; k++) {
      step[k]! += alpha * dir[k]!;
      r[k]! -= alpha * Hd[k]!;
      rr += r[k]! * r[k]!;
    }
    if (rr <= stop) break;
    let rzNext = 0;
    for (let k = 0; k < n; k++) {
      z[k] = r[k]! / diag[k]!;
      rzNext += r[k]! * z[k]!;
    }
    if (project) centre(z);
    const beta = rzNext / rz;
    rz = rzNext;
    for (let k = 0; k < n; k++) dir[k] = z[k]! + beta * dir[k]!;
  }
  return steps;
}

/**
 * One Newton step from θ (in place) on the counts the system holds: gradient pass, CG
 * solve to relative residual `eta`, capped update. Returns the largest change and the CG
 * steps taken.
 */
export function newtonStep(
  system: PairSystem,
  prior: number,
  theta: Float64Array,
  eta: number,
  work: { E: Float64Array; grad: Float64Array; diag: Float64Array; priorW: Float64Array; step: Float64Array; scratch: NewtonScratch },
): { largest: number; cgSteps: number } {
  const { E, grad, diag, priorW, step } = work;
  grad.fill(0);
  diag.fill(0);
  for (let k = 0; k < theta.length; k++) E[k] = Math.exp(theta[k]!);
  gradientPass(system, E, grad, diag);
  addPrior(prior, E, grad, diag, priorW);
  const cgSteps = solveNewtonStep(system, grad, diag, priorW, eta, step, work.scratch);
  let largest = 0;
  for (let k = 0; k < theta.length; k++) largest = Math.max(largest, Math.abs(step[k]!));
  const scale = largest > MAX_STEP ? MAX_STEP / largest : 1;
  for (let k = 0; k < theta.length; k++) theta[k]! += scale * step[k]!;
  return { largest, cgSteps };
}

export function newtonWork(n: number) {
  return {
    E: new Float64Array(n),
    grad: new Float64Array(n),
    diag: new Float64Array(n),
    priorW: new Float64Array(n),
    step: new Float64Array(n),
    scratch: newtonScratch(n),
  };
}

/**
 * CG's relative residual: loose while the steps are large (Dembo, Eisenstat & Steihaug
 * 1982), tight once they are small, where an inexact solve would leave an error that
 * Newton's quadratic convergence no longer removes.
 */
function forcingTerm(lastStep: number): number {
  return lastStep > 0.1 ? 0.01 : 1e-4;
}

/**
 * Newton's quadratic convergence, δ_{k+1} ≈ C·δ_k², as a stopping rule: fed each step's
 * largest change, it estimates C from the steps so far (once they are small enough for
 * the estimate to hold) and answers true when the next step would already be under the
 * tolerance, so that the pass that would only confirm it is skipped.
 */
export function quadraticStop(tolerance: number): (largest: number) => boolean {
  let previous = Infinity;
  let rate = 0; // the largest δ_k / δ_{k−1}² seen
  return (largest) => {
    if (previous < 0.5) rate = Math.max(rate, largest / (previous * previous));
    const done = previous < 0.5 && largest < 0.1 && rate * largest * largest < tolerance;
    previous = largest;
    return done;
  };
}

export function fitBradleyTerryNewton(counts: PairCounts, opts: NewtonOptions = {}): NewtonFit {
  const { prior = 0.5, tolerance = 1e-9, maxIterations = 100 } = opts;
  const n = counts.nItems;
  const system = pairSystem(counts);
  const start = fillSystem(system, counts);
  const theta = opts.init ? Float64Array.from(opts.init) : start;
  const work = newtonWork(n);
  let iterations = 0;
  let cgSteps = 0;
  let converged = false;
  let previous = Infinity;
  const nextUnderTolerance = quadraticStop(tolerance);
  while (iterations < maxIterations) {
    iterations++;
    const { largest, cgSteps: steps } = newtonStep(system, prior, theta, forcingTerm(previous), work);
    cgSteps += steps;
    if (largest < tolerance || nextUnderTolerance(largest)) {
      converged = true;
      break;
    }
    previous = largest;
  }
  centre(theta);
  return { ratings: theta, iterations, converged, cgSteps };
}
