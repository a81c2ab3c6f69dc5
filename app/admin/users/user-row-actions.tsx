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

/**
 * Resets a user's password to a generated one, shown here once; their sessions end. For an
 * admin, the acting admin types their own password first (the server refuses without it).
 */
export function ResetPasswordButton({ userId, email, needsYourPassword }: { userId: string; email: string; needsYourPassword: boolean }) {
  const [pending, start] = useTransition();
  const [asking, setAsking] = useState(false);
  const [result, setResult] = useState<{ password?: string; error?: string }>({});
  const reset = (currentPassword?: string) => start(async () => setResult(await resetPasswordAction(userId, currentPassword)));
  return (
    <span className="inline-flex items-center gap-2">
      {asking ? (
        <form
          className="inline-flex items-center gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            const mine = new FormData(e.currentTarget).get("currentPassword");
            setAsking(false);
            reset(typeof mine === "string" ? mine : "");
          }}
        >
          <input
            type="password"
            name="currentPassword"
            required
            autoFocus
            autoComplete="current-password"
            placeholder="Your password"
            aria-label={`Your password, to reset the password of ${email}`}
            className="w-36 rounded border border-slate-300 px-2 py-1 text-xs"
          />
          <button type="submit" disabled={pending} className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100">
            Reset
          </button>
        </form>
      ) : (
        <button
          type="button"
          disabled={pending}
          aria-label={`Reset password of ${email}`}
          onClick={() => {
            if (!window.confirm(`Give ${email} a new generated password? Their sessions end.`)) return;
            if (needsYourPassword) setAsking(true);
            else reset();
          }}
          className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
        >
          Reset password
        </button>
      )}
      {result.password && (
        <input readOnly value={result.password} aria-label={`New password of ${email}`} data-testid="reset-password" className="w-44 rounded border border-emerald-200 bg-emerald-50 px-2 py-1 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
      )}
      {result.error && <span className="text-xs text-red-700">{result.error}</span>}
    </span>
  );
}

/** Ends every browser session of the user and revokes their API tokens. */
export function EndSessionsButton({ userId, email }: { userId: string; email: string }) {
  const [pending, start] = useTransition();
  const [note, setNote] = useState<string>();
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`Sign ${email} out everywhere`}
        onClick={() => start(async () => setNote((await endSessionsAction(userId)).error ?? "signed out, tokens revoked"))}
        className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
      >
        Sign out everywhere
      </button>
      {note && <span className="text-xs text-slate-500">{note}</span>}
    </span>
  );
}
