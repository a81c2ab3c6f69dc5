// How config.sh's batch sizes meet this export's line counts. A small project can have
// fewer lines than one batch: OpenRLHF then trains no step at all (its trainers take
// len(dataset) // --train.batch_size steps per epoch: train_sft.py, train_rm.py and
// train_dpo.py; PPO len(prompts) * n_samples // batch, ppo_trainer.py), and TRL takes one
// partial step. The export knows the counts, so it says so (config.sh, manifest.json, the
// command's output) rather than leaving it to a run that silently does nothing.
import type { Engine, RunData } from "./engines";

/** The settings the checks read, as numbers (config.sh's defaults). */
export type BatchSettings = { BATCH_SIZE: number; MICRO_BATCH_SIZE: number; GRAD_ACCUM: number; GPUS: number; NUM_GENERATIONS: number };

/** config.sh comment lines: the constraints each engine puts on the batch settings. */
export function batchNotes(engine: Engine): string[] {
  return engine === "openrlhf"
    ? [
        "Batch sizes (OpenRLHF): each step trains len(file) // BATCH_SIZE updates per epoch, so a",
        "training file with fewer lines than BATCH_SIZE trains nothing (PPO: prompts // BATCH_SIZE).",
        "BATCH_SIZE must be a multiple of MICRO_BATCH_SIZE x the GPUs a step runs on (deepspeed:",
        "every GPU it sees; PPO: GPUS), else the gradient accumulation rounds down.",
      ]
    : [
        "Batch sizes (TRL): a step's global batch is GPUs x MICRO_BATCH_SIZE x GRAD_ACCUM (accelerate",
        "uses every GPU it sees); a file with fewer lines trains one partial batch per epoch.",
        "RLOO: GPUs x MICRO_BATCH_SIZE x GRAD_ACCUM must be divisible by NUM_GENERATIONS (RLOOConfig",
        "refuses it otherwise); each update then samples that many answers, NUM_GENERATIONS per prompt.",
      ];
}

/** Warnings for this export's counts under these settings; empty when the batches fit. */
export function batchWarnings(engine: Engine, counts: RunData["counts"], s: BatchSettings): string[] {
  const out: string[] = [];
  if (engine === "openrlhf") {
    const few = (what: string, n: number, steps: string) => {
      if (n > 0 && n < s.BATCH_SIZE)
        out.push(`${what}: ${n} training line(s), fewer than BATCH_SIZE ${s.BATCH_SIZE}: OpenRLHF trains ${steps} = 0 steps. Set BATCH_SIZE in config.sh to at most ${n}, a multiple of MICRO_BATCH_SIZE x the GPUs in use`);
    };
    few("SFT", counts.sftTrain, "len // BATCH_SIZE");
    few("reward model and DPO", counts.preferenceTrain, "len // BATCH_SIZE");
    few("PPO", counts.promptsTrain, "prompts // BATCH_SIZE");
    if (s.BATCH_SIZE % (s.MICRO_BATCH_SIZE * s.GPUS) !== 0) out.push(`PPO: BATCH_SIZE ${s.BATCH_SIZE} is not a multiple of MICRO_BATCH_SIZE ${s.MICRO_BATCH_SIZE} x GPUS ${s.GPUS}`);
  } else {
    const perGpu = s.MICRO_BATCH_SIZE * s.GRAD_ACCUM;
    const few = (what: string, n: number) => {
      if (n > 0 && n < perGpu) out.push(`${what}: ${n} training line(s), fewer than one global batch even on one GPU (MICRO_BATCH_SIZE x GRAD_ACCUM = ${perGpu}): TRL takes one partial step per epoch`);
    };
    few("SFT", counts.sftTrain);
    few("reward model and DPO", counts.preferenceTrain);
    if (perGpu % s.NUM_GENERATIONS !== 0) out.push(`RLOO: MICRO_BATCH_SIZE x GRAD_ACCUM = ${perGpu} is not divisible by NUM_GENERATIONS ${s.NUM_GENERATIONS}: RLOOConfig refuses it unless the GPU count makes up the difference`);
  }
  return out;
}
