// Ties as evidence: Davidson's (1970) extension of Bradley–Terry,
//     P(i ≻ j) = π_i / D,  P(j ≻ i) = π_j / D,  P(i ~ j) = ν √(π_i π_j) / D,
//     D = π_i + π_j + ν √(π_i π_j),
// with the tie parameter ν fitted. Setting the score to zero gives the fixed points
//     π_i ← (W_i + T_i / 2) / Σ_j n_ij (1 + ν √(π_j / π_i) / 2) / D_ij
//     ν   ← T / Σ_pairs n_ij √(π_i π_j) / D_ij
// (the MM-type updates of Hunter 2004, §3), alternated until both settle. The prior is
// the one of bradley-terry.ts: `prior` virtual wins and losses against strength 1.
import { centredLog, DEFAULT_PRIOR, normaliseGeometricMean, type BtOptions } from "./bradley-terry";
import type { PairCounts } from "./pair-counts";

export type DavidsonFit = { ratings: Float64Array; nu: number; iterations: number; converged: boolean };

export function fitDavidson(counts: PairCounts, opts: BtOptions = {}): DavidsonFit {
  const { prior = DEFAULT_PRIOR, tolerance = 1e-9, maxIterations = 10_000 } = opts;
  const n = counts.nItems;
  const P = counts.i.length;
  const score = new Float64Array(n); // W_i + T_i / 2
  let totalTies = 0;
  let totalGames = 0;
  for (let p = 0; p < P; p++) {
    const t = counts.ties[p]!;
    score[counts.i[p]!]! += counts.winsIJ[p]! + t / 2;
    score[counts.j[p]!]! += counts.winsJI[p]! + t / 2;
    totalTies += t;
    totalGames += counts.winsIJ[p]! + counts.winsJI[p]! + t;
  }
  const pi = new Float64Array(n).fill(1);
  const denom = new Float64Array(n);
  const nextPi = new Float64Array(n);
  let nu = totalTies > 0 ? (2 * totalTies) / Math.max(totalGames - totalTies, 1e-12) : 0; // moment start
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    for (let k = 0; k < n; k++) denom[k] = (2 * prior) / (pi[k]! + 1);
    let tieDenom = 0;
    for (let p = 0; p < P; p++) {
      const i = counts.i[p]!;
      const j = counts.j[p]!;
      const games = counts.winsIJ[p]! + counts.winsJI[p]! + counts.ties[p]!;
      if (games === 0) continue;
      const root = Math.sqrt(pi[i]! * pi[j]!);
      const D = pi[i]! + pi[j]! + nu * root;
      denom[i]! += (games * (1 + (nu * Math.sqrt(pi[j]! / pi[i]!)) / 2)) / D;
      denom[j]! += (games * (1 + (nu * Math.sqrt(pi[i]! / pi[j]!)) / 2)) / D;
      tieDenom += (games * root) / D;
    }
    // Change is measured after rescaling: the scale itself is not a parameter.
    for (let k = 0; k < n; k++) nextPi[k] = (score[k]! + prior) / denom[k]!;
    normaliseGeometricMean(nextPi);
    let maxChange = 0;
    for (let k = 0; k < n; k++) maxChange = Math.max(maxChange, Math.abs(Math.log(nextPi[k]! / pi[k]!)));
    pi.set(nextPi);
    const nextNu = totalTies > 0 ? totalTies / tieDenom : 0;
    if (nu > 0) maxChange = Math.max(maxChange, Math.abs(Math.log(nextNu / nu)));
    nu = nextNu;
    if (maxChange < tolerance) {
      converged = true;
      break;
    }
  }
  // ν is defined against π; centring r shifts every π by the same factor, which leaves
  // every probability (and so ν) unchanged.
  return { ratings: centredLog(pi), nu, iterations, converged };
}

/** Davidson log-likelihood at ratings r and tie parameter ν (no prior). */
export function davidsonLogLikelihood(counts: PairCounts, r: Float64Array, nu: number): number {
  let ll = 0;
  for (let p = 0; p < counts.i.length; p++) {
    const ri = r[counts.i[p]!]!;
    const rj = r[counts.j[p]!]!;
    const logD = logSumExp3(ri, rj, Math.log(nu) + (ri + rj) / 2);
    ll += counts.winsIJ[p]! * (ri - logD) + counts.winsJI[p]! * (rj - logD);
    if (counts.ties[p]! > 0) ll += counts.ties[p]! * (Math.log(nu) + (ri + rj) / 2 - logD);
  }
  return ll;
}

function logSumExp3(a: number, b: number, c: number): number {
  const m = Math.max(a, b, c);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m) + (Number.isFinite(c) ? Math.exp(c - m) : 0));
}
