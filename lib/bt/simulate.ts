// Synthetic comparisons from known strengths, for recovery tests and benchmarks.
import { mulberry32 } from "./bootstrap";

export function gaussianStrengths(n: number, seed: number, scale = 1): Float64Array {
  const rand = mulberry32(seed);
  const r = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // Box–Muller
    r[k] = scale * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  }
  return r;
}

/** N comparisons between uniformly chosen pairs under Davidson's model (ν = 0: plain BT). */
export function simulatePairs(r: Float64Array, N: number, seed: number, nu = 0) {
  const rand = mulberry32(seed);
  const n = r.length;
  const winner = new Int32Array(N);
  const loser = new Int32Array(N);
  const tie = new Uint8Array(N);
  for (let c = 0; c < N; c++) {
    const a = Math.floor(rand() * n);
    let b = Math.floor(rand() * (n - 1));
    if (b >= a) b++;
    const pa = Math.exp(r[a]!);
    const pb = Math.exp(r[b]!);
    const pt = nu * Math.sqrt(pa * pb);
    const u = rand() * (pa + pb + pt);
    if (u < pa) (winner[c] = a), (loser[c] = b);
    else if (u < pa + pb) (winner[c] = b), (loser[c] = a);
    else (winner[c] = a), (loser[c] = b), (tie[c] = 1);
  }
  return { winner, loser, tie };
}

/** Full rankings of k random items under Plackett–Luce (Gumbel trick: sort r + Gumbel noise). */
export function simulateRankings(r: Float64Array, N: number, k: number, seed: number): Int32Array[] {
  const rand = mulberry32(seed);
  const n = r.length;
  const out: Int32Array[] = [];
  for (let c = 0; c < N; c++) {
    const chosen = new Set<number>();
    while (chosen.size < k) chosen.add(Math.floor(rand() * n));
    const scored = [...chosen].map((i) => ({ i, s: r[i]! - Math.log(-Math.log(1 - rand())) }));
    scored.sort((x, y) => y.s - x.s);
    out.push(Int32Array.from(scored.map((x) => x.i)));
  }
  return out;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < n; k++) (mx += x[k]!), (my += y[k]!);
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < n; k++) {
    const dx = x[k]! - mx;
    const dy = y[k]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}
