// The sampling decoder's per-step work between its products, as calls into a small
// WebAssembly SIMD module (decode-kernels.wat) that works on the tfjs wasm backend's own
// memory, registered as tfjs kernels so that tensors, tidy and dispose work as usual:
// - attention for one new position per row: through tfjs a split, two batched products, an
//   add and a softmax per layer, five kernel calls at 2–3 GFLOP/s, about half of a step.
//   The kernel also writes the position's key and value into the cache, so the cache's
//   tensors are never the operand of a product (and XNNPACK's packed copy of one, see
//   kv-buffer.ts, never arises);
// - GELU: six elementwise kernels through tfjs, ~150 µs a layer for 16 × 512 numbers;
// - the residual add with the LayerNorm after it: an add, then a normalisation in JS whose
//   result had to be copied into a new tensor.
import * as tf from "@tensorflow/tfjs-core";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { WASM_BASE64 } from "./decode-kernels-wasm";
import { onWasm } from "./wasm-heap";

type Exports = { attend: (...args: number[]) => void; gelu: (x: number, out: number, n: number) => void; add_norm: (x: number, y: number, sum: number, norm: number, rows: number, C: number, eps: number) => void };
type WasmBackend = {
  wasm: { asm?: { memory?: unknown }; wasmMemory?: unknown };
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: unknown): boolean;
};

let bound: { memory: WebAssembly.Memory; kernels: Exports } | undefined;

/** The module instantiated on the backend's memory (once per memory), or null where that memory is not reachable. */
function kernelsOn(backend: WasmBackend): Exports | null {
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (bound?.memory !== memory) {
    try {
      const module = new WebAssembly.Module(Buffer.from(WASM_BASE64, "base64"));
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      bound = { memory, kernels: instance.exports as unknown as Exports };
    } catch {
      return null; // e.g. the threaded build's shared memory, which this module does not declare: tfjs kernels then
    }
  }
  return bound.kernels;
}

const offset = (backend: WasmBackend, t: TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;

/** Writes into its inputs kT and v (the cache, owned by one KVBuffer): no gradient is registered for it. */
const attendKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { qkv, kT, v, bias } = inputs as Record<"qkv" | "kT" | "v" | "bias", TensorInfo>;
  const { heads: H, position: n } = attrs as unknown as { heads: number; position: number };
  const wasm = backend as unknown as WasmBackend;
  const [BH, D, cap] = kT.shape as [number, number, number];
  const B = BH / H;
  const S = bias.shape[bias.shape.length - 1]!;
  const out = wasm.makeOutput([1, B, H * D], "float32");
  const scratch = wasm.makeOutput([n + 4], "float32");
  const at = (t: TensorInfo) => offset(wasm, t);
  kernelsOn(wasm)!.attend(at(qkv), at(kT), at(v), at(bias), at(out), at(scratch), B, H, D, cap, n, S);
  wasm.disposeData(scratch.dataId);
  return out;
};

const geluKernel: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  const wasm = backend as unknown as WasmBackend;
  const out = wasm.makeOutput(x.shape, "float32");
  kernelsOn(wasm)!.gelu(offset(wasm, x), offset(wasm, out), size(x));
  return out;
};

/** x (+ y) and its LayerNorm without gain or shift; with no y only the norm. */
const addNormKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, y } = inputs as { x: TensorInfo; y?: TensorInfo };
  const { eps } = attrs as unknown as { eps: number };
  const wasm = backend as unknown as WasmBackend;
  const C = x.shape[x.shape.length - 1]!;
  const sum = y ? wasm.makeOutput(x.shape, "float32") : undefined;
  const norm = wasm.makeOutput(x.shape, "float32");
  kernelsOn(wasm)!.add_norm(offset(wasm, x), y ? offset(wasm, y) : 0, sum ? offset(wasm, sum) : 0, offset(wasm, norm), size(x) / C, C, eps);
  return sum ? [sum, norm] : norm;
};

const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

const KERNELS: [string, KernelFunc][] = [
  ["ArbiterDecodeAttention", attendKernel],
  ["ArbiterGelu", geluKernel],
  ["ArbiterAddNorm", addNormKernel],
];

/**
 * Whether these kernels run here for a model of `heads` heads over C = n_embd: the wasm
 * backend, head size a multiple of 4 (the SIMD width), and not turned off
 * (ARBITER_DECODE_KERNELS=tfjs keeps the tfjs kernels).
 */
export function decodeKernelsReady(C: number, heads: number): boolean {
  if (!onWasm() || C % heads !== 0 || (C / heads) % 4 !== 0 || process.env.ARBITER_DECODE_KERNELS === "tfjs") return false;
  return registered();
}

/** Registers the kernels (once) where the module links to the backend's memory. */
let kernelsRegistered = false;

function registered(): boolean {
  if (!onWasm() || !kernelsOn(tf.backend() as unknown as WasmBackend)) return false;
  if (!kernelsRegistered) {
    // tfjs keeps registrations per backend name for the process: once is enough
    for (const [kernelName, kernelFunc] of KERNELS) if (!tf.getKernel(kernelName, "wasm")) tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
    kernelsRegistered = true;
  }
  return true;
}

function run(kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number> = {}): tf.Tensor | tf.Tensor[] {
  for (const [name, t] of Object.entries(inputs)) if (t.dtype !== "float32") throw new Error(`${kernel}: ${name} is ${t.dtype}, not float32`);
  if (!registered()) throw new Error(`${kernel} needs the wasm backend with a memory this module can link to`);
  return tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
}

/**
 * Attention output [1, B, H·D] of the new position `position` for each of B rows, whose
 * queries, keys and values are qkv [1, B, 3·H·D] (queries scaled by 1/√D); writes the keys
 * and values into column `position` of the cache kT [B·H, D, cap] and v [B·H, cap, D] and
 * attends over columns 0..position with the additive bias [B·H, 1, ≥ position + 1] (added
 * after q·kᵀ, as tfjs does; column `position` should be unmasked). Check decodeKernelsReady
 * first.
 */
export function decodeAttention(qkv: tf.Tensor3D, kT: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor3D, heads: number, position: number): tf.Tensor3D {
  const [BH, D, cap] = kT.shape;
  const [one, B, C3] = qkv.shape;
  if (D % 4 !== 0) throw new Error(`decodeAttention: heads of ${D}, not a multiple of 4`);
  if (one !== 1 || BH !== B * heads || C3 !== 3 * heads * D) throw new Error(`decodeAttention: qkv ${qkv.shape} does not match the cache ${kT.shape} with ${heads} heads`);
  if (!tf.util.arraysEqual(v.shape, [BH, cap, D])) throw new Error(`decodeAttention: values ${v.shape} do not match keys ${kT.shape}`);
  if (!(position >= 0 && position < cap)) throw new Error(`decodeAttention: position ${position} is outside the cache's ${cap} columns`);
  if (bias.shape[0] !== BH || bias.shape[1] !== 1 || bias.shape[2]! <= position) throw new Error(`decodeAttention: bias ${bias.shape} does not cover ${BH} rows × ${position + 1} columns`);
  return run("ArbiterDecodeAttention", { qkv, kT, v, bias }, { heads, position }) as tf.Tensor3D;
}

/** GELU (tanh form) of x, whose size must be a multiple of 4. */
export function geluWasm<T extends tf.Tensor>(x: T): T {
  if (x.size % 4 !== 0) throw new Error(`geluWasm: ${x.size} numbers, not a multiple of 4`);
  return run("ArbiterGelu", { x }) as T;
}

/**
 * [x + y, LayerNorm(x + y)] over the last axis (a multiple of 4 long), without gain or shift:
 * (v − μ)/√(σ² + ε). With y null: LayerNorm(x) alone.
 */
export function addNorm(x: tf.Tensor3D, y: tf.Tensor3D, eps: number): [tf.Tensor3D, tf.Tensor3D];
export function addNorm(x: tf.Tensor3D, y: null, eps: number): tf.Tensor3D;
export function addNorm(x: tf.Tensor3D, y: tf.Tensor3D | null, eps: number): [tf.Tensor3D, tf.Tensor3D] | tf.Tensor3D {
  const C = x.shape[2];
  if (C % 4 !== 0) throw new Error(`addNorm: rows of ${C}, not a multiple of 4`);
  if (y && !tf.util.arraysEqual(x.shape, y.shape)) throw new Error(`addNorm: shapes ${x.shape} and ${y.shape} differ`);
  return run("ArbiterAddNorm", y ? { x, y } : { x }, { eps }) as [tf.Tensor3D, tf.Tensor3D] | tf.Tensor3D;
}
