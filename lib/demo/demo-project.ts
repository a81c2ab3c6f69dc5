// The demo project (the admin page's "Create demo project", `npm run demo`, bench:rlhf): the
// demo task's prompts, mixed-quality demonstrations and first responses, with round settings
// sized so a whole round (SFT, reward model, PPO, evaluation, generation) takes minutes on
// two CPU cores, and a round threshold so rounds start themselves as judgments arrive.
import { createProject } from "@/lib/projects/projects";
import { importStream } from "@/lib/import/import-stream";
import type { Project } from "@/lib/db/schema";
import { DEMO_TASK, demoData } from "./number-words";

export const DEMO_PROMPTS = 1500;

/** Round settings for the demo's model: small, from scratch, and phases for the whole loop. */
export function demoRoundSettings(seed = 0) {
  return {
    phases: ["sft", "reward_model", "policy", "evaluate", "generate"],
    // measured in lib/demo/number-words.ts's header: SFT from scratch reaches about half right
    // on held-out prompts in 7–11 epochs; the reward model peaks after 3–4 epochs
    scratchModel: { nEmbd: 64, nLayer: 3, nHead: 4, nPositions: 128 },
    sft: { epochs: 11, batchSize: 16, learningRate: 3e-3, patience: 3, maxTokens: 128, seed },
    rewardModel: { epochs: 6, batchSize: 16, learningRate: 1e-3, maxTokens: 128, patience: 2, seed },
    policy: { init: "previous", iterations: 30, promptsPerIteration: 32, maxNewTokens: 8, miniBatch: 16, ppoEpochs: 4, learningRate: 1e-3, targetKl: 3, seed },
    evaluate: { prompts: 100, samplesPerPrompt: 4, maxNewTokens: 8, temperature: 1, seed },
    generate: { prompts: 300, maxNewTokens: 8, temperature: 1, topP: 1, seed },
  };
}

export function demoProjectSettings(name: string, seed = 0) {
  return {
    name,
    instructions:
      `Demo task (${DEMO_TASK}): each prompt asks for a digit written as a word ("Write 7 in words." → "seven"). ` +
      "Prefer the answer that is exactly the right word. Simulated annotators judge this project by a hidden oracle with noise.",
    mode: "pairwise" as const,
    redundancy: 1,
    allowTies: false,
    roundThreshold: 150,
    roundSettings: demoRoundSettings(seed),
  };
}

/** The demo's import file: demonstrations, then prompts with two answers to compare. */
export function demoImportNdjson(seed = 0, prompts = DEMO_PROMPTS): string {
  return demoData({ prompts, seed }).records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** Creates and fills the demo project in this process (the admin action). */
export async function createDemoProject(createdBy: string, seed = 0): Promise<Project> {
  const project = await createProject(demoProjectSettings(`Demo: digits in words (seed ${seed})`, seed), createdBy);
  const bytes = new TextEncoder().encode(demoImportNdjson(seed));
  const body = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(bytes), c.close()) });
  const result = await importStream(project, body, { format: "ndjson", maxBytes: bytes.length + 1 });
  if (!result.committed) throw new Error(`demo import failed: ${result.errors.map((e) => `line ${e.line}: ${e.message}`).join("; ")}`);
  return project;
}
