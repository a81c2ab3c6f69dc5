"use server";

import { revalidatePath } from "next/cache";
import { ZodError } from "zod";
import { ApiError } from "@/lib/api/errors";
import { requirePermission } from "@/lib/auth/current-user";
import { startRound } from "@/lib/rounds/start-round";

export type StartState = { error?: string; message?: string };

export async function startRoundAction(projectId: string, _prev: StartState, form: FormData): Promise<StartState> {
  const admin = await requirePermission("rounds.manage", `/admin/projects/${projectId}/rounds`);
  const epochs = form.get("epochs");
  const baseModel = String(form.get("baseModel") ?? "");
  try {
    const round = await startRound({
      projectId,
      trigger: "admin",
      requestedBy: admin.id,
      overrides: {
        ...(form.get("ppo") === "on" ? { phases: ["reward_model", "policy", "generate"] } : {}),
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
