import { z } from "zod";
import { parseJson, withPermission } from "@/lib/api/route";
import { projectOfComparison } from "@/lib/judgments/comparison-access";
import { skipComparison } from "@/lib/judgments/undo-and-skip";

const bodySchema = z.object({ reason: z.string().trim().max(500).optional() }).strict();

export const POST = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const { reason } = await parseJson(req, bodySchema);
  const { comparisonId } = await projectOfComparison(params.id, user);
  await skipComparison(comparisonId, user, reason);
  return new Response(null, { status: 204 });
});
