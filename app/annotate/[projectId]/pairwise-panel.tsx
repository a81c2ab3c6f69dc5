"use client";

import { SafeMarkdown } from "@/app/components/safe-markdown";
import type { Task } from "./task-client";

/** The five-point scale; keys 1–5. `strength` follows API.md (1–3): "better" 2, "much better" 3. */
export const PAIRWISE_VERDICTS = [
  { key: "1", id: "A++", label: "A much better", winner: 0, strength: 3 },
  { key: "2", id: "A+", label: "A better", winner: 0, strength: 2 },
  { key: "3", id: "tie", label: "Tie", winner: null, strength: undefined },
  { key: "4", id: "B+", label: "B better", winner: 1, strength: 2 },
  { key: "5", id: "B++", label: "B much better", winner: 1, strength: 3 },
] as const;
export type PairwiseVerdictId = (typeof PAIRWISE_VERDICTS)[number]["id"];
export type CriterionVerdict = "A" | "tie" | "B";

export function PairwisePanel(props: {
  task: Task;
  verdict: PairwiseVerdictId | null;
  onVerdict: (v: PairwiseVerdictId) => void;
  bothBad: boolean;
  onBothBad: () => void;
  allowTies: boolean;
  criteria: string[];
  criteriaVerdicts: Record<string, CriterionVerdict>;
  onCriterion: (name: string, v: CriterionVerdict) => void;
}) {
  const [a, b] = props.task.responses;
  return (
    <div className="space-y-4">
      <div className="grid min-w-0 gap-3 md:grid-cols-2">
        {[a, b].map((r, i) => (
          <article key={r!.id} aria-label={`Response ${"AB"[i]}`} className="min-w-0 rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
            <div className="mb-1 text-xs font-semibold text-slate-500">Response {"AB"[i]}</div>
            <SafeMarkdown text={r!.text} />
          </article>
        ))}
      </div>
      <div role="radiogroup" aria-label="Verdict" className="flex flex-wrap gap-2">
        {PAIRWISE_VERDICTS.filter((v) => props.allowTies || v.id !== "tie").map((v) => (
          <button
            key={v.id}
            type="button"
            role="radio"
            aria-checked={props.verdict === v.id}
            onClick={() => props.onVerdict(v.id)}
            className={`rounded-md border px-3 py-2 text-sm ${props.verdict === v.id ? "border-brand-600 bg-brand-600 text-white" : "border-slate-300 bg-white hover:bg-slate-100"}`}
          >
            <kbd className="mr-1 text-xs opacity-70">{v.key}</kbd>
            {v.label}
          </button>
        ))}
        <button
          type="button"
          aria-pressed={props.bothBad}
          onClick={props.onBothBad}
          className={`rounded-md border px-3 py-2 text-sm ${props.bothBad ? "border-red-600 bg-red-600 text-white" : "border-slate-300 bg-white hover:bg-slate-100"}`}
        >
          <kbd className="mr-1 text-xs opacity-70">b</kbd>Both bad
        </button>
      </div>
      {props.criteria.length > 0 && (
        <div className="space-y-2 rounded-lg border border-slate-200 bg-white p-3">
          <div className="text-xs font-medium uppercase text-slate-500">Per criterion (optional)</div>
          {props.criteria.map((name) => (
            <div key={name} role="radiogroup" aria-label={`Criterion ${name}`} className="flex flex-wrap items-center gap-2 text-sm">
              <span className="w-28 shrink-0">{name}</span>
              {(["A", "tie", "B"] as const).map((v) => (
                <button
                  key={v}
                  type="button"
                  role="radio"
                  aria-checked={props.criteriaVerdicts[name] === v}
                  onClick={() => props.onCriterion(name, v)}
                  className={`rounded border px-2 py-1 ${props.criteriaVerdicts[name] === v ? "border-brand-600 bg-brand-50" : "border-slate-300"}`}
                >
                  {v === "tie" ? "same" : `${v} better`}
                </button>
              ))}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
