import { z } from "zod";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { markGold } from "@/lib/comparisons/admin-marks";
import { rankingSchema } from "@/lib/judgments/ranking";

const bodySchema = z.object({ ranking: rankingSchema.nullable() }).strict();

/** { ranking } makes the comparison gold with that known answer; { ranking: null } unmarks it. */
export const PUT = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const { ranking } = await parseJson(req, bodySchema);
  await markGold(uuidParam(params.id, "comparison"), ranking);
  return new Response(null, { status: 204 });
});
