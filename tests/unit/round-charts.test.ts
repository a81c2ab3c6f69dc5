import { describe, expect, it } from "vitest";
import { barRows, chartData, chartsFor, METRIC_GROUPS, type MetricPoint } from "@/lib/rounds/metric-charts";
import { formatDuration, phaseProgress, phaseStartedAt, secondsLeft } from "@/lib/rounds/phase-progress";

const group = (id: string) => METRIC_GROUPS.find((g) => g.id === id)!;
const m = (phase: string, step: number, name: string, value: number): MetricPoint => ({ phase, step, name, value });

describe("round charts", () => {
  it("groups a round's metrics one chart per quantity, in a fixed order, leaving progress out", () => {
    const metrics = [
      m("reward_model", 1, "train/loss", 0.7),
      m("reward_model", 1, "val/accuracy", 0.6),
      m("policy", 1, "env/reward_mean", 0.1),
      m("policy", 1, "env/reward_raw_mean", 2.5),
      m("policy", 2, "env/reward_mean", 0.3),
      m("policy", 1, "objective/kl", 0.01),
      m("policy", 1, "progress/done", 1),
      m("evaluate", 1, "win_rate/sft", 0.55),
      m("evaluate", 1, "progress/total", 4),
    ];
    const charts = chartsFor([{ number: 1, metrics }]);
    expect(charts.map((c) => c.group.id)).toEqual(["reward_model", "reward", "kl", "evaluate"]);
    const reward = charts[1]!;
    expect(reward.rows).toEqual([
      { step: 1, "r1:env/reward_mean": 0.1, "r1:env/reward_raw_mean": 2.5 },
      { step: 2, "r1:env/reward_mean": 0.3 },
    ]);
    expect(reward.series.map((s) => [s.label, s.axis])).toEqual([
      ["reward (normalised)", "left"],
      ["reward (raw score)", "right"],
    ]);
    expect(reward.singleStep).toBe(false);
    // evaluation draws whatever names the phase reported
    expect(charts[3]!.series.map((s) => s.metric)).toEqual(["win_rate/sft"]);
    expect(charts[3]!.singleStep).toBe(true);
  });

  it("overlays rounds: one series per round and metric, named by round, rows merged by step", () => {
    const one = { number: 1, metrics: [m("policy", 1, "objective/kl", 0.1), m("policy", 2, "objective/kl", 0.2)] };
    const two = { number: 2, metrics: [m("policy", 1, "objective/kl", 0.05), m("policy", 3, "objective/kl", 0.3), m("policy", 3, "objective/kl_coef", 0.2)] };
    const chart = chartData(group("kl"), [one, two])!;
    expect(chart.series.map((s) => [s.label, s.roundIndex, s.metricIndex])).toEqual([
      ["Round 1 · KL", 0, 0],
      ["Round 2 · KL", 1, 0],
      ["Round 2 · KL coefficient β", 1, 1],
    ]);
    expect(chart.rows).toEqual([
      { step: 1, "r1:objective/kl": 0.1, "r2:objective/kl": 0.05 },
      { step: 2, "r1:objective/kl": 0.2 },
      { step: 3, "r2:objective/kl": 0.3, "r2:objective/kl_coef": 0.2 },
    ]);
    expect(chartData(group("sft"), [one, two])).toBeNull();
  });

  it("puts a lone right-axis series on the left axis", () => {
    const chart = chartData(group("kl"), [{ number: 1, metrics: [m("policy", 1, "objective/kl_coef", 0.2)] }])!;
    expect(chart.series[0]!.axis).toBe("left");
  });

  it("draws one-point series as bars: a row per metric, a bar per round", () => {
    const chart = chartData(group("evaluate"), [
      { number: 1, metrics: [m("evaluate", 1, "reward/mean", 0.2), m("evaluate", 1, "win_rate", 0.4)] },
      { number: 2, metrics: [m("evaluate", 1, "reward/mean", 0.5)] },
    ])!;
    expect(barRows(chart)).toEqual({
      rounds: [1, 2],
      rows: [
        { metric: "reward/mean", r1: 0.2, r2: 0.5 },
        { metric: "win_rate", r1: 0.4 },
      ],
    });
  });
});

describe("phase progress", () => {
  it("reads the phase's latest done and total", () => {
    const metrics = [m("policy", 1, "progress/total", 10), m("policy", 1, "progress/done", 1), m("policy", 4, "progress/done", 4), m("sft", 9, "progress/done", 9)];
    expect(phaseProgress(metrics, "policy")).toEqual({ done: 4, total: 10 });
    expect(phaseProgress(metrics, "sft")).toBeNull();
    expect(phaseProgress([], "policy")).toBeNull();
  });

  it("estimates time left as elapsed × (total − done) / done", () => {
    expect(secondsLeft(60_000, { done: 3, total: 12 })).toBe(180);
    expect(secondsLeft(60_000, { done: 12, total: 12 })).toBe(0);
    expect(secondsLeft(60_000, { done: 0, total: 12 })).toBeNull();
  });

  it("dates a phase's start by the last metric of the phase before it, else the round's start", () => {
    const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
    const history = [
      { ...m("reward_model", 1, "train/loss", 1), at: t(10) },
      { ...m("reward_model", 2, "train/loss", 1), at: t(20) },
      { ...m("policy", 1, "progress/done", 1), at: t(30) },
    ];
    expect(phaseStartedAt(history, "reward_model", t(1))).toBe(Date.parse(t(1)));
    expect(phaseStartedAt(history, "policy", t(1))).toBe(Date.parse(t(20)));
    // a phase that has not reported yet began after everything so far
    expect(phaseStartedAt(history, "generate", t(1))).toBe(Date.parse(t(30)));
    expect(phaseStartedAt([], "sft", null)).toBeNull();
  });

  it("formats durations", () => {
    expect(formatDuration(35.4)).toBe("35 s");
    expect(formatDuration(250)).toBe("4 min 10 s");
    expect(formatDuration(3900)).toBe("1 h 05 min");
  });
});
