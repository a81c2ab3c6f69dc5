// Ratings with a covariate, for "style control" as the LMSYS Chatbot Arena does it (e.g.
// response length): a Bradley–Terry logistic model with one extra coefficient,
//     logit P(a ≻ b) = r_a − r_b + β · x_ab,
// with x_ab a feature of the pair (for length: (ℓ_a − ℓ_b) / (ℓ_a + ℓ_b)). The ratings then
// say who wins at equal length; β says how much length alone buys. Ties count as half a
// win each. Fitted by Newton's method with the dense (n + 1)² Hessian (n sources: small)
// and a weak ridge on r (the same role as the prior of bradley-terry.ts).
import { solveSpd } from "./solve-spd";

export type CovariateFit = { ratings: Float64Array; beta: number; iterations: number; converged: boolean };

/**
 * a[k], b[k]: the items of outcome k; y[k]: 1 if a won, 0 if b won, 0.5 for a tie;
 * x[k]: the covariate of the pair, signed from a's side.
 */
export function fitWithCovariate(
  n: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  opts: { ridge?: number; tolerance?: number; maxIterations?: number; weight?: ArrayLike<number> } = {},
): CovariateFit {
  const { ridge = 0.01, tolerance = 1e-9, maxIterations = 50, weight } = opts;
  const m = n + 1; // parameters: r_0 .. r_{n−1}, β
  const theta = new Float64Array(m);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const g = new Float64Array(m);
    const H = new Float64Array(m * m); // −Hessian, positive definite thanks to the ridge
    for (let k = 0; k < m; k++) {
      g[k] = -ridge * theta[k]!;
      H[k * m + k] = ridge;
    }
    for (let k = 0; k < a.length; k++) {
      const i = a[k]!;
      const j = b[k]!;
      const xk = x[k]!;
      const z = theta[i]! - theta[j]! + theta[n]! * xk;
      const p = 1 / (1 + Math.exp(-z));
      const c = weight ? weight[k]! : 1; // a bootstrap multiplicity, or 1
      if (c === 0) continue;
      const resid = c * (y[k]! - p);
      const w = c * p * (1 - p);
      g[i]! += resid;
      g[j]! -= resid;
      g[n]! += resid * xk;
      H[i * m + i]! += w;
      H[j * m + j]! += w;
      H[i * m + j]! -= w;
      H[j * m + i]! -= w;
      H[i * m + n]! += w * xk;
      H[n * m + i]! += w * xk;
      H[j * m + n]! -= w * xk;
      H[n * m + j]! -= w * xk;
      H[n * m + n]! += w * xk * xk;
    }
    const step = solveSpd(H, g, m);
    let maxStep = 0;
    for (let k = 0; k < m; k++) {
      theta[k]! += step[k]!;
      maxStep = Math.max(maxStep, Math.abs(step[k]!));
    }
    if (maxStep < tolerance) {
      converged = true;
      break;
    }
  }
  const ratings = theta.slice(0, n);
  const mean = ratings.reduce((s, v) => s + v, 0) / (n || 1);
  return { ratings: ratings.map((v) => v - mean), beta: theta[n]!, iterations, converged };
}

/** The Arena's length feature: normalised difference, in [−1, 1]. */
export function lengthFeature(lengthA: number, lengthB: number): number {
  const total = lengthA + lengthB;
  return total === 0 ? 0 : (lengthA - lengthB) / total;
}
