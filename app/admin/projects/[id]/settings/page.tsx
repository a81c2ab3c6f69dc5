import { notFound } from "next/navigation";
import Link from "next/link";
import { requirePermission } from "@/lib/auth/current-user";
import { getProject, projectProgress } from "@/lib/projects/projects";
import { updateProjectAction } from "../../actions";
import { ProjectForm } from "../../project-form";

export default async function ProjectSettingsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requirePermission("projects.manage", `/admin/projects/${id}/settings`);
  const project = await getProject(id);
  if (!project) notFound();
  const progress = await projectProgress(id);
  return (
    <div className="space-y-4">
      <Link href={`/admin/projects/${id}`} className="text-sm text-brand-700 underline">
        ← {project.name}
      </Link>
      <h1 className="text-2xl font-semibold">Settings</h1>
      <ProjectForm
        action={updateProjectAction.bind(null, id)}
        initial={{ ...project, roundThreshold: project.roundThreshold }}
        submitLabel="Save settings"
        modeLocked={progress.comparisons + progress.gold > 0}
      />
    </div>
  );
}
