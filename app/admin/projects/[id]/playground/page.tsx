import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePermission } from "@/lib/auth/current-user";
import { listGenerativeModels } from "@/lib/models/policies";
import { getProject } from "@/lib/projects/projects";
import { Playground, type PlaygroundModel } from "./playground";

export const dynamic = "force-dynamic";

export default async function PlaygroundPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requirePermission("models.score", `/admin/projects/${id}/playground`);
  const project = await getProject(id);
  if (!project) notFound();
  const models: PlaygroundModel[] = (await listGenerativeModels(id)).map((m) => ({
    id: m.id,
    kind: m.kind as PlaygroundModel["kind"],
    round: m.roundNumber,
    // a model registered from a folder (lib/models/register-model.ts): its source name, e.g. policy@external-1
    registered: m.config.registered === true ? String(m.config.source ?? m.config.name) : null,
    createdAt: m.createdAt.toISOString(),
  }));
  return (
    <div className="min-w-0 space-y-6">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-semibold">Try the model · {project.name}</h1>
        <Link href={`/admin/projects/${id}`} className="ml-auto text-sm text-brand-700 underline">
          ← project
        </Link>
      </div>
      <p className="text-sm text-slate-600">
        Type a prompt and read what the project's saved policies and SFT models answer, side by side. A running trainer samples them (the web
        app never loads the models itself); the same seed draws the same answers again.
      </p>
      {models.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="no-models">
          No policy or SFT model yet: a round with the SFT or PPO phase saves one.
        </p>
      ) : (
        <Playground models={models} />
      )}
    </div>
  );
}
