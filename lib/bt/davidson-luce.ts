// Rankings with ties: the Davidson–Luce model (Firth, Kosmidis & Turner 2019,
// "Davidson–Luce model for multi-item choice with ties"). A ranking is built stage by
// stage: from the items S not yet placed, the next tie group G (t items) is chosen with
//     P(G | S) = δ_t (Π_{i∈G} α_i)^{1/t} / Σ_{H ⊆ S, 1 ≤ |H| ≤ D} δ_{|H|} (Π_{i∈H} α_i)^{1/|H|},
// δ_1 = 1 and D the largest tie group seen. Without ties it is Plackett–Luce; for two
// items it is Davidson's (1970) model with ν = δ_2 (davidson.ts), so k-wise rankings and
// pairwise judgments rate on one scale. Stages with one item left have probability 1.
//
// With θ = log α and η_t = log δ_t, a stage's log-probability is x_G·p − log Σ_H e^{x_H·p}
// for p = (θ, η_2..η_D) and x_H = (1_H / |H|, e_{|H|}): log-sum-exp of linear functions,
// so the log-likelihood is concave and Newton's method (gradient Σ (x_G − E[x]), negative
// Hessian Σ Cov[x] under the stage's choice probabilities) converges from anywhere, with
// step halving as a guard. The prior of bradley-terry.ts on θ (`prior` virtual wins and
// losses against rating 0) and a weak normal prior on η (sd 3) keep everything finite.
import { DEFAULT_PRIOR } from "./bradley-terry";
import { solveSpd } from "./solve-spd";

/** Tie groups best first, item indexes; `weight` counts identical rankings at once. */
export type TiedRanking = { groups: number[][]; weight: number };

export type DavidsonLuceFit = {
  /** log-strengths, centred */
  ratings: Float64Array;
  /** δ_1 = 1, δ_2, …, δ_D */
  delta: number[];
  iterations: number;
  converged: boolean;
  logLikelihood: number;
};

const ETA_PRIOR_VARIANCE = 9;
/** Stages enumerate every subset of the remaining items up to size D: keep that bounded. */
const MAX_STAGE_ITEMS = 16;

export function largestTieGroup(rankings: TiedRanking[]): number {
  let D = 1;
  for (const r of rankings) for (const g of r.groups) D = Math.max(D, g.length);
  return D;
}

/** Log-likelihood (with the priors), gradient and negative Hessian at p. */
function evaluate(n: number, D: number, rankings: TiedRanking[], p: Float64Array, prior: number, wantHessian: boolean) {
  const m = n + D - 1;
  const grad = new Float64Array(m);
  const H = wantHessian ? new Float64Array(m * m) : null;
  let ll = 0;
  const eta = (size: number) => (size >= 2 ? p[n + size - 2]! : 0);
  for (const r of rankings) {
    const items = r.groups.flat();
    if (items.length > MAX_STAGE_ITEMS) throw new RangeError(`a ranking of ${items.length} items is more than Davidson–Luce fits here (${MAX_STAGE_ITEMS})`);
    let start = 0;
    for (const G of r.groups) {
      const S = items.slice(start);
      start += G.length;
      if (S.length < 2) break;
      // the support of this stage: S's ratings, then η_2..η_D
      const L = S.length + D - 1;
      const mean = new Float64Array(L);
      const second = wantHessian ? new Float64Array(L * L) : null;
      // subsets of S up to size D as bitmasks; scores first, for a stable log-sum-exp
      const masks: number[] = [];
      const scores: number[] = [];
      for (let mask = 1; mask < 1 << S.length; mask++) {
        const size = popcount(mask);
        if (size > D) continue;
        let s = 0;
        for (let b = 0; b < S.length; b++) if (mask & (1 << b)) s += p[S[b]!]!;
        masks.push(mask);
        scores.push(s / size + eta(size));
      }
      const top = Math.max(...scores);
      let Z = 0;
      for (let h = 0; h < masks.length; h++) {
        const w = Math.exp(scores[h]! - top);
        Z += w;
        const size = popcount(masks[h]!);
        const idx: number[] = [];
        const val: number[] = [];
        for (let b = 0; b < S.length; b++) if (masks[h]! & (1 << b)) idx.push(b), val.push(1 / size);
        if (size >= 2) idx.push(S.length + size - 2), val.push(1);
        for (let a = 0; a < idx.length; a++) {
          mean[idx[a]!]! += w * val[a]!;
          if (second) for (let c = 0; c < idx.length; c++) second[idx[a]! * L + idx[c]!]! += w * val[a]! * val[c]!;
        }
      }
      const global = (l: number) => (l < S.length ? S[l]! : n + (l - S.length));
      // chosen group's features
      const t = G.length;
      let chosen = eta(t);
      for (const i of G) chosen += p[i]! / t;
      ll += r.weight * (chosen - (top + Math.log(Z)));
      for (const i of G) grad[i]! += r.weight / t;
      if (t >= 2) grad[n + t - 2]! += r.weight;
      for (let l = 0; l < L; l++) {
        mean[l]! /= Z;
        grad[global(l)]! -= r.weight * mean[l]!;
      }
      if (H && second) {
        for (let a = 0; a < L; a++) {
          for (let c = 0; c < L; c++) {
            const cov = second[a * L + c]! / Z - mean[a]! * mean[c]!;
            if (cov !== 0) H[global(a) * m + global(c)]! += r.weight * cov;
          }
        }
      }
    }
  }
  for (let k = 0; k < n; k++) {
    const s = 1 / (1 + Math.exp(-p[k]!));
    ll += prior * (Math.log(s) + Math.log(1 - s));
    grad[k]! += prior * (1 - 2 * s);
    if (H) H[k * m + k]! += 2 * prior * s * (1 - s);
  }
  for (let k = n; k < m; k++) {
    ll -= (p[k]! * p[k]!) / (2 * ETA_PRIOR_VARIANCE);
    grad[k]! -= p[k]! / ETA_PRIOR_VARIANCE;
    if (H) H[k * m + k]! += 1 / ETA_PRIOR_VARIANCE;
  }
  return { ll, grad, H };
}

function popcount(x: number): number {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

export function davidsonLuceLogLikelihood(nItems: number, rankings: TiedRanking[], ratings: Float64Array, delta: number[]): number {
  const D = Math.max(delta.length, 1);
  const p = new Float64Array(nItems + D - 1);
  p.set(ratings);
  for (let t = 2; t <= D; t++) p[nItems + t - 2] = Math.log(delta[t - 1]!);
  // the priors' terms, taken back out
  let priorPart = 0;
  for (let k = nItems; k < p.length; k++) priorPart -= (p[k]! * p[k]!) / (2 * ETA_PRIOR_VARIANCE);
  return evaluate(nItems, D, rankings, p, 0, false).ll - priorPart;
}

export function fitDavidsonLuce(
  nItems: number,
  rankings: TiedRanking[],
  opts: { prior?: number; tolerance?: number; maxIterations?: number; init?: { ratings: Float64Array; delta: number[] } } = {},
): DavidsonLuceFit {
  const { prior = DEFAULT_PRIOR, tolerance = 1e-8, maxIterations = 100 } = opts;
  const D = largestTieGroup(rankings);
  const m = nItems + D - 1;
  const p = new Float64Array(m);
  if (opts.init) {
    p.set(opts.init.ratings.subarray(0, nItems));
    for (let t = 2; t <= D; t++) p[nItems + t - 2] = Math.log(opts.init.delta[t - 1] ?? 0.5);
  }
  let current = evaluate(nItems, D, rankings, p, prior, true);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    // Without a prior the likelihood is flat along θ + c·1 (only differences of ratings
    // matter) and H is singular there; a tiny ridge keeps Cholesky defined, and the
    // gradient has no component along that direction, so the step has none either.
    const H = current.H!;
    if (prior === 0) for (let k = 0; k < nItems; k++) H[k * m + k]! += 1e-9;
    const step = solveSpd(H, current.grad, m);
    let largest = 0;
    for (let k = 0; k < m; k++) largest = Math.max(largest, Math.abs(step[k]!));
    // halve until the log-likelihood does not fall (concave: a full step is usually taken)
    let scale = largest > 2 ? 2 / largest : 1;
    let next = p.map((x, k) => x + scale * step[k]!);
    let trial = evaluate(nItems, D, rankings, next, prior, true);
    while (trial.ll < current.ll - 1e-12 * Math.abs(current.ll) && scale > 1e-6) {
      scale /= 2;
      next = p.map((x, k) => x + scale * step[k]!);
      trial = evaluate(nItems, D, rankings, next, prior, true);
    }
    p.set(next);
    current = trial;
    if (largest * scale < tolerance) {
      converged = true;
      break;
    }
  }
  const ratings = Float64Array.from(p.subarray(0, nItems));
  let mean = 0;
  for (const r of ratings) mean += r;
  for (let k = 0; k < nItems; k++) ratings[k]! -= mean / (nItems || 1);
  const delta = [1];
  for (let t = 2; t <= D; t++) delta.push(Math.exp(p[nItems + t - 2]!));
  return { ratings, delta, iterations, converged, logLikelihood: current.ll };
}
