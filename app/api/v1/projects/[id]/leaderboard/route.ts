import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { projectForUser } from "@/lib/projects/projects";
import { cachedLeaderboard } from "@/lib/quality/statistics-cache";

/**
 * [{ source, rating, ciLow, ciHigh, n, rank }] best first (API.md); ratings on the Elo scale.
 * ?control=length gives length-controlled ratings (style control); ?model=pairwise|luce picks
 * Davidson on the pairwise expansion or Davidson–Luce on whole rankings (the default for
 * k-wise projects).
 */
export const GET = withPermission<{ id: string }>("projects.read", async ({ req, params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  const control = new URL(req.url).searchParams.get("control");
  if (control !== null && control !== "length" && control !== "none") throw new ApiError("invalid_input", "control must be none or length");
  const model = new URL(req.url).searchParams.get("model");
  if (model !== null && model !== "pairwise" && model !== "luce") throw new ApiError("invalid_input", "model must be pairwise or luce");
  if (model !== null && control === "length") throw new ApiError("invalid_input", "model applies without style control (control=length fits the pairwise outcomes)");
  const board = await cachedLeaderboard(project.id, control === "length" ? "length" : "none", model ?? undefined);
  return Response.json(board.rows, { headers: { "cache-control": "no-store" } });
});
