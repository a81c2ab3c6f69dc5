// GPT-2 configuration with Hugging Face's field names, so `config.json` reads and writes
// the same file `transformers` does (GPT2Config).
import { z } from "zod";

export const gpt2ConfigSchema = z
  .object({
    model_type: z.literal("gpt2").default("gpt2"),
    vocab_size: z.number().int().positive(),
    n_positions: z.number().int().positive(),
    n_embd: z.number().int().positive(),
    n_layer: z.number().int().positive(),
    n_head: z.number().int().positive(),
    n_inner: z.number().int().positive().nullable().default(null),
    layer_norm_epsilon: z.number().positive().default(1e-5),
    activation_function: z.enum(["gelu_new", "gelu_pytorch_tanh"]).default("gelu_new"),
    bos_token_id: z.number().int().nonnegative(),
    eos_token_id: z.number().int().nonnegative(),
    // Arbiter's own: which tokenizer the checkpoint was trained with.
    arbiter_tokenizer: z.enum(["byte-level", "gpt2-bpe"]).optional(),
  })
  .loose()
  .refine((c) => c.n_embd % c.n_head === 0, { message: "n_embd must be a multiple of n_head" });

export type GPT2Config = z.infer<typeof gpt2ConfigSchema>;

/** Hidden size of the MLP: n_inner, or 4·n_embd as in GPT-2. */
export function innerSize(c: GPT2Config): number {
  return c.n_inner ?? 4 * c.n_embd;
}

/** Byte-level vocabulary: 256 bytes and <|endoftext|> = 256. */
export const BYTE_VOCAB = 257;

/** Arbiter's default small model: trains on two CPU cores in minutes. */
export function smallConfig(overrides: Partial<GPT2Config> = {}): GPT2Config {
  return gpt2ConfigSchema.parse({
    vocab_size: BYTE_VOCAB,
    n_positions: 256,
    n_embd: 128,
    n_layer: 4,
    n_head: 4,
    bos_token_id: 256,
    eos_token_id: 256,
    arbiter_tokenizer: "byte-level",
    ...overrides,
  });
}

/** What transformers writes besides the fields above, so the file loads there as-is. */
export function toConfigJson(c: GPT2Config, architecture = "GPT2LMHeadModel"): Record<string, unknown> {
  return {
    architectures: [architecture],
    n_ctx: c.n_positions,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    torch_dtype: "float32",
    ...c,
  };
}
