"use client";

// A running round followed live: its status and a chart of its reward-model losses and
// accuracy per epoch, fed by GET /api/v1/rounds/:id/events (server-sent events). When the
// round finishes the page re-reads its tables.
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

type Metric = { id: number; phase: string; step: number; name: string; value: number };
type Status = { status: string; phase: string | null; error: string | null };

const SERIES = [
  ["train/loss", "#2456d6"],
  ["val/loss", "#d97706"],
  ["val/accuracy", "#059669"],
] as const;

function Chart({ metrics }: { metrics: Metric[] }) {
  const W = 480, H = 160, pad = 24;
  const points = SERIES.map(([name]) => metrics.filter((m) => m.phase === "reward_model" && m.name === name).sort((a, b) => a.step - b.step));
  const all = points.flat();
  if (all.length === 0) return <p className="text-sm text-slate-500">Waiting for the first epoch…</p>;
  const maxStep = Math.max(1, ...all.map((m) => m.step));
  const maxValue = Math.max(1, ...all.map((m) => m.value));
  const x = (step: number) => pad + ((W - 2 * pad) * (step - 1)) / Math.max(1, maxStep - 1);
  const y = (v: number) => H - pad - ((H - 2 * pad) * v) / maxValue;
  return (
    <figure className="space-y-1">
      <svg viewBox={`0 0 ${W} ${H}`} className="w-full max-w-xl rounded border border-slate-200 bg-white" role="img" aria-label="Reward-model metrics per epoch">
        <line x1={pad} y1={H - pad} x2={W - pad} y2={H - pad} stroke="#cbd5e1" />
        <line x1={pad} y1={pad} x2={pad} y2={H - pad} stroke="#cbd5e1" />
        <text x={4} y={pad} fontSize="10" fill="#64748b">
          {maxValue.toFixed(2)}
        </text>
        {points.map((series, k) => (
          <polyline key={k} fill="none" stroke={SERIES[k]![1]} strokeWidth="2" points={series.map((m) => `${x(m.step)},${y(m.value)}`).join(" ")} />
        ))}
      </svg>
      <figcaption className="flex flex-wrap gap-3 text-xs">
        {SERIES.map(([name, color]) => (
          <span key={name} style={{ color }}>
            ■ {name}
          </span>
        ))}
        <span className="text-slate-500">by epoch</span>
      </figcaption>
    </figure>
  );
}

export function LiveRound({ roundId, number, initial }: { roundId: string; number: number; initial: Status }) {
  const router = useRouter();
  const [status, setStatus] = useState<Status>(initial);
  const [metrics, setMetrics] = useState<Metric[]>([]);
  useEffect(() => {
    const source = new EventSource(`/api/v1/rounds/${roundId}/events`);
    source.addEventListener("metrics", (e) => {
      const { metrics: fresh } = JSON.parse((e as MessageEvent).data) as { metrics: Metric[] };
      setMetrics((old) => [...old, ...fresh.filter((m) => !old.some((o) => o.id === m.id))]);
    });
    source.addEventListener("status", (e) => {
      const s = JSON.parse((e as MessageEvent).data) as Status;
      setStatus(s);
      if (s.status === "succeeded" || s.status === "failed" || s.status === "cancelled") {
        source.close();
        router.refresh();
      }
    });
    return () => source.close();
  }, [roundId, router]);
  return (
    <section className="space-y-2" data-testid="live-round">
      <h2 className="font-medium">
        Round {number}: <span data-testid="live-status">{status.status}</span>
        {status.phase ? ` · ${status.phase}` : ""}
      </h2>
      {status.error && <p className="text-sm text-red-700">{status.error}</p>}
      <Chart metrics={metrics} />
    </section>
  );
}
