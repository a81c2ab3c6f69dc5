// What a submit needs to know about a comparison before it touches the database: its
// project and its response ids. Neither ever changes, so they are cached: tasks handed
// out by this process record theirs, and a miss costs one query.
import { TtlCache } from "@/lib/cache/ttl-cache";
import { namedQuery } from "@/lib/db/prepared";

export type ComparisonMeta = { projectId: string; responseIds: string[] };

const metas = new TtlCache<string, ComparisonMeta>(3_600_000, 100_000);

export function rememberComparison(comparisonId: string, meta: ComparisonMeta): void {
  metas.set(comparisonId, meta);
}

/** The comparison's project and response ids (in no particular order), or undefined when there is none. */
export async function comparisonMeta(comparisonId: string): Promise<ComparisonMeta | undefined> {
  const cached = metas.get(comparisonId);
  if (cached) return cached;
  const [row] = await namedQuery<{ project_id: string; response_ids: string[] }>(
    "comparisons.meta",
    `select c.project_id, array(select cr.response_id::text from comparison_responses cr where cr.comparison_id = c.id order by cr.position) as response_ids
     from comparisons c where c.id = $1`,
    [comparisonId],
  );
  if (!row) return undefined;
  const meta = { projectId: row.project_id, responseIds: row.response_ids };
  metas.set(comparisonId, meta);
  return meta;
}
