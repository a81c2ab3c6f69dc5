// Early stopping on validation loss, the best epoch restored (the reward and SFT trainers):
// after each epoch the trainable values are copied when the validation loss (the training
// loss without a validation split) is the best so far; training stops after `patience`
// epochs without a better one; the copies go back into the variables at the end.
import * as tf from "@tensorflow/tfjs-core";

type Scored = { "train/loss": number; "val/loss": number | null };

export class BestEpoch<M extends Scored> {
  private bestEpoch: M | null = null;
  private values: Map<string, tf.Tensor> | null = null;
  private sinceBest = 0;

  constructor(
    private readonly trainable: () => tf.Variable[],
    private readonly patience: number,
  ) {}

  /** Records an epoch's metrics; true when training should stop. */
  record(m: M): boolean {
    const score = (x: Scored) => x["val/loss"] ?? x["train/loss"];
    if (!this.bestEpoch || score(m) < score(this.bestEpoch)) {
      this.bestEpoch = m;
      this.free();
      this.values = new Map(this.trainable().map((v) => [v.name, v.clone()]));
      this.sinceBest = 0;
      return false;
    }
    return m["val/loss"] !== null && ++this.sinceBest >= this.patience;
  }

  /** Puts the best epoch's values back and frees the copies; the best epoch's metrics. */
  restore(): M {
    if (this.values) for (const v of this.trainable()) v.assign(this.values.get(v.name)!);
    this.free();
    return this.bestEpoch!;
  }

  /** Frees the copies (also when training ends early, by an error or a cancel). */
  free(): void {
    if (this.values) tf.dispose([...this.values.values()]);
    this.values = null;
  }
}
