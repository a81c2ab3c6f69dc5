// Picks the TensorFlow.js backend at start (DESIGN.md, "Compute backends"):
// tfjs-node-gpu (CUDA) → tfjs-node → WASM with SIMD → plain JS. The native packages are
// optional dependencies that fail to install without internet, so each is tried by a
// dynamic import that may throw. ARBITER_TF_BACKEND forces one choice.
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core alone registers no gradients; the @tensorflow/tfjs umbrella's Node bundle does
// (core's own register_all_gradients is ESM with directory imports, which Node refuses).
import "@tensorflow/tfjs";
import { patchWasmKernels } from "./wasm-kernels";

export type BackendChoice = "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
export type BackendPreference = BackendChoice | "auto";

export type LoadedBackend = {
  /** what we asked for, e.g. "tensorflow-gpu" */
  choice: BackendChoice;
  /** tf.getBackend() afterwards, e.g. "tensorflow" or "wasm" */
  tfName: string;
  /** human-readable, reported in health and round logs, e.g. "wasm (simd)" */
  description: string;
};

const ORDER: BackendChoice[] = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];
const require = createRequire(import.meta.url);

async function tryLoad(choice: BackendChoice): Promise<LoadedBackend> {
  switch (choice) {
    case "tensorflow-gpu":
    case "tensorflow": {
      // Both packages register a backend named "tensorflow"; -gpu links CUDA libtensorflow.
      const pkg = choice === "tensorflow-gpu" ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
      await import(/* webpackIgnore: true */ pkg);
      if (!(await tf.setBackend("tensorflow"))) throw new Error(`${pkg} loaded but its backend did not start`);
      return { choice, tfName: "tensorflow", description: pkg.replace("@tensorflow/", "") };
    }
    case "wasm": {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      patchWasmKernels();
      // In Node the .wasm binaries are read from the package folder, not fetched.
      const wasmFile = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm");
      wasm.setWasmPaths(path.dirname(wasmFile) + path.sep);
      if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not start");
      const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
      return { choice, tfName: "wasm", description: simd ? "wasm (simd)" : "wasm" };
    }
    case "cpu": {
      await import("@tensorflow/tfjs-backend-cpu");
      if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend did not start");
      return { choice, tfName: "cpu", description: "cpu (plain JS)" };
    }
  }
}

/**
 * Loads the first backend that works, in DESIGN.md's order, or exactly the forced one.
 * `log` receives one line per backend that was skipped and why.
 */
export async function selectBackend(
  preference: BackendPreference = "auto",
  log: (line: string) => void = () => {},
): Promise<LoadedBackend> {
  const candidates = preference === "auto" ? ORDER : [preference];
  for (const choice of candidates) {
    try {
      const loaded = await tryLoad(choice);
      await tf.ready();
      return loaded;
    } catch (err) {
      log(`backend ${choice} unavailable: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be loaded (asked for ${preference})`);
}
