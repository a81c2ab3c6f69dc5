"use client";

import { useActionState } from "react";
import { startRoundAction, type StartState } from "./actions";

export function StartRoundForm({ projectId, baseModels, defaultEpochs }: { projectId: string; baseModels: string[]; defaultEpochs: number }) {
  const [state, action, pending] = useActionState<StartState, FormData>(startRoundAction.bind(null, projectId), {});
  return (
    <form action={action} className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <label className="text-sm">
        <span className="block text-xs text-slate-500">Base model</span>
        <select name="baseModel" className="rounded-md border border-slate-300 px-2 py-1">
          <option value="">Arbiter small (from scratch)</option>
          {baseModels.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label className="text-sm">
        <span className="block text-xs text-slate-500">Reward-model epochs</span>
        <input name="epochs" type="number" min={1} max={100} defaultValue={defaultEpochs} className="w-24 rounded-md border border-slate-300 px-2 py-1" />
      </label>
      <label className="text-sm">
        <span className="block text-xs text-slate-500">Phases</span>
        <select name="plan" className="rounded-md border border-slate-300 px-2 py-1">
          <option value="">the project&apos;s round settings</option>
          <option value="reward_model">reward model only</option>
          <option value="rlhf">reward model → PPO → evaluation → new answers (from the SFT model)</option>
          <option value="full">SFT → reward model → PPO → evaluation → new answers</option>
        </select>
      </label>
      <button type="submit" disabled={pending} className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700 disabled:opacity-50">
        {pending ? "Starting…" : "Start a round"}
      </button>
      {state.error && <p role="alert" className="w-full text-sm text-red-700">{state.error}</p>}
      {state.message && <p role="status" className="w-full text-sm text-green-700">{state.message}</p>}
    </form>
  );
}
