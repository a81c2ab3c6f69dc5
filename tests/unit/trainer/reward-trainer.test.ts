import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { smallConfig } from "@/trainer/model/config";
import { initParams } from "@/trainer/model/gpt2";
import { REWARD_HEAD } from "@/trainer/model/heads";
import { buildExamples, type JudgmentRecord } from "@/trainer/reward/examples";
import { RewardTrainer, DEFAULT_REWARD_TRAIN } from "@/trainer/reward/reward-trainer";
import { byteLevel } from "@/trainer/tokenizer/tokenizer";
import { backendReady } from "./tf-backend";

beforeAll(async () => void (await backendReady));

const config = smallConfig({ n_positions: 64, n_embd: 32, n_layer: 2, n_head: 2 });

/** Annotators who always prefer the polite answer; a tie between two polite ones. */
function records(n: number): JudgmentRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const polite = { id: `p${i}`, text: `please, ${i % 7} thanks` };
    const rude = { id: `r${i}`, text: `no. ${i % 5} go away` };
    const polite2 = { id: `q${i}`, text: `thank you ${i % 3}` };
    return i % 4 === 3
      ? { promptId: `prompt${i}`, messages: [{ role: "user", content: `ask ${i}` }], responses: [polite, rude, polite2], ranking: [[polite.id], [polite2.id], [rude.id]], strength: null, weight: 1 }
      : { promptId: `prompt${i}`, messages: [{ role: "user", content: `ask ${i}` }], responses: [polite, rude], ranking: [[polite.id], [rude.id]], strength: 2, weight: 1 };
  });
}

const opts = { tokenizer: byteLevel, maxTokens: 64, validationFraction: 0.25, marginPerStrength: 0.5, allowTies: true, seed: 3 };

describe("reward model training", () => {
  it("forms wins, Plackett–Luce rankings and a split by prompt", () => {
    const ex = buildExamples(records(40), opts);
    expect(ex.train.rankings.length + ex.validation.rankings.length).toBe(10);
    expect(ex.train.wins.length + ex.validation.wins.length).toBe(30);
    expect(ex.train.wins[0]!.margin).toBeCloseTo(0.5);
    expect(ex.counts.validationPrompts).toBeGreaterThan(0);
    expect(ex.counts.validationPrompts).toBeLessThan(40);
    // ties and tie groups expand pairwise
    const tied = buildExamples([{ ...records(1)[0]!, responses: [{ id: "a", text: "x" }, { id: "b", text: "y" }, { id: "c", text: "z" }], ranking: [["a", "b"], ["c"]] }], opts);
    const split = tied.counts.validationPrompts ? tied.validation : tied.train;
    expect(split.ties).toHaveLength(1);
    expect(split.wins).toHaveLength(2);
  });

  it("a step changes the trained parameters, leaves frozen ones, and leaks no tensors", async () => {
    const params = initParams(config, 5);
    const ex = buildExamples(records(16), opts);
    const trainer = new RewardTrainer(config, params, ex, { ...DEFAULT_REWARD_TRAIN, lora: { r: 2, alpha: 4, targets: ["c_attn"] } });
    const before = new Map([...params].map(([k, v]) => [k, v.dataSync().slice()]));
    const loraBefore = new Map([...trainer.lora!.params].map(([k, v]) => [k, v.dataSync().slice()]));
    const batch = trainer.batches()[0]!;
    await trainer.step(batch); // Adam makes its slots on the first step
    const tensors = tf.memory().numTensors;
    await trainer.step(batch);
    expect(tf.memory().numTensors).toBe(tensors);

    const changed = (a: Float32Array, b: Float32Array) => a.some((v, i) => v !== b[i]);
    for (const [name, v] of params) expect(changed(v.dataSync() as Float32Array, before.get(name) as Float32Array), name).toBe(name === REWARD_HEAD);
    for (const [name, v] of trainer.lora!.params) expect(changed(v.dataSync() as Float32Array, loraBefore.get(name) as Float32Array), name).toBe(true);
    await trainer.dispose();
  });

  it("takes the same step on two threads as on one", async () => {
    const ex = buildExamples(records(24), opts);
    const cfg = { ...DEFAULT_REWARD_TRAIN, batchSize: 12 };
    const one = new RewardTrainer(config, initParams(config, 11), ex, cfg);
    const two = new RewardTrainer(config, initParams(config, 11), ex, cfg);
    await two.startHelpers(1, "wasm");
    expect(two.threads).toBe(2);
    const batch = one.batches()[0]!;
    const [l1, l2] = [await one.step(batch), await two.step(batch)];
    expect(l2).toBeCloseTo(l1, 5);
    for (const [name, v] of one.params) {
      const a = v.dataSync(), b = two.params.get(name)!.dataSync();
      a.forEach((x, i) => expect(b[i]).toBeCloseTo(x, 5));
    }
    await one.dispose();
    await two.dispose();
  }, 60_000);

  it("learns the annotators' preference and keeps the best epoch", async () => {
    const params = initParams(config, 7);
    const ex = buildExamples(records(48), opts);
    const trainer = new RewardTrainer(config, params, ex, { ...DEFAULT_REWARD_TRAIN, epochs: 6, batchSize: 8, learningRate: 1e-3 });
    const { history, best } = await trainer.train();
    expect(history.length).toBeGreaterThan(0);
    expect(best["val/accuracy"]).toBeGreaterThanOrEqual(0.9);
    expect(best["train/loss"]).toBeLessThan(history[0]!["train/loss"] + 1e-9);
    const after = await trainer.evaluate(ex.validation);
    expect(after["val/loss"]).toBeCloseTo(best["val/loss"]!, 4); // the best epoch was restored
    await trainer.dispose();
  }, 60_000);
});
