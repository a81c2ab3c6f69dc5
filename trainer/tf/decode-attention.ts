// Attention for one new position per row, as one call into a small WebAssembly SIMD kernel
// (decode-attention.wat) that works on the tfjs wasm backend's own memory. Through tfjs it
// took a split, two batched products, an add and a softmax per layer: five kernel calls
// for a few hundred thousand multiply-adds, at 2–3 GFLOP/s, about half of a sampling step.
// The kernel also writes the position's key and value into the cache, so the cache's
// tensors are never the operand of a product (and XNNPACK's packed copy of one, see
// kv-buffer.ts, never arises).
import * as tf from "@tensorflow/tfjs-core";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { WASM_BASE64 } from "./decode-attention-wasm";
import { onWasm } from "./wasm-heap";

export const KERNEL_NAME = "ArbiterDecodeAttention";

type Attend = (...args: number[]) => void;
type WasmBackend = {
  wasm: { asm?: { memory?: unknown }; wasmMemory?: unknown };
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: unknown): boolean;
};

let bound: { memory: WebAssembly.Memory; attend: Attend } | undefined;

/** The kernel instantiated on the backend's memory (once per memory), or null where that memory is not reachable. */
function attendOn(backend: WasmBackend): Attend | null {
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (bound?.memory !== memory) {
    const module = new WebAssembly.Module(Buffer.from(WASM_BASE64, "base64"));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    bound = { memory, attend: instance.exports.attend as Attend };
  }
  return bound.attend;
}

const attendKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { qkv, kT, v, bias } = inputs as Record<"qkv" | "kT" | "v" | "bias", TensorInfo>;
  const { heads: H, position: n } = attrs as unknown as { heads: number; position: number };
  const wasm = backend as unknown as WasmBackend;
  const attend = attendOn(wasm)!;
  const [BH, D, cap] = kT.shape as [number, number, number];
  const B = BH / H;
  const S = bias.shape[bias.shape.length - 1]!;
  const out = wasm.makeOutput([1, B, H * D], "float32");
  const scratch = wasm.makeOutput([n + 4], "float32");
  const at = (t: TensorInfo) => wasm.dataIdMap.get(t.dataId).memoryOffset;
  attend(at(qkv), at(kT), at(v), at(bias), at(out), at(scratch), B, H, D, cap, n, S);
  wasm.disposeData(scratch.dataId);
  return out;
};

/**
 * Whether decodeAttention runs here for heads of D dimensions: the wasm backend, D a multiple
 * of 4, and not turned off (ARBITER_DECODE_ATTENTION=tfjs keeps the tfjs kernels).
 */
export function decodeAttentionReady(D: number): boolean {
  if (!onWasm() || D % 4 !== 0 || process.env.ARBITER_DECODE_ATTENTION === "tfjs") return false;
  if (!attendOn(tf.backend() as unknown as WasmBackend)) return false;
  if (!tf.getKernel(KERNEL_NAME, "wasm")) tf.registerKernel({ kernelName: KERNEL_NAME, backendName: "wasm", kernelFunc: attendKernel });
  return true;
}

/**
 * Attention output [1, B, H·D] of the new position `position` for each of B rows, whose
 * queries, keys and values are qkv [1, B, 3·H·D] (queries scaled by 1/√D); writes the keys
 * and values into column `position` of the cache kT [B·H, D, cap] and v [B·H, cap, D] and
 * attends over columns 0..position with the additive bias [B·H, 1, ≥ position + 1].
 * Check decodeAttentionReady first.
 */
export function decodeAttention(qkv: tf.Tensor3D, kT: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor3D, heads: number, position: number): tf.Tensor3D {
  const [BH, D, cap] = kT.shape;
  const [, B, C3] = qkv.shape;
  if (BH !== B * heads || C3 !== 3 * heads * D) throw new Error(`decodeAttention: qkv ${qkv.shape} does not match the cache ${kT.shape} with ${heads} heads`);
  if (!(position >= 0 && position < cap)) throw new Error(`decodeAttention: position ${position} is outside the cache's ${cap} columns`);
  if (bias.shape[0] !== BH || bias.shape[2]! <= position) throw new Error(`decodeAttention: bias ${bias.shape} does not cover ${BH} rows × ${position + 1} columns`);
  return tf.engine().runKernel(KERNEL_NAME, { qkv, kT, v, bias }, { heads, position } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}
