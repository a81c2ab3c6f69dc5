"use client";

import { useState, useTransition } from "react";
import { removeMemberAction } from "./remove-member-action";

/** Removes a member after a confirmation: their access ends, their leases are released, their judgments stay. */
export function RemoveMemberButton({ projectId, userId, email }: { projectId: string; userId: string; email: string }) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | undefined>();
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`Remove ${email}`}
        onClick={() => {
          if (!window.confirm(`Remove ${email} from this project? Their judgments stay.`)) return;
          start(async () => setError((await removeMemberAction(projectId, userId)).error));
        }}
        className="rounded-md border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 disabled:opacity-50"
      >
        {pending ? "Removing…" : "Remove"}
      </button>
      {error && <span role="alert" className="text-xs text-red-700">{error}</span>}
    </span>
  );
}
