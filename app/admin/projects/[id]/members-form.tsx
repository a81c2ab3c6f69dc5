"use client";

import { useActionState } from "react";
import type { FormState } from "../actions";

export function MembersForm({ action }: { action: (prev: FormState, form: FormData) => Promise<FormState> }) {
  const [state, formAction, pending] = useActionState(action, {});
  return (
    <form action={formAction} className="flex flex-wrap items-end gap-2 text-sm">
      <label className="block grow">
        <span>Add annotators (emails)</span>
        <input name="emails" required placeholder="ann@example.com, bob@example.com" className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
      </label>
      <label className="block">
        <span>Group (optional)</span>
        <input name="group" className="mt-1 w-32 rounded-md border border-slate-300 px-3 py-2" />
      </label>
      <button type="submit" disabled={pending} className="rounded-md bg-brand-600 px-3 py-2 text-white">
        Add
      </button>
      {state.message && <p className="w-full text-emerald-700">{state.message}</p>}
      {state.error && <p className="w-full text-red-700">{state.error}</p>}
    </form>
  );
}
