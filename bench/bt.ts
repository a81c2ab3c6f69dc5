// npm run bench:bt — Bradley–Terry fitting speed (issue: BT engine), one core.
// Fit 1,000,000 pairwise comparisons over 1,000 items (aggregation included), then 100
// Poisson-bootstrap resamples fitted by Newton from that fit.
// Baseline in the same run: a plain JS MM over the raw comparisons (no aggregation),
// the approach the anchors call "plain JS MM" (about 0.85 s there).
import { bootstrapBradleyTerry, bootstrapRatings } from "@/lib/bt/bootstrap";
import { fitBradleyTerry, normaliseGeometricMean } from "@/lib/bt/bradley-terry";
import { countPairs } from "@/lib/bt/pair-counts";
import { gaussianStrengths, pearson, simulatePairs } from "@/lib/bt/simulate";
import { report } from "./harness";

const ITEMS = 1000;
const COMPARISONS = Number(process.env.BENCH_COMPARISONS ?? 1_000_000);
const RESAMPLES = Number(process.env.BENCH_RESAMPLES ?? 100);
const TOLERANCE = 1e-6; // change in log-strength per iteration; far below any interval's width

/** The baseline: Hunter's MM iterating over every raw comparison each sweep. */
function rawMM(winner: Int32Array, loser: Int32Array, n: number): { ratings: Float64Array; iterations: number } {
  const wins = new Float64Array(n);
  for (let c = 0; c < winner.length; c++) wins[winner[c]!]! += 1;
  const pi = new Float64Array(n).fill(1);
  const denom = new Float64Array(n);
  let iterations = 0;
  for (; iterations < 10_000; iterations++) {
    for (let k = 0; k < n; k++) denom[k] = 1 / (pi[k]! + 1); // same prior as lib/bt (0.5 virtual games each way)
    for (let c = 0; c < winner.length; c++) {
      const a = winner[c]!;
      const b = loser[c]!;
      const g = 1 / (pi[a]! + pi[b]!);
      denom[a]! += g;
      denom[b]! += g;
    }
    const next = new Float64Array(n);
    for (let k = 0; k < n; k++) next[k] = (wins[k]! + 0.5) / denom[k]!;
    normaliseGeometricMean(next); // as lib/bt's MM fits do: the scale is not a parameter
    let change = 0;
    for (let k = 0; k < n; k++) change = Math.max(change, Math.abs(Math.log(next[k]! / pi[k]!)));
    pi.set(next);
    if (change < TOLERANCE) break;
  }
  return { ratings: pi.map(Math.log), iterations: iterations + 1 };
}

const truth = gaussianStrengths(ITEMS, 7);
const sim = simulatePairs(truth, COMPARISONS, 8);

let t0 = performance.now();
const base = rawMM(sim.winner, sim.loser, ITEMS);
const baseSeconds = (performance.now() - t0) / 1000;

// The fit: aggregation to pair counts, then Newton. The first fit in the process (cold:
// V8 has not compiled the loops yet) and the median of five more on the same comparisons
// (warm: a server refitting its leaderboard).
const fitOnce = () => {
  const start = performance.now();
  const counts = countPairs(ITEMS, sim.winner, sim.loser);
  const fit = fitBradleyTerry(counts, { tolerance: TOLERANCE });
  return { counts, fit, seconds: (performance.now() - start) / 1000 };
};
const cold = fitOnce();
const warm = Array.from({ length: 5 }, () => fitOnce().seconds).sort((a, b) => a - b);
const { counts, fit } = cold;

// Bootstrap: k-step Newton from the full fit, to 1e-3 in log-strength (far inside any
// interval); checked against full refits of the first resamples (same draws, same seed).
t0 = performance.now();
const boot = bootstrapBradleyTerry(counts, fit.ratings, { resamples: RESAMPLES, seed: 1, tolerance: 1e-3 });
const bootSeconds = (performance.now() - t0) / 1000;
const CHECKED = 5;
t0 = performance.now();
const refits = bootstrapRatings(counts, (c) => fitBradleyTerry(c, { tolerance: 1e-9, init: fit.ratings }).ratings, { resamples: CHECKED, seed: 1 });
const refitSeconds = (performance.now() - t0) / 1000;
let kStepError = 0;
for (let b = 0; b < CHECKED; b++) for (let k = 0; k < ITEMS; k++) kStepError = Math.max(kStepError, Math.abs(boot.samples[b]![k]! - refits.samples[b]![k]!));
const halfWidth = boot.intervals.reduce((sum, iv) => sum + (iv.high - iv.low) / 2, 0) / ITEMS;

report({ bench: "bt", metric: "fit_1M_seconds", value: warm[2]!, unit: "s" });
report({ bench: "bt", metric: "fit_1M_cold_seconds", value: cold.seconds, unit: "s" });
report({ bench: "bt", metric: "fit_iterations", value: fit.iterations, unit: "count" });
report({ bench: "bt", metric: "fit_pearson_vs_truth", value: pearson(truth, fit.ratings), unit: "r" });
report({ bench: "bt", metric: `bootstrap_${RESAMPLES}_seconds`, value: bootSeconds, unit: "s" });
report({ bench: "bt", metric: "bootstrap_newton_steps_per_resample", value: boot.steps, unit: "count" });
report({ bench: "bt", metric: "bootstrap_max_error_vs_refit", value: kStepError, unit: "log-strength" });
report({ bench: "bt", metric: "bootstrap_mean_half_width", value: halfWidth, unit: "log-strength" });
report({ bench: "bt", metric: "refit_bootstrap_seconds_per_resample", value: refitSeconds / CHECKED, unit: "s" });
report({ bench: "bt", metric: "baseline_raw_mm_seconds", value: baseSeconds, unit: "s" });
report({ bench: "bt", metric: "baseline_raw_mm_iterations", value: base.iterations, unit: "count" });
report({ bench: "bt", metric: "fit_speedup_vs_raw_mm", value: baseSeconds / warm[2]!, unit: "ratio" });
