"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requirePermission } from "@/lib/auth/current-user";
import { removeMember } from "@/lib/projects/remove-member";

/** The project page's Remove button next to a member. */
export async function removeMemberAction(projectId: string, userId: string): Promise<{ error?: string }> {
  // a server action's arguments come from the client as they are
  const ids = z.object({ projectId: z.uuid(), userId: z.uuid() }).safeParse({ projectId, userId });
  if (!ids.success) return { error: "No such member" };
  await requirePermission("projects.manage", `/admin/projects/${projectId}`);
  const removed = await removeMember(projectId, userId);
  revalidatePath(`/admin/projects/${projectId}`);
  return removed ? {} : { error: "No such member of this project" };
}
