import { describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/bt/bootstrap";
import { fitDavidson } from "@/lib/bt/davidson";
import { davidsonLuceLogLikelihood, fitDavidsonLuce, type TiedRanking } from "@/lib/bt/davidson-luce";
import { countPairs } from "@/lib/bt/pair-counts";
import { fitPlackettLuce } from "@/lib/bt/plackett-luce";
import { gaussianStrengths, pearson, simulatePairs, simulateRankings } from "@/lib/bt/simulate";

/** Rankings drawn from the Davidson–Luce model itself, stage by stage (the model's definition). */
function simulateDavidsonLuce(r: Float64Array, N: number, k: number, delta: number[], seed: number): TiedRanking[] {
  const rand = mulberry32(seed);
  const D = delta.length;
  const out: TiedRanking[] = [];
  for (let c = 0; c < N; c++) {
    const chosen = new Set<number>();
    while (chosen.size < k) chosen.add(Math.floor(rand() * r.length));
    let S = [...chosen];
    const groups: number[][] = [];
    while (S.length > 0) {
      if (S.length === 1) {
        groups.push(S);
        break;
      }
      const options: { H: number[]; w: number }[] = [];
      for (let mask = 1; mask < 1 << S.length; mask++) {
        const H = S.filter((_, b) => mask & (1 << b));
        if (H.length > D) continue;
        options.push({ H, w: delta[H.length - 1]! * Math.exp(H.reduce((s, i) => s + r[i]!, 0) / H.length) });
      }
      let u = rand() * options.reduce((s, o) => s + o.w, 0);
      const pick = options.find((o) => (u -= o.w) < 0) ?? options[options.length - 1]!;
      groups.push(pick.H);
      S = S.filter((i) => !pick.H.includes(i));
    }
    out.push({ groups, weight: 1 });
  }
  return out;
}

describe("Davidson–Luce", () => {
  it("is Plackett–Luce when there are no ties", () => {
    const truth = gaussianStrengths(30, 3);
    const rankings = simulateRankings(truth, 3000, 4, 5);
    const pl = fitPlackettLuce(30, rankings, { tolerance: 1e-12 });
    const dl = fitDavidsonLuce(
      30,
      rankings.map((r) => ({ groups: [...r].map((i) => [i]), weight: 1 })),
      { tolerance: 1e-10 },
    );
    expect(dl.delta).toEqual([1]);
    // the priors differ only in where rating 0 sits during the fit (PL: the running geometric mean)
    for (let k = 0; k < 30; k++) expect(dl.ratings[k]).toBeCloseTo(pl.ratings[k]!, 4);
  });

  it("is Davidson's model on pairs: the same ratings and ν = δ₂", () => {
    const truth = gaussianStrengths(12, 6);
    const sim = simulatePairs(truth, 20_000, 7, 0.6);
    const counts = countPairs(12, sim.winner, sim.loser, sim.tie);
    const davidson = fitDavidson(counts, { tolerance: 1e-12 });
    const rankings: TiedRanking[] = [];
    for (let c = 0; c < sim.winner.length; c++) {
      const a = sim.winner[c]!;
      const b = sim.loser[c]!;
      rankings.push({ groups: sim.tie[c] ? [[a, b]] : [[a], [b]], weight: 1 });
    }
    const dl = fitDavidsonLuce(12, rankings, { tolerance: 1e-10 });
    // the two differ only in the weak prior on log δ (sd 3), negligible at 20,000 pairs
    expect(dl.delta[1]).toBeCloseTo(davidson.nu, 3);
    for (let k = 0; k < 12; k++) expect(dl.ratings[k]).toBeCloseTo(davidson.ratings[k]!, 3);
  });

  it("recovers strengths and tie parameters from 4-wise rankings with tie groups", () => {
    const truth = gaussianStrengths(40, 8);
    const rankings = simulateDavidsonLuce(truth, 6000, 4, [1, 0.5, 0.2], 9);
    expect(rankings.some((r) => r.groups.some((g) => g.length === 3))).toBe(true);
    const fit = fitDavidsonLuce(40, rankings);
    expect(fit.converged).toBe(true);
    expect(pearson(truth, fit.ratings)).toBeGreaterThan(0.98);
    expect(fit.delta[1]).toBeGreaterThan(0.4);
    expect(fit.delta[1]).toBeLessThan(0.6);
    expect(fit.delta[2]).toBeGreaterThan(0.1);
    expect(fit.delta[2]).toBeLessThan(0.3);
  });

  it("is a maximum of its likelihood, in the ratings and in δ", () => {
    const truth = gaussianStrengths(8, 10);
    const rankings = simulateDavidsonLuce(truth, 800, 4, [1, 0.7], 11);
    const fit = fitDavidsonLuce(8, rankings, { prior: 0, tolerance: 1e-12 });
    const at = (r: Float64Array, d: number[]) => davidsonLuceLogLikelihood(8, rankings, r, d);
    const best = at(fit.ratings, fit.delta);
    for (let k = 0; k < 8; k++) {
      for (const h of [-1e-3, 1e-3]) {
        const r = Float64Array.from(fit.ratings);
        r[k]! += h;
        expect(at(r, fit.delta)).toBeLessThan(best + 1e-9);
      }
    }
    for (const f of [0.99, 1.01]) expect(at(fit.ratings, [1, fit.delta[1]! * f])).toBeLessThan(best + 1e-9);
  });

  it("counts a weighted ranking as that many copies", () => {
    const once: TiedRanking[] = [
      { groups: [[0], [1, 2]], weight: 1 },
      { groups: [[2], [0], [1]], weight: 1 },
      { groups: [[1], [0, 2]], weight: 1 },
    ];
    const tripled = once.map((r) => ({ ...r, weight: 3 }));
    const copies = [...once, ...once, ...once];
    const a = fitDavidsonLuce(3, tripled);
    const b = fitDavidsonLuce(3, copies);
    for (let k = 0; k < 3; k++) expect(a.ratings[k]).toBeCloseTo(b.ratings[k]!, 10);
    expect(a.delta[1]).toBeCloseTo(b.delta[1]!, 10);
  });
});
