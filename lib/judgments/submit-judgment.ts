// POST /comparisons/:id/judgments: one transaction that validates the verdict against the
// comparison, checks the annotator still has a slot, writes the judgment, bumps the
// comparison's counter and releases the lease. The client's uuid (clientId) makes a retry
// return the first write instead of a second row (API.md).
import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { inTransaction, namedQuery, type Query } from "@/lib/db/prepared";
import { can } from "@/lib/auth/permissions";
import type { User } from "@/lib/db/schema";
import { rankingProblem, rankingSchema } from "./ranking";

export const judgmentInputSchema = z
  .object({
    clientId: z.uuid(),
    ranking: rankingSchema,
    strength: z.number().int().min(1).max(3).optional(),
    bothBad: z.boolean().optional(),
    criteria: z.record(z.string(), rankingSchema).optional(),
    rationale: z.string().trim().max(20_000).optional(),
    durationMs: z.number().int().min(0).max(86_400_000).optional(),
  })
  .strict();
export type JudgmentInput = z.output<typeof judgmentInputSchema>;

export type SubmitResult = { id: string; created: boolean; projectId: string };
/**
 * After the judgment, in its transaction: the next task (submit with ?next=1). It must use
 * only `q`: taking another pooled connection while holding this one can starve the pool.
 */
export type ThenInTransaction<T> = (q: Query, result: SubmitResult) => Promise<T>;

type LockedComparison = {
  project_id: string;
  is_gold: boolean;
  judgment_count: number;
  required: number;
  allow_ties: boolean;
  require_rationale: boolean;
  criteria: string[];
  member: boolean;
  response_ids: string[];
  lease_order: string[] | null;
  leased_by_others: number;
  previous: Previous | null;
};


// One round trip: lock the comparison and read what validation needs, membership, lease
// and an earlier judgment with the same clientId included.
const LOCK_COMPARISON = `
  select
    (select json_build_object('id', j.id, 'annotator_id', j.annotator_id, 'comparison_id', j.comparison_id, 'project_id', j.project_id)
       from judgments j where j.client_id = $3) as previous,
    c.project_id, c.is_gold, c.judgment_count, c.required, p.allow_ties, p.require_rationale, p.criteria,
    exists (select 1 from project_members m where m.project_id = c.project_id and m.user_id = $2) as member,
    array(select cr.response_id::text from comparison_responses cr where cr.comparison_id = c.id order by cr.position) as response_ids,
    (select l.shown_order from task_leases l where l.comparison_id = c.id and l.annotator_id = $2 and l.expires_at > now()) as lease_order,
    (select count(*)::int from task_leases l where l.comparison_id = c.id and l.annotator_id <> $2 and l.expires_at > now()) as leased_by_others
  from comparisons c join projects p on p.id = c.project_id
  where c.id = $1
  for update of c`;

function validate(c: LockedComparison, me: User, input: JudgmentInput): void {
  if (!c.member && !can(me.role, "projects.manage")) throw new ApiError("forbidden", "You are not a member of this project");
  const responseIds = c.response_ids;
  const problem = rankingProblem(input.ranking, responseIds, { allowTies: c.allow_ties || input.bothBad === true });
  if (problem) throw new ApiError("invalid_input", `ranking: ${problem}`);
  const pairwise = responseIds.length === 2;
  if (input.strength !== undefined && !(pairwise && input.ranking.length === 2)) {
    throw new ApiError("invalid_input", "strength is for a pairwise preference (two places, no tie)");
  }
  if (input.bothBad && !pairwise) throw new ApiError("invalid_input", "bothBad is for pairwise comparisons");
  for (const [name, ranking] of Object.entries(input.criteria ?? {})) {
    if (!c.criteria.includes(name)) throw new ApiError("invalid_input", `criteria: "${name}" is not a criterion of this project`);
    const p = rankingProblem(ranking, responseIds, { allowTies: true });
    if (p) throw new ApiError("invalid_input", `criteria.${name}: ${p}`);
  }
  if (c.require_rationale && !input.rationale) throw new ApiError("invalid_input", "rationale: this project asks for a rationale");
  if (!c.lease_order && !c.is_gold && c.judgment_count + c.leased_by_others >= c.required) {
    // No live lease (it expired, or a script skipped tasks/next) and no free slot.
    throw new ApiError("conflict", "This comparison already has the judgments it needs (your lease expired)");
  }
}

export async function submitJudgment(comparisonId: string, me: User, input: JudgmentInput): Promise<SubmitResult>;
export async function submitJudgment<T>(comparisonId: string, me: User, input: JudgmentInput, then: ThenInTransaction<T>): Promise<SubmitResult & { then: T }>;
export async function submitJudgment<T>(comparisonId: string, me: User, input: JudgmentInput, then?: ThenInTransaction<T>): Promise<SubmitResult & { then?: T }> {
  try {
    // `then` runs in the judgment's transaction, before the commit: one commit (which waits
    // for the WAL flush) for both, and nothing is acknowledged until it has happened.
    return await inTransaction(async (q) => {
      const result = await submitIn(q, comparisonId, me, input);
      return then ? { ...result, then: await then(q, result) } : result;
    });
  } catch (err) {
    const { code, constraint } = err as { code?: string; constraint?: string };
    if (code === "23505" && constraint === "judgments_client_id_key") {
      // The same clientId raced itself (double click, retry in flight): answer with the winner.
      const winner = await findByClientId(input.clientId);
      if (winner) {
        const result = replay(winner, comparisonId, me);
        return then ? { ...result, then: await inTransaction((q) => then(q, result)) } : result;
      }
    }
    if (code === "23505" && constraint === "judgments_comparison_annotator_key") {
      throw new ApiError("conflict", "You have already judged this comparison");
    }
    throw err;
  }
}

async function submitIn(q: Query, comparisonId: string, me: User, input: JudgmentInput): Promise<SubmitResult> {
  const [c] = await q<LockedComparison>("judgments.lock", LOCK_COMPARISON, [comparisonId, me.id, input.clientId]);
  // A retry of an acknowledged submit: same clientId → the same judgment, no second row.
  if (c?.previous) return replay(c.previous, comparisonId, me);
  if (!c) {
    const [previous] = await q<Previous>("judgments.by-client-id", BY_CLIENT_ID, [input.clientId]);
    if (previous) return replay(previous, comparisonId, me);
    throw new ApiError("not_found", "No such comparison");
  }
  validate(c, me, input);
  // The judgment, the comparison's counter and the lease's release in one statement.
  const [row] = await q<{ id: string }>(
    "judgments.insert",
    `with inserted as (
       insert into judgments (client_id, comparison_id, project_id, annotator_id, ranking, strength, both_bad, criteria, rationale, shown_order, duration_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id),
     released as (delete from task_leases where comparison_id = $2 and annotator_id = $4),
     counted as (update comparisons set judgment_count = judgment_count + 1 where id = $2)
     select id from inserted`,
    [
      input.clientId,
      comparisonId,
      c.project_id,
      me.id,
      JSON.stringify(input.ranking),
      input.strength ?? null,
      input.bothBad ?? false,
      input.criteria ? JSON.stringify(input.criteria) : null,
      input.rationale || null,
      JSON.stringify(c.lease_order ?? c.response_ids),
      input.durationMs ?? null,
    ],
  );
  return { id: row!.id, created: true, projectId: c.project_id };
}

type Previous = { id: string; annotator_id: string; comparison_id: string; project_id: string };

const BY_CLIENT_ID = "select id, annotator_id, comparison_id, project_id from judgments where client_id = $1";

async function findByClientId(clientId: string): Promise<Previous | undefined> {
  const [row] = await namedQuery<Previous>("judgments.by-client-id", BY_CLIENT_ID, [clientId]);
  return row;
}

function replay(previous: Previous, comparisonId: string, me: User): SubmitResult {
  if (previous.annotator_id !== me.id || previous.comparison_id !== comparisonId) {
    throw new ApiError("conflict", "This clientId was already used for another judgment");
  }
  return { id: previous.id, created: false, projectId: previous.project_id };
}
