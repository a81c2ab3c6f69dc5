import { z } from "zod";
import { parseQuery, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { recentJudgments } from "@/lib/projects/annotator-stats";

const querySchema = z
  .object({
    limit: z.coerce.number().int().min(1, "limit is 1 to 500").max(500, "limit is 1 to 500").default(50),
    before: z.iso.datetime({ offset: true, error: "before is an ISO time, e.g. the createdAt of the previous page's last judgment" }).optional(),
  })
  .strict();

/** Recent judgments, newest first (?limit=, ?before=ISO time for the next page). Admins only: annotation is blind. */
export const GET = withPermission<{ id: string }>("judgments.read", async ({ req, params }) => {
  const q = parseQuery(req, querySchema);
  return Response.json(await recentJudgments(uuidParam(params.id, "project"), { limit: q.limit, before: q.before ? new Date(q.before) : undefined }));
});
