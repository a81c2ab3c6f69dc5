import { z } from "zod";
import { parseQuery, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { projectForUser } from "@/lib/projects/projects";
import { cachedLeaderboard } from "@/lib/quality/statistics-cache";

const querySchema = z
  .object({
    control: z.enum(["none", "length"], { error: "control must be none or length" }).default("none"),
    model: z.enum(["pairwise", "luce"], { error: "model must be pairwise or luce" }).optional(),
  })
  .strict()
  .refine((q) => !(q.model && q.control === "length"), "model applies without style control (control=length fits the pairwise outcomes)");

/**
 * [{ source, rating, ciLow, ciHigh, n, rank }] best first (API.md); ratings on the Elo scale.
 * ?control=length gives length-controlled ratings (style control); ?model=pairwise|luce picks
 * Davidson on the pairwise expansion or Davidson–Luce on whole rankings (the default for
 * k-wise projects).
 */
export const GET = withPermission<{ id: string }>("projects.read", async ({ req, params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  const { control, model } = parseQuery(req, querySchema);
  const board = await cachedLeaderboard(project.id, control, model);
  return Response.json(board.rows, { headers: { "cache-control": "no-store" } });
});
