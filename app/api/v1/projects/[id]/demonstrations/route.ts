import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { listDemonstrations } from "@/lib/demonstrations/demonstrations";
import { getProject } from "@/lib/projects/projects";

const querySchema = z
  .object({
    limit: z.coerce.number().int().min(1, "limit is 1 to 500").max(500, "limit is 1 to 500").default(100),
    cursor: z.uuid("cursor is the nextCursor of the previous page").optional(),
  })
  .strict();

/** The project's SFT demonstrations in import order: { demonstrations: [...], nextCursor }. Admins only. */
export const GET = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const q = querySchema.parse(Object.fromEntries(new URL(req.url).searchParams));
  return Response.json(await listDemonstrations({ projectId: project.id, limit: q.limit, cursor: q.cursor }));
});
