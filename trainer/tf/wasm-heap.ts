// Direct access to a tensor's memory on the wasm backend, for the few places where a kernel
// call's fixed cost is most of the work (the sampling decoder's per-token steps). The view
// aliases the tensor: writes are visible to every kernel that later reads it, so only
// tensors whose data no other tensor shares may be written, and never one that has been
// the right operand of a batch-1 product (XNNPACK keeps a packed copy of it by tensor id). Views are invalidated when the
// wasm heap grows (any allocation may grow it): take them together, use them, drop them.
import * as tf from "@tensorflow/tfjs-core";
import type { TensorInfo } from "@tensorflow/tfjs-core";

type WasmBackend = { typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array };

/** Whether heapView works on the current backend. */
export function onWasm(): boolean {
  return tf.getBackend() === "wasm";
}

/** A float32 tensor's data on the wasm heap (no copy). Throws on other backends. */
export function heapView(t: tf.Tensor): Float32Array {
  if (!onWasm()) throw new Error("heapView needs the wasm backend");
  if (t.dtype !== "float32") throw new Error(`heapView of a ${t.dtype} tensor`);
  return (tf.backend() as unknown as WasmBackend).typedArrayFromHeap(t) as Float32Array;
}
