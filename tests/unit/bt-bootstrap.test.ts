import { describe, expect, it } from "vitest";
import { bootstrapBradleyTerry, bootstrapRatings } from "@/lib/bt/bootstrap";
import { fitBradleyTerry } from "@/lib/bt/bradley-terry";
import { countPairs } from "@/lib/bt/pair-counts";
import { PoissonStream } from "@/lib/bt/poisson";
import { gaussianStrengths, simulatePairs } from "@/lib/bt/simulate";

function maxDiff(a: Float64Array[], b: Float64Array[]): number {
  let d = 0;
  for (let s = 0; s < a.length; s++) for (let k = 0; k < a[s]!.length; k++) d = Math.max(d, Math.abs(a[s]![k]! - b[s]![k]!));
  return d;
}

describe("Poisson stream", () => {
  it("draws Poisson(λ) for the table's integers and for other λ", () => {
    for (const lambda of [1, 3, 12, 2.5, 80]) {
      const stream = new PoissonStream(11);
      const N = 200_000;
      let sum = 0;
      let sq = 0;
      const freq = new Map<number, number>();
      let bad = 0;
      for (let k = 0; k < N; k++) {
        const x = stream.draw(lambda);
        if (!(Number.isInteger(x) && x >= 0)) bad++;
        sum += x;
        sq += x * x;
        freq.set(x, (freq.get(x) ?? 0) + 1);
      }
      expect(bad).toBe(0);
      const mean = sum / N;
      const variance = sq / N - mean * mean;
      expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / N));
      expect(Math.abs(variance / lambda - 1)).toBeLessThan(0.03);
      if (lambda === 3) {
        // each of P(0..8) within 5 standard errors of the pmf
        let p = Math.exp(-3);
        for (let k = 0; k <= 8; k++, p *= 3 / k) {
          const observed = (freq.get(k) ?? 0) / N;
          expect(Math.abs(observed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
        }
      }
    }
    expect(new PoissonStream(3).draw(0)).toBe(0);
  });

  it("is repeatable for a seed", () => {
    const a = new PoissonStream(5);
    const b = new PoissonStream(5);
    for (let k = 0; k < 1000; k++) expect(a.draw(k % 7)).toBe(b.draw(k % 7));
  });
});

describe("k-step Bradley–Terry bootstrap", () => {
  // a dense design (the packed triangle) and a sparse one (the pair list)
  for (const [items, comparisons] of [
    [60, 60_000],
    [400, 8_000],
  ] as const) {
    it(`matches full refits on the same resamples (${items} items, ${comparisons} comparisons)`, () => {
      const sim = simulatePairs(gaussianStrengths(items, 2), comparisons, 3);
      const counts = countPairs(items, sim.winner, sim.loser);
      const fit = fitBradleyTerry(counts, { tolerance: 1e-10 });
      const refit = bootstrapRatings(counts, (c) => fitBradleyTerry(c, { tolerance: 1e-10, init: fit.ratings }).ratings, { resamples: 8, seed: 4 });
      const fast = bootstrapBradleyTerry(counts, fit.ratings, { resamples: 8, seed: 4, tolerance: 1e-6 });
      expect(maxDiff(fast.samples, refit.samples)).toBeLessThan(1e-5);
      // the resamples really moved: the check is not comparing the fit with itself
      expect(maxDiff(fast.samples, [fit.ratings, fit.ratings, fit.ratings, fit.ratings, fit.ratings, fit.ratings, fit.ratings, fit.ratings])).toBeGreaterThan(0.05);
      // the default tolerance stays far inside the intervals
      const loose = bootstrapBradleyTerry(counts, fit.ratings, { resamples: 8, seed: 4 });
      expect(maxDiff(loose.samples, refit.samples)).toBeLessThan(3e-3);
    });
  }

  it("is repeatable for a seed and centred like the fit", () => {
    const sim = simulatePairs(gaussianStrengths(30, 5), 5000, 6);
    const counts = countPairs(30, sim.winner, sim.loser);
    const fit = fitBradleyTerry(counts);
    const a = bootstrapBradleyTerry(counts, fit.ratings, { resamples: 20, seed: 9 });
    const b = bootstrapBradleyTerry(counts, fit.ratings, { resamples: 20, seed: 9 });
    expect(a.intervals).toEqual(b.intervals);
    for (const s of a.samples) expect(Math.abs(s.reduce((x, y) => x + y, 0))).toBeLessThan(1e-9);
    a.intervals.forEach((iv, k) => {
      expect(iv.low).toBeLessThan(fit.ratings[k]!);
      expect(iv.high).toBeGreaterThan(fit.ratings[k]!);
    });
  });
});
