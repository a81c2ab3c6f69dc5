"use client";

import { useActionState } from "react";
import { inviteAction, type InviteState } from "./actions";

export function InviteForm() {
  const [state, action, pending] = useActionState<InviteState, FormData>(inviteAction, {});
  return (
    <form action={action} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 className="font-medium">Invite someone</h2>
      <div className="flex flex-wrap items-end gap-3">
        <label className="block grow text-sm">
          <span>Email</span>
          <input name="email" type="email" required className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
        </label>
        <label className="block text-sm">
          <span>Role</span>
          <select name="role" defaultValue="annotator" className="mt-1 block rounded-md border border-slate-300 px-3 py-2">
            <option value="annotator">annotator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" disabled={pending} className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
          {pending ? "Creating…" : "Create invitation link"}
        </button>
      </div>
      {state.error && (
        <p role="alert" className="text-sm text-red-700">
          {state.error}
        </p>
      )}
      {state.url && (
        <div className="rounded-md bg-emerald-50 p-3 text-sm">
          <p>
            One-time link for <strong>{state.email}</strong> (valid 7 days; send it to them):
          </p>
          <input readOnly value={state.url} data-testid="invite-url" className="mt-2 w-full rounded border border-emerald-200 bg-white px-2 py-1 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
        </div>
      )}
    </form>
  );
}
