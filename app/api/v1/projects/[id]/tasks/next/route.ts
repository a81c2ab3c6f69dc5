import { z } from "zod";
import { parseQuery, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { projectForUser } from "@/lib/projects/projects";
import { nextTask } from "@/lib/tasks/next-task";

const querySchema = z
  .object({
    // comparisons the client already holds (the one on screen, a prefetched one)
    exclude: z
      .string()
      .default("")
      .transform((s) => s.split(",").filter(Boolean))
      .pipe(z.array(z.uuid("exclude is a comma-separated list of comparison ids")).max(100, "exclude lists at most 100 ids")),
  })
  .strict();

/** The next comparison for the caller, in display order; 204 when nothing is left for them. */
export const GET = withPermission<{ id: string }>("annotate", async ({ req, params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  const { exclude } = parseQuery(req, querySchema);
  const task = await nextTask(project, user, { exclude });
  if (!task) return new Response(null, { status: 204 });
  return Response.json(task, { headers: { "cache-control": "no-store" } });
});
