"use client";

// The rounds page's charts (recharts): one per metric group of lib/rounds/metric-charts.ts,
// with axes, tooltips and a legend. One round: a colour per metric. Several rounds overlaid:
// a colour per round and a dash pattern per metric, the legend naming both.
import type { ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { barRows, chartsFor, type ChartData, type RoundMetrics } from "@/lib/rounds/metric-charts";

const COLORS = ["#2456d6", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
const DASHES = [undefined, "6 3", "2 3", "8 3 2 3"];
const HEIGHT = 260;

const numberFormat = new Intl.NumberFormat("en", { maximumSignificantDigits: 4 });
const fmt = (v: unknown): string => (typeof v === "number" ? numberFormat.format(v) : String(v ?? ""));

function Figure({ chart, children }: { chart: ChartData; children: ReactNode }) {
  return (
    <figure aria-label={chart.group.title} data-chart={chart.group.id} className="min-w-0 space-y-1 rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
      <figcaption className="text-sm font-medium text-slate-700">{chart.group.title}</figcaption>
      {children}
    </figure>
  );
}

function Lines({ chart }: { chart: ChartData }) {
  const overlay = new Set(chart.series.map((s) => s.round)).size > 1;
  const hasRight = chart.series.some((s) => s.axis === "right");
  const { stepLabel } = chart.group;
  return (
    <LineChart responsive style={{ width: "100%", height: HEIGHT }} data={chart.rows} margin={{ top: 5, right: 5, bottom: 5, left: 5 }}>
      <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
      <XAxis
        dataKey="step"
        type="number"
        domain={["dataMin", "dataMax"]}
        allowDecimals={false}
        tick={{ fontSize: 11 }}
        height={40}
        label={{ value: stepLabel, position: "insideBottom", fontSize: 11, fill: "#64748b" }}
      />
      <YAxis yAxisId="left" width={56} tick={{ fontSize: 11 }} tickFormatter={fmt} />
      {hasRight && <YAxis yAxisId="right" orientation="right" width={56} tick={{ fontSize: 11 }} tickFormatter={fmt} />}
      <Tooltip formatter={(v) => fmt(v)} labelFormatter={(step) => `${stepLabel} ${String(step)}`} />
      <Legend wrapperStyle={{ fontSize: 12 }} />
      {chart.series.map((s) => (
        <Line
          key={s.key}
          yAxisId={s.axis}
          dataKey={s.key}
          name={s.axis === "right" && hasRight ? `${s.label} (right axis)` : s.label}
          type="linear"
          stroke={COLORS[(overlay ? s.roundIndex : s.metricIndex) % COLORS.length]}
          strokeDasharray={overlay ? DASHES[s.metricIndex % DASHES.length] : undefined}
          strokeWidth={2}
          dot={chart.rows.length <= 40 ? { r: 2 } : false}
          connectNulls
          isAnimationActive={false}
        />
      ))}
    </LineChart>
  );
}

function Bars({ chart }: { chart: ChartData }) {
  const { rows, rounds } = barRows(chart);
  return (
    <BarChart responsive style={{ width: "100%", height: HEIGHT }} data={rows} margin={{ top: 5, right: 5, bottom: 5, left: 5 }}>
      <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
      <XAxis dataKey="metric" type="category" tick={{ fontSize: 11 }} interval={0} />
      <YAxis width={56} tick={{ fontSize: 11 }} tickFormatter={fmt} />
      <Tooltip formatter={(v) => fmt(v)} />
      <Legend wrapperStyle={{ fontSize: 12 }} />
      {rounds.map((r, i) => (
        <Bar key={r} dataKey={`r${r}`} name={`Round ${r}`} fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
      ))}
    </BarChart>
  );
}

/** Every chart the rounds have metrics for; nothing (or `empty`) before the first metric. */
export function RoundCharts({ rounds, empty }: { rounds: readonly RoundMetrics[]; empty?: ReactNode }) {
  const charts = chartsFor(rounds);
  if (charts.length === 0) return <>{empty ?? null}</>;
  return (
    <div className="grid gap-3 lg:grid-cols-2" data-testid="round-charts">
      {charts.map((chart) => (
        <Figure key={chart.group.id} chart={chart}>
          {/* an evaluation reports once per round: bars side by side; a training curve stays a line from its first point */}
          {chart.singleStep && chart.group.series === "all" ? <Bars chart={chart} /> : <Lines chart={chart} />}
        </Figure>
      ))}
    </div>
  );
}
