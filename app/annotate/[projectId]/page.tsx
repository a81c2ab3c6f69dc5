import { forbidden, notFound } from "next/navigation";
import { ApiError } from "@/lib/api/errors";
import { requirePermission } from "@/lib/auth/current-user";
import { annotatorProgress } from "@/lib/projects/annotator-stats";
import { projectForUser } from "@/lib/projects/projects";
import { Workbench } from "./workbench";

export const dynamic = "force-dynamic";

export default async function AnnotateProject({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const user = await requirePermission("annotate", `/annotate/${projectId}`);
  const project = await projectForUser(projectId, user).catch((err) => {
    if (err instanceof ApiError && err.code === "forbidden") forbidden();
    notFound();
  });
  const mine = await annotatorProgress(project.id, user.id);
  return (
    <Workbench
      project={{
        id: project.id,
        name: project.name,
        mode: project.mode,
        instructions: project.instructions,
        allowTies: project.allowTies,
        requireRationale: project.requireRationale,
        criteria: project.criteria,
      }}
      initialJudged={mine.judged}
    />
  );
}
