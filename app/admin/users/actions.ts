"use server";

import { formNulError } from "@/lib/db/form-nul";
import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { ZodError } from "zod";
import { isUuid } from "@/lib/api/uuid-param";
import { requirePermission } from "@/lib/auth/current-user";
import { createInvite, InviteError, inviteUrl, revokeInvite } from "@/lib/auth/invites";
import { requestAddress } from "@/lib/auth/request-address";
import { publicBaseUrl } from "@/lib/config/base-url";
import { OwnPasswordNeeded, PasswordChangeError, PasswordCheckRefused, resetPasswordByAdmin } from "@/lib/users/passwords";
import { endSessions } from "@/lib/users/sessions";
import { getUserById, LastAdminError, setUserDisabled } from "@/lib/users/users";

export type InviteState = { url?: string; email?: string; error?: string };

export async function inviteAction(_prev: InviteState, form: FormData): Promise<InviteState> {
  const admin = await requirePermission("invites.create", "/admin/users");
  const nul = formNulError(form);
  if (nul) return { error: nul };
  try {
    const { invite, token } = await createInvite({ email: String(form.get("email") ?? ""), role: form.get("role") as "admin" | "annotator" }, admin.id);
    revalidatePath("/admin/users");
    return { url: inviteUrl(publicBaseUrl(await headers()), token), email: invite.email };
  } catch (err) {
    if (err instanceof InviteError) return { error: err.message };
    if (err instanceof ZodError) return { error: err.issues.map((i) => i.message).join("; ") };
    throw err;
  }
}

export async function setDisabledAction(userId: string, disabled: boolean): Promise<{ error?: string }> {
  const admin = await requirePermission("users.manage", "/admin/users");
  if (!isUuid(userId) || typeof disabled !== "boolean" || !(await getUserById(userId))) return { error: "No such user" };
  if (userId === admin.id && disabled) return { error: "You cannot disable yourself" };
  try {
    await setUserDisabled(userId, disabled);
  } catch (err) {
    if (err instanceof LastAdminError) return { error: err.message };
    throw err;
  }
  revalidatePath("/admin/users");
  return {};
}

export async function revokeInviteAction(inviteId: string): Promise<void> {
  await requirePermission("invites.create", "/admin/users");
  if (!isUuid(inviteId)) return;
  await revokeInvite(inviteId);
  revalidatePath("/admin/users");
}

/**
 * A generated password for the user, shown to the admin once; the user's sessions end. An
 * admin's password is reset only with the acting admin's own (`currentPassword`).
 */
export async function resetPasswordAction(userId: string, currentPassword?: string): Promise<{ password?: string; error?: string }> {
  const admin = await requirePermission("users.password", "/admin/users");
  if (!isUuid(userId) || (currentPassword !== undefined && typeof currentPassword !== "string")) return { error: "No such user" };
  try {
    const { generatedPassword } = await resetPasswordByAdmin(admin, userId, { currentPassword: currentPassword || undefined }, requestAddress(await headers()));
    return { password: generatedPassword };
  } catch (err) {
    if (err instanceof PasswordChangeError || err instanceof OwnPasswordNeeded || err instanceof PasswordCheckRefused) return { error: err.message };
    if (err instanceof ZodError) return { error: err.issues.map((i) => i.message).join("; ") };
    throw err;
  }
}

/** Ends every browser session of the user and revokes their API tokens. */
export async function endSessionsAction(userId: string): Promise<{ error?: string }> {
  await requirePermission("users.manage", "/admin/users");
  if (!isUuid(userId) || !(await endSessions(userId))) return { error: "No such user" };
  return {};
}
