import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { smallConfig } from "@/trainer/model/config";
import type { Params } from "@/trainer/model/gpt2";
import { LoraAdapter } from "@/trainer/model/lora";
import { DEFAULT_PPO, PpoTrainer } from "@/trainer/ppo/ppo-trainer";
import { backendReady } from "./tf-backend";
import { toyBase } from "./toy-policy";

beforeAll(async () => void (await backendReady));

const config = smallConfig({ n_positions: 32, n_embd: 32, n_layer: 2, n_head: 2 });
/**
 * A toy reward a policy can learn quickly, and only by treating end-of-text as an action:
 * 1 − length/8 for a finished response; a response cut at maxNewTokens gets −1 (the
 * missing-EOS penalty), never a score.
 */
const short = (_: number[][], responses: number[][]) => responses.map((r) => 1 - r.length / 8);
const prompts = Array.from({ length: 16 }, (_, i) => [...new TextEncoder().encode(`q${i}:`)]);

describe("PPO", () => {
  it("starts with zero KL to the reference, raises the reward, and trains only the adapter and value head", async () => {
    const base = toyBase(config, 3);
    const before = new Map([...base].map(([k, v]) => [k, v.dataSync().slice()]));
    const lora = new LoraAdapter({ r: 4, alpha: 8, targets: ["c_attn", "c_fc", "c_proj"] }, config, 4);
    const trainer = new PpoTrainer(config, base, base, lora, new Map() as Params, { ...DEFAULT_PPO, maxNewTokens: 8, miniBatch: 8, ppoEpochs: 4, learningRate: 3e-3, missingEosPenalty: 1, seed: 1 });

    const first = await trainer.rollout(prompts, short);
    expect(Math.abs(first.kl)).toBeLessThan(1e-5); // B = 0: the policy is the reference

    const rewards: number[] = [];
    let tensors = 0;
    for (let it = 0; it < 8; it++) {
      const m = await trainer.step(prompts, short);
      rewards.push(m["env/reward_mean"]);
      if (it === 1) tensors = tf.memory().numTensors;
      if (it > 1) expect(tf.memory().numTensors).toBe(tensors); // no leaks per iteration
      expect(Number.isFinite(m["policy/approxkl"]) && m["policy/clipfrac"] >= 0 && m["policy/clipfrac"] <= 1).toBe(true);
    }
    const early = (rewards[0]! + rewards[1]!) / 2;
    const late = (rewards.at(-1)! + rewards.at(-2)!) / 2;
    expect(late).toBeGreaterThan(early + 0.3);
    for (const [name, v] of base) expect(Array.from(v.dataSync()), name).toEqual(Array.from(before.get(name)!));
    trainer.dispose();
  }, 120_000);
});
