import { withPermission, parseJson } from "@/lib/api/route";
import { can } from "@/lib/auth/permissions";
import { createProject, listProjects, projectsOfUser, toPublicProject } from "@/lib/projects/projects";
import { projectSettingsSchema } from "@/lib/projects/settings";

export const POST = withPermission("projects.manage", async ({ req, user }) => {
  const settings = await parseJson(req, projectSettingsSchema);
  const project = await createProject(settings, user.id);
  return Response.json({ id: project.id }, { status: 201 });
});

export const GET = withPermission("projects.read", async ({ user }) => {
  const list = can(user.role, "projects.manage") ? await listProjects() : await projectsOfUser(user.id);
  return Response.json(list.map(toPublicProject));
});
