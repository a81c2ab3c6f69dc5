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
// suffice. Newton then converges quadratically: about six steps from zero, two or three
// from a nearby start (a bootstrap resample from the full fit). Steps are capped at 2 in
// any rating so that far from the optimum (undefeated items) Newton cannot overshoot.
import type { PairCounts } from "./pair-counts";

export type NewtonOptions = {
  prior?: number;
  /** stop when no rating moves more than this in a step */
  tolerance?: number;
  maxIterations?: number;
  init?: Float64Array;
};

export type NewtonFit = { ratings: Float64Array; iterations: number; converged: boolean; cgSteps: number };

const MAX_STEP = 2;

export function fitBradleyTerryNewton(counts: PairCounts, opts: NewtonOptions = {}): NewtonFit {
  const { prior = 0.5, tolerance = 1e-9, maxIterations = 100 } = opts;
  const n = counts.nItems;
  const P = counts.i.length;
  const I = counts.i;
  const J = counts.j;
  const a = new Float64Array(P);
  const m = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    const t = counts.ties[p]! / 2;
    a[p] = counts.winsIJ[p]! + t;
    m[p] = counts.winsIJ[p]! + counts.winsJI[p]! + counts.ties[p]!;
  }
  const theta = opts.init ? Float64Array.from(opts.init) : new Float64Array(n);
  const grad = new Float64Array(n);
  const diag = new Float64Array(n);
  const w = new Float64Array(P);
  const step = new Float64Array(n);
  const r = new Float64Array(n);
  const z = new Float64Array(n);
  const dir = new Float64Array(n);
  const Hd = new Float64Array(n);
  const project = prior === 0; // no prior: H is singular along the constant vector; stay orthogonal to it
  const centre = (v: Float64Array) => {
    let mean = 0;
    for (let k = 0; k < n; k++) mean += v[k]!;
    mean /= n || 1;
    for (let k = 0; k < n; k++) v[k]! -= mean;
  };
  let iterations = 0;
  let cgSteps = 0;
  let converged = false;

  while (iterations < maxIterations) {
    iterations++;
    // 1. gradient and Hessian weights at θ
    grad.fill(0);
    diag.fill(0);
    for (let p = 0; p < P; p++) {
      const i = I[p]!;
      const j = J[p]!;
      const s = 1 / (1 + Math.exp(theta[j]! - theta[i]!));
      const g = a[p]! - m[p]! * s;
      grad[i]! += g;
      grad[j]! -= g;
      const wp = m[p]! * s * (1 - s);
      w[p] = wp;
      diag[i]! += wp;
      diag[j]! += wp;
    }
    for (let k = 0; k < n; k++) {
      const s = 1 / (1 + Math.exp(-theta[k]!));
      grad[k]! += prior * (1 - 2 * s);
      diag[k]! += 2 * prior * s * (1 - s);
      if (!(diag[k]! > 1e-12)) diag[k] = 1e-12; // an item in no pair and no prior: leave it be
    }
    if (project) centre(grad);

    // 2. solve H·step = grad by preconditioned conjugate gradients
    step.fill(0);
    r.set(grad);
    let rz = 0;
    let rr0 = 0;
    for (let k = 0; k < n; k++) {
      z[k] = r[k]! / diag[k]!;
      rz += r[k]! * z[k]!;
      rr0 += r[k]! * r[k]!;
    }
    if (project) centre(z);
    dir.set(z);
    for (let it = 0; it < n && rr0 > 0; it++) {
      cgSteps++;
      // Hd = (L_w + D_prior)·dir; D_prior = diag − Σ w, so form it from the prior term directly
      Hd.fill(0);
      for (let p = 0; p < P; p++) {
        const t = w[p]! * (dir[I[p]!]! - dir[J[p]!]!);
        Hd[I[p]!]! += t;
        Hd[J[p]!]! -= t;
      }
      let dHd = 0;
      for (let k = 0; k < n; k++) {
        const s = 1 / (1 + Math.exp(-theta[k]!));
        Hd[k]! += 2 * prior * s * (1 - s) * dir[k]!;
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
      if (rr <= 1e-20 * rr0 || rr < 1e-30) break;
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

    // 3. capped step
    let largest = 0;
    for (let k = 0; k < n; k++) largest = Math.max(largest, Math.abs(step[k]!));
    const scale = largest > MAX_STEP ? MAX_STEP / largest : 1;
    for (let k = 0; k < n; k++) theta[k]! += scale * step[k]!;
    if (largest < tolerance) {
      converged = true;
      break;
    }
  }
  centre(theta);
  return { ratings: theta, iterations, converged, cgSteps };
}
