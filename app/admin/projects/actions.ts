"use server";

import { formNulError } from "@/lib/db/form-nul";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { ZodError } from "zod";
import { ApiError } from "@/lib/api/errors";
import { isUuid } from "@/lib/api/uuid-param";
import { requirePermission } from "@/lib/auth/current-user";
import { createDemoProject } from "@/lib/demo/demo-project";
import { addMembers, createProject, getProject, setExcluded, updateProject } from "@/lib/projects/projects";
import { projectPatchSchema } from "@/lib/projects/settings";

export type FormState = { error?: string; message?: string };

function settingsFrom(form: FormData) {
  const num = (k: string) => (form.get(k) === null || form.get(k) === "" ? undefined : Number(form.get(k)));
  const mode = form.get("mode") === "kwise" ? "kwise" : "pairwise";
  return {
    name: String(form.get("name") ?? ""),
    instructions: String(form.get("instructions") ?? ""),
    mode,
    k: mode === "kwise" ? num("k") : 2,
    redundancy: num("redundancy"),
    criteria: String(form.get("criteria") ?? "")
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean),
    allowTies: form.get("allowTies") === "on",
    requireRationale: form.get("requireRationale") === "on",
    goldRate: (num("goldPercent") ?? 0) / 100,
    leaseSeconds: num("leaseSeconds"),
    roundThreshold: num("roundThreshold") ?? null,
    qualityBar: {
      minMajorityAgreement: (num("minMajorityPercent") ?? 50) / 100,
      minGoldAccuracy: (num("minGoldPercent") ?? 60) / 100,
      minEvidence: num("minEvidence") ?? 10,
    },
  } as const;
}

function explain(err: unknown): FormState {
  if (err instanceof ZodError) return { error: err.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ") };
  if (err instanceof ApiError) return { error: err.message };
  throw err;
}

export async function createProjectAction(_prev: FormState, form: FormData): Promise<FormState> {
  const admin = await requirePermission("projects.manage", "/admin/projects");
  const nul = formNulError(form);
  if (nul) return { error: nul };
  let id: string;
  try {
    id = (await createProject(settingsFrom(form), admin.id)).id;
  } catch (err) {
    return explain(err);
  }
  redirect(`/admin/projects/${id}`);
}

/** The demo project (lib/demo/demo-project.ts): its data, round settings and threshold; judge it with `arbiter sim --oracle number-words` or by hand. */
export async function createDemoProjectAction(): Promise<void> {
  const admin = await requirePermission("projects.manage", "/admin/projects");
  const project = await createDemoProject(admin.id);
  redirect(`/admin/projects/${project.id}`);
}

export async function updateProjectAction(projectId: string, _prev: FormState, form: FormData): Promise<FormState> {
  await requirePermission("projects.manage", `/admin/projects/${projectId}`);
  const nul = formNulError(form);
  if (nul) return { error: nul };
  if (!isUuid(projectId)) return { error: "No such project" };
  try {
    await updateProject(projectId, projectPatchSchema.parse(settingsFrom(form)));
  } catch (err) {
    return explain(err);
  }
  revalidatePath(`/admin/projects/${projectId}`);
  return { message: "Saved" };
}

export async function addMembersAction(projectId: string, _prev: FormState, form: FormData): Promise<FormState> {
  await requirePermission("projects.manage", `/admin/projects/${projectId}`);
  const nul = formNulError(form);
  if (nul) return { error: nul };
  if (!isUuid(projectId) || !(await getProject(projectId))) return { error: "No such project" };
  const emails = String(form.get("emails") ?? "").split(/[\s,;]+/).filter(Boolean);
  const group = String(form.get("group") ?? "").trim() || null;
  const { added, unknown } = await addMembers(projectId, emails, group);
  revalidatePath(`/admin/projects/${projectId}`);
  return {
    message: `Added ${added.length} member${added.length === 1 ? "" : "s"}.`,
    error: unknown.length ? `No account for: ${unknown.join(", ")} (invite them first)` : undefined,
  };
}

export async function setExclusionAction(projectId: string, userId: string, excluded: boolean): Promise<void> {
  await requirePermission("projects.manage", `/admin/projects/${projectId}/quality`);
  if (!isUuid(projectId) || !isUuid(userId) || typeof excluded !== "boolean") return;
  await setExcluded(projectId, userId, excluded);
  revalidatePath(`/admin/projects/${projectId}/quality`);
}
