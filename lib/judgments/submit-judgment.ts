// POST /comparisons/:id/judgments: the verdict is validated against the comparison (its
// responses and its project's settings, both cached), then one statement — one
// transaction — checks the annotator still has a slot, writes the judgment, bumps the
// comparison's counter and releases the lease, and can hand out the next task. Under
// load, submits arriving together share that transaction (submit-queue.ts). The
// client's uuid (clientId) makes a retry return the first write instead of a second row
// (API.md).
import os from "node:os";
import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { env } from "@/lib/config/env";
import { comparisonMeta } from "@/lib/comparisons/comparison-meta";
import { namedQuery } from "@/lib/db/prepared";
import type { Project, User } from "@/lib/db/schema";
import { projectForUser } from "@/lib/projects/projects";
import { assignmentParams, nextTask, remember, type Task } from "@/lib/tasks/next-task";
import { rankingProblem, rankingSchema } from "./ranking";
import { SubmitQueue, SubmitQueueFull } from "./submit-queue";

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

/** `undone`: the clientId's judgment was written once and its annotator has since undone it (a late replay; nothing written). */
export type SubmitResult = { id: string; created: boolean; projectId: string; undone?: boolean };

/** What validation needs, from caches: the comparison's responses and the project's settings (projectForUser checks membership). */
function validate(responseIds: string[], project: Project, input: JudgmentInput): void {
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
}

let queue: SubmitQueue<SubmitResult & { next: Task | null }> | undefined;

/**
 * One queue per web process. One call in flight on 2 cores: the fewer calls at once, the
 * larger each batch and the less PostgreSQL work per judgment; (b) of bench:annotation
 * gave a median of 0.82 of the bare route with one (0.74–1.02 over ten runs), 0.74–0.78
 * with two, 0.72–0.77 with four (BENCHMARKS.md, session 9). More cores leave room for
 * more calls side by side.
 */
function submitQueue() {
  return (queue ??= newSubmitQueue());
}

/** This process's submits waiting or in flight, and the bound (ARBITER_SUBMIT_QUEUE_MAX); none before the first submit. */
export function submitBacklog(): { pending: number; max: number } {
  return queue?.backlog() ?? { pending: 0, max: env().ARBITER_SUBMIT_QUEUE_MAX };
}

/** When a refused submit should come back: the queue drains in well under a second unless the database is stalled. */
const QUEUE_FULL_RETRY_AFTER_S = 1;

function newSubmitQueue() {
  const { ARBITER_SUBMIT_BATCH, ARBITER_SUBMIT_IN_FLIGHT, ARBITER_SUBMIT_QUEUE_MAX } = env();
  return new SubmitQueue<SubmitResult & { next: Task | null }>({
    maxPending: ARBITER_SUBMIT_QUEUE_MAX,
    maxBatch: ARBITER_SUBMIT_BATCH,
    // a call is ~1-10 ms under load (bench:annotation); 10x that is a lock wait or a stall
    stallMs: 100,
    // without coalescing, every submit goes at once, as before it (the pool queues them)
    maxInFlight: ARBITER_SUBMIT_BATCH === 1 ? Infinity : (ARBITER_SUBMIT_IN_FLIGHT ?? Math.max(1, Math.floor(os.availableParallelism() / 2))),
  });
}

/**
 * Validates against cached comparison and project data, then writes in one statement
 * (arbiter_submit_judgment, drizzle/0008, alone or in a batch of drizzle/0009): lock,
 * free-slot check, judgment, counter, lease release, and with `next` the caller's next
 * task, all in its transaction.
 */
export async function submitJudgment(
  comparisonId: string,
  me: User,
  input: JudgmentInput,
  opts: { next?: boolean } = {},
): Promise<SubmitResult & { next?: Task | null }> {
  const meta = await comparisonMeta(comparisonId);
  if (!meta) {
    const previous = await findByClientId(input.clientId);
    if (previous) return replay(previous, comparisonId, me); // answers 409: another comparison
    throw new ApiError("not_found", "No such comparison");
  }
  const project = await projectForUser(meta.projectId, me);
  validate(meta.responseIds, project, input);
  try {
    const result = await submitQueue().submit({
      comparisonId,
      annotatorId: me.id,
      clientId: input.clientId,
      ranking: input.ranking,
      strength: input.strength ?? null,
      bothBad: input.bothBad ?? false,
      criteria: input.criteria ?? null,
      rationale: input.rationale || null,
      durationMs: input.durationMs ?? null,
      next: opts.next === true,
      assignment: assignmentParams(project),
    });
    return opts.next ? { ...result, next: remember(result.next, project.id) } : { id: result.id, created: result.created, projectId: result.projectId, ...(result.undone ? { undone: true } : {}) };
  } catch (err) {
    if (err instanceof SubmitQueueFull) {
      throw new ApiError("unavailable", "Too many judgments are waiting to be saved; send this one again shortly (same clientId)", undefined, QUEUE_FULL_RETRY_AFTER_S);
    }
    const { code, constraint, message } = err as { code?: string; constraint?: string; message?: string };
    if (code === "AR404") throw new ApiError("not_found", message ?? "No such comparison");
    if (code === "AR409") throw new ApiError("conflict", message ?? "Conflict");
    if (code === "AR403") throw new ApiError("forbidden", message ?? "Not yours to judge");
    if (code === "23505" && constraint === "judgments_client_id_key") {
      // The same clientId raced itself (double click, retry in flight): answer with the winner.
      const winner = await findByClientId(input.clientId);
      if (winner) {
        const result = replay(winner, comparisonId, me);
        return opts.next ? { ...result, next: await nextTask(project, me) } : result;
      }
    }
    if (code === "23505" && constraint === "judgments_comparison_annotator_key") {
      throw new ApiError("conflict", "You have already judged this comparison");
    }
    throw err;
  }
}

type Previous = { id: string; annotator_id: string; comparison_id: string; project_id: string };

async function findByClientId(clientId: string): Promise<Previous | undefined> {
  const [row] = await namedQuery<Previous>(
    "judgments.by-client-id",
    "select id, annotator_id, comparison_id, project_id from judgments where client_id = $1",
    [clientId],
  );
  return row;
}

function replay(previous: Previous, comparisonId: string, me: User): SubmitResult {
  if (previous.annotator_id !== me.id || previous.comparison_id !== comparisonId) {
    throw new ApiError("conflict", "This clientId was already used for another judgment");
  }
  return { id: previous.id, created: false, projectId: previous.project_id };
}
