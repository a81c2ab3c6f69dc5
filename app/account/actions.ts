"use server";

import { formNulError } from "@/lib/db/form-nul";
import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z, ZodError } from "zod";
import { createApiToken, newTokenSchema, revokeApiToken } from "@/lib/auth/api-tokens";
import { requirePermission } from "@/lib/auth/current-user";
import { requestAddress } from "@/lib/auth/request-address";
import { changeOwnPassword, PasswordChangeError, PasswordCheckRefused } from "@/lib/users/passwords";
import { endSessions } from "@/lib/users/sessions";

export type NewTokenState = { token?: string; name?: string; expiresAt?: string; error?: string };

function messages(err: ZodError): string {
  return err.issues.map((i) => i.message).join("; ");
}

/** A new token for the signed-in user (a browser session: tokens cannot mint tokens); shown once. */
export async function createTokenAction(_prev: NewTokenState, form: FormData): Promise<NewTokenState> {
  const me = await requirePermission("tokens.create", "/account");
  const nul = formNulError(form);
  if (nul) return { error: nul };
  const parsed = newTokenSchema.safeParse({ name: form.get("name") ?? "", expiresInDays: Number(form.get("expiresInDays") ?? 90) });
  if (!parsed.success) return { error: messages(parsed.error) };
  const { token, expiresAt } = await createApiToken(me.id, parsed.data.name, { expiresInDays: parsed.data.expiresInDays });
  revalidatePath("/account");
  return { token, name: parsed.data.name, expiresAt: expiresAt.toISOString() };
}

/** Revokes one of the signed-in user's tokens; every web process refuses it from the next request on. */
export async function revokeTokenAction(tokenId: string): Promise<{ error?: string }> {
  const me = await requirePermission("tokens.manage", "/account");
  if (!z.uuid().safeParse(tokenId).success || !(await revokeApiToken(tokenId, me.id))) return { error: "No such token of yours" };
  revalidatePath("/account");
  return {};
}

export type PasswordState = { done?: boolean; error?: string };

/**
 * Changes the signed-in user's password (the current one checked under the sign-in limit);
 * every session ends, this one too (the form then signs out).
 */
export async function changePasswordAction(_prev: PasswordState, form: FormData): Promise<PasswordState> {
  const me = await requirePermission("self.manage", "/account");
  const nul = formNulError(form);
  if (nul) return { error: nul };
  try {
    const input = { currentPassword: String(form.get("currentPassword") ?? ""), newPassword: String(form.get("newPassword") ?? "") };
    await changeOwnPassword(me.id, input, requestAddress(await headers()));
  } catch (err) {
    if (err instanceof PasswordChangeError || err instanceof PasswordCheckRefused) return { error: err.message };
    if (err instanceof ZodError) return { error: messages(err) };
    throw err;
  }
  return { done: true };
}

/** Ends every session of the signed-in user, this one included. */
export async function signOutEverywhereAction(): Promise<void> {
  const me = await requirePermission("self.manage", "/account");
  await endSessions(me.id);
}
