"use server";

import { formNulError } from "@/lib/db/form-nul";
import { revalidatePath } from "next/cache";
import { ZodError } from "zod";
import { ApiError } from "@/lib/api/errors";
import { isUuid } from "@/lib/api/uuid-param";
import { requirePermission } from "@/lib/auth/current-user";
import { startRound } from "@/lib/rounds/start-round";

export type StartState = { error?: string; message?: string };

/** The form's choices of phases; "" leaves the project's round settings as they are. */
const PLANS: Record<string, string[]> = {
  reward_model: ["reward_model"],
  rlhf: ["reward_model", "policy", "evaluate", "generate"],
  full: ["sft", "reward_model", "policy", "evaluate", "generate"],
};

export async function startRoundAction(projectId: string, _prev: StartState, form: FormData): Promise<StartState> {
  const admin = await requirePermission("rounds.manage", `/admin/projects/${projectId}/rounds`);
  const nul = formNulError(form);
  if (nul) return { error: nul };
  if (!isUuid(projectId)) return { error: "No such project" };
  const epochs = form.get("epochs");
  const baseModel = String(form.get("baseModel") ?? "");
  try {
    const round = await startRound({
      projectId,
      trigger: "admin",
      requestedBy: admin.id,
      overrides: {
        ...(PLANS[String(form.get("plan") ?? "")] ? { phases: PLANS[String(form.get("plan"))] } : {}),
        ...(baseModel ? { baseModel } : {}),
        ...(epochs ? { rewardModel: { epochs: Number(epochs) } } : {}),
      },
    });
    revalidatePath(`/admin/projects/${projectId}/rounds`);
    return { message: `Round ${round.number} queued` };
  } catch (err) {
    if (err instanceof ZodError) return { error: err.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ") };
    if (err instanceof ApiError) return { error: err.message };
    throw err;
  }
}
