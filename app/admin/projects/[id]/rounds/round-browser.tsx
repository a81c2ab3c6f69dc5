"use client";

// Past rounds browsed and compared: pick one round to see its charts, or several to overlay
// them (the same metric's lines in one chart, a legend by round). Each round's metrics come
// once from GET /api/v1/rounds/:id; a round still queued or running is read again every few
// seconds while it is picked.
import { useCallback, useEffect, useRef, useState } from "react";
import type { MetricPoint, RoundMetrics } from "@/lib/rounds/metric-charts";
import { RoundCharts } from "./round-charts";

export type BrowsableRound = { id: string; number: number; status: string };
type Loaded = { status: string; metrics: MetricPoint[] };

const REFRESH_MS = 5000;
const ACTIVE = new Set(["queued", "running"]);

export function RoundBrowser({ rounds, initiallyPicked }: { rounds: BrowsableRound[]; initiallyPicked: string[] }) {
  const [picked, setPicked] = useState<string[]>(initiallyPicked);
  const [loaded, setLoaded] = useState<Record<string, Loaded>>({});
  const [error, setError] = useState<string | null>(null);

  const inFlight = useRef(new Set<string>());
  const load = useCallback(async (id: string) => {
    if (inFlight.current.has(id)) return;
    inFlight.current.add(id);
    try {
      const res = await fetch(`/api/v1/rounds/${id}`, { cache: "no-store" });
      if (!res.ok) throw new Error(`Round ${id}: HTTP ${res.status}`);
      const view = (await res.json()) as { status: string; history: MetricPoint[] };
      setLoaded((old) => ({ ...old, [id]: { status: view.status, metrics: view.history } }));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      inFlight.current.delete(id);
    }
  }, []);
  useEffect(() => {
    for (const id of picked) if (!loaded[id]) void load(id);
  }, [picked, loaded, load]);
  // picked rounds that may still change, as one string so the timer survives unrelated updates
  const active = picked.filter((id) => loaded[id] && ACTIVE.has(loaded[id].status)).join(",");
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => active.split(",").forEach((id) => void load(id)), REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, load]);

  const toggle = (id: string, on: boolean) => setPicked((old) => (on ? [...old, id] : old.filter((x) => x !== id)));
  const shown: RoundMetrics[] = rounds
    .filter((r) => picked.includes(r.id) && loaded[r.id])
    .map((r) => ({ number: r.number, metrics: loaded[r.id]!.metrics }))
    .sort((a, b) => a.number - b.number);
  return (
    <section className="space-y-3" data-testid="round-browser">
      <h2 className="font-medium">Browse and compare rounds</h2>
      <fieldset className="flex flex-wrap gap-x-4 gap-y-1">
        <legend className="mb-1 text-xs text-slate-500">Pick a round to see its charts, or several to overlay them</legend>
        {rounds.map((r) => (
          <label key={r.id} className="flex items-center gap-1 text-sm">
            <input type="checkbox" checked={picked.includes(r.id)} onChange={(e) => toggle(r.id, e.target.checked)} />
            Round {r.number} <span className="text-slate-500">({r.status})</span>
          </label>
        ))}
      </fieldset>
      {error && <p className="text-sm text-red-700">{error}</p>}
      {picked.length > 0 && <RoundCharts rounds={shown} empty={<p className="text-sm text-slate-500">No metrics for the rounds picked yet.</p>} />}
    </section>
  );
}
