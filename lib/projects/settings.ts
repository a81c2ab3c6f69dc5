// A project's settings as admins set them (API.md: POST /api/v1/projects), validated once
// here for the API, the admin pages and the tests.
import { z } from "zod";
import { roundSettingsSchema } from "@/lib/rounds/round-settings";

export const K_MIN = 3;
export const K_MAX = 9;

const criterion = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[\w -]+$/, "criteria are short names: letters, digits, spaces, - and _");

const settingsFields = {
  name: z.string().trim().min(1, "Name the project").max(200),
  instructions: z.string().max(50_000).default(""),
  mode: z.enum(["pairwise", "kwise"]).default("pairwise"),
  k: z.number().int().min(2).max(K_MAX).optional(),
  redundancy: z.number().int().min(1).max(20).default(1),
  criteria: z.array(criterion).max(10).default([]),
  allowTies: z.boolean().default(true),
  requireRationale: z.boolean().default(false),
  goldRate: z.number().min(0).max(1).default(0),
  leaseSeconds: z.number().int().min(30).max(86_400).default(600),
  roundThreshold: z.number().int().min(1).nullable().default(null),
  qualityBar: z
    .object({
      minMajorityAgreement: z.number().min(0).max(1).optional(),
      minGoldAccuracy: z.number().min(0).max(1).optional(),
      minEvidence: z.number().int().min(1).max(100_000).optional(),
    })
    .strict()
    .default({}),
  roundSettings: roundSettingsSchema.default(roundSettingsSchema.parse({})),
};

function checkModeAndK(s: { mode?: "pairwise" | "kwise"; k?: number }, ctx: z.RefinementCtx) {
  if (s.mode === "kwise" && (s.k === undefined || s.k < K_MIN)) {
    ctx.addIssue({ code: "custom", path: ["k"], message: `k-wise projects rank k = ${K_MIN}..${K_MAX} responses` });
  }
  if (s.mode === "pairwise" && s.k !== undefined && s.k !== 2) {
    ctx.addIssue({ code: "custom", path: ["k"], message: "pairwise projects compare 2 responses (k = 2)" });
  }
}

export const projectSettingsSchema = z
  .object(settingsFields)
  .strict()
  .superRefine(checkModeAndK)
  .transform((s) => ({ ...s, k: s.mode === "pairwise" ? 2 : s.k!, criteria: [...new Set(s.criteria)] }));
export type ProjectSettings = z.output<typeof projectSettingsSchema>;

/**
 * Edits: every field optional; mode and k cannot change once comparisons exist (checked by
 * the caller). A field's default is taken off first: zod applies a default inside
 * `.optional()`, so a PATCH of one field would otherwise reset every other to its default.
 */
const withoutDefault = (t: z.ZodType): z.ZodType => (t instanceof z.ZodDefault ? (t.unwrap() as z.ZodType) : t);
export const projectPatchSchema = z
  .object(Object.fromEntries(Object.entries(settingsFields).map(([k, v]) => [k, withoutDefault(v as z.ZodType).optional()])) as {
    [K in keyof typeof settingsFields]: z.ZodOptional<(typeof settingsFields)[K]>;
  })
  .strict();
export type ProjectPatch = z.output<typeof projectPatchSchema>;
