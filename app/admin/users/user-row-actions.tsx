"use client";

import { useState, useTransition } from "react";
import { endSessionsAction, resetPasswordAction, revokeInviteAction, setDisabledAction } from "./actions";

export function ToggleDisabledButton({ userId, disabled, email }: { userId: string; disabled: boolean; email: string }) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string>();
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`${disabled ? "Enable" : "Disable"} ${email}`}
        onClick={() =>
          start(async () => {
            const result = await setDisabledAction(userId, !disabled);
            setError(result.error);
          })
        }
        className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
      >
        {disabled ? "Enable" : "Disable"}
      </button>
      {error && <span className="text-xs text-red-700">{error}</span>}
    </span>
  );
}

export function RevokeInviteButton({ inviteId }: { inviteId: string }) {
  const [pending, start] = useTransition();
  return (
    <button
      type="button"
      disabled={pending}
      onClick={() => start(() => revokeInviteAction(inviteId))}
      className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
    >
      Revoke
    </button>
  );
}

/** Resets a user's password to a generated one, shown here once; their sessions end. */
export function ResetPasswordButton({ userId, email }: { userId: string; email: string }) {
  const [pending, start] = useTransition();
  const [result, setResult] = useState<{ password?: string; error?: string }>({});
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`Reset password of ${email}`}
        onClick={() => {
          if (!window.confirm(`Give ${email} a new generated password? Their sessions end.`)) return;
          start(async () => setResult(await resetPasswordAction(userId)));
        }}
        className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
      >
        Reset password
      </button>
      {result.password && (
        <input readOnly value={result.password} aria-label={`New password of ${email}`} data-testid="reset-password" className="w-44 rounded border border-emerald-200 bg-emerald-50 px-2 py-1 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
      )}
      {result.error && <span className="text-xs text-red-700">{result.error}</span>}
    </span>
  );
}

/** Ends every browser session of the user. */
export function EndSessionsButton({ userId, email }: { userId: string; email: string }) {
  const [pending, start] = useTransition();
  const [note, setNote] = useState<string>();
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`Sign ${email} out everywhere`}
        onClick={() => start(async () => setNote((await endSessionsAction(userId)).error ?? "signed out"))}
        className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
      >
        Sign out everywhere
      </button>
      {note && <span className="text-xs text-slate-500">{note}</span>}
    </span>
  );
}
