"use client";

import { signOut } from "next-auth/react";
import { useActionState, useEffect, useTransition } from "react";
import { changePasswordAction, signOutEverywhereAction, type PasswordState } from "./actions";

/** Changing the password ends every session, this one too, so the form signs out when it is done. */
export function PasswordForm() {
  const [state, action, pending] = useActionState<PasswordState, FormData>(changePasswordAction, {});
  useEffect(() => {
    if (state.done) void signOut({ callbackUrl: "/signin" });
  }, [state.done]);
  return (
    <form action={action} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
      <h2 className="font-medium">Change password</h2>
      <div className="flex flex-wrap items-end gap-3">
        <label className="block">
          <span>Current password</span>
          <input name="currentPassword" type="password" required autoComplete="current-password" className="mt-1 block rounded-md border border-slate-300 px-3 py-2" />
        </label>
        <label className="block">
          <span>New password (12 characters or more)</span>
          <input name="newPassword" type="password" required minLength={12} maxLength={1024} autoComplete="new-password" className="mt-1 block rounded-md border border-slate-300 px-3 py-2" />
        </label>
        <button type="submit" disabled={pending || state.done} className="rounded-md bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700">
          {pending ? "Changing…" : "Change password"}
        </button>
      </div>
      {state.error && <p role="alert" className="text-red-700">{state.error}</p>}
      {state.done && <p role="status" className="text-emerald-700">Password changed. Signing you out everywhere…</p>}
    </form>
  );
}

export function SignOutEverywhereButton() {
  const [pending, start] = useTransition();
  return (
    <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
      <h2 className="font-medium">Sessions</h2>
      <p className="text-slate-600">Signs you out in every browser, this one included, and revokes all your API tokens.</p>
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          start(async () => {
            await signOutEverywhereAction();
            await signOut({ callbackUrl: "/signin" });
          })
        }
        className="rounded-md border border-slate-300 px-3 py-2 hover:bg-slate-100"
      >
        {pending ? "Signing out…" : "Sign out everywhere"}
      </button>
    </section>
  );
}
