// Data-parallel training on one machine: WASM in Node runs one thread, so a second core is
// used by a worker thread holding a replica of the model. Each step the main thread sends the
// current trainable values and a share of the batch, computes its own share meanwhile, and
// averages the two gradients weighted by each share's total judgment weight; only the main
// thread's optimiser updates the values (which are sent again next step), so the replicas
// cannot drift apart.
import os from "node:os";
import { Worker } from "node:worker_threads";

export type GradRequest = { values: Float32Array[]; items: unknown[] };
export type GradResult = { loss: number; grads: Float32Array[] };

type Pending = { resolve: (r: GradResult) => void; reject: (e: Error) => void };

export class GradHelper {
  private readonly worker: Worker;
  private pending: Pending | null = null;
  private failed: Error | null = null;

  private constructor(script: URL, init: unknown) {
    // The worker runs TypeScript through tsx like the trainer itself (ts-worker.mjs registers it).
    const boot = new URL("./ts-worker.mjs", import.meta.url);
    this.worker = new Worker(boot, { workerData: { ...(init as object), __script: script.href } });
    this.worker.on("message", (msg: { type: "ready" } | ({ type: "grads" } & GradResult) | { type: "error"; message: string }) => {
      const p = this.pending;
      this.pending = null;
      if (msg.type === "grads") p?.resolve({ loss: msg.loss, grads: msg.grads });
      else if (msg.type === "error") p?.reject(new Error(`training worker: ${msg.message}`));
      else if (msg.type === "ready") p?.resolve({ loss: 0, grads: [] });
    });
    const fail = (err: Error) => {
      this.failed ??= err;
      this.pending?.reject(this.failed);
      this.pending = null;
    };
    this.worker.on("error", fail);
    // a worker that exits (out of memory, killed) must not leave a step waiting forever
    this.worker.on("exit", (code) => fail(new Error(`training worker exited (code ${code})`)));
  }

  /** Starts a worker from `script` with `init` as its workerData; resolves once it is ready. */
  static async start(script: URL, init: unknown): Promise<GradHelper> {
    const h = new GradHelper(script, init);
    await new Promise<GradResult>((resolve, reject) => (h.pending = { resolve, reject }));
    return h;
  }

  grads(req: GradRequest): Promise<GradResult> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.pending) return Promise.reject(new Error("a gradient request is already in flight"));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ type: "grads", ...req });
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Helper threads worth starting: ARBITER_TRAIN_THREADS − 1 if set, else one per extra core
 * (at most 3), and none on the native TensorFlow backends, which thread by themselves.
 */
export function helperCount(backendName: string): number {
  if (backendName === "tensorflow") return 0;
  const forced = Number(process.env.ARBITER_TRAIN_THREADS);
  const threads = Number.isInteger(forced) && forced >= 1 ? forced : Math.min(4, os.availableParallelism());
  return Math.max(0, threads - 1);
}
