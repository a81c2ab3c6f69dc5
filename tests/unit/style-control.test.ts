import { describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/bt/bootstrap";
import { fitBradleyTerry } from "@/lib/bt/bradley-terry";
import { countPairs } from "@/lib/bt/pair-counts";
import { pearson } from "@/lib/bt/simulate";
import { fitWithCovariate, lengthFeature } from "@/lib/bt/style-control";

/** Sources whose answers differ in quality and, independently, in length; judges like both. */
function simulate(betaTrue: number, N: number, seed: number) {
  const quality = Float64Array.from([1.0, 0.5, 0.0, -0.5, -1.0]);
  const verbosity = [0.2, 0.8, 0.5, 0.9, 0.1]; // mean share of the maximum length
  const rand = mulberry32(seed);
  const a = new Int32Array(N);
  const b = new Int32Array(N);
  const y = new Float64Array(N);
  const x = new Float64Array(N);
  for (let k = 0; k < N; k++) {
    const i = Math.floor(rand() * 5);
    let j = Math.floor(rand() * 4);
    if (j >= i) j++;
    const li = 100 + 1000 * verbosity[i]! * (0.5 + rand());
    const lj = 100 + 1000 * verbosity[j]! * (0.5 + rand());
    const f = lengthFeature(li, lj);
    const p = 1 / (1 + Math.exp(-(quality[i]! - quality[j]! + betaTrue * f)));
    (a[k] = i), (b[k] = j), (x[k] = f), (y[k] = rand() < p ? 1 : 0);
  }
  return { quality, a, b, y, x };
}

describe("style control", () => {
  it("recovers the length effect and the ratings at equal length", () => {
    const { quality, a, b, y, x } = simulate(2, 60_000, 1);
    const fit = fitWithCovariate(5, a, b, y, x);
    expect(fit.converged).toBe(true);
    expect(fit.beta).toBeGreaterThan(1.8);
    expect(fit.beta).toBeLessThan(2.2);
    const centred = quality.map((q) => q - quality.reduce((s, v) => s + v, 0) / 5);
    fit.ratings.forEach((r, k) => expect(r).toBeCloseTo(centred[k]!, 1));
    // Plain BT folds length into quality: it narrows the true gap (−0.5) between the
    // verbose source 3 and the terser, better source 2; the controlled fit keeps it.
    const plain = fitBradleyTerry(countPairs(5, Array.from(a, (ak, k) => (y[k] ? ak : b[k]!)), Array.from(b, (bk, k) => (y[k] ? bk : a[k]!))));
    const plainError = Math.abs(plain.ratings[3]! - plain.ratings[2]! + 0.5);
    const controlledError = Math.abs(fit.ratings[3]! - fit.ratings[2]! + 0.5);
    expect(controlledError).toBeLessThan(0.05);
    expect(plainError).toBeGreaterThan(3 * controlledError);
  });

  it("finds no length effect where there is none, and then agrees with plain ratings", () => {
    const { a, b, y, x } = simulate(0, 40_000, 2);
    const fit = fitWithCovariate(5, a, b, y, x);
    expect(Math.abs(fit.beta)).toBeLessThan(0.2);
    const plain = fitBradleyTerry(countPairs(5, Array.from(a, (ak, k) => (y[k] ? ak : b[k]!)), Array.from(b, (bk, k) => (y[k] ? bk : a[k]!))));
    expect(pearson(plain.ratings, fit.ratings)).toBeGreaterThan(0.99);
  });
});
