// The leaderboard of response sources (the models behind the responses): every judgment's
// ranking is expanded to pairwise outcomes between responses of different sources, and
// the sources are rated by Davidson's model (ties as evidence) with seeded bootstrap
// intervals and ranks that separate only non-overlapping intervals (LMSYS Arena style).
// With control "length", ratings are length-controlled instead (style-control.ts).
import { bootstrapRatings, separatedRanks, type Interval } from "@/lib/bt/bootstrap";
import { fitDavidson } from "@/lib/bt/davidson";
import { countPairs } from "@/lib/bt/pair-counts";
import { mulberry32, poisson, quantile } from "@/lib/bt/bootstrap";
import { pairwiseExpansion } from "@/lib/bt/plackett-luce";
import { fitWithCovariate, lengthFeature } from "@/lib/bt/style-control";
import type { JudgmentRow } from "@/lib/quality/judgment-data";

/** Ratings on the Elo scale: 1000 + 400 · log10(π), so 400 points are 10:1 odds. */
const ELO_SCALE = 400 / Math.LN10;
const ELO_BASE = 1000;

export type LeaderboardRow = { source: string; rating: number; ciLow: number; ciHigh: number; n: number; rank: number };
export type Leaderboard = {
  rows: LeaderboardRow[];
  /** "length": ratings at equal response length (style control); β is length's own effect */
  control: "none" | "length";
  lengthCoefficient: number | null;
  /** winRate[a][b]: share of a's games against b that a won, ties counting half */
  winRate: (number | null)[][];
  tieParameter: number;
  outcomes: number;
};

export function sourceLeaderboard(
  judgments: JudgmentRow[],
  opts: { resamples?: number; seed?: number; control?: "none" | "length" } = {},
): Leaderboard {
  const control = opts.control ?? "none";
  const sources = [...new Set(judgments.flatMap((j) => j.sources))].sort();
  const index = new Map(sources.map((s, i) => [s, i]));
  const winner: number[] = [];
  const loser: number[] = [];
  const tie: number[] = [];
  const lengthDiff: number[] = []; // from the winner's side
  for (const j of judgments) {
    const position = new Map(j.responses.map((id, k) => [id, k]));
    const groups = j.ranking.map((g) => g.map((id) => position.get(id)!));
    for (const o of pairwiseExpansion(groups)) {
      const a = index.get(j.sources[o.winner]!)!;
      const b = index.get(j.sources[o.loser]!)!;
      if (a === b) continue; // two responses of one source say nothing about sources
      winner.push(a);
      loser.push(b);
      tie.push(o.tie ? 1 : 0);
      lengthDiff.push(lengthFeature(j.lengths[o.winner]!, j.lengths[o.loser]!));
    }
  }
  const n = sources.length;
  if (n === 0 || winner.length === 0) {
    return {
      rows: sources.map((source) => ({ source, rating: ELO_BASE, ciLow: ELO_BASE, ciHigh: ELO_BASE, n: 0, rank: 1 })),
      control,
      lengthCoefficient: null,
      winRate: [],
      tieParameter: 0,
      outcomes: 0,
    };
  }
  const counts = countPairs(n, winner, loser, tie);
  const fit = fitDavidson(counts, { tolerance: 1e-8 });
  let ratings = fit.ratings;
  let intervals: Interval[];
  let lengthCoefficient: number | null = null;
  if (control === "length") {
    // Style control: a logistic BT with the length feature; ties count as half a win.
    const y = tie.map((t) => (t ? 0.5 : 1));
    const styled = fitWithCovariate(n, winner, loser, y, lengthDiff);
    ratings = styled.ratings;
    lengthCoefficient = styled.beta;
    intervals = covariateIntervals(n, winner, loser, y, lengthDiff, opts.resamples ?? 100, opts.seed ?? 1);
  } else {
    intervals = bootstrapRatings(counts, (c) => fitDavidson(c, { tolerance: 1e-6 }).ratings, {
      resamples: opts.resamples ?? 100,
      seed: opts.seed ?? 1,
    }).intervals;
  }
  const elo = (r: number) => ELO_BASE + ELO_SCALE * r;
  const games = new Array<number>(n).fill(0);
  const score = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const played = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let k = 0; k < winner.length; k++) {
    const a = winner[k]!;
    const b = loser[k]!;
    games[a]!++;
    games[b]!++;
    played[a]![b]!++;
    played[b]![a]!++;
    score[a]![b]! += tie[k] ? 0.5 : 1;
    score[b]![a]! += tie[k] ? 0.5 : 0;
  }
  const ranks = separatedRanks(intervals);
  const rows = sources
    .map((source, k) => ({
      source,
      rating: elo(ratings[k]!),
      ciLow: elo(intervals[k]!.low),
      ciHigh: elo(intervals[k]!.high),
      n: games[k]!,
      rank: ranks[k]!,
    }))
    .sort((x, y) => y.rating - x.rating);
  const order = rows.map((r) => index.get(r.source)!);
  const winRate = order.map((a) => order.map((b) => (a === b || played[a]![b] === 0 ? null : score[a]![b]! / played[a]![b]!)));
  return { rows, control, lengthCoefficient, winRate, tieParameter: fit.nu, outcomes: winner.length };
}

/** Poisson-bootstrap intervals for the style-controlled ratings (each outcome a Poisson(1) weight). */
function covariateIntervals(n: number, a: number[], b: number[], y: number[], x: number[], resamples: number, seed: number): Interval[] {
  const rand = mulberry32(seed);
  const samples: Float64Array[] = [];
  const weight = new Float64Array(a.length);
  for (let s = 0; s < resamples; s++) {
    for (let k = 0; k < a.length; k++) weight[k] = poisson(1, rand);
    samples.push(fitWithCovariate(n, a, b, y, x, { weight, tolerance: 1e-6 }).ratings);
  }
  return Array.from({ length: n }, (_, k) => {
    const column = Float64Array.from(samples, (r) => r[k]!).sort();
    return { low: quantile(column, 0.025), high: quantile(column, 0.975) };
  });
}
