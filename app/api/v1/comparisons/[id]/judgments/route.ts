import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { judgmentInputSchema, submitJudgment } from "@/lib/judgments/submit-judgment";

/**
 * 201 { id } for a new judgment; 200 with the same id when the clientId was seen before.
 * ?next=1 adds the caller's next task in the project (tasks/next's answer, or null), so
 * an annotator's step is one request.
 */
export const POST = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const input = await parseJson(req, judgmentInputSchema);
  // The next task is leased in the judgment's transaction: one commit for both, and a
  // failure in either acknowledges nothing (the client's retry, same clientId, is safe).
  const next = new URL(req.url).searchParams.get("next") === "1";
  const result = await submitJudgment(uuidParam(params.id, "comparison"), user, input, { next });
  const body = next ? { id: result.id, next: result.next ?? null } : { id: result.id };
  return Response.json(body, { status: result.created ? 201 : 200, headers: { "cache-control": "no-store" } });
});
