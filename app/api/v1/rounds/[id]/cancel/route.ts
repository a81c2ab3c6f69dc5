import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { cancelRound } from "@/lib/rounds/cancel-round";
import { roundView } from "@/lib/rounds/round-view";

/**
 * Cancels a round (API.md): queued → 200 with the round, now cancelled; running → 202 with
 * the round, which its trainer stops at the next step boundary; finished → 409.
 */
export const POST = withPermission<{ id: string }>("rounds.manage", async ({ params }) => {
  const id = uuidParam(params.id, "round");
  const outcome = await cancelRound({ roundId: id });
  const round = await roundView(id);
  if (!round) throw new ApiError("not_found", "No such round");
  return Response.json(round, { status: outcome === "requested" ? 202 : 200, headers: { "cache-control": "no-store" } });
});
