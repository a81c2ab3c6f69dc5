"use client";

// A running round followed live: its status, the running phase's progress and time left,
// and its charts (round-charts.tsx), fed by GET /api/v1/rounds/:id/events (server-sent
// events). When the round finishes the page re-reads its tables.
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { phaseProgress, phaseStartedAt } from "@/lib/rounds/phase-progress";
import { PhaseProgressBar } from "./phase-progress";
import { RoundCharts } from "./round-charts";

type Metric = { id: number; phase: string; step: number; name: string; value: number };
type Status = { status: string; phase: string | null; error: string | null };

/** `serverNow`: the server's clock when the page was rendered (time left is reckoned on it). */
export function LiveRound({ roundId, number, initial, serverNow }: { roundId: string; number: number; initial: Status; serverNow: number }) {
  const router = useRouter();
  const [status, setStatus] = useState<Status>(initial);
  const [metrics, setMetrics] = useState<Metric[]>([]);
  const [clockOffsetMs] = useState(() => serverNow - Date.now());
  const [phaseStart, setPhaseStart] = useState<{ phase: string; at: number | null } | null>(null);
  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    // EventSource reconnects by itself after a dropped connection, but not after an error
    // answer (a 503 when the server has as many streams open as it serves, or a proxy's
    // 502 while the web process restarts): then open it again after a while. The stream
    // starts over with everything so far; metrics already shown are skipped by id.
    const open = () => {
      const s = new EventSource(`/api/v1/rounds/${roundId}/events`);
      source = s;
      s.addEventListener("metrics", (e) => {
        const { metrics: fresh } = JSON.parse((e as MessageEvent).data) as { metrics: Metric[] };
        setMetrics((old) => [...old, ...fresh.filter((m) => !old.some((o) => o.id === m.id))]);
      });
      s.addEventListener("status", (e) => {
        const st = JSON.parse((e as MessageEvent).data) as Status;
        setStatus(st);
        if (st.status === "succeeded" || st.status === "failed" || st.status === "cancelled") {
          finished = true;
          s.close();
          router.refresh();
        }
      });
      s.addEventListener("error", () => {
        if (finished || s.readyState !== EventSource.CLOSED) return;
        retry = setTimeout(open, 5_000 + Math.random() * 10_000);
      });
    };
    open();
    return () => {
      finished = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [roundId, router]);
  // When the running phase began, from the times of the round's metrics (the stream has none)
  const runningPhase = status.status === "running" ? status.phase : null;
  useEffect(() => {
    if (!runningPhase) return;
    let live = true;
    fetch(`/api/v1/rounds/${roundId}`)
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`HTTP ${res.status}`))))
      .then((view: { startedAt: string | null; history: (Metric & { at: string })[] }) => {
        if (live) setPhaseStart({ phase: runningPhase, at: phaseStartedAt(view.history, runningPhase, view.startedAt) });
      })
      .catch(() => live && setPhaseStart({ phase: runningPhase, at: null }));
    return () => {
      live = false;
    };
  }, [roundId, runningPhase]);
  return (
    <section className="space-y-2" data-testid="live-round">
      <h2 className="font-medium">
        Round {number}: <span data-testid="live-status">{status.status}</span>
        {status.phase ? ` · ${status.phase}` : ""}
      </h2>
      {status.error && <p className="text-sm text-red-700">{status.error}</p>}
      {runningPhase && (
        <PhaseProgressBar
          phase={runningPhase}
          progress={phaseProgress(metrics, runningPhase)}
          startedAt={phaseStart?.phase === runningPhase ? phaseStart.at : null}
          clockOffsetMs={clockOffsetMs}
        />
      )}
      <RoundCharts
        rounds={[{ number, metrics }]}
        empty={status.status === "queued" || status.status === "running" ? <p className="text-sm text-slate-500">Waiting for the first metrics…</p> : null}
      />
    </section>
  );
}
