import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { projectForUser } from "@/lib/projects/projects";
import { qualityBarOf } from "@/lib/quality/project-agreement";
import { cachedAgreement } from "@/lib/quality/statistics-cache";

/** Agreement overall and per annotator, with quality flags; excluded annotators are left out. */
export const GET = withPermission<{ id: string }>("judgments.read", async ({ params, user }) => {
  const project = await projectForUser(uuidParam(params.id, "project"), user);
  const bar = qualityBarOf(project);
  return Response.json({ ...(await cachedAgreement(project.id, bar)), qualityBar: bar });
});
