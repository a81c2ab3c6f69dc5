// What the WASM backend needs before it can train a transformer (DESIGN.md, "Compute
// backends"). Model code stays plain tfjs; the fixes live here:
//
// 1. UnsortedSegmentSum is not registered for wasm, and it is the gradient of tf.gather,
//    i.e. of every embedding lookup. It is a scatter-add, registered below in plain JS on
//    the wasm heap (O(N·C), far below the matmuls around it).
// 2. BatchMatMul with a transpose flag runs 20–30× slower than without on wasm (XNNPACK is
//    only used for the plain layout; measured here 0.5–1.5 vs 15–19 GFLOP/s). Every
//    backward pass of a dense layer and q·kᵀ in attention use one. The wrapper transposes
//    the operand explicitly (a memory-bound copy) and calls the fast plain kernel.
//
// Must run after the wasm package registers its kernels and before the backend starts,
// because kernels' setup functions are bound when the backend initialises.
import * as tf from "@tensorflow/tfjs-core";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";

type WasmBackend = {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
  disposeData(dataId: unknown): boolean;
};

const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const wasm = backend as unknown as WasmBackend;
  const ids = wasm.readSync(segmentIds.dataId);
  const xs = wasm.readSync(x.dataId);
  const rows = ids.length;
  const inner = rows === 0 ? 0 : xs.length / rows;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = wasm.makeOutput(outShape, x.dtype);
  const o = wasm.typedArrayFromHeap(out);
  o.fill(0);
  for (let r = 0; r < rows; r++) {
    const seg = ids[r]!;
    if (seg < 0 || seg >= numSegments) continue; // TF drops out-of-range ids
    const src = r * inner;
    const dst = seg * inner;
    for (let c = 0; c < inner; c++) o[dst + c]! += xs[src + c]!;
  }
  return out;
};

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

function explicitTransposeMatMul(plain: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return plain(args);
    const wasm = backend as unknown as WasmBackend;
    const flip = (t: TensorInfo) => transpose({ inputs: { x: t }, backend, attrs: { perm: swapLastTwo(t.shape.length) } }) as TensorInfo;
    const aa = transposeA ? flip(a) : a;
    const bb = transposeB ? flip(b) : b;
    try {
      return plain({ inputs: { a: aa, b: bb }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      if (aa !== a) wasm.disposeData(aa.dataId);
      if (bb !== b) wasm.disposeData(bb.dataId);
    }
  };
}

let patched = false;

/** Registers the missing kernels and the fast matmul path on the wasm backend (once). */
export function patchWasmKernels(): void {
  if (patched) return;
  patched = true;
  if (!tf.getKernel("UnsortedSegmentSum", "wasm")) {
    tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: unsortedSegmentSum });
  }
  const matmul = tf.getKernel("BatchMatMul", "wasm") as KernelConfig | undefined;
  const transpose = tf.getKernel("Transpose", "wasm") as KernelConfig | undefined;
  if (matmul && transpose) {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel({ ...matmul, kernelFunc: explicitTransposeMatMul(matmul.kernelFunc, transpose.kernelFunc) });
  }
}
