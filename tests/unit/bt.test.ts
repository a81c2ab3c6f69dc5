import { describe, expect, it } from "vitest";
import { bootstrapRatings, separatedRanks } from "@/lib/bt/bootstrap";
import { btLogLikelihood, fitBradleyTerry } from "@/lib/bt/bradley-terry";
import { davidsonLogLikelihood, fitDavidson } from "@/lib/bt/davidson";
import { countPairs, type PairCounts } from "@/lib/bt/pair-counts";
import { fitPlackettLuce, pairwiseExpansion, plLogLikelihood } from "@/lib/bt/plackett-luce";
import { gaussianStrengths, pearson, simulatePairs, simulateRankings } from "@/lib/bt/simulate";

const exact = { prior: 0, tolerance: 1e-12 };

/** Central finite difference of f along coordinate k. */
function numericGradient(f: (r: Float64Array) => number, r: Float64Array, k: number, h = 1e-5): number {
  const up = Float64Array.from(r);
  const down = Float64Array.from(r);
  up[k]! += h;
  down[k]! -= h;
  return (f(up) - f(down)) / (2 * h);
}

describe("Bradley–Terry", () => {
  it("matches the closed form for two items: r_a − r_b = ln(wins_a / wins_b)", () => {
    const counts = countPairs(2, [0, 0, 0, 1], [1, 1, 1, 0]);
    const { ratings } = fitBradleyTerry(counts, exact);
    expect(ratings[0]! - ratings[1]!).toBeCloseTo(Math.log(3), 8);
  });

  it("solves a three-item case worked out by hand", () => {
    // a beats b 2–1, b beats c 2–1, a beats c 2–1. At the MLE every item's expected wins
    // equal its observed wins (the score equations); check those directly.
    const w = [0, 0, 1, 1, 1, 2, 0, 0, 2];
    const l = [1, 1, 0, 2, 2, 1, 2, 2, 0];
    const counts = countPairs(3, w, l);
    const { ratings: r } = fitBradleyTerry(counts, exact);
    const p = (x: number, y: number) => 1 / (1 + Math.exp(r[y]! - r[x]!));
    expect(3 * p(0, 1) + 3 * p(0, 2)).toBeCloseTo(4, 8);
    expect(3 * p(1, 0) + 3 * p(1, 2)).toBeCloseTo(3, 8);
    expect(3 * p(2, 0) + 3 * p(2, 1)).toBeCloseTo(2, 8);
  });

  it("keeps undefeated and unconnected items finite with the prior", () => {
    const counts = countPairs(4, [0, 0, 2], [1, 1, 3]);
    const { ratings, converged } = fitBradleyTerry(counts);
    expect(converged).toBe(true);
    for (const x of ratings) expect(Number.isFinite(x)).toBe(true);
    expect(ratings[0]!).toBeGreaterThan(ratings[1]!);
  });

  it("is a maximum: the gradient of the log-likelihood (by finite differences) vanishes there", () => {
    const truth = gaussianStrengths(20, 3);
    const sim = simulatePairs(truth, 4000, 4);
    const counts = countPairs(20, sim.winner, sim.loser);
    const { ratings } = fitBradleyTerry(counts, exact);
    for (let k = 0; k < 20; k += 5) expect(Math.abs(numericGradient((r) => btLogLikelihood(counts, r), ratings, k))).toBeLessThan(1e-4);
  });

  it("recovers known strengths: Pearson ≥ 0.99 at 1,000 items and 1,000,000 comparisons", () => {
    const truth = gaussianStrengths(1000, 11);
    const sim = simulatePairs(truth, 1_000_000, 12);
    const { ratings } = fitBradleyTerry(countPairs(1000, sim.winner, sim.loser));
    expect(pearson(truth, ratings)).toBeGreaterThanOrEqual(0.99);
  });
});

describe("Davidson ties", () => {
  it("recovers the tie parameter and the strengths", () => {
    const truth = gaussianStrengths(100, 21);
    const sim = simulatePairs(truth, 200_000, 22, 0.8);
    const fit = fitDavidson(countPairs(100, sim.winner, sim.loser, sim.tie));
    expect(fit.converged).toBe(true);
    expect(fit.nu).toBeGreaterThan(0.75);
    expect(fit.nu).toBeLessThan(0.85);
    expect(pearson(truth, fit.ratings)).toBeGreaterThan(0.99);
  });

  it("is a maximum of the Davidson likelihood in the ratings and in ν", () => {
    const truth = gaussianStrengths(10, 31);
    const sim = simulatePairs(truth, 5000, 32, 0.5);
    const counts = countPairs(10, sim.winner, sim.loser, sim.tie);
    const fit = fitDavidson(counts, exact);
    for (let k = 0; k < 10; k += 3) expect(Math.abs(numericGradient((r) => davidsonLogLikelihood(counts, r, fit.nu), fit.ratings, k))).toBeLessThan(1e-4);
    const h = 1e-6;
    const dNu = (davidsonLogLikelihood(counts, fit.ratings, fit.nu + h) - davidsonLogLikelihood(counts, fit.ratings, fit.nu - h)) / (2 * h);
    expect(Math.abs(dNu)).toBeLessThan(1e-3);
  });

  it("treats a tie as evidence: two ties and one win differ from the win alone", () => {
    const winOnly = fitDavidson(countPairs(2, [0], [1]));
    const withTies = fitDavidson(countPairs(2, [0, 0, 0], [1, 1, 1], [0, 1, 1]));
    expect(withTies.ratings[0]! - withTies.ratings[1]!).toBeLessThan(winOnly.ratings[0]! - winOnly.ratings[1]!);
  });
});

describe("Plackett–Luce", () => {
  it("reduces to Bradley–Terry on rankings of two", () => {
    const pl = fitPlackettLuce(2, [[0, 1], [0, 1], [0, 1], [1, 0]], exact);
    expect(pl.ratings[0]! - pl.ratings[1]!).toBeCloseTo(Math.log(3), 8);
  });

  it("recovers strengths from 4-wise rankings and is a maximum of its likelihood", () => {
    const truth = gaussianStrengths(200, 41);
    const rankings = simulateRankings(truth, 50_000, 4, 42);
    const fit = fitPlackettLuce(200, rankings, { prior: 0, tolerance: 1e-10 });
    expect(pearson(truth, fit.ratings)).toBeGreaterThan(0.99);
    for (const k of [0, 57, 199]) expect(Math.abs(numericGradient((r) => plLogLikelihood(rankings, r), fit.ratings, k))).toBeLessThan(1e-3);
  });

  it("uses more of each ranking than its first choice: PL beats top-1-only pairs at the same data", () => {
    const truth = gaussianStrengths(100, 51);
    const rankings = simulateRankings(truth, 3000, 5, 52);
    const pl = fitPlackettLuce(100, rankings);
    const w: number[] = [];
    const l: number[] = [];
    for (const r of rankings) for (let t = 1; t < r.length; t++) (w.push(r[0]!), l.push(r[t]!));
    const top1 = fitBradleyTerry(countPairs(100, w, l));
    expect(pearson(truth, pl.ratings)).toBeGreaterThan(pearson(truth, top1.ratings));
  });

  it("expands tie groups into wins across groups and ties within", () => {
    expect(pairwiseExpansion([[1], [0, 2]])).toEqual([
      { winner: 1, loser: 0, tie: false },
      { winner: 1, loser: 2, tie: false },
      { winner: 0, loser: 2, tie: true },
    ]);
  });
});

describe("pair counts", () => {
  it("aggregate the same way through the dense and the sparse path", () => {
    const winner = [0, 2, 2, 1, 3, 0];
    const loser = [1, 0, 0, 0, 2, 3];
    const tie = [0, 0, 1, 0, 0, 1];
    const dense = countPairs(4, winner, loser, tie);
    const sparse = countPairs(5000, winner, loser, tie); // > the dense limit: the Map path
    const asRows = (c: PairCounts) =>
      Array.from(c.i, (i, p) => [i, c.j[p], c.winsIJ[p], c.winsJI[p], c.ties[p]].join()).sort();
    expect(asRows(dense)).toEqual(["0,1,1,1,0", "0,2,0,1,1", "0,3,0,0,1", "2,3,0,1,0"]);
    expect(asRows(sparse)).toEqual(asRows(dense));
  });

  it("refuse comparisons of an item with itself or out of range", () => {
    expect(() => countPairs(3, [0], [0])).toThrow(/bad items/);
    expect(() => countPairs(3, [0], [7])).toThrow(/bad items/);
  });
});

describe("bootstrap intervals", () => {
  it("are repeatable for a seed and cover the truth near the nominal rate", () => {
    const truth = gaussianStrengths(30, 61);
    let covered = 0;
    let total = 0;
    for (let sim = 0; sim < 8; sim++) {
      const data = simulatePairs(truth, 3000, 100 + sim);
      const counts = countPairs(30, data.winner, data.loser);
      const fit = (c: PairCounts) => fitBradleyTerry(c, { tolerance: 1e-7 }).ratings;
      const { intervals } = bootstrapRatings(counts, fit, { resamples: 100, seed: sim });
      // Ratings are identified up to a shift: compare centred truth with centred fits.
      const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
      intervals.forEach((iv, k) => {
        total++;
        if (truth[k]! - mean >= iv.low && truth[k]! - mean <= iv.high) covered++;
      });
      if (sim === 0) expect(bootstrapRatings(counts, fit, { resamples: 100, seed: 0 }).intervals).toEqual(intervals);
    }
    const rate = covered / total;
    expect(rate).toBeGreaterThan(0.85);
    expect(rate).toBeLessThan(0.995);
  });

  it("ranks apart only items whose intervals do not overlap", () => {
    expect(separatedRanks([{ low: 2, high: 3 }, { low: 1, high: 2.5 }, { low: 0, high: 0.5 }])).toEqual([1, 1, 3]);
  });
});
