import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { addMembers, getProject, listMembers } from "@/lib/projects/projects";

const bodySchema = z.object({ emails: z.array(z.string()).min(1).max(1000), group: z.string().trim().min(1).max(100).optional() }).strict();

export const POST = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const { emails, group } = await parseJson(req, bodySchema);
  return Response.json(await addMembers(project.id, emails, group ?? null));
});

export const GET = withPermission<{ id: string }>("projects.manage", async ({ params }) => {
  return Response.json(await listMembers(uuidParam(params.id, "project")));
});
