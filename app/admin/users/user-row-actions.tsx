"use client";

import { useState, useTransition } from "react";
import { revokeInviteAction, setDisabledAction } from "./actions";

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
