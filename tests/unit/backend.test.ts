import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { selectBackend } from "@/trainer/tf/backend";

describe("TensorFlow.js backend choice", () => {
  it("falls through missing native packages to a working backend and says why", async () => {
    const skipped: string[] = [];
    const loaded = await selectBackend("auto", (l) => skipped.push(l));
    expect(["tensorflow", "wasm", "cpu"]).toContain(loaded.tfName);
    expect(tf.getBackend()).toBe(loaded.tfName);
    if (loaded.tfName !== "tensorflow") expect(skipped.some((l) => l.includes("tensorflow"))).toBe(true);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
    expect(y).toBe(11);
  });

  it("honours a forced backend", async () => {
    const loaded = await selectBackend("cpu");
    expect(loaded).toMatchObject({ choice: "cpu", tfName: "cpu" });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("fails clearly when the forced backend is absent", async () => {
    let hasNative = true;
    try {
      await import("@tensorflow/tfjs-node" as string);
    } catch {
      hasNative = false;
    }
    if (hasNative) return; // a machine with libtensorflow: nothing to refuse
    await expect(selectBackend("tensorflow")).rejects.toThrow(/no TensorFlow.js backend/);
  });
});
