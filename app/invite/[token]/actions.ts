"use server";

import { formNulError } from "@/lib/db/form-nul";
import { redirect } from "next/navigation";
import { ZodError } from "zod";
import { acceptInvite, InviteError } from "@/lib/auth/invites";

export type AcceptState = { error?: string; fieldErrors?: Record<string, string> };

export async function acceptInviteAction(token: string, _prev: AcceptState, form: FormData): Promise<AcceptState> {
  const nul = formNulError(form);
  if (nul) return { error: nul };
  try {
    await acceptInvite(token, { name: String(form.get("name") ?? ""), password: String(form.get("password") ?? "") });
  } catch (err) {
    if (err instanceof InviteError) return { error: err.message };
    if (err instanceof ZodError) {
      return { fieldErrors: Object.fromEntries(err.issues.map((i) => [String(i.path[0]), i.message])) };
    }
    throw err;
  }
  redirect("/signin?joined=1");
}
