import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { projectForUser } from "@/lib/projects/projects";
import { loadJudgments } from "@/lib/quality/judgment-data";
import { computeAgreement } from "@/lib/quality/project-agreement";

/** Agreement overall and per annotator, with quality flags; excluded annotators are left out. */
export const GET = withPermission<{ id: string }>("judgments.read", async ({ params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  return Response.json(computeAgreement(await loadJudgments(project.id)));
});
