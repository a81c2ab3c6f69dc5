import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { listRewardModels } from "@/lib/models/reward-models";
import { getProject } from "@/lib/projects/projects";

/** The project's reward models, newest first: [{ id, round, metrics, judgmentWatermark, sizeBytes, sha256, createdAt }]. */
export const GET = withPermission<{ id: string }>("rounds.manage", async ({ params }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const models = await listRewardModels(project.id);
  return Response.json(
    models.map((m) => ({
      id: m.id,
      round: m.roundNumber,
      metrics: m.metrics,
      judgmentWatermark: m.judgmentWatermark?.toISOString() ?? null,
      sizeBytes: m.sizeBytes,
      sha256: m.sha256,
      createdAt: m.createdAt.toISOString(),
    })),
  );
});
