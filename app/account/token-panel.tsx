"use client";

import { useActionState, useState, useTransition } from "react";
import type { PublicToken } from "@/lib/auth/api-tokens";
import { createTokenAction, revokeTokenAction, type NewTokenState } from "./actions";

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : "never";
}

function RevokeTokenButton({ token }: { token: PublicToken }) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string>();
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`Revoke ${token.name}`}
        onClick={() => start(async () => setError((await revokeTokenAction(token.id)).error))}
        className="rounded-md border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 disabled:opacity-50"
      >
        {pending ? "Revoking…" : "Revoke"}
      </button>
      {error && <span role="alert" className="text-xs text-red-700">{error}</span>}
    </span>
  );
}

/** The signed-in user's API tokens: a new one (shown once), and the list with Revoke buttons. */
export function TokenPanel({ tokens }: { tokens: PublicToken[] }) {
  const [state, action, pending] = useActionState<NewTokenState, FormData>(createTokenAction, {});
  return (
    <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 className="font-medium">API tokens</h2>
      <p className="text-sm text-slate-600">For scripts: send <code>Authorization: Bearer &lt;token&gt;</code>. A token acts as you until it expires or you revoke it.</p>
      <form action={action} className="flex flex-wrap items-end gap-3 text-sm">
        <label className="block grow">
          <span>Name</span>
          <input name="name" required maxLength={100} placeholder="labelling script" className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
        </label>
        <label className="block">
          <span>Expires in (days)</span>
          <input name="expiresInDays" type="number" min={1} max={365} defaultValue={90} required className="mt-1 block w-28 rounded-md border border-slate-300 px-3 py-2" />
        </label>
        <button type="submit" disabled={pending} className="rounded-md bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700">
          {pending ? "Creating…" : "Create token"}
        </button>
      </form>
      {state.error && <p role="alert" className="text-sm text-red-700">{state.error}</p>}
      {state.token && (
        <div className="rounded-md bg-emerald-50 p-3 text-sm">
          <p>
            Token <strong>{state.name}</strong>, valid until {when(state.expiresAt ?? null)}. Copy it now: it is not shown again.
          </p>
          <input readOnly value={state.token} data-testid="new-token" className="mt-2 w-full rounded border border-emerald-200 bg-white px-2 py-1 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
        </div>
      )}
      {tokens.length > 0 && (
        <table className="w-full text-left text-sm" data-testid="tokens">
          <thead className="text-xs uppercase text-slate-500">
            <tr>
              <th className="py-1">Name</th>
              <th>Starts with</th>
              <th>Status</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} className="border-t border-slate-100" data-testid={`token-row-${t.name}`}>
                <td className="py-1">{t.name}</td>
                <td className="font-mono text-xs">{t.prefix}…</td>
                <td>{t.status}</td>
                <td className="text-slate-500">{when(t.createdAt)}</td>
                <td className="text-slate-500">{when(t.expiresAt)}</td>
                <td className="text-slate-500">{when(t.lastUsedAt)}</td>
                <td className="text-right">{t.status === "active" && <RevokeTokenButton token={t} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
