// Supervised fine-tuning on demonstrations (Ouyang et al. 2022, §3.5 "SFT"; step 1 of
// their Figure 2): the language-modelling loss on the completion's tokens only, the prompt
// being context,
//     L = − Σ_b Σ_{t ∈ completion_b} log p(x_t | x_<t) / Σ_b |completion_b|,
// with the completion ending in <|endoftext|> so the model learns to stop. Full fine-tuning
// by default (the models trained here are small), a LoRA adapter (Hu et al. 2021) when
// configured, merged into the saved weights. Adam with global-norm clipping; validation
// loss and perplexity after every epoch; the best epoch restored (early stopping).
import * as tf from "@tensorflow/tfjs-core";
import { mulberry32 } from "@/lib/bt/bootstrap";
import type { GPT2Config } from "../model/config";
import { forward, type Params, tokenLogProbs } from "../model/gpt2";
import { LoraAdapter } from "../model/lora";
import { BestEpoch } from "../model/early-stopping";
import { clipByGlobalNorm } from "../model/grad-clip";
import type { TrainConfig } from "../model/train-config";

/** One demonstration as token ids: the completion ends with end-of-text. */
export type SftExample = { prompt: number[]; completion: number[] };

/** batchSize counts demonstrations. */
export type SftTrainConfig = TrainConfig;

export type SftEpochMetrics = {
  epoch: number;
  "train/loss": number;
  "val/loss": number | null;
  "val/perplexity": number | null;
  tokensPerSecond: number;
};

export class SftTrainer {
  readonly lora: LoraAdapter | null;
  private readonly optimizer: tf.Optimizer;
  private readonly rand: () => number;
  tokensSeen = 0;

  constructor(
    readonly modelConfig: GPT2Config,
    /** trained in place unless LoRA is used */
    readonly params: Params,
    readonly train: SftExample[],
    readonly validation: SftExample[],
    readonly config: SftTrainConfig,
  ) {
    this.lora = config.lora ? new LoraAdapter(config.lora, modelConfig, config.seed) : null;
    this.optimizer = tf.train.adam(config.learningRate);
    this.rand = mulberry32(config.seed + 3);
  }

  trainable(): tf.Variable[] {
    return this.lora ? [...this.lora.params.values()] : [...this.params.values()];
  }

  /** Summed NLL of the completion tokens of a batch, and how many there are. */
  nll(batch: SftExample[]): { sum: tf.Scalar; tokens: number } {
    const seqs = batch.map((e) => [...e.prompt, ...e.completion]);
    const T = Math.max(...seqs.map((s) => s.length));
    const eos = this.modelConfig.eos_token_id;
    const ids = tf.tensor2d(seqs.map((s) => [...s, ...new Array<number>(T - s.length).fill(eos)]), undefined, "int32"); // [B, T]
    // position j predicts token j + 1: counted when that token belongs to the completion
    const mask = batch.map((e, b) => Array.from({ length: T - 1 }, (_, j): number => (j + 1 >= e.prompt.length && j + 1 < seqs[b]!.length ? 1 : 0)));
    const tokens = mask.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
    this.tokensSeen += batch.length * T;
    const { hidden } = forward(this.modelConfig, this.params, { ids, lora: this.lora ?? undefined }); // [B, T, C]
    const logp = tokenLogProbs(this.params, hidden, ids); // [B, T-1]
    return { sum: tf.neg(tf.sum(tf.mul(logp, tf.tensor2d(mask)))) as tf.Scalar, tokens };
  }

  /** One Adam step on a batch; returns its mean token loss. */
  step(batch: SftExample[]): number {
    const vars = this.trainable();
    let loss = 0;
    const { value, grads } = tf.variableGrads(() => {
      const { sum, tokens } = this.nll(batch);
      return tf.div(sum, Math.max(1, tokens)) as tf.Scalar;
    }, vars);
    loss = value.dataSync()[0]!;
    tf.tidy(() => {
      const clipped = clipByGlobalNorm(vars.map((v) => grads[v.name]!), this.config.clipNorm);
      this.optimizer.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, clipped[i]!])));
    });
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  }

  /** Mean token loss and perplexity over a split, without gradients. */
  async evaluate(split: SftExample[], batch = 32): Promise<{ loss: number; perplexity: number } | null> {
    let sum = 0, tokens = 0;
    for (let i = 0; i < split.length; i += batch) {
      const r = tf.tidy(() => {
        const { sum, tokens } = this.nll(split.slice(i, i + batch));
        return { sum, tokens: tf.scalar(tokens) };
      });
      sum += (await r.sum.data())[0]!;
      tokens += r.tokens.dataSync()[0]!;
      tf.dispose([r.sum, r.tokens]);
    }
    if (!tokens) return null;
    return { loss: sum / tokens, perplexity: Math.exp(sum / tokens) };
  }

  /** Epochs over shuffled batches with early stopping on validation loss. */
  async fit(onEpoch: (m: SftEpochMetrics) => void | Promise<void> = () => {}, onStep: () => Promise<void> = async () => {}): Promise<{ history: SftEpochMetrics[]; best: SftEpochMetrics }> {
    const history: SftEpochMetrics[] = [];
    const stopper = new BestEpoch<SftEpochMetrics>(() => this.trainable(), this.config.patience);
    try {
      for (let epoch = 1; epoch <= this.config.epochs; epoch++) {
        const started = performance.now();
        const tokens0 = this.tokensSeen;
        const order = this.train.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(this.rand() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        let sum = 0, n = 0;
        for (let i = 0; i < order.length; i += this.config.batchSize) {
          const batch = order.slice(i, i + this.config.batchSize).map((k) => this.train[k]!);
          sum += this.step(batch) * batch.length;
          n += batch.length;
          await onStep();
          await new Promise((r) => setImmediate(r)); // heartbeats and signals
        }
        const tokensPerSecond = (this.tokensSeen - tokens0) / ((performance.now() - started) / 1000);
        const val = await this.evaluate(this.validation);
        const m: SftEpochMetrics = { epoch, "train/loss": n ? sum / n : 0, "val/loss": val?.loss ?? null, "val/perplexity": val?.perplexity ?? null, tokensPerSecond };
        history.push(m);
        await onEpoch(m);
        if (stopper.record(m)) break;
      }
      return { history, best: stopper.restore() };
    } finally {
      stopper.free();
    }
  }

  /** The weights to save: the trunk with any adapter merged (new variables), else the trained params. */
  exportParams(): Params {
    return this.lora ? this.lora.merge(this.params) : this.params;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.lora?.dispose();
  }
}
