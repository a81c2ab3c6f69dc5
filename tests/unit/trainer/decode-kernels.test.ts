// The decoder's WebAssembly kernels (trainer/tf/decode-kernels.wat) against float64
// references: attention on shapes that reach every branch (positions not a multiple of four,
// i.e. the scalar tails; one row and one head; masked columns; D of 4 and 32), GELU over
// the range where its exp form could overflow, and the residual add with LayerNorm.
import * as tf from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileWat, KERNELS } from "@/scripts/build-wasm";
import { addNorm, decodeAttention, decodeKernelsReady, geluWasm } from "@/trainer/tf/decode-kernels";
import { backendReady } from "./tf-backend";

beforeAll(async () => void (await backendReady));

/** softmax(q·kᵀ + bias)·v over columns 0..n in plain float64 loops, with k and v of column n taken from qkv. */
function reference(qkv: number[][], kTIn: Float32Array, vIn: Float32Array, biasIn: Float32Array, [BH, D, cap]: [number, number, number], H: number, n: number) {
  const kT = Float64Array.from(kTIn), v = Float64Array.from(vIn);
  const C = H * D;
  const out: number[] = [];
  for (let bh = 0; bh < BH; bh++) {
    const [b, h] = [Math.floor(bh / H), bh % H];
    const at = (part: number, d: number) => qkv[b]![part * C + h * D + d]!;
    for (let d = 0; d < D; d++) {
      kT[(bh * D + d) * cap + n] = at(1, d);
      v[(bh * cap + n) * D + d] = at(2, d);
    }
    const scores = Array.from({ length: n + 1 }, (_, s) => {
      let x = biasIn[bh * cap + s]!;
      for (let d = 0; d < D; d++) x += at(0, d) * kT[(bh * D + d) * cap + s]!;
      return x;
    });
    const max = Math.max(...scores);
    const e = scores.map((x) => Math.exp(x - max));
    const total = e.reduce((a, x) => a + x, 0);
    for (let d = 0; d < D; d++) out.push(e.reduce((a, p, s) => a + p * v[(bh * cap + s) * D + d]!, 0) / total);
  }
  return { out, kT: Array.from(kT), v: Array.from(v) };
}

describe("decode attention kernel", () => {
  it.each([
    ["3 rows × 2 heads, D 8", 3, 2, 8, 13],
    ["one row, one head, D 4", 1, 1, 4, 6],
    ["2 rows × 4 heads, D 32", 2, 4, 32, 40],
  ])("matches softmax(q·kᵀ + bias)·v with %s, at every position", (_, B, H, D, cap) => {
    expect(decodeKernelsReady(H * D, H)).toBe(true);
    const BH = B * H;
    const C = H * D;
    let seed = 1;
    const rand = () => tf.tidy(() => tf.randomNormal([1], 0, 1, "float32", seed++).dataSync()[0]!);
    for (const n of [0, 1, 3, 4, 5, cap - 1]) {
      const kT = tf.randomNormal([BH, D, cap], 0, 1, "float32", seed++) as tf.Tensor3D;
      const v = tf.randomNormal([BH, cap, D], 0, 1, "float32", seed++) as tf.Tensor3D;
      // row b masks its first b columns (left padding) and everything past n
      const bias = tf.tensor3d(Array.from({ length: BH * cap }, (_, i) => {
        const [r, s] = [Math.floor(i / cap), i % cap];
        return s > n || (s < Math.floor(r / H) && s < n) ? -1e9 : 0.1 * (s % 3);
      }), [BH, 1, cap]);
      const qkv = Array.from({ length: B }, () => Array.from({ length: 3 * C }, rand));
      const expected = reference(qkv, kT.dataSync() as Float32Array, v.dataSync() as Float32Array, bias.dataSync() as Float32Array, kT.shape, H, n);
      const out = tf.tidy(() => decodeAttention(tf.tensor3d([qkv]), kT, v, bias, H, n));
      expect(out.shape).toEqual([1, B, C]);
      const got = Array.from(out.dataSync());
      got.forEach((x, i) => expect(x).toBeCloseTo(expected.out[i]!, 5));
      // the new column is written into the cache, nothing else changes
      Array.from(kT.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(expected.kT[i]!, 6));
      Array.from(v.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(expected.v[i]!, 6));
      tf.dispose([kT, v, bias, out]);
    }
  });

  it("stays exact when every score is far below zero, and with a bias wider than the cache", () => {
    // scores shifted by −100 (all under exp's normal range before the max is taken off), and
    // a bias of 11 columns over a cache of 8
    const [B, H, D, cap, width, n] = [2, 2, 4, 8, 11, 6];
    const BH = B * H;
    const kT = tf.randomNormal([BH, D, cap], 0, 1, "float32", 71) as tf.Tensor3D;
    const v = tf.randomNormal([BH, cap, D], 0, 1, "float32", 72) as tf.Tensor3D;
    const biasWide = Array.from({ length: BH * width }, (_, i) => (i % width > n ? -1e9 : -100 - (i % 3)));
    const bias = tf.tensor3d(biasWide, [BH, 1, width]);
    const qkv = Array.from({ length: B }, (_, b) => Array.from({ length: 3 * H * D }, (_, i) => Math.sin(b * 31 + i)));
    const narrow = Float32Array.from({ length: BH * cap }, (_, i) => biasWide[Math.floor(i / cap) * width + (i % cap)]!);
    const expected = reference(qkv, kT.dataSync() as Float32Array, v.dataSync() as Float32Array, narrow, kT.shape, H, n);
    const out = decodeAttention(tf.tensor3d([qkv]), kT, v, bias, H, n);
    Array.from(out.dataSync()).forEach((x, i) => {
      expect(Number.isFinite(x)).toBe(true);
      expect(x).toBeCloseTo(expected.out[i]!, 5);
    });
    tf.dispose([kT, v, bias, out]);
  });

  it("gives masked columns no weight and stays exact for large score gaps", () => {
    // one head, D 4: column 0 has score 0, columns 1..4 are masked, column 5 scores −50 below
    const cap = 8, n = 5, D = 4;
    const kT = tf.zeros([1, D, cap]) as tf.Tensor3D;
    const v = tf.tensor3d(Array.from({ length: cap * D }, (_, i) => Math.floor(i / D) + 1), [1, cap, D]); // v[s] = s + 1
    const bias = tf.tensor3d([[[0, -1e9, -1e9, -1e9, -1e9, -50, 0, 0]]]);
    const qkv = tf.tensor3d([[[1, 0, 0, 0, 0, 0, 0, 0, 6, 6, 6, 6]]]); // the new value (column 5) is 6
    const out = decodeAttention(qkv, kT, v, bias, 1, n);
    const w = Math.exp(-50) / (1 + Math.exp(-50));
    Array.from(out.dataSync()).forEach((x) => expect(x).toBeCloseTo(1 * (1 - w) + 6 * w, 6));
    tf.dispose([kT, v, bias, qkv, out]);
  });

  it("refuses shapes that do not fit the cache", () => {
    const kT = tf.zeros([2, 4, 4]) as tf.Tensor3D;
    const v = tf.zeros([2, 4, 4]) as tf.Tensor3D;
    const bias = tf.zeros([2, 1, 4]) as tf.Tensor3D;
    expect(() => decodeAttention(tf.zeros([1, 2, 12]) as tf.Tensor3D, kT, v, bias, 1, 4)).toThrow(/outside the cache/);
    expect(() => decodeAttention(tf.zeros([1, 2, 12]) as tf.Tensor3D, kT, v, bias, 2, 1)).toThrow(/does not match/);
    tf.dispose([kT, v, bias]);
  });

  it("computes GELU (tanh form) to float precision, far into both tails", () => {
    const xs = Array.from({ length: 400 }, (_, i) => (i - 200) * 0.37 + (i % 7) * 0.01); // −74 … 74
    xs.push(-1e4, 1e4, 0, -0.0);
    // x·σ(2u) in float64: the same function as ½x(1 + tanh u), without tanh's cancellation for x ≪ 0
    const exact = (x: number) => x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    const out = tf.tidy(() => geluWasm(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => {
      const e = exact(x);
      // relative where float32 can represent the value, else it must flush to (−)0
      if (Math.abs(e) > 1e-37) expect(Math.abs(out[i]! - e)).toBeLessThanOrEqual(1e-6 * Math.abs(e) + 1e-7);
      else expect(Math.abs(out[i]!)).toBeLessThanOrEqual(1e-37);
    });
  });

  it("adds the residual and normalises each row as LayerNorm does without gain or shift", () => {
    const [rows, C] = [3, 12];
    // row 0 with an outlier, row 1 constant (variance 0: ε alone), row 2 with a variance near ε
    // (inputs rounded to float32 first: the kernel sees them so)
    const x = Array.from({ length: rows * C }, (_, i) => Math.fround(i < C ? Math.sin(i) * 3 + (i === 0 ? 40 : 0) : i < 2 * C ? 2.5 : 1 + 0.004 * Math.sin(i)));
    const y = Array.from({ length: rows * C }, (_, i) => Math.fround(i < C ? Math.cos(i * 0.7) : 0));
    const eps = 1e-5;
    const [sum, norm, alone] = tf.tidy(() => {
      const [s, n] = addNorm(tf.tensor3d(x, [1, rows, C]), tf.tensor3d(y, [1, rows, C]), eps);
      return [s.dataSync(), n.dataSync(), addNorm(tf.tensor3d(x, [1, rows, C]), null, eps).dataSync()];
    });
    const layerNorm = (v: number[]) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      return v.map((e) => (e - mean) / Math.sqrt(variance + eps));
    };
    for (let r = 0; r < rows; r++) {
      const s = x.slice(r * C, (r + 1) * C).map((e, c) => Math.fround(e + y[r * C + c]!));
      s.forEach((e, c) => expect(sum[r * C + c]).toBeCloseTo(e, 5));
      // row 2's x − μ cancels to ~0.004 in float32: its normalised values carry ~2e-5 of rounding
      const digits = r === 2 ? 4 : 5;
      layerNorm(s).forEach((e, c) => expect(norm[r * C + c]).toBeCloseTo(e, digits));
      layerNorm(x.slice(r * C, (r + 1) * C)).forEach((e, c) => expect(alone[r * C + c]).toBeCloseTo(e, digits));
    }
  });

  it("is built from its source: the committed bytes are what the .wat compiles to", async () => {
    for (const k of KERNELS) {
      const bytes = await compileWat(path.resolve(k.wat));
      const committed = readFileSync(path.resolve(k.out), "utf8").match(/"([A-Za-z0-9+/=]+)"/)![1]!;
      expect(Buffer.from(bytes).toString("base64")).toBe(committed);
    }
  });
});
