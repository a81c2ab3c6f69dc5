// The command lines `arbiter export-run` writes for each engine, as data: which trainer,
// which flags, in what order (SFT, reward model, then PPO/RLOO; DPO as the alternative).
// run-script.ts turns them into run.sh; the unit test checks every flag against the flags
// the engine's own source defines at the version named here
// (tests/unit/fixtures/engines/*-flags.json).
import type { RunStyle } from "./engine-records";

export const ENGINES = ["openrlhf", "trl"] as const;
export type Engine = (typeof ENGINES)[number];

/** The engine versions whose dataset loaders and command-line flags the files were checked against. */
export const CHECKED_VERSIONS: Record<Engine, { version: string; repository: string; commit: string }> = {
  openrlhf: { version: "0.11.0", repository: "https://github.com/OpenRLHF/OpenRLHF", commit: "3c3be6234e0cb353e76bb8019947db9dfe99fca7" },
  trl: { version: "1.10.0.dev0 (after v1.9.0)", repository: "https://github.com/huggingface/trl", commit: "f2cd57710ae345ea6428ae95363267fcf38a3dc8" },
};

export type Step = "sft" | "reward_model" | "ppo" | "dpo";

/** One training command: the engine's trainer (a key of the flags fixture), how it is launched, and its flags. */
export type Command = {
  step: Step;
  trainer: string;
  launcher: string;
  /** [flag, value] pairs; a null value is a switch */
  args: [string, string | null][];
};

/** What the commands need to know about the written data. */
export type RunData = {
  style: RunStyle;
  /** lines in each file; an empty eval split is left out of the commands, an empty SFT set skips SFT */
  counts: { preferenceTrain: number; preferenceEval: number; sftTrain: number; sftEval: number; promptsTrain: number; promptsEval: number };
};

// The data folders, relative to the export's folder; shell variables come from config.sh.
export const FILES = {
  preference: "data/preference",
  sft: "data/sft",
  prompts: "data/prompts",
};

const v = (name: string) => `"$${name}"`;
/** A data path as run.sh passes it: absolute, under the folder run.sh runs in ($HERE). */
const at = (rel: string) => `${v("HERE")}/${rel}`;

function openrlhf(data: RunData): Command[] {
  const chat: Command["args"] = data.style === "conversational" ? [["--data.apply_chat_template", null]] : [];
  // train_sft alone defaults --data.input_template to "User: {}\nAssistant: " (train_sft.py L279; the others
  // default to None), and wraps a text prompt in it when there is no chat template (sft_dataset.py L27-29):
  // "{}" formats the prompt as it is, so standard text reaches SFT unchanged, as it reaches the other trainers.
  const sftTemplate: Command["args"] = data.style === "standard" ? [["--data.input_template", "{}"]] : [];
  // Every OpenRLHF trainer reads a .jsonl with load_dataset("json", data_files=…), whose only split is "train"
  // (openrlhf/datasets/utils.py, blending_datasets); --eval.split defaults differ per trainer (train_dpo: "test").
  const evalOf = (dir: string, n: number): Command["args"] => (n > 0 ? [["--eval.dataset", at(`${dir}/test.jsonl`)], ["--eval.split", "train"], ["--eval.steps", v("EVAL_STEPS")]] : []);
  const common = (out: string): Command["args"] => [
    ["--train.max_epochs", v("EPOCHS")],
    ["--train.batch_size", v("BATCH_SIZE")],
    ["--train.micro_batch_size", v("MICRO_BATCH_SIZE")],
    ["--data.max_len", v("MAX_LEN")],
    ["--ds.zero_stage", v("ZERO_STAGE")],
    ["--ckpt.output_dir", out],
    ["--ckpt.save_hf", null],
  ];
  const preference: Command["args"] = [
    ["--data.dataset", at(`${FILES.preference}/train.jsonl`)],
    ["--data.prompt_key", "prompt"],
    ["--data.chosen_key", "chosen"],
    ["--data.rejected_key", "rejected"],
    ...chat,
    ...evalOf(FILES.preference, data.counts.preferenceEval),
  ];
  const out: Command[] = [];
  if (data.counts.sftTrain > 0) {
    out.push({
      step: "sft",
      trainer: "train_sft",
      launcher: "deepspeed --module openrlhf.cli.train_sft",
      args: [
        ["--model.model_name_or_path", v("BASE_MODEL")],
        ["--data.dataset", at(`${FILES.sft}/train.jsonl`)],
        ["--data.input_key", "prompt"],
        ["--data.output_key", "completion"],
        ...chat,
        ...sftTemplate,
        ...evalOf(FILES.sft, data.counts.sftEval),
        ["--adam.lr", v("SFT_LR")],
        ...common(`${v("OUT")}/sft`),
      ],
    });
  }
  out.push({
    step: "reward_model",
    trainer: "train_rm",
    launcher: "deepspeed --module openrlhf.cli.train_rm",
    args: [["--model.model_name_or_path", v("SFT_MODEL")], ...preference, ["--adam.lr", v("RM_LR")], ...common(`${v("OUT")}/rm`)],
  });
  out.push({
    step: "ppo",
    trainer: "train_ppo_ray",
    launcher: "python3 -m openrlhf.cli.train_ppo_ray",
    args: [
      ["--actor.model_name_or_path", v("SFT_MODEL")],
      ["--reward.model_name_or_path", `${v("OUT")}/rm`],
      ["--data.prompt_dataset", at(`${FILES.prompts}/train.jsonl`)],
      ["--data.input_key", "prompt"],
      ...chat,
      ["--ref.num_gpus_per_node", v("GPUS")],
      ["--reward.num_gpus_per_node", v("GPUS")],
      ["--critic.num_gpus_per_node", v("GPUS")],
      ["--actor.num_gpus_per_node", v("GPUS")],
      ["--vllm.num_engines", v("GPUS")],
      ["--vllm.tensor_parallel_size", "1"],
      // colocated, vLLM would keep its default 0.95 of each GPU the models share, awake while they train:
      // OpenRLHF's own hybrid-engine example (examples/scripts/train_ppo_ray_hybrid_engine.sh) gives it
      // half and lets vLLM and DeepSpeed sleep while the other works
      ["--train.colocate_all", null],
      ["--vllm.gpu_memory_utilization", v("VLLM_GPU_MEMORY")],
      ["--vllm.enable_sleep", null],
      ["--ds.enable_sleep", null],
      ["--rollout.max_new_tokens", v("MAX_NEW_TOKENS")],
      ["--actor.adam.lr", v("PPO_ACTOR_LR")],
      ["--critic.adam.lr", v("PPO_CRITIC_LR")],
      ["--algo.kl.init_coef", v("KL_COEF")],
      ["--train.max_epochs", "1"],
      ["--train.batch_size", v("BATCH_SIZE")],
      ["--rollout.batch_size", v("BATCH_SIZE")],
      ["--data.max_len", v("MAX_LEN")],
      ["--ds.zero_stage", v("ZERO_STAGE")],
      ["--ckpt.output_dir", `${v("OUT")}/ppo`],
      ["--ckpt.save_hf", null],
    ],
  });
  out.push({
    step: "dpo",
    trainer: "train_dpo",
    launcher: "deepspeed --module openrlhf.cli.train_dpo",
    args: [["--model.model_name_or_path", v("SFT_MODEL")], ...preference, ["--model.beta", v("DPO_BETA")], ["--adam.lr", v("DPO_LR")], ...common(`${v("OUT")}/dpo`)],
  });
  return out;
}

function trl(data: RunData): Command[] {
  // `trl <name> --dataset_name DIR` loads DIR with load_dataset, which names the splits after the files (train.jsonl, test.jsonl)
  const dataset = (dir: string, evalLines: number): Command["args"] => [
    ["--dataset_name", at(dir)],
    ["--dataset_train_split", "train"],
    ...(evalLines > 0 ? ([["--dataset_test_split", "test"], ["--eval_strategy", "steps"], ["--eval_steps", v("EVAL_STEPS")]] as Command["args"]) : []),
  ];
  const common = (out: string, lr: string): Command["args"] => [
    ["--learning_rate", v(lr)],
    ["--num_train_epochs", v("EPOCHS")],
    ["--per_device_train_batch_size", v("MICRO_BATCH_SIZE")],
    ["--gradient_accumulation_steps", v("GRAD_ACCUM")],
    ["--max_length", v("MAX_LEN")],
    ["--output_dir", out],
    ["--report_to", "none"],
  ];
  const out: Command[] = [];
  if (data.counts.sftTrain > 0) {
    out.push({
      step: "sft",
      trainer: "sft",
      launcher: "trl sft",
      args: [["--model_name_or_path", v("BASE_MODEL")], ...dataset(FILES.sft, data.counts.sftEval), ...common(`${v("OUT")}/sft`, "SFT_LR")],
    });
  }
  out.push({
    step: "reward_model",
    trainer: "reward",
    launcher: "trl reward",
    args: [["--model_name_or_path", v("SFT_MODEL")], ...dataset(FILES.preference, data.counts.preferenceEval), ...common(`${v("OUT")}/rm`, "RM_LR")],
  });
  // TRL's PPOTrainer lives in trl.experimental with no `trl` command; RLOO is its maintained
  // online trainer that takes a reward model (trl/scripts/rloo.py, --reward_model_name_or_path).
  out.push({
    step: "ppo",
    trainer: "rloo",
    launcher: "trl rloo",
    args: [
      ["--model_name_or_path", v("SFT_MODEL")],
      ["--reward_model_name_or_path", `${v("OUT")}/rm`],
      ["--dataset_name", at(FILES.prompts)],
      ["--dataset_train_split", "train"],
      ["--max_completion_length", v("MAX_NEW_TOKENS")],
      ["--num_generations", v("NUM_GENERATIONS")],
      ["--beta", v("KL_COEF")],
      ["--learning_rate", v("PPO_ACTOR_LR")],
      ["--per_device_train_batch_size", v("MICRO_BATCH_SIZE")],
      ["--gradient_accumulation_steps", v("GRAD_ACCUM")],
      ["--output_dir", `${v("OUT")}/rloo`],
      ["--report_to", "none"],
    ],
  });
  out.push({
    step: "dpo",
    trainer: "dpo",
    launcher: "trl dpo",
    args: [["--model_name_or_path", v("SFT_MODEL")], ...dataset(FILES.preference, data.counts.preferenceEval), ["--beta", v("DPO_BETA")], ...common(`${v("OUT")}/dpo`, "DPO_LR")],
  });
  return out;
}

export function engineCommands(engine: Engine, data: RunData): Command[] {
  return engine === "openrlhf" ? openrlhf(data) : trl(data);
}
