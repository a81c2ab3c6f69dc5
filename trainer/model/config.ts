// GPT-2 configuration with Hugging Face's field names, so `config.json` reads and writes
// the same file `transformers` does (GPT2Config).
import { z } from "zod";

/**
 * The largest sizes a config may give: about four times GPT-2 XL's (48 layers, 1600 wide,
 * 25 heads, 1024 positions, 50,257 tokens). A config.json comes from outside (a folder
 * registered from elsewhere); unbounded, one saying n_layer 1e8 made the shape list
 * alone exhaust the process's memory before any weight was read.
 */
export const GPT2_MAX = { vocab_size: 262_144, n_positions: 4096, n_embd: 8192, n_layer: 192, n_head: 128, n_inner: 32_768 } as const;

const size = (max: number) => z.number().int().positive().max(max);

export const gpt2ConfigSchema = z
  .object({
    model_type: z.literal("gpt2").default("gpt2"),
    vocab_size: size(GPT2_MAX.vocab_size),
    n_positions: size(GPT2_MAX.n_positions),
    n_embd: size(GPT2_MAX.n_embd),
    n_layer: size(GPT2_MAX.n_layer),
    n_head: size(GPT2_MAX.n_head),
    n_inner: size(GPT2_MAX.n_inner).nullable().default(null),
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
