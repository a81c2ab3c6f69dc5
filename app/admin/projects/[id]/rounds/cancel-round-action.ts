"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { requirePermission } from "@/lib/auth/current-user";
import { cancelRound } from "@/lib/rounds/cancel-round";

/** The rounds page's Cancel button; the round must belong to the page's project. */
export async function cancelRoundAction(projectId: string, roundId: string): Promise<{ error?: string }> {
  // a server action's arguments come from the client as they are
  const ids = z.object({ projectId: z.uuid(), roundId: z.uuid() }).safeParse({ projectId, roundId });
  if (!ids.success) return { error: "No such round" };
  await requirePermission("rounds.manage", `/admin/projects/${projectId}/rounds`);
  try {
    await cancelRound({ roundId, projectId });
  } catch (err) {
    if (err instanceof ApiError) return { error: err.message };
    throw err;
  } finally {
    revalidatePath(`/admin/projects/${projectId}/rounds`);
  }
  return {};
}
