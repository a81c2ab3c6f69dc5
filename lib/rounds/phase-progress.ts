// How far the running phase has got and how long it has left. The trainer reports progress
// as metrics `progress/done` and `progress/total` under the current phase, at increasing
// steps; the time left extrapolates the phase's pace so far:
//   left = elapsed in phase × (total − done) / done.
import type { MetricPoint } from "./metric-charts";

export const PROGRESS_DONE = "progress/done";
export const PROGRESS_TOTAL = "progress/total";

export type PhaseProgress = { done: number; total: number };

/** The phase's latest progress (each name at its highest step), or null before the first report. */
export function phaseProgress(metrics: readonly MetricPoint[], phase: string): PhaseProgress | null {
  let done: MetricPoint | undefined;
  let total: MetricPoint | undefined;
  for (const m of metrics) {
    if (m.phase !== phase) continue;
    if (m.name === PROGRESS_DONE && (!done || m.step >= done.step)) done = m;
    if (m.name === PROGRESS_TOTAL && (!total || m.step >= total.step)) total = m;
  }
  if (!done || !total || !(total.value > 0)) return null;
  return { done: Math.min(Math.max(done.value, 0), total.value), total: total.value };
}

/**
 * When the phase began, from the round's history (metrics in the order written, with their
 * times): the last metric another phase wrote before this phase's first one (phases run one
 * after another, and each reports as it finishes), else the round's start. Null when neither
 * is known.
 */
export function phaseStartedAt(history: readonly (MetricPoint & { at: string })[], phase: string, roundStartedAt: string | null): number | null {
  let before: string | null = null;
  for (const m of history) {
    if (m.phase === phase) break;
    before = m.at;
  }
  const at = before ?? roundStartedAt;
  return at === null ? null : Date.parse(at);
}

/** Seconds left at the pace so far, or null until some of the work is done. */
export function secondsLeft(elapsedMs: number, p: PhaseProgress): number | null {
  if (!(p.done > 0) || elapsedMs < 0) return null;
  return ((elapsedMs / 1000) * (p.total - p.done)) / p.done;
}

/** "1 h 05 min", "4 min 10 s", "35 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${s} s`;
}
