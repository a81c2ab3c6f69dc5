// What a round does and with which knobs: a project's defaults (projects.round_settings),
// overridden per round by the admin who starts it, and stored whole in rounds.config so
// every round records the configuration it ran with.
import { z } from "zod";

/**
 * The phases in the order a round runs them (DESIGN.md, "Words": round): supervised
 * fine-tuning on demonstrations (Ouyang et al. 2022, step 1), the reward model (step 2),
 * PPO (step 3), evaluation on held-out prompts, and the new policy's answers for annotators.
 */
export const PHASES = ["sft", "reward_model", "policy", "evaluate", "generate"] as const;
export type Phase = (typeof PHASES)[number];
/**
 * What a round runs unless asked otherwise: the reward model. The policy (PPO) and generate
 * phases run when a round's or project's settings list them, until RLHF rounds are finished.
 */
export const DEFAULT_PHASES: Phase[] = ["reward_model"];

const loraSchema = z
  .object({
    r: z.number().int().min(1).max(256),
    alpha: z.number().positive().max(1024),
    targets: z.array(z.enum(["c_attn", "c_proj", "c_fc"])).min(1),
  })
  .strict();

export const rewardModelSettingsSchema = z
  .object({
    epochs: z.number().int().min(1).max(100).default(8),
    batchSize: z.number().int().min(1).max(512).default(16),
    learningRate: z.number().positive().max(1).default(3e-4),
    patience: z.number().int().min(1).max(100).default(2),
    validationFraction: z.number().min(0).max(0.9).default(0.1),
    /** margin in the BT loss per step of strength above "slightly better" (0 = no margin) */
    marginPerStrength: z.number().min(0).max(10).default(0),
    /** weight judgments by their annotator's measured reliability (gold accuracy, else agreement) */
    weighting: z.enum(["none", "reliability"]).default("none"),
    maxTokens: z.number().int().min(16).max(4096).default(256),
    lora: loraSchema.nullable().default(null),
    seed: z.number().int().min(0).default(0),
  })
  .strict();

export const scratchModelSchema = z
  .object({
    nEmbd: z.number().int().min(8).max(2048).default(128),
    nLayer: z.number().int().min(1).max(48).default(4),
    nHead: z.number().int().min(1).max(32).default(4),
    nPositions: z.number().int().min(16).max(4096).default(256),
  })
  .strict()
  .refine((m) => m.nEmbd % m.nHead === 0, "nEmbd must be a multiple of nHead");
export type ScratchModel = z.output<typeof scratchModelSchema>;

export const sftSettingsSchema = z
  .object({
    epochs: z.number().int().min(1).max(200).default(10),
    batchSize: z.number().int().min(1).max(512).default(16),
    /** AdamW's rate for full fine-tuning of a small model; LoRA takes a larger one (Hu et al. 2021) */
    learningRate: z.number().positive().max(1).default(1e-3),
    patience: z.number().int().min(1).max(100).default(2),
    validationFraction: z.number().min(0).max(0.9).default(0.1),
    /** also train on the consensus-best response of each judged comparison (the `sft` export's rule) */
    includeJudgedBest: z.boolean().default(false),
    maxTokens: z.number().int().min(16).max(4096).default(256),
    /** null: full fine-tuning; else a LoRA adapter, merged into the saved model */
    lora: loraSchema.nullable().default(null),
    seed: z.number().int().min(0).default(0),
  })
  .strict();

export const policySettingsSchema = z
  .object({
    /** "previous": round N's PPO continues round N−1's policy; "sft": from the SFT model each time */
    init: z.enum(["previous", "sft"]).default("previous"),
    iterations: z.number().int().min(1).max(10_000).default(20),
    promptsPerIteration: z.number().int().min(1).max(1024).default(16),
    maxNewTokens: z.number().int().min(1).max(1024).default(48),
    /** sampling temperature of rollouts; log-probs are computed at the same temperature */
    temperature: z.number().positive().max(5).default(1),
    ppoEpochs: z.number().int().min(1).max(32).default(4),
    miniBatch: z.number().int().min(1).max(1024).default(8),
    /** Adam's rate for the LoRA adapter and value head (Hu et al. 2021 used 2e-4 on GPT-2) */
    learningRate: z.number().positive().max(1).default(2e-4),
    /** global-norm gradient clipping (TRL's max_grad_norm) */
    maxGradNorm: z.number().positive().max(1000).default(1),
    /** β's start; positive (the adaptive controller scales it, so 0 would stay 0) */
    initKl: z.number().positive().max(10).default(0.05),
    targetKl: z.number().positive().max(100).default(6),
    /** the adaptive KL controller's horizon in samples; null: a fifth of the run's samples */
    klHorizon: z.number().int().positive().nullable().default(null),
    /**
     * the normalised score of a response cut at maxNewTokens without end-of-text is −this
     * (TRL's missing_eos_penalty subtracts it from the score instead): three standard
     * deviations below the reference's mean, so rambling to the limit rarely pays
     */
    missingEosPenalty: z.number().min(0).max(100).default(3),
    lora: loraSchema.default({ r: 8, alpha: 16, targets: ["c_attn", "c_proj", "c_fc"] }),
    seed: z.number().int().min(0).default(0),
  })
  .strict();

export const evaluateSettingsSchema = z
  .object({
    /** held-out prompts sampled (the fixed held-out slice of the project's prompts) */
    prompts: z.number().int().min(1).max(10_000).default(64),
    samplesPerPrompt: z.number().int().min(1).max(16).default(2),
    maxNewTokens: z.number().int().min(1).max(1024).default(48),
    temperature: z.number().min(0).max(5).default(1),
    seed: z.number().int().min(0).default(0),
  })
  .strict();

export const generateSettingsSchema = z
  .object({
    /** prompts of the project that get a response from the new policy (most recent first) */
    prompts: z.number().int().min(1).max(100_000).default(50),
    maxNewTokens: z.number().int().min(1).max(1024).default(64),
    temperature: z.number().min(0).max(5).default(0.7),
    topP: z.number().gt(0).max(1).default(0.9),
    seed: z.number().int().min(0).default(0),
  })
  .strict();

export const roundSettingsSchema = z
  .object({
    phases: z
      .array(z.enum(PHASES))
      .min(1)
      .default([...DEFAULT_PHASES])
      .refine((p) => p.every((x, i) => i === 0 || PHASES.indexOf(x) > PHASES.indexOf(p[i - 1]!)), `phases run in the order ${PHASES.join(", ")}, each once`),
    /** a folder under <data dir>/models holding config.json + model.safetensors; null = Arbiter's small model from scratch */
    baseModel: z
      .string()
      .regex(/^[\w.-]+$/, "a folder name under the models directory")
      .refine((s) => s !== "." && s !== "..", "a folder name under the models directory")
      .nullable()
      .default(null),
    /** the size of Arbiter's byte-level model when no baseModel is named (trained from a seed by sft or the reward model) */
    scratchModel: scratchModelSchema.default(scratchModelSchema.parse({})),
    sft: sftSettingsSchema.default(sftSettingsSchema.parse({})),
    rewardModel: rewardModelSettingsSchema.default(rewardModelSettingsSchema.parse({})),
    policy: policySettingsSchema.default(policySettingsSchema.parse({})),
    evaluate: evaluateSettingsSchema.default(evaluateSettingsSchema.parse({})),
    generate: generateSettingsSchema.default(generateSettingsSchema.parse({})),
  })
  .strict();

export type RoundSettings = z.output<typeof roundSettingsSchema>;
export type RewardModelSettings = z.output<typeof rewardModelSettingsSchema>;
export type PolicySettings = z.output<typeof policySettingsSchema>;
export type SftSettings = z.output<typeof sftSettingsSchema>;
export type EvaluateSettings = z.output<typeof evaluateSettingsSchema>;
export type GenerateSettings = z.output<typeof generateSettingsSchema>;

/**
 * A project's stored defaults with a round's overrides on top (one level deep for
 * each phase's block), validated once as a whole so a bad override is a 400, not a half-merge.
 */
export function resolveRoundSettings(projectDefaults: unknown, overrides: unknown): RoundSettings {
  const obj = (x: unknown): Record<string, unknown> => (x && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  if (overrides != null && (typeof overrides !== "object" || Array.isArray(overrides))) {
    throw new z.ZodError([{ code: "custom", path: [], message: "round settings must be an object", input: overrides }]);
  }
  const base = obj(projectDefaults);
  const over = obj(overrides);
  return roundSettingsSchema.parse({
    ...base,
    ...over,
    scratchModel: { ...obj(base.scratchModel), ...obj(over.scratchModel) },
    sft: { ...obj(base.sft), ...obj(over.sft) },
    rewardModel: { ...obj(base.rewardModel), ...obj(over.rewardModel) },
    policy: { ...obj(base.policy), ...obj(over.policy) },
    evaluate: { ...obj(base.evaluate), ...obj(over.evaluate) },
    generate: { ...obj(base.generate), ...obj(over.generate) },
  });
}
