// What the rounds page charts: round metrics (phase, step, name, value) grouped into one chart
// per quantity an admin watches, and turned into rows a charting library draws (one row per
// step, one column per series). With several rounds the same metric's lines share a chart,
// one series per round. Pure: the page's client components and the tests use it.

export type MetricPoint = { phase: string; step: number; name: string; value: number };
export type RoundMetrics = { number: number; metrics: MetricPoint[] };

export type SeriesSpec = { name: string; label: string; axis?: "left" | "right" };

export type MetricGroup = {
  id: string;
  /** the chart's accessible name and caption */
  title: string;
  phase: string;
  /** what a step is in this phase */
  stepLabel: string;
  /** the metrics drawn; "all" draws every metric the phase reported (evaluation's names vary) */
  series: readonly SeriesSpec[] | "all";
};

/** Metrics that report progress, not results: shown as the phase's progress bar, never charted. */
export const PROGRESS_PREFIX = "progress/";

export const METRIC_GROUPS: readonly MetricGroup[] = [
  {
    id: "sft",
    title: "SFT loss and perplexity per epoch",
    phase: "sft",
    stepLabel: "epoch",
    series: [
      { name: "train/loss", label: "train loss" },
      { name: "val/loss", label: "validation loss" },
      { name: "val/perplexity", label: "validation perplexity", axis: "right" },
    ],
  },
  {
    id: "reward_model",
    title: "Reward-model metrics per epoch",
    phase: "reward_model",
    stepLabel: "epoch",
    series: [
      { name: "val/accuracy", label: "validation accuracy", axis: "right" },
      { name: "train/loss", label: "train loss" },
      { name: "val/loss", label: "validation loss" },
    ],
  },
  {
    id: "reward",
    title: "PPO reward per iteration",
    phase: "policy",
    stepLabel: "PPO iteration",
    series: [
      { name: "env/reward_mean", label: "reward (normalised)" },
      { name: "env/reward_raw_mean", label: "reward (raw score)", axis: "right" },
    ],
  },
  {
    id: "kl",
    title: "KL to the reference and its coefficient",
    phase: "policy",
    stepLabel: "PPO iteration",
    series: [
      { name: "objective/kl", label: "KL" },
      { name: "objective/kl_coef", label: "KL coefficient β", axis: "right" },
    ],
  },
  { id: "entropy", title: "Policy entropy", phase: "policy", stepLabel: "PPO iteration", series: [{ name: "policy/entropy", label: "entropy" }] },
  { id: "clipfrac", title: "Clip fraction", phase: "policy", stepLabel: "PPO iteration", series: [{ name: "policy/clipfrac", label: "clip fraction" }] },
  { id: "value_loss", title: "Value loss", phase: "policy", stepLabel: "PPO iteration", series: [{ name: "loss/value", label: "value loss" }] },
  { id: "length", title: "Response length", phase: "policy", stepLabel: "PPO iteration", series: [{ name: "response/length", label: "tokens per response" }] },
  { id: "evaluate", title: "Evaluation", phase: "evaluate", stepLabel: "step", series: "all" },
];

export type ChartSeries = {
  /** the row field holding this series' values */
  key: string;
  /** the legend's and tooltip's name */
  label: string;
  round: number;
  metric: string;
  /** the metric's own label, without the round */
  metricLabel: string;
  axis: "left" | "right";
  /** index of the round among those drawn, and of the metric within the group (colour and dash) */
  roundIndex: number;
  metricIndex: number;
};

export type ChartData = {
  group: MetricGroup;
  series: ChartSeries[];
  /** one row per step: { step, [series key]: value }; a series with no value at a step has no field */
  rows: Record<string, number>[];
  /** every series has at most one point: a line cannot show it, bars can */
  singleStep: boolean;
};

/** The group's metric names in the order drawn: its own list, or what the rounds reported. */
function specsOf(group: MetricGroup, rounds: readonly RoundMetrics[]): SeriesSpec[] {
  if (group.series !== "all") return [...group.series];
  const names = new Set<string>();
  for (const r of rounds) for (const m of r.metrics) if (m.phase === group.phase && !m.name.startsWith(PROGRESS_PREFIX)) names.add(m.name);
  return [...names].sort().map((name) => ({ name, label: name }));
}

/**
 * The chart of one group over one or more rounds, or null when none of them reported any of
 * its metrics. A metric reported twice at a step keeps its last value.
 */
export function chartData(group: MetricGroup, rounds: readonly RoundMetrics[]): ChartData | null {
  const specs = specsOf(group, rounds);
  const overlay = rounds.length > 1;
  const series: ChartSeries[] = [];
  const byStep = new Map<number, Record<string, number>>();
  let singleStep = true;
  rounds.forEach((round, roundIndex) => {
    specs.forEach((spec, metricIndex) => {
      const points = round.metrics.filter((m) => m.phase === group.phase && m.name === spec.name);
      if (points.length === 0) return;
      const key = `r${round.number}:${spec.name}`;
      series.push({ key, label: overlay ? `Round ${round.number} · ${spec.label}` : spec.label, round: round.number, metric: spec.name, metricLabel: spec.label, axis: spec.axis ?? "left", roundIndex, metricIndex });
      if (new Set(points.map((p) => p.step)).size > 1) singleStep = false;
      for (const p of points) {
        let row = byStep.get(p.step);
        if (!row) byStep.set(p.step, (row = { step: p.step }));
        row[key] = p.value;
      }
    });
  });
  if (series.length === 0) return null;
  // a right axis alone would leave the left one empty: draw everything on the left then
  if (series.every((s) => s.axis === "right")) for (const s of series) s.axis = "left";
  const rows = [...byStep.values()].sort((a, b) => a.step! - b.step!);
  return { group, series, rows, singleStep };
}

/** Every chart the rounds have data for, in the groups' order. */
export function chartsFor(rounds: readonly RoundMetrics[]): ChartData[] {
  return METRIC_GROUPS.map((g) => chartData(g, rounds)).filter((c): c is ChartData => c !== null);
}

/**
 * A chart whose series have one point each, as bars: one row per metric, one bar per round
 * (`r<number>` fields), e.g. an evaluation that reports once per round.
 */
export function barRows(chart: ChartData): { rows: (Record<string, number | string> & { metric: string })[]; rounds: number[] } {
  const rounds = [...new Set(chart.series.map((s) => s.round))];
  const byMetric = new Map<string, Record<string, number | string> & { metric: string }>();
  for (const s of chart.series) {
    const point = chart.rows.find((r) => r[s.key] !== undefined);
    if (!point) continue;
    let row = byMetric.get(s.metric);
    if (!row) byMetric.set(s.metric, (row = { metric: s.metricLabel }));
    row[`r${s.round}`] = point[s.key]!;
  }
  return { rows: [...byMetric.values()], rounds };
}
