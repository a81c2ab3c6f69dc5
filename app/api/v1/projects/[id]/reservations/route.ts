import { z } from "zod";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { reserveComparisons } from "@/lib/comparisons/admin-marks";

const bodySchema = z
  .object({
    comparisonIds: z.array(z.uuid()).min(1).max(10_000),
    userEmail: z.string().optional(),
    group: z.string().trim().min(1).max(100).optional(),
  })
  .strict()
  .refine((b) => !(b.userEmail && b.group), "reserve for a user or a group, not both");

/** Reserve comparisons for one annotator or a group; neither given clears the reservation. */
export const POST = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const body = await parseJson(req, bodySchema);
  const target = body.userEmail || body.group ? { userEmail: body.userEmail, group: body.group } : null;
  return Response.json({ updated: await reserveComparisons(uuidParam(params.id, "project"), body.comparisonIds, target) });
});
