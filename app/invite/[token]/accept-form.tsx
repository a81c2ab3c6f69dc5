"use client";

import { useActionState } from "react";
import { acceptInviteAction, type AcceptState } from "./actions";

export function AcceptInviteForm({ token }: { token: string }) {
  const [state, action, pending] = useActionState<AcceptState, FormData>(acceptInviteAction.bind(null, token), {});
  return (
    <form action={action} className="mt-6 space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <label className="block text-sm">
        <span className="font-medium">Name</span>
        <input name="name" required autoComplete="name" className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
        {state.fieldErrors?.name && <span className="text-xs text-red-700">{state.fieldErrors.name}</span>}
      </label>
      <label className="block text-sm">
        <span className="font-medium">Password (12 characters or more)</span>
        <input
          name="password"
          type="password"
          required
          minLength={12}
          autoComplete="new-password"
          className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2"
        />
        {state.fieldErrors?.password && <span className="text-xs text-red-700">{state.fieldErrors.password}</span>}
      </label>
      {state.error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {state.error}
        </p>
      )}
      <button
        type="submit"
        disabled={pending}
        className="w-full rounded-md bg-brand-600 px-3 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60"
      >
        {pending ? "Creating account…" : "Create account"}
      </button>
    </form>
  );
}
