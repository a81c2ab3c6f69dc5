import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { judgmentInputSchema } from "@/lib/judgments/submit-judgment";
import { submitResponse } from "@/lib/judgments/submit-response";

/**
 * 201 { id } for a new judgment; 200 with the same id when the clientId was seen before.
 * ?next=1 adds the caller's next task in the project (tasks/next's answer, or null), so
 * an annotator's step is one request. POST /judgments does the same on a static path.
 */
export const POST = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const input = await parseJson(req, judgmentInputSchema);
  return submitResponse(req, uuidParam(params.id, "comparison"), user, input);
});
