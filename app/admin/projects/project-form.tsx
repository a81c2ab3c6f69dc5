"use client";

import { useActionState, useState } from "react";
import type { FormState } from "./actions";

export type ProjectFormValues = {
  name: string;
  instructions: string;
  mode: "pairwise" | "kwise";
  k: number;
  redundancy: number;
  criteria: string[];
  allowTies: boolean;
  requireRationale: boolean;
  goldRate: number;
  leaseSeconds: number;
  roundThreshold: number | null;
  qualityBar: { minMajorityAgreement?: number; minGoldAccuracy?: number; minEvidence?: number };
};

export const NEW_PROJECT: ProjectFormValues = {
  name: "",
  instructions: "",
  mode: "pairwise",
  k: 4,
  redundancy: 1,
  criteria: [],
  allowTies: true,
  requireRationale: false,
  goldRate: 0,
  leaseSeconds: 600,
  roundThreshold: null,
  qualityBar: {},
};

const input = "mt-1 w-full rounded-md border border-slate-300 px-3 py-2";

export function ProjectForm(props: {
  action: (prev: FormState, form: FormData) => Promise<FormState>;
  initial: ProjectFormValues;
  submitLabel: string;
  modeLocked?: boolean;
}) {
  const [state, action, pending] = useActionState(props.action, {});
  const [mode, setMode] = useState(props.initial.mode);
  const v = props.initial;
  return (
    <form action={action} className="space-y-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <label className="block text-sm">
        <span className="font-medium">Name</span>
        <input name="name" required defaultValue={v.name} className={input} />
      </label>
      <label className="block text-sm">
        <span className="font-medium">Instructions (markdown)</span>
        <textarea name="instructions" rows={5} defaultValue={v.instructions} className={input} />
      </label>
      <div className="grid gap-4 sm:grid-cols-3">
        <label className="block text-sm">
          <span className="font-medium">Mode</span>
          <select name="mode" value={mode} disabled={props.modeLocked} onChange={(e) => setMode(e.target.value as "pairwise" | "kwise")} className={input}>
            <option value="pairwise">pairwise (A / B)</option>
            <option value="kwise">k-wise ranking</option>
          </select>
          {props.modeLocked && <input type="hidden" name="mode" value={mode} />}
        </label>
        {mode === "kwise" && (
          <label className="block text-sm">
            <span className="font-medium">k (responses ranked)</span>
            <input name="k" type="number" min={3} max={9} defaultValue={v.k > 2 ? v.k : 4} readOnly={props.modeLocked} className={input} />
          </label>
        )}
        <label className="block text-sm">
          <span className="font-medium">Redundancy (judgments per comparison)</span>
          <input name="redundancy" type="number" min={1} max={20} defaultValue={v.redundancy} className={input} />
        </label>
        <label className="block text-sm">
          <span className="font-medium">Criteria (comma separated)</span>
          <input name="criteria" defaultValue={v.criteria.join(", ")} placeholder="helpful, harmless, honest" className={input} />
        </label>
        <label className="block text-sm">
          <span className="font-medium">Gold rate (% of tasks)</span>
          <input name="goldPercent" type="number" min={0} max={100} step={1} defaultValue={Math.round(v.goldRate * 100)} className={input} />
        </label>
        <label className="block text-sm">
          <span className="font-medium">Lease (seconds)</span>
          <input name="leaseSeconds" type="number" min={30} max={86400} defaultValue={v.leaseSeconds} className={input} />
        </label>
        <label className="block text-sm">
          <span className="font-medium">Auto-round threshold (new judgments)</span>
          <input name="roundThreshold" type="number" min={1} defaultValue={v.roundThreshold ?? ""} placeholder="never" className={input} />
        </label>
      </div>
      <fieldset className="grid gap-4 sm:grid-cols-3">
        <legend className="mb-1 text-sm font-medium">Quality bar (annotators below it are flagged)</legend>
        <label className="block text-sm">
          <span>Agreement with the majority below (%)</span>
          <input name="minMajorityPercent" type="number" min={0} max={100} defaultValue={Math.round((v.qualityBar.minMajorityAgreement ?? 0.5) * 100)} className={input} />
        </label>
        <label className="block text-sm">
          <span>Gold accuracy below (%)</span>
          <input name="minGoldPercent" type="number" min={0} max={100} defaultValue={Math.round((v.qualityBar.minGoldAccuracy ?? 0.6) * 100)} className={input} />
        </label>
        <label className="block text-sm">
          <span>Once evidence reaches (response pairs)</span>
          <input name="minEvidence" type="number" min={1} defaultValue={v.qualityBar.minEvidence ?? 10} className={input} />
        </label>
      </fieldset>
      <div className="flex flex-wrap gap-6 text-sm">
        <label className="flex items-center gap-2">
          <input type="checkbox" name="allowTies" defaultChecked={v.allowTies} /> Ties allowed
        </label>
        <label className="flex items-center gap-2">
          <input type="checkbox" name="requireRationale" defaultChecked={v.requireRationale} /> Rationale required
        </label>
      </div>
      {state.error && (
        <p role="alert" data-testid="form-error" className="text-sm text-red-700">
          {state.error}
        </p>
      )}
      {state.message && <p className="text-sm text-emerald-700">{state.message}</p>}
      <button type="submit" disabled={pending} className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
        {pending ? "Saving…" : props.submitLabel}
      </button>
    </form>
  );
}
