"use client";

// The running phase's progress bar and time left (lib/rounds/phase-progress.ts), ticking
// every second between the trainer's reports.
import { useEffect, useState } from "react";
import { formatDuration, secondsLeft, type PhaseProgress } from "@/lib/rounds/phase-progress";

const PHASE_LABEL: Record<string, string> = {
  sft: "supervised fine-tuning",
  reward_model: "reward model",
  policy: "PPO",
  evaluate: "evaluation",
  generate: "new responses",
};

export function phaseLabel(phase: string): string {
  return PHASE_LABEL[phase] ?? phase;
}

/**
 * `startedAt` is on the server's clock (metric times); `clockOffsetMs` is how far the server's
 * clock is ahead of this browser's, so the elapsed time does not depend on the browser's clock.
 */
export function PhaseProgressBar({ phase, progress, startedAt, clockOffsetMs }: { phase: string; progress: PhaseProgress | null; startedAt: number | null; clockOffsetMs: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const label = phaseLabel(phase);
  if (!progress) return <p className="text-sm text-slate-600" data-testid="phase-progress">Phase: {label}</p>;
  const pct = Math.round((100 * progress.done) / progress.total);
  const left = startedAt === null ? null : secondsLeft(now + clockOffsetMs - startedAt, progress);
  return (
    <div className="max-w-xl space-y-1" data-testid="phase-progress">
      <div className="flex flex-wrap justify-between gap-2 text-sm">
        <span>
          Phase: {label} · {progress.done} / {progress.total} ({pct}%)
        </span>
        <span className="text-slate-600" data-testid="phase-eta">
          {left === null ? "estimating time left…" : `about ${formatDuration(left)} left`}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={`Progress of the ${label} phase`}
        aria-valuemin={0}
        aria-valuemax={progress.total}
        aria-valuenow={progress.done}
        className="h-2 overflow-hidden rounded bg-slate-200"
      >
        <div className="h-full bg-brand-600 transition-[width]" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
