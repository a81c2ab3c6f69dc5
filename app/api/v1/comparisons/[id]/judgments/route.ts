import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { judgmentInputSchema, submitJudgment } from "@/lib/judgments/submit-judgment";
import { projectForUser } from "@/lib/projects/projects";
import { nextTask } from "@/lib/tasks/next-task";

/**
 * 201 { id } for a new judgment; 200 with the same id when the clientId was seen before.
 * ?next=1 adds the caller's next task in the project (tasks/next's answer, or null), so
 * an annotator's step is one request.
 */
export const POST = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const input = await parseJson(req, judgmentInputSchema);
  // submitJudgment checks membership in the same locked read it validates with.
  const result = await submitJudgment(uuidParam(params.id, "comparison"), user, input);
  const status = result.created ? 201 : 200;
  if (new URL(req.url).searchParams.get("next") !== "1") return Response.json({ id: result.id }, { status });
  // The judgment is committed before the next task is looked for: a failure here loses no judgment.
  const next = await nextTask(await projectForUser(result.projectId, user), user);
  return Response.json({ id: result.id, next }, { status, headers: { "cache-control": "no-store" } });
});
