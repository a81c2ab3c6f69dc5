// `npm run bench:rlhf`: does a round make the policy better? R rounds of the demo project end
// to end through the real platform (npm start's script: queue, database, trainer, HTTP API),
// with simulated annotators judging by the demo task's hidden oracle with noise, for several
// seeds. Per round it prints JSON lines: the oracle score on held-out prompts of the new
// policy, the previous one and the SFT model (mean and 95% interval, from the evaluate
// phase's samples), KL to the reference, the reward model's validation accuracy next to the
// best the annotators' noise allows, judgments used, and seconds per phase.
//   BENCH_SEEDS=1,2,3 BENCH_ROUNDS=3 BENCH_NOISE=0.1 BENCH_ANNOTATORS=8
import { api, makeAnnotators, withBenchPlatform } from "./annotation-setup";
import { report } from "./harness";
import { demoImportNdjson, demoProjectSettings, demoRoundSettings } from "@/lib/demo/demo-project";
import { DEMO_TASK, oracleScore } from "@/lib/demo/number-words";
import { runSimulation } from "@/lib/sim/simulated-annotators";
import { meanInterval } from "@/lib/stats/moments";

const SEEDS = (process.env.BENCH_SEEDS ?? "1,2,3").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NOISE = Number(process.env.BENCH_NOISE ?? 0.1);
const ANNOTATORS = Number(process.env.BENCH_ANNOTATORS ?? 8);
const PORT = Number(process.env.BENCH_PORT ?? 3391);

type Sample = { model: string; text: string; prompt: { content: string }[] | null };
type View = { status: string; phase: string | null; error?: string; history: { phase: string; step: number; name: string; value: number; at: string }[]; metrics: Record<string, number> };

/**
 * The best validation accuracy the annotators' noise allows, over the judgments so far: on a
 * pair the oracle orders, a random verdict (probability NOISE) is wrong half the time, so the
 * label agrees with the oracle with probability 1 − NOISE/2; on a pair it ties (two wrong
 * words), the label is a coin flip.
 */
async function accuracyCeiling(url: string, token: string, projectId: string): Promise<number> {
  const res = await api(url, token, "GET", `/api/v1/projects/${projectId}/export?format=raw`);
  const lines = (await res.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { prompt: string | { content: string }[]; responses: { text: string }[] });
  const best = lines.map((j) => {
    const prompt = typeof j.prompt === "string" ? j.prompt : j.prompt.map((m) => m.content).join("\n");
    const [a, b] = j.responses.map((x) => oracleScore(prompt, x.text));
    return a === b ? 0.5 : 1 - NOISE / 2;
  });
  return best.reduce((x, y) => x + y, 0) / Math.max(1, best.length);
}

async function runSeed(seed: number): Promise<void> {
  await withBenchPlatform(PORT, { ARBITER_AUTO_ROUND_INTERVAL_MS: "0" }, async ({ url, adminToken }) => {
    const bench = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
      console.log(JSON.stringify({ bench: "rlhf", metric, value: Number(value.toPrecision(4)), unit, seed, ...extra }));
    const settings = { ...demoProjectSettings(`bench rlhf seed ${seed}`, seed), roundThreshold: null };
    const created = await api(url, adminToken, "POST", "/api/v1/projects", settings);
    if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
    const { id: projectId } = (await created.json()) as { id: string };
    const imported = await api(url, adminToken, "POST", `/api/v1/projects/${projectId}/import`, demoImportNdjson(seed));
    if (imported.status !== 201) throw new Error(`import: ${imported.status} ${await imported.text()}`);
    const people = await makeAnnotators(ANNOTATORS, `rlhf-${seed}`);
    await api(url, adminToken, "POST", `/api/v1/projects/${projectId}/members`, { emails: people.map((p) => p.email) });
    const tokens = people.map((p) => p.token);
    let judgments = 0;

    for (let r = 1; r <= ROUNDS; r++) {
      const sim = await runSimulation({ url, projectId, tokens, oracle: DEMO_TASK, noise: NOISE, seed: seed * 100 + r });
      judgments += sim.judgments;
      const phases = r === 1 ? demoRoundSettings(seed).phases : demoRoundSettings(seed).phases.filter((p) => p !== "sft");
      const started = await api(url, adminToken, "POST", `/api/v1/projects/${projectId}/rounds`, { phases });
      if (started.status !== 201) throw new Error(`round: ${started.status} ${await started.text()}`);
      const { id: roundId } = (await started.json()) as { id: string };
      const phaseStart = new Map<string, number>();
      const t0 = Date.now();
      let view: View;
      for (;;) {
        view = (await (await api(url, adminToken, "GET", `/api/v1/rounds/${roundId}`)).json()) as View;
        if (view.phase && !phaseStart.has(view.phase)) phaseStart.set(view.phase, Date.now());
        if (!["queued", "running"].includes(view.status)) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      const total = (Date.now() - t0) / 1000;
      if (view.status !== "succeeded") throw new Error(`round ${r} ${view.status}: ${view.error}`);
      const starts = [...phaseStart.entries()];
      starts.forEach(([phase, at], i) => bench(`round${r}_${phase}_seconds`, ((starts[i + 1]?.[1] ?? t0 + total * 1000) - at) / 1000, "s", { round: r }));
      bench(`round${r}_total_seconds`, total, "s", { round: r });
      bench(`round${r}_judgments_used`, judgments, "judgments", { round: r, judgmentsThisRound: sim.judgments });

      const rmAccuracy = Math.max(...view.history.filter((m) => m.phase === "reward_model" && m.name === "val/accuracy").map((m) => m.value));
      bench(`round${r}_rm_val_accuracy`, rmAccuracy, "fraction", { round: r, bestTheNoiseAllows: Number((await accuracyCeiling(url, adminToken, projectId)).toFixed(4)) });
      bench(`round${r}_policy_kl`, view.metrics["evaluate/eval/policy/kl"] ?? NaN, "nats", { round: r, targetKl: demoRoundSettings(seed).policy.targetKl });

      const { samples } = (await (await api(url, adminToken, "GET", `/api/v1/rounds/${roundId}/evaluation`)).json()) as { samples: Sample[] };
      for (const model of ["policy", "previous", "sft"]) {
        const scores = samples.filter((s) => s.model === model).map((s) => oracleScore((s.prompt ?? []).map((m) => m.content).join("\n"), s.text));
        if (!scores.length) continue;
        const ci = meanInterval(scores);
        bench(`round${r}_oracle_${model}`, ci.mean, "fraction", { round: r, ci95: [Number(ci.low.toFixed(4)), Number(ci.high.toFixed(4))], samples: scores.length });
      }
    }
  });
}

for (const seed of SEEDS) await runSeed(seed);
report({ bench: "rlhf", metric: "seeds", value: SEEDS.length, unit: "runs" });
process.exit(0);
