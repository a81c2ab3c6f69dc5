// The worker side of data-parallel reward-model training (parallel/grad-helper.ts): a replica
// of the model that computes the loss and gradients of the batch share it is sent.
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import type { GPT2Config } from "../model/config";
import type { Params } from "../model/gpt2";
import { selectBackend, type BackendChoice } from "../tf/backend";
import type { RewardExamples } from "./examples";
import { RewardTrainer, type Item, type RewardTrainConfig } from "./reward-trainer";

export type RewardWorkerInit = {
  backend: BackendChoice;
  modelConfig: GPT2Config;
  params: [string, { shape: number[]; data: Float32Array }][];
  examples: RewardExamples;
  config: RewardTrainConfig;
};

async function main(): Promise<void> {
  const init = workerData as RewardWorkerInit;
  await selectBackend(init.backend);
  tf.enableProdMode();
  const params: Params = new Map(init.params.map(([name, t]) => [name, tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), true))]));
  const trainer = new RewardTrainer(init.modelConfig, params, init.examples, init.config);
  const vars = trainer.trainable();
  parentPort!.on("message", (msg: { type: "grads"; values: Float32Array[]; items: Item[] }) => {
    try {
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(msg.values[i]!, v.shape))));
      const { value, grads } = tf.variableGrads(() => trainer.batchLoss(trainer.examples.train, msg.items), vars);
      const out = vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
      const loss = value.dataSync()[0]!;
      tf.dispose([value, ...Object.values(grads)]);
      parentPort!.postMessage({ type: "grads", loss, grads: out }, out.map((g) => g.buffer as ArrayBuffer));
    } catch (err) {
      parentPort!.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
  });
  parentPort!.postMessage({ type: "ready" });
}

main().catch((err) => parentPort!.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) }));
