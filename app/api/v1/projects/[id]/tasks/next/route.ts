import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { projectForUser } from "@/lib/projects/projects";
import { nextTask } from "@/lib/tasks/next-task";

/** The next comparison for the caller, in display order; 204 when nothing is left for them. */
export const GET = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  const exclude = (new URL(req.url).searchParams.get("exclude") ?? "")
    .split(",")
    .filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  const task = await nextTask(project, user, { exclude });
  if (!task) return new Response(null, { status: 204 });
  return Response.json(task, { headers: { "cache-control": "no-store" } });
});
