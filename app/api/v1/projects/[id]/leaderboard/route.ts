import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { projectForUser } from "@/lib/projects/projects";
import { cachedLeaderboard } from "@/lib/quality/statistics-cache";

/**
 * [{ source, rating, ciLow, ciHigh, n, rank }] best first (API.md); ratings on the Elo scale.
 * ?control=length gives length-controlled ratings (style control).
 */
export const GET = withPermission<{ id: string }>("projects.read", async ({ req, params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  const control = new URL(req.url).searchParams.get("control");
  if (control !== null && control !== "length" && control !== "none") throw new ApiError("invalid_input", "control must be none or length");
  const board = await cachedLeaderboard(project.id, control === "length" ? "length" : "none");
  return Response.json(board.rows, { headers: { "cache-control": "no-store" } });
});
