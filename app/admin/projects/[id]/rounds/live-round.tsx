"use client";

// A running round followed live: its status and a chart of its reward-model losses and
// accuracy per epoch, fed by GET /api/v1/rounds/:id/events (server-sent events). When the
// round finishes the page re-reads its tables.
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

type Metric = { id: number; phase: string; step: number; name: string; value: number };
type Status = { status: string; phase: string | null; error: string | null };

type Series = readonly (readonly [name: string, color: string])[];

const REWARD_MODEL: Series = [
  ["train/loss", "#2456d6"],
  ["val/loss", "#d97706"],
  ["val/accuracy", "#059669"],
];
const POLICY: Series = [
  ["env/reward_mean", "#059669"],
  ["objective/kl", "#dc2626"],
];

function Chart({ metrics, phase, series, label, unit }: { metrics: Metric[]; phase: string; series: Series; label: string; unit: string }) {
  const W = 480, H = 160, pad = 24;
  const points = series.map(([name]) => metrics.filter((m) => m.phase === phase && m.name === name).sort((a, b) => a.step - b.step));
  const all = points.flat();
  if (all.length === 0) return phase === "reward_model" ? <p className="text-sm text-slate-500">Waiting for the first epoch…</p> : null;
  const maxStep = Math.max(1, ...all.map((m) => m.step));
  const minValue = Math.min(0, ...all.map((m) => m.value));
  const maxValue = Math.max(1, ...all.map((m) => m.value));
  const x = (step: number) => pad + ((W - 2 * pad) * (step - 1)) / Math.max(1, maxStep - 1);
  const y = (v: number) => H - pad - ((H - 2 * pad) * (v - minValue)) / (maxValue - minValue);
  return (
    <figure className="space-y-1">
      <svg viewBox={`0 0 ${W} ${H}`} className="w-full max-w-xl rounded border border-slate-200 bg-white" role="img" aria-label={label}>
        <line x1={pad} y1={H - pad} x2={W - pad} y2={H - pad} stroke="#cbd5e1" />
        <line x1={pad} y1={pad} x2={pad} y2={H - pad} stroke="#cbd5e1" />
        <text x={4} y={pad} fontSize="10" fill="#64748b">
          {maxValue.toFixed(2)}
        </text>
        {points.map((line, k) => (
          <polyline key={k} fill="none" stroke={series[k]![1]} strokeWidth="2" points={line.map((m) => `${x(m.step)},${y(m.value)}`).join(" ")} />
        ))}
      </svg>
      <figcaption className="flex flex-wrap gap-3 text-xs">
        {series.map(([name, color]) => (
          <span key={name} style={{ color }}>
            ■ {name}
          </span>
        ))}
        <span className="text-slate-500">by {unit}</span>
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
      <Chart metrics={metrics} phase="reward_model" series={REWARD_MODEL} label="Reward-model metrics per epoch" unit="epoch" />
      <Chart metrics={metrics} phase="policy" series={POLICY} label="PPO reward and KL per iteration" unit="PPO iteration" />
    </section>
  );
}
