// POST /comparisons/:id/judgments: one transaction that validates the verdict against the
// comparison, checks the annotator still has a slot, writes the judgment, bumps the
// comparison's counter and releases the lease. The client's uuid (clientId) makes a retry
// return the first write instead of a second row (API.md).
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { getDb } from "@/lib/db/client";
import { can } from "@/lib/auth/permissions";
import { judgments, type User } from "@/lib/db/schema";
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

export type SubmitResult = { id: string; created: boolean };

export async function submitJudgment(comparisonId: string, me: User, input: JudgmentInput): Promise<SubmitResult> {
  const db = getDb();
  // A retry of an acknowledged submit: same clientId → the same judgment, no second row.
  const [previous] = await db.select().from(judgments).where(eq(judgments.clientId, input.clientId));
  if (previous) return replay(previous, comparisonId, me);

  try {
    return await db.transaction(async (tx) => {
      // One round trip: lock the comparison and read what validation needs, membership and lease included.
      const { rows } = await tx.execute<{
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
      }>(sql`
        select c.project_id, c.is_gold, c.judgment_count, c.required, p.allow_ties, p.require_rationale, p.criteria,
          exists (select 1 from project_members m where m.project_id = c.project_id and m.user_id = ${me.id}) as member,
          array(select cr.response_id from comparison_responses cr where cr.comparison_id = c.id order by cr.position)::text[] as response_ids,
          (select l.shown_order from task_leases l where l.comparison_id = c.id and l.annotator_id = ${me.id} and l.expires_at > now()) as lease_order,
          (select count(*)::int from task_leases l where l.comparison_id = c.id and l.annotator_id <> ${me.id} and l.expires_at > now()) as leased_by_others
        from comparisons c join projects p on p.id = c.project_id
        where c.id = ${comparisonId}
        for update of c`);
      const c = rows[0];
      if (!c) throw new ApiError("not_found", "No such comparison");
      if (!c.member && !can(me.role, "projects.manage")) throw new ApiError("forbidden", "You are not a member of this project");
      const project = { allowTies: c.allow_ties, criteria: c.criteria, requireRationale: c.require_rationale };
      const responseIds = c.response_ids;

      const problem = rankingProblem(input.ranking, responseIds, { allowTies: project.allowTies || input.bothBad === true });
      if (problem) throw new ApiError("invalid_input", `ranking: ${problem}`);
      const pairwise = responseIds.length === 2;
      if (input.strength !== undefined && !(pairwise && input.ranking.length === 2)) {
        throw new ApiError("invalid_input", "strength is for a pairwise preference (two places, no tie)");
      }
      if (input.bothBad && !pairwise) throw new ApiError("invalid_input", "bothBad is for pairwise comparisons");
      for (const [name, ranking] of Object.entries(input.criteria ?? {})) {
        if (!project.criteria.includes(name)) throw new ApiError("invalid_input", `criteria: "${name}" is not a criterion of this project`);
        const p = rankingProblem(ranking, responseIds, { allowTies: true });
        if (p) throw new ApiError("invalid_input", `criteria.${name}: ${p}`);
      }
      if (project.requireRationale && !input.rationale) throw new ApiError("invalid_input", "rationale: this project asks for a rationale");

      if (!c.lease_order && !c.is_gold && c.judgment_count + c.leased_by_others >= c.required) {
        // No live lease (it expired, or a script skipped tasks/next) and no free slot.
        throw new ApiError("conflict", "This comparison already has the judgments it needs (your lease expired)");
      }

      const [row] = await tx
        .insert(judgments)
        .values({
          clientId: input.clientId,
          comparisonId,
          projectId: c.project_id,
          annotatorId: me.id,
          ranking: input.ranking,
          strength: input.strength ?? null,
          bothBad: input.bothBad ?? false,
          criteria: input.criteria ?? null,
          rationale: input.rationale || null,
          shownOrder: c.lease_order ?? responseIds,
          durationMs: input.durationMs ?? null,
        })
        .returning({ id: judgments.id });
      await tx.execute(sql`
        with released as (delete from task_leases where comparison_id = ${comparisonId} and annotator_id = ${me.id})
        update comparisons set judgment_count = judgment_count + 1 where id = ${comparisonId}`);
      return { id: row!.id, created: true };
    });
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string; constraint?: string } }).cause?.code ?? (err as { code?: string }).code;
    const constraint = (err as { cause?: { constraint?: string }; constraint?: string }).cause?.constraint ?? (err as { constraint?: string }).constraint;
    if (code === "23505" && constraint === "judgments_client_id_key") {
      // The same clientId raced itself (double click, retry in flight): answer with the winner.
      const [winner] = await db.select().from(judgments).where(eq(judgments.clientId, input.clientId));
      if (winner) return replay(winner, comparisonId, me);
    }
    if (code === "23505" && constraint === "judgments_comparison_annotator_key") {
      throw new ApiError("conflict", "You have already judged this comparison");
    }
    throw err;
  }
}

function replay(previous: typeof judgments.$inferSelect, comparisonId: string, me: User): SubmitResult {
  if (previous.annotatorId !== me.id || previous.comparisonId !== comparisonId) {
    throw new ApiError("conflict", "This clientId was already used for another judgment");
  }
  return { id: previous.id, created: false };
}
