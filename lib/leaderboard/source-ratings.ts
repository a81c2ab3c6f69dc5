// The leaderboard of response sources (the models behind the responses): every judgment's
// ranking is expanded to pairwise outcomes between responses of different sources, and
// the sources are rated by Davidson's model (ties as evidence) with seeded bootstrap
// intervals and ranks that separate only non-overlapping intervals (LMSYS Arena style).
import { bootstrapRatings, separatedRanks } from "@/lib/bt/bootstrap";
import { fitDavidson } from "@/lib/bt/davidson";
import { countPairs } from "@/lib/bt/pair-counts";
import { pairwiseExpansion } from "@/lib/bt/plackett-luce";
import type { JudgmentRow } from "@/lib/quality/judgment-data";

/** Ratings on the Elo scale: 1000 + 400 · log10(π), so 400 points are 10:1 odds. */
const ELO_SCALE = 400 / Math.LN10;
const ELO_BASE = 1000;

export type LeaderboardRow = { source: string; rating: number; ciLow: number; ciHigh: number; n: number; rank: number };
export type Leaderboard = {
  rows: LeaderboardRow[];
  /** winRate[a][b]: share of a's games against b that a won, ties counting half */
  winRate: (number | null)[][];
  tieParameter: number;
  outcomes: number;
};

export function sourceLeaderboard(judgments: JudgmentRow[], opts: { resamples?: number; seed?: number } = {}): Leaderboard {
  const sources = [...new Set(judgments.flatMap((j) => j.sources))].sort();
  const index = new Map(sources.map((s, i) => [s, i]));
  const winner: number[] = [];
  const loser: number[] = [];
  const tie: number[] = [];
  for (const j of judgments) {
    const sourceOf = new Map(j.responses.map((id, k) => [id, index.get(j.sources[k]!)!]));
    const groups = j.ranking.map((g) => g.map((id) => sourceOf.get(id)!));
    for (const o of pairwiseExpansion(groups)) {
      if (o.winner === o.loser) continue; // two responses of one source say nothing about sources
      winner.push(o.winner);
      loser.push(o.loser);
      tie.push(o.tie ? 1 : 0);
    }
  }
  const n = sources.length;
  if (n === 0 || winner.length === 0) {
    return { rows: sources.map((source) => ({ source, rating: ELO_BASE, ciLow: ELO_BASE, ciHigh: ELO_BASE, n: 0, rank: 1 })), winRate: [], tieParameter: 0, outcomes: 0 };
  }
  const counts = countPairs(n, winner, loser, tie);
  const fit = fitDavidson(counts, { tolerance: 1e-8 });
  const { intervals } = bootstrapRatings(counts, (c) => fitDavidson(c, { tolerance: 1e-6 }).ratings, {
    resamples: opts.resamples ?? 100,
    seed: opts.seed ?? 1,
  });
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
      rating: elo(fit.ratings[k]!),
      ciLow: elo(intervals[k]!.low),
      ciHigh: elo(intervals[k]!.high),
      n: games[k]!,
      rank: ranks[k]!,
    }))
    .sort((x, y) => y.rating - x.rating);
  const order = rows.map((r) => index.get(r.source)!);
  const winRate = order.map((a) => order.map((b) => (a === b || played[a]![b] === 0 ? null : score[a]![b]! / played[a]![b]!)));
  return { rows, winRate, tieParameter: fit.nu, outcomes: winner.length };
}
