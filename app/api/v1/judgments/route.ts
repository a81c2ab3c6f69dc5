import { parseJson, withPermission } from "@/lib/api/route";
import { judgmentWithComparisonSchema, submitResponse } from "@/lib/judgments/submit-response";

/**
 * POST /comparisons/:id/judgments with the comparison's id in the body: the path the
 * annotator's screen and the step benchmark use. A static path spares Next.js matching a
 * dynamic route on every submit (3–17% of the web main thread's CPU per step here:
 * BENCHMARKS.md, "Session 7").
 */
export const POST = withPermission("annotate", async ({ req, user }) => {
  const { comparisonId, ...input } = await parseJson(req, judgmentWithComparisonSchema);
  return submitResponse(req, comparisonId, user, input);
});
