// Trainer tests run on the backend users get on a machine like this one: WASM with the
// project's kernels (trainer/tf/wasm-kernels.ts).
import { selectBackend } from "@/trainer/tf/backend";

export const backendReady = selectBackend((process.env.ARBITER_TF_BACKEND as "wasm" | undefined) ?? "wasm");
