import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { backendReady } from "./tf-backend";

beforeAll(async () => void (await backendReady));

/** Runs f on the wasm backend and on the plain JS one; returns both results. */
async function onBoth(f: () => tf.Tensor): Promise<[number[], number[]]> {
  const run = async (name: string) => {
    await tf.setBackend(name);
    const t = tf.tidy(f);
    const v = Array.from(await t.data());
    t.dispose();
    return v;
  };
  const wasm = await run("wasm");
  const cpu = await run("cpu");
  await tf.setBackend("wasm");
  return [wasm, cpu];
}

describe("wasm kernels the project registers", () => {
  it("runs on wasm", () => expect(tf.getBackend()).toBe("wasm"));

  it("UnsortedSegmentSum (the embedding gradient) equals the JS backend's", async () => {
    const [w, c] = await onBoth(() =>
      tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([2, 0, 2, 1], "int32"), 4),
    );
    expect(w).toEqual(c);
    expect(w).toEqual([3, 4, 7, 8, 6, 8, 0, 0]);
    const [gw, gc] = await onBoth(() => tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor1d([1, 1, 3], "int32")), tf.tensor2d([[1, 2], [3, 4], [5, 6]]))))(tf.zeros([5, 2])));
    expect(gw).toEqual(gc);
  });

  it("GatherV2 (row copies on the heap) equals the JS backend's on every axis, and refuses an index out of range", async () => {
    const x = () => tf.reshape(tf.range(0, 2 * 5 * 3, 1, "float32"), [2, 5, 3]);
    for (const [axis, idx] of [[0, [1, 0, 1]], [1, [4, 0, 2, 2]], [2, [2, 0]], [-1, [1]]] as const) {
      const [w, c] = await onBoth(() => tf.gather(x(), tf.tensor1d([...idx], "int32"), axis));
      expect(w).toEqual(c);
    }
    const [w2, c2] = await onBoth(() => tf.gather(x(), tf.tensor2d([[3, 1], [0, 4]], undefined, "int32"), 1)); // indices of rank 2
    expect(w2).toEqual(c2);
    const [wi, ci] = await onBoth(() => tf.gather(tf.tensor2d([[1, 2], [3, 4]], undefined, "int32"), tf.tensor1d([1, 1, 0], "int32")));
    expect(wi).toEqual(ci);
    expect(() => tf.tidy(() => tf.gather(x(), tf.tensor1d([5], "int32"), 1))).toThrow(/index value 5/);
  });

  it("Slice and SplitV (runs copied on the heap) equal the JS backend's", async () => {
    const x = () => tf.reshape(tf.range(0, 3 * 4 * 5 * 2, 1, "float32"), [3, 4, 5, 2]);
    const cases: [number[], number[]][] = [
      [[0, 1, 0, 0], [3, 2, 5, 2]], // whole inner dimensions: one run per row of the first
      [[1, 0, 2, 1], [2, 4, 3, 1]],
      [[0, 0, 0, 0], [-1, -1, -1, -1]],
      [[2, 3, 4, 1], [1, 1, 1, 1]],
      [[0, 2, 0, 0], [3, 0, 5, 2]], // empty
    ];
    for (const [begin, size] of cases) {
      const [w, c] = await onBoth(() => tf.slice(x(), begin, size));
      expect(w).toEqual(c);
    }
    const [w1, c1] = await onBoth(() => tf.slice(tf.tensor1d([1, 2, 3, 4, 5], "int32"), [1], [3]));
    expect(w1).toEqual(c1);
    for (const [splits, axis] of [[2, 1], [[1, 3, 1], 2], [2, 3], [[2, -1], 1], [3, 0]] as const) {
      const [w, c] = await onBoth(() => tf.concat(tf.split(x(), splits as number | number[], axis).map((t, i) => tf.mul(t, i + 1)), axis));
      expect(w).toEqual(c);
    }
  });

  it("matmul with transposed operands equals the JS backend's", async () => {
    const a = () => tf.randomNormal([3, 5, 7], 0, 1, "float32", 1);
    const b = () => tf.randomNormal([3, 4, 7], 0, 1, "float32", 2);
    const [w1, c1] = await onBoth(() => tf.matMul(a(), b(), false, true));
    w1.forEach((v, i) => expect(v).toBeCloseTo(c1[i]!, 4));
    const [w2, c2] = await onBoth(() => tf.matMul(a(), tf.randomNormal([3, 5, 4], 0, 1, "float32", 3), true, false));
    w2.forEach((v, i) => expect(v).toBeCloseTo(c2[i]!, 4));
    const [w3, c3] = await onBoth(() => tf.matMul(tf.randomNormal([6, 2], 0, 1, "float32", 4), tf.randomNormal([3, 6], 0, 1, "float32", 5), true, true));
    w3.forEach((v, i) => expect(v).toBeCloseTo(c3[i]!, 4));
  });
});
