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
// 3. A batched BatchMatMul (batch > 1, as in attention's [B·H, T, D] products) also misses
//    XNNPACK: 1.1 GFLOP/s against 13–18 for one matrix. The wrapper runs one plain product
//    per batch entry on copies in the wasm heap and writes each into the output.
//
// 4. GatherV2 (every embedding lookup) copies element by element in the wasm kernel: 3.6 µs
//    per 128-float row, 1.8 ms for a 496-token prompt's lookup. The wrapper copies whole
//    rows on the wasm heap instead (batchDims 0; anything else goes to the wasm kernel).
// 5. Slice and SplitV copy element by element too: 0.47 ms to take 128 of 384 columns of
//    496 rows, 8.4 ms to split a [2048, 384] q/k/v product in three. Replaced by copies of
//    contiguous runs on the heap.
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

/** a [batchA, M, K] · b [batchB, K, N] (batchA or batchB may be 1 and broadcast), no transposes. */
function perBatchMatMul(plain: KernelFunc, a: TensorInfo, b: TensorInfo, backend: unknown): TensorInfo {
  const wasm = backend as WasmBackend;
  const ra = a.shape.length, rb = b.shape.length;
  const [M, K] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const N = b.shape[rb - 1]!;
  const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batch = Math.max(batchA, batchB);
  const outShape = [...(batchA >= batchB ? a.shape : b.shape).slice(0, -2), M, N];
  const out = wasm.makeOutput(outShape, "float32");
  const slice = (t: TensorInfo, i: number, rows: number, cols: number): TensorInfo => {
    const part = wasm.makeOutput([1, rows, cols], "float32");
    // views are taken after the allocation: growing the heap detaches older views
    wasm.typedArrayFromHeap(part).set(wasm.typedArrayFromHeap(t).subarray(i * rows * cols, (i + 1) * rows * cols));
    return part;
  };
  for (let i = 0; i < batch; i++) {
    const ai = slice(a, batchA === 1 ? 0 : i, M, K);
    const bi = slice(b, batchB === 1 ? 0 : i, K, N);
    const ci = plain({ inputs: { a: ai, b: bi }, backend: backend as never, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(ci), i * M * N);
    for (const t of [ai, bi, ci]) wasm.disposeData(t.dataId);
  }
  return out;
}

function fastMatMul(plain: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    // Per-entry products pay when each entry is a real matrix; short ones (generation's
    // one-row queries, short prompts) run faster in the batched kernel than as many tiny
    // calls. Measured on [64, T, 32]·[64, 32, T]: batched 5–7× faster at T = 8, even at
    // T = 16, per-entry 2.5× faster at T = 31.
    const rows = transposeA ? a.shape[a.shape.length - 1]! : a.shape[a.shape.length - 2]!;
    const batched = (t: TensorInfo) => rows >= 16 && t.shape.slice(0, -2).reduce((x, y) => x * y, 1) > 1;
    if (!transposeA && !transposeB && !batched(a) && !batched(b)) return plain(args);
    const wasm = backend as unknown as WasmBackend;
    const flip = (t: TensorInfo) => transpose({ inputs: { x: t }, backend, attrs: { perm: swapLastTwo(t.shape.length) } }) as TensorInfo;
    const aa = transposeA ? flip(a) : a;
    const bb = transposeB ? flip(b) : b;
    const size = (t: TensorInfo) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    try {
      // per-entry products need batch sizes that are equal or 1 (other broadcasts: the plain kernel)
      if ((batched(aa) || batched(bb)) && (size(aa) === size(bb) || size(aa) === 1 || size(bb) === 1)) return perBatchMatMul(plain, aa, bb, backend);
      return plain({ inputs: { a: aa, b: bb }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      if (aa !== a) wasm.disposeData(aa.dataId);
      if (bb !== b) wasm.disposeData(bb.dataId);
    }
  };
}

/** x.gather(indices, axis) as row copies: out[o, i, :] = x[o, indices[i], :]. */
function rowGather(wasmGather: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, indices } = inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
    if (batchDims !== 0 || (x.dtype !== "float32" && x.dtype !== "int32")) return wasmGather(args);
    const wasm = backend as unknown as WasmBackend;
    const at = axis < 0 ? axis + x.shape.length : axis;
    const outer = x.shape.slice(0, at).reduce((a, b) => a * b, 1);
    const dim = x.shape[at]!;
    const inner = x.shape.slice(at + 1).reduce((a, b) => a * b, 1);
    const idx = wasm.readSync(indices.dataId);
    for (let i = 0; i < idx.length; i++) {
      if (!(idx[i]! >= 0 && idx[i]! < dim)) throw new Error(`GatherV2: the index value ${idx[i]} is not in [0, ${dim - 1}]`);
    }
    const out = wasm.makeOutput([...x.shape.slice(0, at), ...indices.shape, ...x.shape.slice(at + 1)], x.dtype);
    // views taken after the allocation: growing the heap detaches older views
    const src = wasm.typedArrayFromHeap(x);
    const dst = wasm.typedArrayFromHeap(out);
    const n = idx.length;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < n; i++) {
        const from = (o * dim + idx[i]!) * inner;
        dst.set(src.subarray(from, from + inner), (o * n + i) * inner);
      }
    }
    return out;
  };
}

/** x[begin : begin + size] as copies of its contiguous runs: out = makeOutput(size). */
function sliceRuns(x: TensorInfo, begin: number[], size: number[], wasm: WasmBackend): TensorInfo {
  const out = wasm.makeOutput(size, x.dtype);
  if (size.some((n) => n === 0)) return out;
  const rank = x.shape.length;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, acc = 1; i >= 0; acc *= x.shape[i]!, i--) strides[i] = acc;
  // a run spans dimension k (partly) and every dimension after it (whole)
  let k = rank - 1;
  while (k > 0 && size[k] === x.shape[k]) k--;
  const run = size[k]! * strides[k]!;
  const count = size.slice(0, k).reduce((a, b) => a * b, 1);
  // views taken after the allocation: growing the heap detaches older views
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  const idx = new Array<number>(k).fill(0);
  for (let c = 0; c < count; c++) {
    let from = begin[k]! * strides[k]!;
    for (let i = 0; i < k; i++) from += (begin[i]! + idx[i]!) * strides[i]!;
    dst.set(src.subarray(from, from + run), c * run);
    for (let i = k - 1; i >= 0 && ++idx[i]! === size[i]; i--) idx[i] = 0;
  }
  return out;
}

const copiesRuns = (x: TensorInfo) => x.shape.length > 0 && (x.dtype === "float32" || x.dtype === "int32");

function fastSlice(wasmSlice: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!copiesRuns(x)) return wasmSlice(args);
    const { begin, size } = args.attrs as unknown as { begin: number[]; size: number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
    return sliceRuns(x, b!, s!, args.backend as unknown as WasmBackend);
  };
}

function fastSplit(wasmSplit: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!copiesRuns(x)) return wasmSplit(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const at = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, at);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = [...x.shape];
      size[at] = n;
      const part = sliceRuns(x, begin, size, args.backend as unknown as WasmBackend);
      begin[at]! += n;
      return part;
    });
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
  for (const [name, wrap] of [["Slice", fastSlice], ["SplitV", fastSplit]] as const) {
    const kernel = tf.getKernel(name, "wasm") as KernelConfig | undefined;
    if (!kernel) continue;
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...kernel, kernelFunc: wrap(kernel.kernelFunc) });
  }
  const gather = tf.getKernel("GatherV2", "wasm") as KernelConfig | undefined;
  if (gather) {
    tf.unregisterKernel("GatherV2", "wasm");
    tf.registerKernel({ ...gather, kernelFunc: rowGather(gather.kernelFunc) });
  }
  const matmul = tf.getKernel("BatchMatMul", "wasm") as KernelConfig | undefined;
  const transpose = tf.getKernel("Transpose", "wasm") as KernelConfig | undefined;
  if (matmul && transpose) {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel({ ...matmul, kernelFunc: fastMatMul(matmul.kernelFunc, transpose.kernelFunc) });
  }
}
