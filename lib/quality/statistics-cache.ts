// Leaderboards and agreement read every judgment of a project and bootstrap the fit, so
// they are computed once per state of the data and kept in this process: the state is
// the number of judgments, the newest one, and who is excluded. A new judgment, an undo
// or an exclusion changes the key and the next request recomputes.
import { sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { sourceLeaderboard, type Leaderboard } from "@/lib/leaderboard/source-ratings";
import { loadJudgments, type JudgmentRow } from "./judgment-data";
import { computeAgreement, type ProjectAgreement, type QualityBar } from "./project-agreement";

type Entry = { key: string; judgments: Promise<JudgmentRow[]>; leaderboard: Map<string, Leaderboard>; agreement: Map<string, ProjectAgreement> };
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
  const entry: Entry = { key, judgments: loadJudgments(projectId), leaderboard: new Map(), agreement: new Map() };
  cache.set(projectId, entry);
  // A failed load must not stick: the next request tries again.
  entry.judgments.catch(() => cache.get(projectId) === entry && cache.delete(projectId));
  return entry;
}

export async function cachedLeaderboard(projectId: string, control: "none" | "length" = "none"): Promise<Leaderboard> {
  const entry = await entryFor(projectId);
  let board = entry.leaderboard.get(control);
  if (!board) entry.leaderboard.set(control, (board = sourceLeaderboard(await entry.judgments, { control })));
  return board;
}

export async function cachedAgreement(projectId: string, bar: QualityBar): Promise<ProjectAgreement> {
  const entry = await entryFor(projectId);
  const barKey = JSON.stringify(bar);
  let result = entry.agreement.get(barKey);
  if (!result) entry.agreement.set(barKey, (result = computeAgreement(await entry.judgments, bar)));
  return result;
}
