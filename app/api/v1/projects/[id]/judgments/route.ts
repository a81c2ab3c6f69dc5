import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { recentJudgments } from "@/lib/projects/annotator-stats";

/** Recent judgments, newest first (?limit=, ?before=ISO time for the next page). Admins only: annotation is blind. */
export const GET = withPermission<{ id: string }>("judgments.read", async ({ req, params }) => {
  const q = new URL(req.url).searchParams;
  const before = q.get("before") ? new Date(q.get("before")!) : undefined;
  const limit = Number(q.get("limit") ?? 50);
  return Response.json(await recentJudgments(uuidParam(params.id, "project"), { limit: Number.isFinite(limit) ? limit : 50, before }));
});
