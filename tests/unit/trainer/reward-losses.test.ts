import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { bradleyTerryLoss, davidsonTieLoss, davidsonWinLoss, plackettLuceLoss } from "@/trainer/reward/losses";
import { backendReady } from "./tf-backend";

beforeAll(async () => void (await backendReady));

const t1 = (xs: number[]) => tf.tensor1d(xs);
const value = (s: tf.Scalar) => {
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
};

/** Central finite differences of f at x, one coordinate at a time. */
function numericGrad(f: (x: number[]) => number, x: number[], h = 1e-2): number[] {
  return x.map((_, i) => {
    const up = [...x], down = [...x];
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

describe("reward losses", () => {
  it("Bradley–Terry equals −log σ(d − m) worked by hand", () => {
    const got = value(tf.tidy(() => bradleyTerryLoss(t1([2, 0]), t1([1, 0]), t1([0, 0.5]), t1([1, 3]))));
    const by = (d: number) => -Math.log(1 / (1 + Math.exp(-d)));
    expect(got).toBeCloseTo((by(1) + 3 * by(-0.5)) / 4, 5);
  });

  it("Davidson with ν → 0 is Bradley–Terry, and its probabilities sum to one", () => {
    const bt = value(tf.tidy(() => bradleyTerryLoss(t1([1.3]), t1([0.2]), t1([0]), t1([1]))));
    const dv = value(tf.tidy(() => davidsonWinLoss(t1([1.3]), t1([0.2]), t1([0]), t1([1]), tf.scalar(-30))));
    expect(dv).toBeCloseTo(bt, 5);
    const logNu = tf.scalar(Math.log(0.7));
    const pWin = Math.exp(-value(tf.tidy(() => davidsonWinLoss(t1([0.4]), t1([-0.1]), t1([0]), t1([1]), logNu))));
    const pLose = Math.exp(-value(tf.tidy(() => davidsonWinLoss(t1([-0.1]), t1([0.4]), t1([0]), t1([1]), logNu))));
    const pTie = Math.exp(-value(tf.tidy(() => davidsonTieLoss(t1([0.4]), t1([-0.1]), t1([1]), logNu))));
    expect(pWin + pLose + pTie).toBeCloseTo(1, 5);
  });

  it("Plackett–Luce equals the product of choice probabilities worked by hand", () => {
    const r = [1, 0.5, -1];
    const e = r.map(Math.exp);
    const p = (e[0]! / (e[0]! + e[1]! + e[2]!)) * (e[1]! / (e[1]! + e[2]!));
    expect(value(tf.tidy(() => plackettLuceLoss(tf.tensor2d([r]), t1([1]))))).toBeCloseTo(-Math.log(p), 5);
    // k = 2 is Bradley–Terry
    const two = value(tf.tidy(() => plackettLuceLoss(tf.tensor2d([[0.3, 1.1]]), t1([1]))));
    expect(two).toBeCloseTo(value(tf.tidy(() => bradleyTerryLoss(t1([0.3]), t1([1.1]), t1([0]), t1([1])))), 5);
  });

  it("gradients match finite differences", () => {
    const x0 = [0.3, -0.8, 1.2, 0.1, -0.4, 0.9];
    const logNu = 0.2;
    const loss = (input: tf.Tensor) => {
      const x = input as tf.Tensor1D;
      const r = (i: number) => tf.slice(x, [i], [1]) as tf.Tensor1D;
      return tf.addN([
        davidsonWinLoss(tf.concat([r(0), r(1)]), tf.concat([r(2), r(3)]), t1([0, 0.3]), t1([1, 2]), tf.scalar(logNu)),
        davidsonTieLoss(r(4), r(5), t1([1]), tf.scalar(logNu)),
        bradleyTerryLoss(r(1), r(4), t1([0.2]), t1([1])),
        plackettLuceLoss(tf.reshape(tf.gather(x, tf.tensor1d([2, 0, 5, 1], "int32")), [1, 4]) as tf.Tensor2D, t1([1])),
      ]) as tf.Scalar;
    };
    const analytic = tf.tidy(() => tf.grad(loss)(t1(x0))).arraySync() as number[];
    const numeric = numericGrad((x) => value(tf.tidy(() => loss(t1(x)))), x0);
    analytic.forEach((g, i) => expect(g).toBeCloseTo(numeric[i]!, 3));
  });
});
