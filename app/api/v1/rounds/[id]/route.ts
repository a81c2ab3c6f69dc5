import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { roundView } from "@/lib/rounds/round-view";

/** { status, phase, metrics, history, artifacts, error? } (API.md). */
export const GET = withPermission<{ id: string }>("rounds.manage", async ({ params }) => {
  const round = await roundView(uuidParam(params.id, "round"));
  if (!round) throw new ApiError("not_found", "No such round");
  return Response.json(round, { headers: { "cache-control": "no-store" } });
});
