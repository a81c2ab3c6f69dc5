// npm run bench:trainer — the trainer's speed on this machine's backend (issue: trainer engine).
// Figures, each as one JSON line:
// - matmul_gflops: the backend's plain matmul at the model's own largest shape (tokens × C by
//   C × 4C), the baseline every other figure is a fraction of
// - reward_train_*: reward-model training (forward + backward + Adam) on the default small model
// - ppo_train_*: a PPO-style step: policy log-probs through the LM head + value head, backward
// - generate_*: sampling with the KV cache; on wasm also with tfjs's own kernels in place of
//   the decoder's WebAssembly ones (ARBITER_DECODE_KERNELS=tfjs), as a ratio
// BENCH_MODEL=gpt2-like (n_embd 768, 12 layers) for a larger shape; default is Arbiter's small model.
import * as tf from "@tensorflow/tfjs-core";
import { smallConfig, type GPT2Config } from "@/trainer/model/config";
import { forwardFlopsPerToken, trainFlopsPerToken } from "@/trainer/model/flops";
import { forward, initParams, tokenLogProbs, type Params } from "@/trainer/model/gpt2";
import { initRewardHead, initValueHead, valuesOf } from "@/trainer/model/heads";
import { helperCount } from "@/trainer/parallel/grad-helper";
import { buildExamples } from "@/trainer/reward/examples";
import { DEFAULT_REWARD_TRAIN, RewardTrainer } from "@/trainer/reward/reward-trainer";
import { byteLevel } from "@/trainer/tokenizer/tokenizer";
import { generate } from "@/trainer/generate";
import { selectBackend } from "@/trainer/tf/backend";
import { report } from "./harness";

const BENCH = "trainer";
const config: GPT2Config =
  process.env.BENCH_MODEL === "gpt2-like" ? smallConfig({ n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024 }) : smallConfig();
const BATCH = Number(process.env.BENCH_BATCH ?? 16);
const T = Number(process.env.BENCH_TOKENS ?? 128);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

/** Repeats fn for about `seconds` after one warm-up call; returns seconds per call. */
async function timeIt(fn: () => Promise<void> | void, seconds: number): Promise<number> {
  await fn();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  return (performance.now() - t0) / 1000 / n;
}

function randomIds(rows: number, cols: number, vocab: number, seed: number): number[][] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.floor(rand() * (vocab - 1))));
}

/** Pairs whose sequences are T tokens long once formatted (prompt + response + eos). */
function rewardExamples() {
  const body = (i: number, tag: string) => `${tag} ${i} `.repeat(T).slice(0, T - 40);
  const records = Array.from({ length: 64 }, (_, i) => ({
    promptId: `p${i}`,
    messages: [{ role: "user" as const, content: `q${i}` }],
    responses: [{ id: "a", text: body(i, "yes") }, { id: "b", text: body(i, "no") }],
    ranking: [["a"], ["b"]],
    strength: null,
    weight: 1,
  }));
  return buildExamples(records, { tokenizer: byteLevel, maxTokens: T, validationFraction: 0, marginPerStrength: 0, allowTies: false, seed: 1 });
}

async function matmulRate(): Promise<number> {
  const M = BATCH * T, K = config.n_embd, N = 4 * config.n_embd;
  const a = tf.randomNormal([M, K]), b = tf.randomNormal([K, N]);
  const s = await timeIt(async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }, 3);
  tf.dispose([a, b]);
  return (2 * M * K * N) / s;
}

async function trainStep(params: Params, optimizer: tf.Optimizer, loss: () => tf.Scalar): Promise<void> {
  const vars = [...params.values()];
  const { value, grads } = tf.variableGrads(loss, vars);
  optimizer.applyGradients(Object.fromEntries(vars.map((v) => [v.name, grads[v.name]!])));
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
}

async function main(): Promise<void> {
  const backend = await selectBackend((process.env.ARBITER_TF_BACKEND as "auto" | undefined) ?? "auto");
  tf.enableProdMode();
  console.error(`backend ${backend.description}; model n_embd ${config.n_embd}, n_layer ${config.n_layer}; batch ${BATCH} × ${T} tokens`);
  const matmul = await matmulRate();
  report({ bench: BENCH, metric: "matmul_gflops", value: matmul / 1e9, unit: "GFLOP/s" });

  const params = initParams(config, 1);
  initRewardHead(params, config.n_embd);
  initValueHead(params, config.n_embd);
  const ids = tf.tensor2d(randomIds(BATCH, T, config.vocab_size, 7), undefined, "int32");
  const optimizer = tf.train.adam(1e-4);

  // reward model: the real RewardTrainer (BT loss, Adam, clipping) on BATCH/2 pairs per step,
  // on one thread and then data-parallel over every core (parallel/grad-helper.ts)
  const rewardFlopsPerToken = trainFlopsPerToken(config, T, false);
  const threads = 1 + helperCount(backend.tfName);
  for (const n of threads > 1 ? [1, threads] : [1]) {
    const trainer = new RewardTrainer(config, initParams(config, 2), rewardExamples(), { ...DEFAULT_REWARD_TRAIN, batchSize: BATCH / 2 });
    if (n > 1) await trainer.startHelpers(n - 1, backend.tfName as "wasm" | "cpu");
    const batches = trainer.batches();
    let b = 0;
    const t0 = trainer.tokensSeen;
    await trainer.step(batches[b++ % batches.length]!); // warm-up
    const warmTokens = trainer.tokensSeen - t0;
    const timedFrom = performance.now();
    const cpuFrom = process.cpuUsage(); // every thread of this process
    while (performance.now() - timedFrom < SECONDS * 1000) await trainer.step(batches[b++ % batches.length]!);
    const wall = (performance.now() - timedFrom) / 1000;
    const cpu = process.cpuUsage(cpuFrom);
    const tokens = (trainer.tokensSeen - t0 - warmTokens) / wall;
    report({ bench: BENCH, metric: `reward_train_cores_busy_${n}_thread`, value: (cpu.user + cpu.system) / 1e6 / wall, unit: "cores" });
    await trainer.dispose();
    const flops = tokens * rewardFlopsPerToken;
    report({ bench: BENCH, metric: `reward_train_tokens_per_s_${n}_thread`, value: tokens, unit: "tokens/s" });
    report({ bench: BENCH, metric: `reward_train_gflops_${n}_thread`, value: flops / 1e9, unit: "GFLOP/s" });
    // share of what n cores' plain matmul would do: 1.0 = every core at the matmul rate
    report({ bench: BENCH, metric: `reward_train_fraction_of_matmul_${n}_thread`, value: flops / (n * matmul), unit: "ratio" });
  }

  // PPO-style: policy log-probs (LM head) and values, a surrogate of both, backward
  const ppoLoss = () => {
    const { hidden } = forward(config, params, { ids });
    const logp = tokenLogProbs(params, hidden, ids);
    const v = valuesOf(params, hidden);
    return tf.add(tf.neg(tf.mean(logp)), tf.mean(tf.square(v))) as tf.Scalar;
  };
  const ppoSec = await timeIt(() => trainStep(params, optimizer, ppoLoss), SECONDS);
  const ppoTokens = (BATCH * T) / ppoSec;
  const ppoFlops = ppoTokens * trainFlopsPerToken(config, T, true);
  report({ bench: BENCH, metric: "ppo_train_tokens_per_s", value: ppoTokens, unit: "tokens/s" });
  report({ bench: BENCH, metric: "ppo_train_fraction_of_matmul", value: ppoFlops / matmul, unit: "ratio" });

  // generation: BATCH prompts of 32 tokens, 64 new tokens each (no early eos: eos is never sampled at these logits)
  const prompts = randomIds(BATCH, 32, config.vocab_size, 9);
  const NEW = 64;
  const genSec = await timeIt(async () => void (await generate(config, params, prompts, { maxNewTokens: NEW, temperature: 1, eos: -1, seed: 1 })), SECONDS);
  const genTokens = (BATCH * NEW) / genSec;
  report({ bench: BENCH, metric: "generate_tokens_per_s", value: genTokens, unit: "tokens/s" });
  report({ bench: BENCH, metric: "generate_fraction_of_matmul", value: (genTokens * forwardFlopsPerToken(config, 32 + NEW / 2, true)) / matmul, unit: "ratio" });

  // the same with tfjs's own kernels instead of the decoder's WebAssembly ones (wasm only)
  if (backend.tfName === "wasm") {
    const saved = process.env.ARBITER_DECODE_KERNELS;
    process.env.ARBITER_DECODE_KERNELS = "tfjs";
    const tfjsSec = await timeIt(async () => void (await generate(config, params, prompts, { maxNewTokens: NEW, temperature: 1, eos: -1, seed: 1 })), SECONDS);
    if (saved === undefined) delete process.env.ARBITER_DECODE_KERNELS;
    else process.env.ARBITER_DECODE_KERNELS = saved;
    report({ bench: BENCH, metric: "generate_tfjs_kernels_tokens_per_s", value: (BATCH * NEW) / tfjsSec, unit: "tokens/s" });
    report({ bench: BENCH, metric: "generate_speedup_over_tfjs_kernels", value: tfjsSec / genSec, unit: "ratio" });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
