// What a leaderboard of sources needs from the judgments: each judgment's ranking written
// in sources (tie groups of sources, best first), and how many judgments share it. The
// database groups them, so a leaderboard reads one row per distinct pattern (a handful
// per pair of sources in a pairwise project) instead of every judgment.
import { sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import type { JudgmentRow } from "@/lib/quality/judgment-data";

export type SourcePattern = { groups: string[][]; count: number };

/** The patterns of a project's judgments, excluded annotators left out (as loadJudgments); in no particular order. */
export async function loadSourcePatterns(projectId: string): Promise<SourcePattern[]> {
  const { rows } = await getDb().execute<{ pattern: string[][]; n: number }>(sql`
    select pattern, count(*)::int as n from (
      select (
        select jsonb_agg(grp.sources order by grp.g)
        from (
          select t.g, (select jsonb_agg(r.source order by r.source)
                         from jsonb_array_elements_text(t.ids) as rid(id) join responses r on r.id = rid.id::uuid) as sources
          from jsonb_array_elements(j.ranking) with ordinality as t(ids, g)
        ) grp
      ) as pattern
      from judgments j
      where j.project_id = ${projectId}
        and not exists (select 1 from project_members m
          where m.project_id = j.project_id and m.user_id = j.annotator_id and m.excluded_at is not null)
    ) x
    group by pattern`);
  return rows.map((r) => ({ groups: r.pattern, count: r.n }));
}

/** The same patterns from loaded judgments (tests, and callers that hold the judgments already). */
export function patternsOf(judgments: JudgmentRow[]): SourcePattern[] {
  const byKey = new Map<string, SourcePattern>();
  for (const j of judgments) {
    const sourceOf = new Map(j.responses.map((id, k) => [id, j.sources[k]!]));
    const groups = j.ranking.map((g) => g.map((id) => sourceOf.get(id)!).sort());
    const key = JSON.stringify(groups);
    const hit = byKey.get(key);
    if (hit) hit.count++;
    else byKey.set(key, { groups, count: 1 });
  }
  return [...byKey.values()];
}
