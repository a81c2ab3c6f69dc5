// Sampling from the policy: batched, left-padded prompts, a KV cache so each new token costs
// one position (not the whole prefix), temperature, top-k and nucleus (top-p; Holtzman et
// al. 2020) sampling, stop at <|endoftext|>. Seeded, so a round's generations repeat.
import * as tf from "@tensorflow/tfjs-core";
import { mulberry32 } from "@/lib/bt/bootstrap";
import type { GPT2Config } from "./model/config";
import { Decoder, fromForwardCache } from "./model/decoder";
import { KVBuffer } from "./model/kv-buffer";
import { forward, type Params } from "./model/gpt2";
import type { LoraAdapter } from "./model/lora";

export type SamplingOptions = {
  maxNewTokens: number;
  temperature?: number; // 0 = greedy
  topK?: number; // 0 = off
  topP?: number; // 1 = off
  seed?: number;
  eos: number;
  lora?: LoraAdapter;
};

/**
 * Picks a token from one row of logits with temperature, top-k and top-p. Only the
 * candidates that top-k keeps are sorted (GPT-2's vocabulary has 50,257 entries per row).
 */
export function sampleToken(logits: ArrayLike<number>, opts: Pick<SamplingOptions, "temperature" | "topK" | "topP">, rand: () => number): number {
  const { temperature = 1, topK = 0, topP = 1 } = opts;
  const n = logits.length;
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature <= 0) return best;
  if (!truncates(opts, n)) return sampleFull(logits, temperature, rand).token;
  // top-k: the k-th largest logit is the threshold (a sort of a copy, native and fast)
  let threshold = -Infinity;
  if (topK > 0 && topK < n) threshold = Float64Array.from(logits).sort()[n - topK]!;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (logits[i]! >= threshold) keep.push(i);
  const max = logits[best]!;
  const weight = (i: number) => Math.exp((logits[i]! - max) / temperature);
  let candidates = keep;
  if (topP < 1) {
    // nucleus: the smallest set of most likely tokens whose mass reaches topP
    candidates = keep.sort((a, b) => logits[b]! - logits[a]!);
    const total = candidates.reduce((a, i) => a + weight(i), 0);
    let mass = 0;
    let cut = candidates.length;
    for (let j = 0; j < candidates.length; j++) {
      mass += weight(candidates[j]!) / total;
      if (mass >= topP) {
        cut = j + 1;
        break;
      }
    }
    candidates = candidates.slice(0, cut);
  }
  const weights = candidates.map(weight);
  let u = rand() * weights.reduce((a, w) => a + w, 0);
  for (let j = 0; j < candidates.length; j++) {
    u -= weights[j]!;
    if (u <= 0) return candidates[j]!;
  }
  return candidates[candidates.length - 1]!;
}

/** Whether top-k or top-p cut the distribution over n tokens. */
function truncates({ topK = 0, topP = 1 }: Pick<SamplingOptions, "topK" | "topP">, n: number): boolean {
  return (topK > 0 && topK < n) || topP < 1;
}

/**
 * A token from the whole tempered distribution, and its log-probability: one pass of
 * exponentials serves both (PPO samples this way, once per row per step). The same draw as
 * sampleToken's general path: candidates in index order, u = rand()·Σw.
 */
function sampleFull(logits: ArrayLike<number>, temperature: number, rand: () => number): { token: number; logprob: number } {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  const weights = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i] = Math.exp((logits[i]! - max) / temperature);
  let u = rand() * total;
  let token = n - 1;
  for (let i = 0; i < n; i++) {
    u -= weights[i]!;
    if (u <= 0) {
      token = i;
      break;
    }
  }
  return { token, logprob: (logits[token]! - max) / temperature - Math.log(total) };
}

/** A prompt cut to fit: its last `room` tokens, or a lone <|endoftext|> (GPT-2's BOS) when empty. */
export function fitPrompt(ids: number[], room: number, bos: number): number[] {
  if (room < 1) throw new Error(`no room for a prompt (${room} positions)`);
  return ids.length === 0 ? [bos] : ids.slice(-room);
}

export type Sampled = {
  /** the prompts as fed to the model (cut by fitPrompt) */
  prompts: number[][];
  /** sampled tokens, ending with eos when the row finished */
  tokens: number[][];
  /** eos was sampled before maxNewTokens */
  finished: boolean[];
  /** log-probability of each sampled token under the tempered distribution softmax(logits / T) */
  logprobs: number[][];
};

/**
 * Samples a continuation of each prompt, keeping everything PPO needs: the end-of-text
 * token when one is sampled (it is an action like any other), whether the row finished, and
 * the log-probability of each token at the sampling temperature. Log-probs ignore top-k/top-p
 * truncation: PPO samples with both off, so they are the sampling distribution's.
 */
export async function sample(config: GPT2Config, params: Params, prompts: number[][], opts: SamplingOptions): Promise<Sampled> {
  const rand = mulberry32(opts.seed ?? 0);
  const B = prompts.length;
  if (B === 0) return { prompts: [], tokens: [], finished: [], logprobs: [] };
  const room = config.n_positions - opts.maxNewTokens;
  if (room < 1) throw new Error(`maxNewTokens ${opts.maxNewTokens} leaves no room for a prompt in n_positions ${config.n_positions}`);
  const rows = prompts.map((p) => fitPrompt(p, room, opts.eos));
  if (opts.maxNewTokens <= 0) return { prompts: rows, tokens: rows.map(() => []), finished: rows.map(() => false), logprobs: rows.map(() => []) };
  const L = Math.max(...rows.map((r) => r.length));
  // left padding: every row's last prompt token sits at column L-1
  const ids = rows.map((r) => [...new Array<number>(L - r.length).fill(opts.eos), ...r]);
  const mask = rows.map((r) => [...new Array<number>(L - r.length).fill(0), ...new Array<number>(r.length).fill(1)]);
  const out: number[][] = rows.map(() => []);
  const logprobs: number[][] = rows.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const T = opts.temperature ?? 1;
  const H = config.n_head;

  // positions count real tokens only, so a left-padded row numbers its prompt from 0
  const positions = mask.map((m) => {
    let p = 0;
    return m.map((v) => (v ? p++ : 0));
  });
  // The prompt but its last token in one pass of forward(), for the cache; then one
  // position per step through the Decoder, the prompt's last token first.
  let decoder: Decoder | undefined;
  let cache: KVBuffer | undefined;
  let stepIds = ids.map((r) => r[L - 1]!);
  let bias = new Float32Array(0);
  let stepPos = positions.map((p) => p[L - 1]!);
  try {
    const dec = (decoder = new Decoder(config, params, opts.lora));
    const kv = (cache = prefill(config, params, ids, positions, mask, opts.lora));
    for (let step = 0; step < opts.maxNewTokens && !done.every(Boolean); step++) {
      const S = kv.reserve();
      // −1e9 on each row's left padding and on the columns past this step's position, the
      // same for each of the row's heads; between growths only this step's column opens
      const column = mask[0]!.length - 1;
      if (bias.length !== B * H * S) {
        bias = new Float32Array(B * H * S).fill(-1e9);
        mask.forEach((m, b) => m.forEach((v, t) => {
          if (v === 1) for (let h = 0; h < H; h++) bias[(b * H + h) * S + t] = 0;
        }));
      } else for (let r = 0; r < B * H; r++) bias[r * S + column] = 0;
      // a copy: the cpu backend keeps the array it is given, and this one changes next step
      const result = tf.tidy(() => dec.step(stepIds, stepPos, tf.tensor3d(bias.slice(), [B * H, 1, S]), kv));
      const logits = (await result.data()) as Float32Array;
      result.dispose();
      const V = logits.length / B;
      stepIds = rows.map((_, b) => {
        if (done[b]) return opts.eos;
        const row = logits.subarray(b * V, (b + 1) * V);
        const drawn = T > 0 && !truncates(opts, V) ? sampleFull(row, T, rand) : null;
        const tok = drawn?.token ?? sampleToken(row, opts, rand);
        out[b]!.push(tok);
        if (T > 0) logprobs[b]!.push(drawn?.logprob ?? temperedLogProb(row, tok, T));
        if (tok === opts.eos) done[b] = true;
        return tok;
      });
      stepPos = stepPos.map((p) => p + 1);
      for (const m of mask) m.push(1);
    }
  } finally {
    cache?.dispose();
    decoder?.dispose();
  }
  return { prompts: rows, tokens: out, finished: done.slice(), logprobs };
}

/** The cache of every prompt column but the last (empty for one-column prompts), in the Decoder's layout. */
function prefill(config: GPT2Config, params: Params, ids: number[][], positions: number[][], mask: number[][], lora?: LoraAdapter): KVBuffer {
  const B = ids.length;
  const L = ids[0]!.length;
  const H = config.n_head;
  const D = config.n_embd / H;
  if (L === 1) {
    const empty = (shape: [number, number, number]) => Array.from({ length: config.n_layer }, () => tf.zeros(shape) as tf.Tensor3D);
    return new KVBuffer(empty([B * H, D, 0]), empty([B * H, 0, D]));
  }
  const head = (m: number[][]) => m.map((r) => r.slice(0, L - 1));
  const present = tf.tidy(
    () =>
      forward(config, params, {
        ids: tf.tensor2d(head(ids), undefined, "int32"),
        positionIds: tf.tensor2d(head(positions), undefined, "int32"),
        attentionMask: tf.tensor2d(head(mask), undefined, "int32"),
        lora,
      }).present,
  );
  try {
    return fromForwardCache(present);
  } finally {
    for (const { k, v } of present) tf.dispose([k, v]);
  }
}

/** log softmax(logits / T)[tok], in double precision. */
function temperedLogProb(logits: ArrayLike<number>, tok: number, T: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp((logits[i]! - max) / T);
  return (logits[tok]! - max) / T - Math.log(z);
}

/**
 * Continues each prompt (token ids) with up to maxNewTokens sampled tokens, stopping a row
 * at eos (which is not returned). Prompts longer than the context allows keep their end.
 */
export async function generate(config: GPT2Config, params: Params, prompts: number[][], opts: SamplingOptions): Promise<number[][]> {
  const { tokens, finished } = await sample(config, params, prompts, opts);
  return tokens.map((t, b) => (finished[b] ? t.slice(0, -1) : t));
}
