"use client";

import { useTransition } from "react";
import { setExclusionAction } from "../../actions";

export function ExcludeButton({ projectId, userId, excluded, email }: { projectId: string; userId: string; excluded: boolean; email: string }) {
  const [pending, start] = useTransition();
  return (
    <button
      type="button"
      disabled={pending}
      aria-label={`${excluded ? "Include" : "Exclude"} ${email}`}
      onClick={() => start(() => setExclusionAction(projectId, userId, !excluded))}
      className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
    >
      {excluded ? "Include again" : "Exclude"}
    </button>
  );
}
