import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { projectForUser } from "@/lib/projects/projects";
import { cachedLeaderboard } from "@/lib/quality/statistics-cache";

/** [{ source, rating, ciLow, ciHigh, n, rank }] best first (API.md); ratings on the Elo scale. */
export const GET = withPermission<{ id: string }>("projects.read", async ({ params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  const board = await cachedLeaderboard(project.id);
  return Response.json(board.rows, { headers: { "cache-control": "no-store" } });
});
