// config.sh (the settings a user edits, the base model first), run.sh (the engine's
// command lines) and README.md for an `arbiter export-run` folder.
import { batchNotes, type BatchSettings } from "./batch-checks";
import { lengthSummary, type LengthReport } from "./length-estimate";
import { CHECKED_VERSIONS, engineCommands, FILES, type Command, type Engine, type RunData } from "./engines";

/** The settings run.sh reads, with their defaults; BASE_MODEL is left for the user to name. */
const SETTINGS: [name: string, value: string, why: string][] = [
  ["BASE_MODEL", "", "the model to start from: a Hugging Face id or a local folder (required)"],
  ["OUT", "./runs", "where each step writes its model (relative: to this folder)"],
  ["EPOCHS", "1", "passes over the SFT, reward-model and DPO data"],
  ["BATCH_SIZE", "64", "OpenRLHF: global batch (--train.batch_size, also PPO's rollout batch); see the batch sizes note above"],
  ["MICRO_BATCH_SIZE", "1", "per GPU"],
  ["GRAD_ACCUM", "8", "TRL: steps per update (global batch = GPUs x MICRO_BATCH_SIZE x GRAD_ACCUM)"],
  ["MAX_LEN", "1024", "tokens of prompt + answer"],
  ["MAX_NEW_TOKENS", "256", "tokens a policy writes per answer during PPO/RLOO"],
  ["EVAL_STEPS", "100", "steps between evaluations on the held-out split"],
  ["ZERO_STAGE", "2", "OpenRLHF: DeepSpeed ZeRO stage"],
  ["GPUS", "8", "OpenRLHF PPO: GPUs per node for each of actor, critic, reward, reference (colocated) and vLLM engines"],
  ["VLLM_GPU_MEMORY", "0.5", "OpenRLHF PPO: share of each GPU's memory vLLM takes; the colocated models have the rest (vLLM's default is 0.95)"],
  ["SFT_LR", "5e-6", ""],
  ["RM_LR", "9e-6", ""],
  ["PPO_ACTOR_LR", "5e-7", ""],
  ["PPO_CRITIC_LR", "9e-6", ""],
  ["KL_COEF", "0.01", "KL penalty towards the starting policy (OpenRLHF --algo.kl.init_coef, TRL RLOO --beta)"],
  ["NUM_GENERATIONS", "4", "TRL RLOO: answers sampled per prompt"],
  ["DPO_BETA", "0.1", ""],
  ["DPO_LR", "5e-7", ""],
];

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** config.sh's default for a setting. */
export function settingDefault(name: string): string {
  const found = SETTINGS.find(([n]) => n === name);
  if (!found) throw new Error(`no setting ${name}`);
  return found[1];
}

/** The batch settings at config.sh's defaults, for batch-checks.ts. */
export function defaultBatchSettings(): BatchSettings {
  const n = (name: string) => Number(settingDefault(name));
  return { BATCH_SIZE: n("BATCH_SIZE"), MICRO_BATCH_SIZE: n("MICRO_BATCH_SIZE"), GRAD_ACCUM: n("GRAD_ACCUM"), GPUS: n("GPUS"), NUM_GENERATIONS: n("NUM_GENERATIONS") };
}

/** `warnings`: what the export found wrong with these defaults for its data, written as comments. */
export function configScript(engine: Engine, data: RunData, warnings: string[] = []): string {
  const c = data.counts;
  const lines = [
    `# Settings for run.sh (arbiter export-run, engine ${engine}). Edit, then: ./run.sh`,
    "# A value already in the environment wins, so BASE_MODEL=gpt2 ./run.sh works too.",
    "#",
    `# This export's training lines: ${c.preferenceTrain} preference pairs, ${c.sftTrain} SFT pairs, ${c.promptsTrain} prompts`,
    `# (held out for evaluation: ${c.preferenceEval}, ${c.sftEval}, ${c.promptsEval}).`,
    ...batchNotes(engine).map((l) => `# ${l}`),
    ...warnings.map((w) => `# WARNING: ${w}`),
    "",
  ];
  for (const [name, value, why] of SETTINGS) {
    if (why) lines.push(`# ${why}`);
    lines.push(`: "\${${name}:=${value}}"`);
  }
  lines.push("# the model the reward model, PPO and DPO start from: the SFT step's output when there is SFT data, else BASE_MODEL");
  lines.push(': "${SFT_MODEL:=}"');
  return lines.join("\n") + "\n";
}

export function commandLine(c: Command): string {
  const args = c.args.map(([flag, value]) => (value === null ? `  ${flag}` : `  ${flag} ${value.startsWith('"') ? value : quote(value)}`));
  return [c.launcher, ...args].join(" \\\n");
}

export function runScript(engine: Engine, data: RunData): string {
  const commands = engineCommands(engine, data);
  const has = (step: string) => commands.some((c) => c.step === step);
  // functions named step_*: a function called `rm` would shadow the command
  const fn = (name: string, step: string) => {
    const c = commands.find((x) => x.step === step)!;
    return `step_${name}() {\n${commandLine(c).replace(/^/gm, "  ")}\n}\n`;
  };
  const checked = CHECKED_VERSIONS[engine];
  return `#!/usr/bin/env bash
# Written by \`arbiter export-run --engine ${engine}\`: trains on this folder's data with
# ${engine === "openrlhf" ? "OpenRLHF" : "TRL"} ${checked.version} (${checked.repository}, commit ${checked.commit.slice(0, 12)}),
# the version whose dataset keys and flags these files were checked against.
#   ./run.sh            SFT${has("sft") ? "" : " (no SFT data: skipped)"}, then the reward model, then ${engine === "openrlhf" ? "PPO" : "RLOO"}
#   ./run.sh dpo        SFT, then DPO instead of the reward model and ${engine === "openrlhf" ? "PPO" : "RLOO"}
#   ./run.sh sft|rm|${engine === "openrlhf" ? "ppo" : "rloo"}|dpo   one step
set -euo pipefail
cd "$(dirname "$0")"
# Every path passed on is absolute: Ray's workers (OpenRLHF PPO) do not start in this folder.
# A relative OUT, and a BASE_MODEL or SFT_MODEL naming a folder here, are taken from this folder.
HERE="$(pwd -P)"
source ./config.sh
if [ -z "$BASE_MODEL" ]; then
  echo "set BASE_MODEL in config.sh (or the environment) to the model to start from, e.g. BASE_MODEL=gpt2 ./run.sh" >&2
  exit 2
fi
case "$OUT" in /*) ;; *) OUT="$HERE/\${OUT#./}" ;; esac
# a local folder's absolute path; anything else (a Hugging Face id) as it is
local_path() { if [ -d "$1" ]; then (cd "$1" && pwd -P); else printf '%s\\n' "$1"; fi; }
BASE_MODEL="$(local_path "$BASE_MODEL")"
${has("sft") ? 'SFT_MODEL="${SFT_MODEL:-$OUT/sft}"' : 'SFT_MODEL="${SFT_MODEL:-$BASE_MODEL}"'}
SFT_MODEL="$(local_path "$SFT_MODEL")"
mkdir -p "$OUT"

${has("sft") ? fn("sft", "sft") : 'step_sft() {\n  echo "no SFT data in this export: the reward model and the policy start from BASE_MODEL"\n}\n'}
${fn("rm", "reward_model")}
${fn(engine === "openrlhf" ? "ppo" : "rloo", "ppo")}
${fn("dpo", "dpo")}
case "\${1:-rlhf}" in
  rlhf) step_sft; step_rm; step_${engine === "openrlhf" ? "ppo" : "rloo"} ;;
  dpo) step_sft; step_dpo ;;
  sft) step_sft ;;
  rm) step_rm ;;
  ${engine === "openrlhf" ? "ppo) step_ppo" : "rloo) step_rloo"} ;;
  *) echo "usage: ./run.sh [rlhf|dpo|sft|rm|${engine === "openrlhf" ? "ppo" : "rloo"}]" >&2; exit 2 ;;
esac
`;
}

export type RunManifest = {
  project: { id: string; name: string };
  engine: Engine;
  checkedAgainst: (typeof CHECKED_VERSIONS)[Engine];
  style: RunData["style"];
  createdAt: string;
  counts: RunData["counts"] & { bothBadPairsLeftOut: number; demonstrations: number; judgedBest: number };
  /** the lines that may be longer than config.sh's MAX_LEN (length-estimate.ts); reported, not filtered */
  lengths: LengthReport;
  /** what config.sh's defaults do not fit in this data (also in config.sh and printed) */
  warnings: string[];
};

export function readme(m: RunManifest): string {
  const e = m.engine === "openrlhf" ? "OpenRLHF" : "TRL";
  const c = m.counts;
  const checked = m.checkedAgainst;
  const lines = (n: number) => (n === 0 ? "0 (not written)" : String(n));
  const keys =
    m.engine === "openrlhf"
      ? {
          preference: "`--data.prompt_key prompt --data.chosen_key chosen --data.rejected_key rejected` (openrlhf/datasets/reward_dataset.py, `preprocess_data`)",
          sft: "`--data.input_key prompt --data.output_key completion` (openrlhf/datasets/sft_dataset.py)",
          prompts: "`--data.input_key prompt` (openrlhf/datasets/prompts_dataset.py)",
        }
      : {
          preference: "the preference type's `prompt`, `chosen`, `rejected` (trl/trainer/reward_trainer.py and dpo_trainer.py; docs/source/dataset_formats.md)",
          sft: "the prompt-completion type's `prompt`, `completion` (trl/trainer/sft_trainer.py)",
          prompts: "the prompt-only type's `prompt` (trl/trainer/rloo_trainer.py)",
        };
  const style =
    m.style === "standard"
      ? `Text (\`standard\`): each prompt is the conversation in Arbiter's transcript form (\`\\n\\nHuman: …\\n\\nAssistant:\`) and each answer follows it with a space, the shape Arbiter's own trainer reads, for models without a chat template (GPT-2 family). ${m.engine === "openrlhf" ? "OpenRLHF appends the end-of-text token after stripping trailing newlines and adding a space (Arbiter appends it without one)" : "TRL appends the end-of-text token as Arbiter does, without a space"}.`
      : `Messages (\`conversational\`): prompts are message lists and answers one assistant message each; the engine applies the model's chat template${m.engine === "openrlhf" ? " (run.sh passes `--data.apply_chat_template`)" : ""}.`;
  return `# ${m.project.name}: training data for ${e}

Written by \`arbiter export-run --engine ${m.engine}\` from project \`${m.project.id}\` on ${m.createdAt}.

Formats and flags checked against **${e} ${checked.version}** (${checked.repository}, commit \`${checked.commit}\`): the keys its dataset loaders read and the flags its trainers define at that commit. Another version may name them differently.

${style}

| file | lines | what |
| --- | --- | --- |
| \`${FILES.preference}/train.jsonl\` | ${lines(c.preferenceTrain)} | preference pairs \`{prompt, chosen, rejected}\` for the reward model and DPO: ${keys.preference} |
| \`${FILES.preference}/test.jsonl\` | ${lines(c.preferenceEval)} | the same, on the held-out prompts (evaluation split) |
| \`${FILES.sft}/train.jsonl\` | ${lines(c.sftTrain)} | SFT pairs \`{prompt, completion}\`: ${keys.sft} |
| \`${FILES.sft}/test.jsonl\` | ${lines(c.sftEval)} | the same, on the held-out prompts |
| \`${FILES.prompts}/train.jsonl\` | ${lines(c.promptsTrain)} | every prompt not held out \`{prompt}\`, for ${m.engine === "openrlhf" ? "PPO" : "RLOO"}: ${keys.prompts} |
| \`${FILES.prompts}/test.jsonl\` | ${lines(c.promptsEval)} | the held-out prompts: generate the trained policy's answers to these (and to any others) and import them back (below) |
| \`config.sh\` | | the settings run.sh uses; \`BASE_MODEL\` is empty until you name the model to start from |
| \`run.sh\` | | the command lines: SFT, the reward model, then ${m.engine === "openrlhf" ? "PPO (`./run.sh`)" : "RLOO (`./run.sh`)"}; or SFT then DPO (\`./run.sh dpo\`) |
| \`manifest.json\` | | what was exported, from where, with these counts |
${m.warnings.length ? `\nBefore running, see config.sh's warnings:\n\n${m.warnings.map((w) => `- ${w}`).join("\n")}\n` : ""}
What is in the data, by Arbiter's rules (docs/API.md, "Export records"):

- Preference pairs are the pairwise export's: a k-wise ranking gives one pair per response
  above another; responses tied in a ranking give no pair. Judgments that said both
  responses were bad give none either (${c.bothBadPairsLeftOut} pair(s) left out): a DPO step
  would otherwise raise the likelihood of an answer judged bad. Annotators excluded for
  quality are left out.
- What the pairs do not carry: a judgment's strength (Arbiter's reward model turns it into a
  margin; the pairwise export's \`margin\` field is not written here) and annotator
  reliability weights (Arbiter can weight judgments by them): every pair counts alike.
  A k-wise ranking of k responses gives up to k(k−1)/2 pairs that share one judgment and
  one prompt, so they are correlated, not independent examples; a comparison judged by
  several annotators gives one pair per judgment, so agreeing judgments count as votes.
- SFT pairs are the project's demonstrations (${c.demonstrations}) and, per judged comparison,
  the response most often ranked alone in first place (the \`sft\` export's rule;
  ${c.judgedBest}), without exact repeats.
- Lengths are not checked against a tokenizer (the export does not know the model) and
  nothing is left out for length: ${lengthSummary(m.lengths)} (\`lengths\` in manifest.json).
- The split is Arbiter's evaluation slice (lib/rounds/held-out.ts): a fixed tenth of the
  prompts, chosen by a hash of the prompt's id, that Arbiter's own rounds never train on.
  Their pairs and demonstrations are the \`test\` files, so the reward model's and DPO's
  evaluation is on prompts they did not see.

${
  m.engine === "openrlhf"
    ? "Run it where OpenRLHF is installed (`pip install openrlhf==0.11.0`, or from the commit above); PPO uses Ray and vLLM (`ray start --head` first)."
    : `Run it where TRL is installed: \`pip install trl==1.9.0\` (between v1.9.0 and the commit above the files run.sh uses differ only in RLOO's default \`max_completion_length\`, which run.sh sets), or the commit itself, \`pip install git+${checked.repository}@${checked.commit}\`; the \`trl\` command launches through accelerate.`
}

## Bringing the policy back

Import the trained policy's answers as a new source: \`arbiter import --project ${m.project.id} --file answers.jsonl --external-policy\`
(one \`{"prompt": …, "completion": …}\` a line); they are named \`policy@external-N\` and
join comparisons against the leaderboard's best sources. A GPT-2-family checkpoint folder
can be registered as a model: \`arbiter model register --project ${m.project.id} --kind policy --dir ${"$"}OUT/${m.engine === "openrlhf" ? "ppo" : "rloo"}\`.
`;
}
