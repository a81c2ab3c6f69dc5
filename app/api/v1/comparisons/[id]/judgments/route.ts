import { parseJson, withPermission } from "@/lib/api/route";
import { projectOfComparison } from "@/lib/judgments/comparison-access";
import { judgmentInputSchema, submitJudgment } from "@/lib/judgments/submit-judgment";

/** 201 { id } for a new judgment; 200 with the same id when the clientId was seen before. */
export const POST = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const input = await parseJson(req, judgmentInputSchema);
  const { comparisonId } = await projectOfComparison(params.id, user);
  const result = await submitJudgment(comparisonId, user, input);
  return Response.json({ id: result.id }, { status: result.created ? 201 : 200 });
});
