// The value head's start. A zero head predicts V = 0 everywhere while the returns it must
// learn are the score plus the KL penalties still to come, so its error differs by
// position and the first iterations' advantages carry that offset. Before the first update
// the head is fitted to Monte-Carlo returns by ridge regression on the trunk's features: a linear least-squares problem with a closed-form answer, so
// the critic starts where a long value-only warm-up would end (TRL and Ouyang et al. 2022
// start the critic from the reward model for the same reason). The fit uses a rollout of
// its own, never updated on, and a ridge penalty chosen by cross-validation over sequences:
// fitted and scored on one rollout, it would memorise each sequence's score and take that
// signal out of the first update's advantages.

/** Monte-Carlo returns G_t = Σ_l γ^l r_{t+l} of one sequence. */
export function discountedReturns(rewards: ArrayLike<number>, gamma: number): Float64Array {
  const G = new Float64Array(rewards.length);
  let next = 0;
  for (let t = rewards.length - 1; t >= 0; t--) G[t] = next = rewards[t]! + gamma * next;
  return G;
}

import { solveSpd } from "@/lib/bt/solve-spd";

type Normal = { A: Float64Array; r: Float64Array; n: number; sumY: number; sumYY: number };

/** XᵀX and Xᵀy of the rows `rows` (features with a constant 1 appended). */
function normalEquations(x: ArrayLike<number>, y: ArrayLike<number>, C: number, rows: number[]): Normal {
  const D = C + 1;
  const A = new Float64Array(D * D);
  const r = new Float64Array(D);
  const row = new Float64Array(D);
  let sumY = 0, sumYY = 0;
  for (const n of rows) {
    for (let i = 0; i < C; i++) row[i] = x[n * C + i]!;
    row[C] = 1;
    const yn = y[n]!;
    sumY += yn;
    sumYY += yn * yn;
    for (let i = 0; i < D; i++) {
      const xi = row[i]!;
      if (xi === 0) continue;
      r[i]! += xi * yn;
      for (let j = 0; j <= i; j++) A[i * D + j]! += xi * row[j]!;
    }
  }
  return { A, r, n: rows.length, sumY, sumYY };
}

/** Solves (A + λ·I_w)·θ = r (the bias is not penalised); θ = [w, b]. A holds the lower triangle. */
function solve(A0: Float64Array, r: Float64Array, C: number, lambda: number): Float64Array {
  const D = C + 1;
  const A = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j <= i; j++) A[i * D + j] = A[j * D + i] = A0[i * D + j]!;
  for (let i = 0; i < C; i++) A[i * D + i]! += lambda;
  A[C * D + C]! += 1e-9; // keeps the factorisation defined with no data
  return solveSpd(A, r, D);
}

/** w, b minimising Σ_n (x_n·w + b − y_n)² + λ‖w‖² (the bias is not penalised). x: N rows of C features, row-major. */
export function ridgeFit(x: ArrayLike<number>, y: ArrayLike<number>, C: number, lambda: number): { w: Float64Array; b: number } {
  const { A, r } = normalEquations(x, y, C, Array.from({ length: y.length }, (_, n) => n));
  const sol = solve(A, r, C, lambda);
  return { w: sol.slice(0, C), b: sol[C]! };
}

/**
 * Ridge regression with λ chosen by K-fold cross-validation over whole sequences (rows of
 * one sequence share its score, so a fold that split them would reward memorising it), and
 * no features at all (the mean) when no λ predicts held-out sequences better than the mean.
 */
export function ridgeFitCV(x: ArrayLike<number>, y: ArrayLike<number>, C: number, group: ArrayLike<number>, folds = 4): { w: Float64Array; b: number; lambda: number | null } {
  const N = y.length;
  const groups = [...new Set(Array.from(group))];
  const mean = Array.from(y).reduce((a, v) => a + v, 0) / Math.max(1, N);
  if (groups.length < 2) return { w: new Float64Array(C), b: mean, lambda: null };
  const K = Math.min(folds, groups.length);
  const foldOf = new Map(groups.map((g, i) => [g, i % K]));
  const rowsIn = Array.from({ length: K }, (_, f) => Array.from({ length: N }, (_, n) => n).filter((n) => foldOf.get(group[n]!) === f));
  const parts = rowsIn.map((rows) => normalEquations(x, y, C, rows));
  const total = parts.reduce((acc, p) => ({ A: acc.A.map((v, i) => v + p.A[i]!), r: acc.r.map((v, i) => v + p.r[i]!), n: acc.n + p.n, sumY: acc.sumY + p.sumY, sumYY: acc.sumYY + p.sumYY }));
  const scale = Math.max(1e-12, Array.from({ length: C }, (_, i) => total.A[i * (C + 1) + i]!).reduce((a, v) => a + v, 0) / C); // mean feature energy
  let best: { lambda: number | null; err: number } = { lambda: null, err: 0 };
  // the mean of the other folds as the baseline
  for (let f = 0; f < K; f++) {
    const restMean = (total.sumY - parts[f]!.sumY) / Math.max(1, total.n - parts[f]!.n);
    for (const n of rowsIn[f]!) best.err += (y[n]! - restMean) ** 2;
  }
  for (const mult of [1e-3, 1e-2, 1e-1, 1, 10, 100]) {
    const lambda = mult * scale;
    let err = 0;
    for (let f = 0; f < K; f++) {
      const sol = solve(total.A.map((v, i) => v - parts[f]!.A[i]!), total.r.map((v, i) => v - parts[f]!.r[i]!), C, lambda);
      for (const n of rowsIn[f]!) {
        let pred = sol[C]!;
        for (let i = 0; i < C; i++) pred += x[n * C + i]! * sol[i]!;
        err += (y[n]! - pred) ** 2;
      }
    }
    if (err < best.err) best = { lambda, err };
  }
  if (best.lambda === null) return { w: new Float64Array(C), b: mean, lambda: null };
  return { ...ridgeFit(x, y, C, best.lambda), lambda: best.lambda };
}
