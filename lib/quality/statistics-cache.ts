// Leaderboards and agreement read a project's judgments and bootstrap the fit, so
// they are computed once per state of the data and kept in this process: the state is
// the number of judgments, the newest one, and who is excluded. A new judgment, an undo
// or an exclusion changes the key and the next request recomputes.
import { sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { loadSourcePatterns } from "@/lib/leaderboard/source-patterns";
import { patternLeaderboard, sourceLeaderboard, type Leaderboard, type LeaderboardModel } from "@/lib/leaderboard/source-ratings";
import { loadJudgments, type JudgmentRow } from "./judgment-data";
import { computeAgreement, type ProjectAgreement, type QualityBar } from "./project-agreement";

type Entry = {
  key: string;
  /** loaded on first need: the default leaderboard reads only the aggregated patterns */
  judgments: () => Promise<JudgmentRow[]>;
  leaderboard: Map<string, Promise<Leaderboard>>;
  agreement: Map<string, ProjectAgreement>;
};
const globalCache = globalThis as unknown as { __arbiterStats?: Map<string, Entry> };
const cache = (globalCache.__arbiterStats ??= new Map());

async function stateKey(projectId: string): Promise<string> {
  const { rows } = await getDb().execute<{ n: number; newest: string | null; excluded: string | null }>(sql`
    select (select count(*)::int from judgments where project_id = ${projectId}) as n,
      (select max(created_at)::text from judgments where project_id = ${projectId}) as newest,
      (select string_agg(user_id::text, ',' order by user_id) from project_members
        where project_id = ${projectId} and excluded_at is not null) as excluded`);
  const r = rows[0]!;
  return `${r.n}|${r.newest}|${r.excluded}`;
}

async function entryFor(projectId: string): Promise<Entry> {
  const key = await stateKey(projectId);
  const hit = cache.get(projectId);
  if (hit?.key === key) return hit;
  let loading: Promise<JudgmentRow[]> | null = null;
  const entry: Entry = {
    key,
    judgments: () => {
      if (!loading) {
        loading = loadJudgments(projectId);
        // A failed load must not stick: the next request tries again.
        loading.catch(() => cache.get(projectId) === entry && cache.delete(projectId));
      }
      return loading;
    },
    leaderboard: new Map(),
    agreement: new Map(),
  };
  cache.set(projectId, entry);
  return entry;
}

/**
 * The leaderboard (without style control) reads the judgments' aggregated patterns, one row
 * per distinct ranking of sources, so a cache miss on a large project does not load every
 * judgment; style control needs each outcome's lengths and reads the judgments.
 */
export async function cachedLeaderboard(projectId: string, control: "none" | "length" = "none", model?: LeaderboardModel): Promise<Leaderboard> {
  const entry = await entryFor(projectId);
  const key = `${control}|${model ?? "default"}`;
  let board = entry.leaderboard.get(key);
  if (!board) {
    board =
      control === "length"
        ? entry.judgments().then((js) => sourceLeaderboard(js, { control }))
        : loadSourcePatterns(projectId).then((patterns) => patternLeaderboard(patterns, { model }));
    entry.leaderboard.set(key, board);
    board.catch(() => entry.leaderboard.get(key) === board && entry.leaderboard.delete(key));
  }
  return board;
}

export async function cachedAgreement(projectId: string, bar: QualityBar): Promise<ProjectAgreement> {
  const entry = await entryFor(projectId);
  const barKey = JSON.stringify(bar);
  let result = entry.agreement.get(barKey);
  if (!result) entry.agreement.set(barKey, (result = computeAgreement(await entry.judgments(), bar)));
  return result;
}
