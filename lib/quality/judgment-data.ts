// The judgments that statistics see: a project's judgments with what each needs
// (comparison responses in canonical order, sources, gold answers), leaving out annotators
// an admin has excluded. Excluded judgments stay in the database; this is the one filter.
import { sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";

export type JudgmentRow = {
  id: string;
  comparisonId: string;
  annotatorId: string;
  origin: "human" | "imported" | "simulated";
  ranking: string[][];
  strength: number | null;
  shownOrder: string[];
  durationMs: number | null;
  /** response ids in the comparison's canonical order */
  responses: string[];
  sources: string[];
  /** characters of each response, same order */
  lengths: number[];
  isGold: boolean;
  goldRanking: string[][] | null;
};

export async function loadJudgments(projectId: string, opts: { includeExcluded?: boolean } = {}): Promise<JudgmentRow[]> {
  const { rows } = await getDb().execute<{
    id: string;
    comparison_id: string;
    annotator_id: string;
    origin: JudgmentRow["origin"];
    ranking: string[][];
    strength: number | null;
    shown_order: string[];
    duration_ms: number | null;
    responses: string[];
    sources: string[];
    lengths: number[];
    is_gold: boolean;
    gold_ranking: string[][] | null;
  }>(sql`
    select j.id, j.comparison_id, j.annotator_id, j.origin, j.ranking, j.strength, j.shown_order, j.duration_ms,
      c.is_gold, c.gold_ranking,
      array(select cr.response_id::text from comparison_responses cr where cr.comparison_id = c.id order by cr.position) as responses,
      array(select r.source from comparison_responses cr join responses r on r.id = cr.response_id
            where cr.comparison_id = c.id order by cr.position) as sources,
      array(select char_length(r.text) from comparison_responses cr join responses r on r.id = cr.response_id
            where cr.comparison_id = c.id order by cr.position) as lengths
    from judgments j
    join comparisons c on c.id = j.comparison_id
    where j.project_id = ${projectId}
      ${opts.includeExcluded ? sql`` : sql`and not exists (
        select 1 from project_members m
        where m.project_id = j.project_id and m.user_id = j.annotator_id and m.excluded_at is not null)`}
    order by j.created_at, j.id`);
  return rows.map((r) => ({
    id: r.id,
    comparisonId: r.comparison_id,
    annotatorId: r.annotator_id,
    origin: r.origin,
    ranking: r.ranking,
    strength: r.strength,
    shownOrder: r.shown_order,
    durationMs: r.duration_ms,
    responses: r.responses,
    sources: r.sources,
    lengths: r.lengths,
    isGold: r.is_gold,
    goldRanking: r.gold_ranking,
  }));
}

/** Place of each response in a ranking (tie groups share a place): lower is better. */
export function places(ranking: string[][]): Map<string, number> {
  const out = new Map<string, number>();
  ranking.forEach((group, g) => group.forEach((id) => out.set(id, g)));
  return out;
}

/** +1 if x is preferred to y, −1 if y to x, 0 for a tie. */
export function preference(p: Map<string, number>, x: string, y: string): number {
  return Math.sign(p.get(y)! - p.get(x)!);
}
