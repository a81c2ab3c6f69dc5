import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { annotatorProgress } from "@/lib/projects/annotator-stats";
import { projectForUser, projectProgress, toPublicProject, updateProject } from "@/lib/projects/projects";
import { projectPatchSchema } from "@/lib/projects/settings";

export const GET = withPermission<{ id: string }>("projects.read", async ({ params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  const [progress, mine] = await Promise.all([projectProgress(project.id), annotatorProgress(project.id, user.id)]);
  return Response.json({ ...toPublicProject(project), progress, mine });
});

export const PATCH = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const patch = await parseJson(req, projectPatchSchema);
  return Response.json(toPublicProject(await updateProject(uuidParam(params.id, "project"), patch)));
});
