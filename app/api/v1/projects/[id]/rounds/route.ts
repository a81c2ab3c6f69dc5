import { ApiError } from "@/lib/api/errors";
import { readJsonBody } from "@/lib/api/json-body";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { getProject } from "@/lib/projects/projects";
import { listRounds } from "@/lib/rounds/round-view";
import { startRound } from "@/lib/rounds/start-round";

/**
 * Starts a round → 201 { id, number } (API.md); 409 when one is queued or running. The body
 * is optional: { phases?, baseModel?, rewardModel?: {...} } overrides the project's round
 * settings for this round only.
 */
export const POST = withPermission<{ id: string }>("rounds.manage", async ({ req, params, user }) => {
  const projectId = uuidParam(params.id, "project");
  const overrides = (await readJsonBody(req, { optional: true })) ?? {};
  const round = await startRound({ projectId, trigger: "admin", requestedBy: user.id, overrides });
  return Response.json(round, { status: 201 });
});

/** The project's rounds, newest first. */
export const GET = withPermission<{ id: string }>("rounds.manage", async ({ params }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const rounds = await listRounds(project.id);
  return Response.json(
    rounds.map((r) => ({ id: r.id, number: r.number, status: r.status, phase: r.phase, trigger: r.trigger, createdAt: r.createdAt, finishedAt: r.finishedAt, error: r.error ?? undefined })),
  );
});
