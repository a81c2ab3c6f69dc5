// The leaderboard of response sources (the models behind the responses). Judgments are
// read as patterns (source-patterns.ts: each ranking in sources, with its count) and the
// sources rated by Davidson's model on the pairwise expansion (ties as evidence) or, for
// k-wise rankings, by Davidson–Luce on whole rankings; seeded bootstrap intervals and
// ranks that separate only non-overlapping intervals (LMSYS Arena style). With control
// "length", ratings are length-controlled instead (style-control.ts).
import { mulberry32, poisson, quantile, separatedRanks, type Interval } from "@/lib/bt/bootstrap";
import { fitDavidson } from "@/lib/bt/davidson";
import { fitDavidsonLuce, type TiedRanking } from "@/lib/bt/davidson-luce";
import { countPairs, type PairCounts } from "@/lib/bt/pair-counts";
import { pairwiseExpansion } from "@/lib/bt/plackett-luce";
import { PoissonStream } from "@/lib/bt/poisson";
import { patternsOf, type SourcePattern } from "./source-patterns";
import { fitWithCovariate, lengthFeature } from "@/lib/bt/style-control";
import type { JudgmentRow } from "@/lib/quality/judgment-data";

/** Ratings on the Elo scale: 1000 + 400 · log10(π), so 400 points are 10:1 odds. */
const ELO_SCALE = 400 / Math.LN10;
const ELO_BASE = 1000;

export type LeaderboardRow = { source: string; rating: number; ciLow: number; ciHigh: number; n: number; rank: number };
export type LeaderboardModel = "pairwise" | "luce";
export type Leaderboard = {
  rows: LeaderboardRow[];
  /** "length": ratings at equal response length (style control); β is length's own effect */
  control: "none" | "length";
  /**
   * "pairwise": Davidson's model on the pairwise expansion of every judgment; "luce": the
   * Davidson–Luce model on whole rankings (k-wise projects), of which it is the extension
   */
  model: LeaderboardModel;
  lengthCoefficient: number | null;
  /** winRate[a][b]: share of a's games against b that a won, ties counting half */
  winRate: (number | null)[][];
  /** ν of Davidson's model (δ₂ of Davidson–Luce: the same parameter on pairs) */
  tieParameter: number;
  /** δ₁ = 1, δ₂, … per tie-group size (Davidson–Luce); [1, ν] for the pairwise model */
  tieParameters: number[];
  /** pairwise outcomes between different sources */
  outcomes: number;
  /** judgments the fit read; leftOut: those it could not (Luce: a source twice in one ranking) */
  judgments: number;
  leftOut: number;
};

type Outcome = { a: number; b: number; tie: boolean };

/** A pattern's pairwise expansion between different sources (two responses of one source say nothing about sources). */
function expand(groups: number[][]): Outcome[] {
  return pairwiseExpansion(groups)
    .filter((o) => o.winner !== o.loser)
    .map((o) => ({ a: o.winner, b: o.loser, tie: o.tie }));
}

/** The leaderboard from loaded judgments: by patterns, or with style control from every outcome. */
export function sourceLeaderboard(
  judgments: JudgmentRow[],
  opts: { resamples?: number; seed?: number; control?: "none" | "length"; model?: LeaderboardModel } = {},
): Leaderboard {
  if (opts.control === "length") return lengthControlledLeaderboard(judgments, opts);
  return patternLeaderboard(patternsOf(judgments), opts);
}

/**
 * Ratings of sources from the judgments' patterns, with seeded bootstrap intervals that
 * resample judgments (each pattern's count a Poisson draw), and ranks that separate only
 * non-overlapping intervals (LMSYS Arena style). The model defaults to Davidson–Luce when
 * any judgment ranks more than two responses, else Davidson on pairs (the two coincide on
 * pairs).
 */
export function patternLeaderboard(
  patterns: SourcePattern[],
  opts: { resamples?: number; seed?: number; model?: LeaderboardModel } = {},
): Leaderboard {
  // one canonical order, whichever loader gave the patterns: the bootstrap's draws follow it
  const ordered = patterns
    .map((p) => ({ p, key: JSON.stringify(p.groups) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ p }) => p);
  const sources = [...new Set(patterns.flatMap((p) => p.groups.flat()))].sort();
  const index = new Map(sources.map((s, i) => [s, i]));
  const indexed = ordered.map((p) => ({ groups: p.groups.map((g) => g.map((s) => index.get(s)!)), count: p.count }));
  const expansions = indexed.map((p) => expand(p.groups));
  const model: LeaderboardModel = opts.model ?? (indexed.some((p) => p.groups.flat().length > 2) ? "luce" : "pairwise");
  const n = sources.length;
  const judgments = patterns.reduce((s, p) => s + p.count, 0);

  // Weighted outcomes: win rates, games, and the pairwise model's counts.
  const countsWith = (weights: ArrayLike<number>) => {
    const winner: number[] = [];
    const loser: number[] = [];
    const tie: number[] = [];
    const weight: number[] = [];
    expansions.forEach((outcomes, p) => {
      if (weights[p]! === 0) return;
      for (const o of outcomes) winner.push(o.a), loser.push(o.b), tie.push(o.tie ? 1 : 0), weight.push(weights[p]!);
    });
    return { counts: countPairs(n, winner, loser, tie, weight), outcomes: weight.reduce((s, w) => s + w, 0) };
  };
  const full = countsWith(indexed.map((p) => p.count));
  if (n === 0 || full.outcomes === 0) {
    return {
      rows: sources.map((source) => ({ source, rating: ELO_BASE, ciLow: ELO_BASE, ciHigh: ELO_BASE, n: 0, rank: 1 })),
      control: "none",
      model,
      lengthCoefficient: null,
      winRate: [],
      tieParameter: 0,
      tieParameters: [1],
      outcomes: 0,
      judgments,
      leftOut: 0,
    };
  }

  // The fit, and a refit per resample from it.
  let fit: (weights: ArrayLike<number>, init?: { ratings: Float64Array; delta: number[] }) => { ratings: Float64Array; delta: number[] };
  let leftOut = 0;
  if (model === "luce") {
    const usable = indexed.map((p) => new Set(p.groups.flat()).size === p.groups.flat().length && p.groups.flat().length > 1);
    leftOut = indexed.reduce((s, p, k) => s + (usable[k] ? 0 : p.count), 0);
    fit = (weights, init) => {
      const rankings: TiedRanking[] = [];
      indexed.forEach((p, k) => usable[k] && weights[k]! > 0 && rankings.push({ groups: p.groups, weight: weights[k]! }));
      const f = fitDavidsonLuce(n, rankings, { tolerance: init ? 1e-6 : 1e-8, init });
      return { ratings: f.ratings, delta: f.delta };
    };
  } else {
    fit = (weights, init) => {
      const f = fitDavidson(countsWith(weights).counts, { tolerance: init ? 1e-6 : 1e-8 });
      return { ratings: f.ratings, delta: [1, f.nu] };
    };
  }
  const best = fit(indexed.map((p) => p.count));
  const stream = new PoissonStream(opts.seed ?? 1);
  const samples: Float64Array[] = [];
  const weights = new Float64Array(indexed.length);
  for (let b = 0; b < (opts.resamples ?? 100); b++) {
    indexed.forEach((p, k) => (weights[k] = stream.draw(p.count)));
    samples.push(fit(weights, best).ratings);
  }
  const intervals = Array.from({ length: n }, (_, k) => {
    const column = Float64Array.from(samples, (r) => r[k]!).sort();
    return { low: quantile(column, 0.025), high: quantile(column, 0.975) };
  });
  return {
    ...boardRows(sources, index, best.ratings, intervals, full.counts),
    control: "none",
    model,
    lengthCoefficient: null,
    tieParameter: best.delta[1] ?? 0,
    tieParameters: best.delta,
    outcomes: full.outcomes,
    judgments,
    leftOut,
  };
}

/** Rows best first, ranks, games and the win-rate matrix (ties as half) from weighted pair counts. */
function boardRows(sources: string[], index: Map<string, number>, ratings: Float64Array, intervals: Interval[], counts: PairCounts) {
  const n = sources.length;
  const elo = (r: number) => ELO_BASE + ELO_SCALE * r;
  const games = new Array<number>(n).fill(0);
  const score = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const played = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let p = 0; p < counts.i.length; p++) {
    const a = counts.i[p]!;
    const b = counts.j[p]!;
    const m = counts.winsIJ[p]! + counts.winsJI[p]! + counts.ties[p]!;
    games[a]! += m;
    games[b]! += m;
    played[a]![b]! += m;
    played[b]![a]! += m;
    score[a]![b]! += counts.winsIJ[p]! + counts.ties[p]! / 2;
    score[b]![a]! += counts.winsJI[p]! + counts.ties[p]! / 2;
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
  return { rows, winRate };
}

/**
 * Style control (length): a logistic BT with the length feature over every pairwise
 * outcome, ties as half a win; it needs each outcome's lengths, so it reads the judgments.
 */
function lengthControlledLeaderboard(judgments: JudgmentRow[], opts: { resamples?: number; seed?: number }): Leaderboard {
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
      if (a === b) continue;
      winner.push(a);
      loser.push(b);
      tie.push(o.tie ? 1 : 0);
      lengthDiff.push(lengthFeature(j.lengths[o.winner]!, j.lengths[o.loser]!));
    }
  }
  const n = sources.length;
  const counts = countPairs(n, winner, loser, tie);
  const base = { control: "length" as const, model: "pairwise" as const, judgments: judgments.length, leftOut: 0, outcomes: winner.length };
  if (n === 0 || winner.length === 0) {
    const rows = sources.map((source) => ({ source, rating: ELO_BASE, ciLow: ELO_BASE, ciHigh: ELO_BASE, n: 0, rank: 1 }));
    return { ...base, rows, lengthCoefficient: null, winRate: [], tieParameter: 0, tieParameters: [1] };
  }
  const y = tie.map((t) => (t ? 0.5 : 1));
  const styled = fitWithCovariate(n, winner, loser, y, lengthDiff);
  const intervals = covariateIntervals(n, winner, loser, y, lengthDiff, opts.resamples ?? 100, opts.seed ?? 1);
  const nu = fitDavidson(counts, { tolerance: 1e-8 }).nu;
  return {
    ...base,
    ...boardRows(sources, index, styled.ratings, intervals, counts),
    lengthCoefficient: styled.beta,
    tieParameter: nu,
    tieParameters: [1, nu],
  };
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
