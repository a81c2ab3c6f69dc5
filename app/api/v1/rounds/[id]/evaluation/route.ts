import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { roundEvaluation } from "@/lib/rounds/round-evaluation";

/** { samples: [{ promptId, prompt, model, text, finished, score, kl, ... }] } (API.md); 404 before the evaluate phase ran. */
export const GET = withPermission<{ id: string }>("rounds.manage", async ({ params }) => {
  const samples = await roundEvaluation(uuidParam(params.id, "round"));
  if (samples === undefined) throw new ApiError("not_found", "No such round");
  if (samples === null) throw new ApiError("not_found", "This round has no evaluation: its settings did not list the evaluate phase, or it has not reached it");
  return Response.json({ samples }, { headers: { "cache-control": "no-store" } });
});
