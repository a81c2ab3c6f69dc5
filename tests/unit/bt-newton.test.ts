import { describe, expect, it } from "vitest";
import { fitBradleyTerry, fitBradleyTerryMM } from "@/lib/bt/bradley-terry";
import { fitBradleyTerryNewton } from "@/lib/bt/newton";
import { countPairs } from "@/lib/bt/pair-counts";
import { gaussianStrengths, pearson, simulatePairs } from "@/lib/bt/simulate";

describe("Bradley–Terry by Newton with conjugate gradients", () => {
  const truth = gaussianStrengths(200, 21);
  const sim = simulatePairs(truth, 40_000, 22);
  const counts = countPairs(200, sim.winner, sim.loser);

  it("reaches MM's maximum likelihood exactly without a prior", () => {
    const newton = fitBradleyTerryNewton(counts, { prior: 0, tolerance: 1e-12 });
    const mm = fitBradleyTerryMM(counts, { prior: 0, tolerance: 1e-12 });
    expect(newton.converged).toBe(true);
    newton.ratings.forEach((r, k) => expect(r).toBeCloseTo(mm.ratings[k]!, 7));
    expect(newton.iterations).toBeLessThan(15);
  });

  it("is stationary for its penalised likelihood, and close to MM with the same weak prior", () => {
    const prior = 0.5;
    const { ratings } = fitBradleyTerry(counts, { prior, tolerance: 1e-12 });
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    // pair terms of the gradient (they do not change when every rating shifts)
    const g = new Float64Array(200);
    for (let p = 0; p < counts.i.length; p++) {
      const i = counts.i[p]!, j = counts.j[p]!;
      const m = counts.winsIJ[p]! + counts.winsJI[p]!;
      const d = counts.winsIJ[p]! - m * sig(ratings[i]! - ratings[j]!);
      g[i]! += d;
      g[j]! -= d;
    }
    // the returned ratings are centred: find the shift c where the prior's terms balance,
    // then every component of the gradient must vanish there
    let lo = -5, hi = 5;
    for (let it = 0; it < 200; it++) {
      const c = (lo + hi) / 2;
      const total = ratings.reduce((a, r) => a + prior * (1 - 2 * sig(r + c)), 0);
      if (total > 0) lo = c;
      else hi = c;
    }
    const c = (lo + hi) / 2;
    for (let k = 0; k < 200; k++) expect(Math.abs(g[k]! + prior * (1 - 2 * sig(ratings[k]! + c)))).toBeLessThan(1e-7);
    const mm = fitBradleyTerryMM(counts, { prior, tolerance: 1e-12 });
    expect(pearson(ratings, mm.ratings)).toBeGreaterThan(0.99999);
  });

  it("keeps undefeated and never-compared items finite, and converges in few steps from a warm start", () => {
    const lopsided = countPairs(5, [0, 0, 0, 1, 2], [1, 2, 3, 2, 3]);
    const fit = fitBradleyTerryNewton(lopsided);
    expect(fit.converged).toBe(true);
    for (const r of fit.ratings) expect(Number.isFinite(r)).toBe(true);
    expect(fit.ratings[0]).toBeGreaterThan(fit.ratings[1]!);
    const full = fitBradleyTerryNewton(counts, { tolerance: 1e-9 });
    const again = fitBradleyTerryNewton(counts, { tolerance: 1e-9, init: full.ratings });
    expect(again.iterations).toBeLessThanOrEqual(3);
  });
});
