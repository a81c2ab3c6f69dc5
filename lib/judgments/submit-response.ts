// The HTTP answer to a submit, shared by POST /judgments (comparisonId in the body) and
// POST /comparisons/:id/judgments (API.md): 201 { id } for a new judgment, 200 with the
// same id when the clientId was seen before (with undone: true when that judgment has been
// undone since: nothing is written again); ?next=1 adds the caller's next task.
import { z } from "zod";
import type { User } from "@/lib/db/schema";
import { judgmentInputSchema, submitJudgment, type JudgmentInput } from "./submit-judgment";

/** ?next=1 asks for the caller's next task too. */
const querySchema = z.object({ next: z.enum(["0", "1"], { error: "next is 0 or 1" }).optional() }).strict();

/** POST /judgments' body: a judgment and the comparison it is for. */
export const judgmentWithComparisonSchema = judgmentInputSchema.extend({ comparisonId: z.uuid() });

export async function submitResponse(req: Request, comparisonId: string, user: User, input: JudgmentInput): Promise<Response> {
  // The next task is leased in the judgment's transaction: one commit for both, and a
  // failure in either acknowledges nothing (the client's retry, same clientId, is safe).
  const next = querySchema.parse(Object.fromEntries(new URL(req.url).searchParams)).next === "1";
  const result = await submitJudgment(comparisonId, user, input, { next });
  const body = { id: result.id, ...(result.undone ? { undone: true } : {}), ...(next ? { next: result.next ?? null } : {}) };
  return Response.json(body, { status: result.created ? 201 : 200, headers: { "cache-control": "no-store" } });
}
