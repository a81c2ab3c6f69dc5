import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { judgmentInputSchema, submitJudgment } from "@/lib/judgments/submit-judgment";

/** 201 { id } for a new judgment; 200 with the same id when the clientId was seen before. */
export const POST = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const input = await parseJson(req, judgmentInputSchema);
  // submitJudgment checks membership in the same locked read it validates with.
  const result = await submitJudgment(uuidParam(params.id, "comparison"), user, input);
  return Response.json({ id: result.id }, { status: result.created ? 201 : 200 });
});
