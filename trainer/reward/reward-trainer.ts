// Trains a scalar reward model on a GPT-2 trunk (Ouyang et al. 2022, §3.5; Stiennon et al.
// 2020, §3.4): every epoch shuffles the comparisons, scores each batch's distinct sequences
// in one forward pass, and descends the summed losses of losses.ts with Adam and global-norm
// clipping. Validation after each epoch gives loss, accuracy, mean margin and calibration;
// the best epoch by validation loss is kept (early stopping with patience).
import * as tf from "@tensorflow/tfjs-core";
import { mulberry32 } from "@/lib/bt/bootstrap";
import { GradHelper } from "../parallel/grad-helper";
import type { BackendChoice } from "../tf/backend";
import type { GPT2Config } from "../model/config";
import { forward, type Params } from "../model/gpt2";
import { REWARD_HEAD, initRewardHead, rewardAt, scoreIndex } from "../model/heads";
import { LoraAdapter } from "../model/lora";
import type { RewardExamples, Split } from "./examples";
import { bradleyTerryLoss, davidsonTieLoss, davidsonWinLoss, plackettLuceLoss } from "./losses";
import { BestEpoch } from "../model/early-stopping";
import { clipByGlobalNorm } from "../model/grad-clip";
import type { TrainConfig } from "../model/train-config";

/** batchSize counts comparisons (wins, ties or rankings); LoRA trains the adapter and the head. */
export type RewardTrainConfig = TrainConfig;

export const DEFAULT_REWARD_TRAIN: RewardTrainConfig = {
  epochs: 8,
  batchSize: 16,
  learningRate: 3e-4,
  clipNorm: 1,
  patience: 2,
  seed: 0,
  lora: null,
};

export type EpochMetrics = {
  epoch: number;
  "train/loss": number;
  "val/loss": number | null;
  "val/accuracy": number | null;
  "val/margin": number | null;
  "val/ece": number | null;
  "tie/nu": number | null;
  tokensPerSecond: number;
};

export type Item = { kind: "win" | "tie" | "ranking"; i: number };

export class RewardTrainer {
  readonly lora: LoraAdapter | null;
  readonly logNu: tf.Variable | null;
  private readonly optimizer: tf.Optimizer;
  private readonly rand: () => number;
  private helpers: GradHelper[] = [];
  tokensSeen = 0;

  constructor(
    readonly modelConfig: GPT2Config,
    /** trunk (+ score head, added when missing); trained in place unless LoRA is used */
    readonly params: Params,
    readonly examples: RewardExamples,
    readonly config: RewardTrainConfig,
  ) {
    if (!params.has(REWARD_HEAD)) initRewardHead(params, modelConfig.n_embd, config.seed);
    this.lora = config.lora ? new LoraAdapter(config.lora, modelConfig, config.seed) : null;
    const hasTies = examples.train.ties.length > 0;
    this.logNu = hasTies ? tf.tidy(() => tf.variable(tf.scalar(Math.log(0.5)), true)) : null;
    this.optimizer = tf.train.adam(config.learningRate);
    this.rand = mulberry32(config.seed + 1);
  }

  /** What the optimiser moves: LoRA + head with an adapter, else every parameter. */
  trainable(): tf.Variable[] {
    const own = this.lora ? [...this.lora.params.values(), this.params.get(REWARD_HEAD)!] : [...this.params.values()];
    return this.logNu ? [...own, this.logNu] : own;
  }

  /** Rewards [n] for sequences (right-padded; causal attention never looks at the padding). */
  rewards(seqs: number[][]): tf.Tensor1D {
    const T = Math.max(...seqs.map((s) => s.length));
    const ids = seqs.map((s) => [...s, ...new Array<number>(T - s.length).fill(this.modelConfig.eos_token_id)]);
    this.tokensSeen += seqs.length * T;
    const { hidden } = forward(this.modelConfig, this.params, { ids: tf.tensor2d(ids, undefined, "int32"), lora: this.lora ?? undefined });
    return rewardAt(this.params, hidden, tf.tensor1d(seqs.map((s) => scoreIndex(s, this.modelConfig.eos_token_id)), "int32"));
  }

  /** The loss of a batch of comparisons: Σ_part mean_part · W_part / W. */
  batchLoss(split: Split, items: Item[]): tf.Scalar {
    const local = new Map<number, number>();
    const at = (seq: number) => {
      let i = local.get(seq);
      if (i === undefined) local.set(seq, (i = local.size));
      return i;
    };
    const wins = items.filter((x) => x.kind === "win").map((x) => split.wins[x.i]!);
    const ties = items.filter((x) => x.kind === "tie").map((x) => split.ties[x.i]!);
    const rankings = items.filter((x) => x.kind === "ranking").map((x) => split.rankings[x.i]!);
    const winIdx = wins.map((w) => [at(w.w), at(w.l)]);
    const tieIdx = ties.map((t) => [at(t.a), at(t.b)]);
    const rankIdx = rankings.map((r) => r.order.map(at));
    const seqs = [...local.keys()].map((s) => this.examples.sequences[s]!);
    const r = this.rewards(seqs);
    const pick = (idx: number[]) => tf.gather(r, tf.tensor1d(idx, "int32")) as tf.Tensor1D;
    const total = [...wins, ...ties, ...rankings].reduce((a, x) => a + x.weight, 0);
    const parts: tf.Scalar[] = [];
    const share = (w: { weight: number }[]) => w.reduce((a, x) => a + x.weight, 0) / total;
    if (wins.length) {
      const args = [pick(winIdx.map((p) => p[0]!)), pick(winIdx.map((p) => p[1]!)), tf.tensor1d(wins.map((w) => w.margin)), tf.tensor1d(wins.map((w) => w.weight))] as const;
      const loss = this.logNu ? davidsonWinLoss(...args, this.logNu as tf.Scalar) : bradleyTerryLoss(...args);
      parts.push(tf.mul(loss, share(wins)));
    }
    if (ties.length && this.logNu) {
      parts.push(tf.mul(davidsonTieLoss(pick(tieIdx.map((p) => p[0]!)), pick(tieIdx.map((p) => p[1]!)), tf.tensor1d(ties.map((t) => t.weight)), this.logNu as tf.Scalar), share(ties)));
    }
    for (const k of new Set(rankIdx.map((o) => o.length))) {
      const rows = rankings.filter((_, j) => rankIdx[j]!.length === k);
      const idx = rankIdx.filter((o) => o.length === k);
      const ranked = tf.reshape(pick(idx.flat()), [idx.length, k]) as tf.Tensor2D;
      parts.push(tf.mul(plackettLuceLoss(ranked, tf.tensor1d(rows.map((x) => x.weight))), share(rows)));
    }
    return (parts.length ? tf.addN(parts) : tf.scalar(0)) as tf.Scalar;
  }

  /**
   * Starts `count` helper threads (parallel/grad-helper.ts), each with a replica of the model
   * on `backend`; later steps split every batch between this thread and them.
   */
  async startHelpers(count: number, backend: BackendChoice): Promise<void> {
    if (count <= 0) return;
    const params: [string, { shape: number[]; data: Float32Array }][] = [...this.params].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]);
    const init = { backend, modelConfig: this.modelConfig, params, examples: this.examples, config: this.config };
    this.helpers = await Promise.all(Array.from({ length: count }, () => GradHelper.start(new URL("./grad-worker.ts", import.meta.url), init)));
  }

  get threads(): number {
    return 1 + this.helpers.length;
  }

  /** Tokens a share's forward pass processes: its distinct sequences × the longest. */
  private paddedTokens(items: Item[]): number {
    const split = this.examples.train;
    const seqs = new Set<number>();
    for (const x of items) {
      if (x.kind === "win") seqs.add(split.wins[x.i]!.w).add(split.wins[x.i]!.l);
      else if (x.kind === "tie") seqs.add(split.ties[x.i]!.a).add(split.ties[x.i]!.b);
      else for (const s of split.rankings[x.i]!.order) seqs.add(s);
    }
    const longest = Math.max(0, ...[...seqs].map((s) => this.examples.sequences[s]!.length));
    return seqs.size * longest;
  }

  private itemWeight(x: Item): number {
    const split = this.examples.train;
    return (x.kind === "win" ? split.wins[x.i]! : x.kind === "tie" ? split.ties[x.i]! : split.rankings[x.i]!).weight;
  }

  /** Loss and gradients (in `vars` order, as tensors) of a share of the batch, in this thread. */
  private localGrads(items: Item[], vars: tf.Variable[]): { loss: number; tensors: tf.Tensor[] } {
    const { value, grads } = tf.variableGrads(() => this.batchLoss(this.examples.train, items), vars);
    const loss = value.dataSync()[0]!;
    value.dispose();
    return { loss, tensors: vars.map((v) => grads[v.name]!) };
  }

  /**
   * One optimiser step on a batch; returns the loss. With helpers, the batch is cut into
   * shares, the helpers' shares computed meanwhile, and loss and gradients combined as
   * Σ W_s · x_s / Σ W_s with W_s a share's total weight: exactly the whole batch's mean.
   */
  async step(items: Item[]): Promise<number> {
    const vars = this.trainable();
    const shares = Array.from({ length: Math.min(this.threads, items.length) }, (_, s) => items.filter((_, i) => i % this.threads === s));
    const values = shares.length > 1 ? vars.map((v) => v.dataSync() as Float32Array) : [];
    const remote = shares.slice(1).map((share, s) => this.helpers[s]!.grads({ values, items: share }));
    for (const share of shares.slice(1)) this.tokensSeen += this.paddedTokens(share);
    const local = this.localGrads(shares[0]!, vars);
    const others = await Promise.all(remote);
    const weight = shares.map((share) => share.reduce((a, x) => a + this.itemWeight(x), 0));
    const total = weight.reduce((a, w) => a + w, 0) || 1;
    const loss = (local.loss * weight[0]! + others.reduce((a, o, s) => a + o.loss * weight[s + 1]!, 0)) / total;
    tf.tidy(() => {
      const list = vars.map((v, i) =>
        others.reduce<tf.Tensor>((acc, o, s) => tf.add(acc, tf.mul(tf.tensor(o.grads[i]!, v.shape), weight[s + 1]! / total)), tf.mul(local.tensors[i]!, weight[0]! / total)),
      );
      const clipped = clipByGlobalNorm(list, this.config.clipNorm);
      this.optimizer.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, clipped[i]!])));
    });
    tf.dispose(local.tensors);
    return loss;
  }

  /** The training comparisons in a fresh shuffled order, cut into batches. */
  batches(): Item[][] {
    const { wins, ties, rankings } = this.examples.train;
    const items: Item[] = [
      ...wins.map((_, i) => ({ kind: "win" as const, i })),
      ...(this.logNu ? ties.map((_, i) => ({ kind: "tie" as const, i })) : []),
      ...rankings.map((_, i) => ({ kind: "ranking" as const, i })),
    ];
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    const out: Item[][] = [];
    for (let i = 0; i < items.length; i += this.config.batchSize) out.push(items.slice(i, i + this.config.batchSize));
    return out;
  }

  /** Rewards for every sequence in a split, scored in batches without gradients. */
  async scoreAll(seqIdx: number[], batch = 32): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (let i = 0; i < seqIdx.length; i += batch) {
      const chunk = seqIdx.slice(i, i + batch);
      const r = tf.tidy(() => this.rewards(chunk.map((s) => this.examples.sequences[s]!)));
      const values = await r.data();
      r.dispose();
      chunk.forEach((s, j) => out.set(s, values[j]!));
    }
    return out;
  }

  /** Validation metrics in double precision from the model's rewards. */
  async evaluate(split: Split): Promise<Pick<EpochMetrics, "val/loss" | "val/accuracy" | "val/margin" | "val/ece">> {
    const seqs = new Set<number>();
    for (const w of split.wins) seqs.add(w.w).add(w.l);
    for (const t of split.ties) seqs.add(t.a).add(t.b);
    for (const r of split.rankings) for (const s of r.order) seqs.add(s);
    if (seqs.size === 0) return { "val/loss": null, "val/accuracy": null, "val/margin": null, "val/ece": null };
    const r = await this.scoreAll([...seqs]);
    const nu = this.logNu ? Math.exp(this.logNu.dataSync()[0]!) : 0;
    const logZ = (d: number) => Math.log(Math.exp(d / 2) + Math.exp(-d / 2) + nu);
    let loss = 0, weight = 0;
    // pairs (better, worse) including every pair implied by a full ranking
    const pairs: [number, number][] = split.wins.map((w) => [w.w, w.l]);
    for (const w of split.wins) {
      const d = r.get(w.w)! - r.get(w.l)! - w.margin;
      loss += w.weight * (nu ? logZ(d) - d / 2 : Math.log1p(Math.exp(-d)));
      weight += w.weight;
    }
    if (nu) for (const t of split.ties) {
      loss += t.weight * (logZ(r.get(t.a)! - r.get(t.b)!) - Math.log(nu));
      weight += t.weight;
    }
    for (const rk of split.rankings) {
      const s = rk.order.map((i) => r.get(i)!);
      for (let a = 0; a < s.length - 1; a++) {
        const m = Math.max(...s.slice(a));
        loss += rk.weight * (m + Math.log(s.slice(a).reduce((acc, v) => acc + Math.exp(v - m), 0)) - s[a]!);
        for (let b = a + 1; b < s.length; b++) pairs.push([rk.order[a]!, rk.order[b]!]);
      }
      weight += rk.weight;
    }
    // accuracy and margin over strict pairs; calibration of σ(r_a − r_b) with a the pair's
    // first-listed sequence (by index, so outcomes are not all 1), in 10 equal-width bins
    let correct = 0, margin = 0;
    const bins = Array.from({ length: 10 }, () => ({ p: 0, y: 0, n: 0 }));
    for (const [w, l] of pairs) {
      const d = r.get(w)! - r.get(l)!;
      if (d > 0) correct++;
      margin += d;
      const [a, b, y] = w < l ? [w, l, 1] : [l, w, 0];
      const p = 1 / (1 + Math.exp(-(r.get(a)! - r.get(b)!)));
      const bin = bins[Math.min(9, Math.floor(p * 10))]!;
      bin.p += p;
      bin.y += y;
      bin.n++;
    }
    const n = pairs.length;
    const ece = n ? bins.reduce((acc, b) => acc + (b.n ? Math.abs(b.p - b.y) : 0), 0) / n : null;
    return {
      "val/loss": weight ? loss / weight : null,
      "val/accuracy": n ? correct / n : null,
      "val/margin": n ? margin / n : null,
      "val/ece": ece,
    };
  }

  /** Epochs with early stopping on validation loss; returns every epoch's metrics. */
  async train(onEpoch: (m: EpochMetrics) => void | Promise<void> = () => {}): Promise<{ history: EpochMetrics[]; best: EpochMetrics }> {
    const history: EpochMetrics[] = [];
    const stopper = new BestEpoch<EpochMetrics>(() => this.trainable(), this.config.patience);
    try {
      for (let epoch = 1; epoch <= this.config.epochs; epoch++) {
        const started = performance.now();
        const tokens0 = this.tokensSeen;
        let sum = 0, n = 0;
        for (const batch of this.batches()) {
          sum += (await this.step(batch)) * batch.length;
          n += batch.length;
          await new Promise((r) => setImmediate(r)); // let heartbeats and signals through
        }
        const tokensPerSecond = (this.tokensSeen - tokens0) / ((performance.now() - started) / 1000);
        const m: EpochMetrics = {
          epoch,
          "train/loss": n ? sum / n : 0,
          ...(await this.evaluate(this.examples.validation)),
          "tie/nu": this.logNu ? Math.exp(this.logNu.dataSync()[0]!) : null,
          tokensPerSecond,
        };
        history.push(m);
        await onEpoch(m);
        if (stopper.record(m)) break;
      }
      return { history, best: stopper.restore() };
    } finally {
      stopper.free();
    }
  }

  /** The parameters to save: trunk with any adapter merged, plus the head. */
  exportParams(): Params {
    if (!this.lora) return this.params;
    const merged = this.lora.merge(this.params);
    return merged;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.helpers.map((h) => h.stop()));
    this.helpers = [];
    this.optimizer.dispose();
    this.lora?.dispose();
    this.logNu?.dispose();
  }
}
