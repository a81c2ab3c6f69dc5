import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { judgmentInputSchema, submitJudgment } from "@/lib/judgments/submit-judgment";
import { projectForUser, projectIdOfComparison } from "@/lib/projects/projects";
import { nextTaskIn } from "@/lib/tasks/next-task";

/**
 * 201 { id } for a new judgment; 200 with the same id when the clientId was seen before.
 * ?next=1 adds the caller's next task in the project (tasks/next's answer, or null), so
 * an annotator's step is one request.
 */
export const POST = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const input = await parseJson(req, judgmentInputSchema);
  const comparisonId = uuidParam(params.id, "comparison");
  // submitJudgment checks membership in the same locked read it validates with.
  if (new URL(req.url).searchParams.get("next") !== "1") {
    const result = await submitJudgment(comparisonId, user, input);
    return Response.json({ id: result.id }, { status: result.created ? 201 : 200 });
  }
  // The next task is leased in the judgment's transaction: one commit for both, and a
  // failure in either acknowledges nothing (the client's retry, same clientId, is safe).
  // The project is resolved before the transaction opens: a lookup inside it would wait
  // for a second pooled connection while holding one (a full pool would deadlock).
  const project = await projectForUser(await projectIdOfComparison(comparisonId), user);
  const result = await submitJudgment(comparisonId, user, input, (q) => nextTaskIn(q, project, user));
  return Response.json({ id: result.id, next: result.then }, { status: result.created ? 201 : 200, headers: { "cache-control": "no-store" } });
});
