// Plackett–Luce for full rankings (Zhu, Jordan & Jiao 2023 use it for k-wise reward
// models): a ranking i_1 ≻ i_2 ≻ … ≻ i_k has probability Π_s π_{i_s} / Σ_{t ≥ s} π_{i_t}.
// Fitted by Hunter's (2004, §5) MM algorithm:
//     π_i ← w_i / Σ_rankings Σ_{stages s ≤ k−1 where i is still in the running} 1 / Σ_{t ≥ s} π_{i_t}
// with w_i the number of stages i wins (every place but last). The prior is the one of
// bradley-terry.ts. Tie groups are not part of this model: rankings with ties go
// through their pairwise expansion (pairwiseExpansion) into the Davidson fit.
import { centredLog, DEFAULT_PRIOR, normaliseGeometricMean, type BtOptions } from "./bradley-terry";

export type PlFit = { ratings: Float64Array; iterations: number; converged: boolean };

/** rankings: each a list of item indexes, best first (no ties). */
export function fitPlackettLuce(nItems: number, rankings: ArrayLike<number>[], opts: BtOptions = {}): PlFit {
  const { prior = DEFAULT_PRIOR, tolerance = 1e-9, maxIterations = 10_000 } = opts;
  const wins = new Float64Array(nItems);
  for (const r of rankings) for (let s = 0; s < r.length - 1; s++) wins[r[s]!]! += 1;
  const pi = new Float64Array(nItems).fill(1);
  const denom = new Float64Array(nItems);
  const nextPi = new Float64Array(nItems);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    for (let k = 0; k < nItems; k++) denom[k] = (2 * prior) / (pi[k]! + 1);
    for (const r of rankings) {
      // Suffix sums of π give every stage's denominator; accumulate 1/Σ for items still in.
      let suffix = 0;
      const sums = new Float64Array(r.length);
      for (let s = r.length - 1; s >= 0; s--) sums[s] = suffix += pi[r[s]!]!;
      let acc = 0;
      for (let s = 0; s < r.length; s++) {
        if (s < r.length - 1) acc += 1 / sums[s]!;
        denom[r[s]!]! += acc;
      }
    }
    // Change is measured after rescaling: the scale itself is not a parameter.
    for (let k = 0; k < nItems; k++) nextPi[k] = (wins[k]! + prior) / denom[k]!;
    normaliseGeometricMean(nextPi);
    let maxChange = 0;
    for (let k = 0; k < nItems; k++) maxChange = Math.max(maxChange, Math.abs(Math.log(nextPi[k]! / pi[k]!)));
    pi.set(nextPi);
    if (maxChange < tolerance) {
      converged = true;
      break;
    }
  }
  return { ratings: centredLog(pi), iterations, converged };
}

export function plLogLikelihood(rankings: ArrayLike<number>[], r: Float64Array): number {
  let ll = 0;
  for (const ranking of rankings) {
    for (let s = 0; s < ranking.length - 1; s++) {
      let m = -Infinity;
      for (let t = s; t < ranking.length; t++) m = Math.max(m, r[ranking[t]!]!);
      let sum = 0;
      for (let t = s; t < ranking.length; t++) sum += Math.exp(r[ranking[t]!]! - m);
      ll += r[ranking[s]!]! - (m + Math.log(sum));
    }
  }
  return ll;
}

/** A ranking as tie groups, best first, expanded to pairs: across groups a win, within a group a tie. */
export function pairwiseExpansion(groups: number[][]): { winner: number; loser: number; tie: boolean }[] {
  const out: { winner: number; loser: number; tie: boolean }[] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    for (let x = 0; x < group.length; x++) for (let y = x + 1; y < group.length; y++) out.push({ winner: group[x]!, loser: group[y]!, tie: true });
    for (let h = g + 1; h < groups.length; h++) for (const a of group) for (const b of groups[h]!) out.push({ winner: a, loser: b, tie: false });
  }
  return out;
}
