import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { annotatorStats } from "@/lib/projects/annotator-stats";

export const GET = withPermission<{ id: string }>("judgments.read", async ({ params }) =>
  Response.json(await annotatorStats(uuidParam(params.id, "project"))),
);
