// What a round does and with which knobs: a project's defaults (projects.round_settings),
// overridden per round by the admin who starts it, and stored whole in rounds.config so
// every round records the configuration it ran with.
import { z } from "zod";

/** The phases in the order a round runs them (DESIGN.md, "Words": round). */
export const PHASES = ["reward_model", "policy", "generate"] as const;
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

export const policySettingsSchema = z
  .object({
    iterations: z.number().int().min(1).max(10_000).default(20),
    promptsPerIteration: z.number().int().min(1).max(1024).default(16),
    maxNewTokens: z.number().int().min(1).max(1024).default(48),
    ppoEpochs: z.number().int().min(1).max(32).default(4),
    miniBatch: z.number().int().min(1).max(1024).default(8),
    learningRate: z.number().positive().max(1).default(1e-3),
    initKl: z.number().min(0).max(10).default(0.05),
    targetKl: z.number().positive().max(100).default(6),
    lora: loraSchema.default({ r: 8, alpha: 16, targets: ["c_attn", "c_proj", "c_fc"] }),
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
      .refine((p) => p.every((x, i) => i === 0 || PHASES.indexOf(x) > PHASES.indexOf(p[i - 1]!)), "phases run in the order reward_model, policy, generate, each once"),
    /** a folder under <data dir>/models holding config.json + model.safetensors; null = Arbiter's small model from scratch */
    baseModel: z
      .string()
      .regex(/^[\w.-]+$/, "a folder name under the models directory")
      .refine((s) => s !== "." && s !== "..", "a folder name under the models directory")
      .nullable()
      .default(null),
    rewardModel: rewardModelSettingsSchema.default(rewardModelSettingsSchema.parse({})),
    policy: policySettingsSchema.default(policySettingsSchema.parse({})),
    generate: generateSettingsSchema.default(generateSettingsSchema.parse({})),
  })
  .strict();

export type RoundSettings = z.output<typeof roundSettingsSchema>;
export type RewardModelSettings = z.output<typeof rewardModelSettingsSchema>;
export type PolicySettings = z.output<typeof policySettingsSchema>;
export type GenerateSettings = z.output<typeof generateSettingsSchema>;

/**
 * A project's stored defaults with a round's overrides on top (one level deep for
 * rewardModel), validated once as a whole so a bad override is a 400, not a half-merge.
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
    rewardModel: { ...obj(base.rewardModel), ...obj(over.rewardModel) },
    policy: { ...obj(base.policy), ...obj(over.policy) },
    generate: { ...obj(base.generate), ...obj(over.generate) },
  });
}
