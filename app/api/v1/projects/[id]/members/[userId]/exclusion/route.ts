import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { setExcluded } from "@/lib/projects/projects";

const bodySchema = z.object({ excluded: z.boolean() }).strict();

/** Exclude an annotator's judgments from statistics, training and exports (kept; reversible). */
export const PUT = withPermission<{ id: string; userId: string }>("projects.manage", async ({ req, params }) => {
  const { excluded } = await parseJson(req, bodySchema);
  const changed = await setExcluded(uuidParam(params.id, "project"), uuidParam(params.userId, "member"), excluded);
  if (!changed) throw new ApiError("not_found", "No such member of this project");
  return new Response(null, { status: 204 });
});
