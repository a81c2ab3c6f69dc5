"use client";

import { useState, useTransition } from "react";
import { cancelRoundAction } from "./cancel-round-action";

/** Queued rounds stop at once; running ones at their trainer's next step boundary ("Stopping…" meanwhile). */
export function CancelRoundButton({ projectId, roundId, number, requested }: { projectId: string; roundId: string; number: number; requested: boolean }) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | undefined>();
  if (requested) return <span className="text-xs text-slate-500">Stopping…</span>;
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`Cancel round ${number}`}
        onClick={() => start(async () => setError((await cancelRoundAction(projectId, roundId)).error))}
        className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100 disabled:opacity-50"
      >
        {pending ? "Cancelling…" : "Cancel"}
      </button>
      {error && <span role="alert" className="text-xs text-red-700">{error}</span>}
    </span>
  );
}
