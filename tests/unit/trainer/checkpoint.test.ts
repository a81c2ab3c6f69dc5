import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors } from "@/trainer/checkpoint/safetensors";
import { loadCheckpoint, saveCheckpoint } from "@/trainer/checkpoint/hf-gpt2";
import { smallConfig } from "@/trainer/model/config";
import { forward, initParams, lmLogits, parameterShapes } from "@/trainer/model/gpt2";
import { LoraAdapter } from "@/trainer/model/lora";
import { generate } from "@/trainer/generate";
import { byteLevel, gpt2Bpe } from "@/trainer/tokenizer/tokenizer";
import { backendReady } from "./tf-backend";

beforeAll(async () => void (await backendReady));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-ckpt-"));
const config = smallConfig({ n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2 });

/**
 * A separate, minimal safetensors writer in the layout of openai-community/gpt2's own file:
 * names without "transformer.", the causal-mask buffers h.N.attn.bias, mixed dtypes (F16).
 */
function writeHubStyleGpt2(dir: string): void {
  const entries: { name: string; dtype: "F32" | "F16"; shape: number[]; bytes: Buffer }[] = [];
  for (const [name, shape] of parameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const f16 = name.includes("mlp");
    const bytes = Buffer.alloc(n * (f16 ? 2 : 4));
    for (let i = 0; i < n; i++) f16 ? bytes.writeUInt16LE(0x3c00, i * 2) /* 1.0 */ : bytes.writeFloatLE(i % 7, i * 4);
    entries.push({ name: name.replace(/^transformer\./, ""), dtype: f16 ? "F16" : "F32", shape, bytes });
  }
  for (let l = 0; l < config.n_layer; l++) {
    const P = config.n_positions;
    entries.push({ name: `h.${l}.attn.bias`, dtype: "F32", shape: [1, 1, P, P], bytes: Buffer.alloc(P * P * 4) });
  }
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(path.join(dir, "model.safetensors"), Buffer.concat([len, json, ...entries.map((e) => e.bytes)]));
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ architectures: ["GPT2LMHeadModel"], ...config, arbiter_tokenizer: undefined, n_ctx: config.n_positions }));
  fs.writeFileSync(path.join(dir, "vocab.json"), "{}");
}

describe("safetensors and checkpoints", () => {
  it("round-trips tensors exactly, with the same bytes every time", () => {
    const tensors = new Map([
      ["b", { shape: [2, 3], data: Float32Array.from([1.5, -2, 3e-8, Math.PI, -0, 1e30]) }],
      ["a", { shape: [1], data: Float32Array.from([7]) }],
    ]);
    const bytes = encodeSafetensors(tensors, { note: "x" });
    expect(bytes.equals(encodeSafetensors(tensors, { note: "x" }))).toBe(true);
    expect((8 + Number(bytes.readBigUInt64LE(0))) % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ note: "x" });
    for (const [name, t] of tensors) {
      expect(back.tensors.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(back.tensors.get(name)!.data)).toEqual(Array.from(t.data));
    }
  });

  it("loads a hub-style GPT-2 folder with the right shapes, skipping mask buffers", () => {
    const dir = tmp();
    writeHubStyleGpt2(dir);
    const { config: c, params } = loadCheckpoint(dir);
    expect(c.n_layer).toBe(2);
    for (const [name, shape] of parameterShapes(config)) expect(params.get(name)?.shape, name).toEqual(shape);
    expect(params.size).toBe(parameterShapes(config).length);
    expect(params.get("transformer.h.0.mlp.c_fc.weight")!.dataSync()[3]).toBe(1); // F16 1.0
    expect(params.get("transformer.wte.weight")!.dataSync()[9]).toBe(2);
  });

  it("saves what it loads: transformers' names, tokenizer files carried, same logits", async () => {
    const src = tmp();
    writeHubStyleGpt2(src);
    const a = loadCheckpoint(src);
    const out = tmp();
    const { sha256 } = await saveCheckpoint(out, a, { tokenizerFrom: src });
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.existsSync(path.join(out, "vocab.json"))).toBe(true);
    const names = [...decodeSafetensors(fs.readFileSync(path.join(out, "model.safetensors"))).tensors.keys()];
    expect(names).toContain("transformer.h.1.attn.c_attn.weight");
    expect(names).not.toContain("lm_head.weight");
    const cfg = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
    expect(cfg).toMatchObject({ model_type: "gpt2", architectures: ["GPT2LMHeadModel"], n_embd: 16, n_layer: 2 });
    const b = loadCheckpoint(out);
    for (const [name, v] of a.params) expect(Array.from(b.params.get(name)!.dataSync())).toEqual(Array.from(v.dataSync()));
  });

  it("merges a LoRA adapter into weights that give the adapted logits", async () => {
    const params = initParams(config, 2);
    const lora = new LoraAdapter({ r: 2, alpha: 4, targets: ["c_attn", "c_fc"] }, config, 9);
    for (const [name, v] of lora.params) if (name.endsWith("lora_B")) v.assign(tf.randomNormal(v.shape, 0, 0.2, "float32", 4));
    const ids = tf.tensor2d([[1, 2, 3, 4, 5]], undefined, "int32");
    const adapted = tf.tidy(() => lmLogits(params, forward(config, params, { ids, lora }).hidden)).dataSync();
    const merged = lora.merge(params);
    const plain = tf.tidy(() => lmLogits(merged, forward(config, merged, { ids }).hidden)).dataSync();
    plain.forEach((v, i) => expect(v).toBeCloseTo(adapted[i]!, 4));
  });

  it("generates the same tokens batched (left-padded) as one prompt at a time", async () => {
    const params = initParams(config, 3);
    const prompts = [[65, 66, 67, 68, 69], [70, 71], [72, 73, 74]];
    const opts = { maxNewTokens: 6, temperature: 0, eos: 256 };
    const batched = await generate(config, params, prompts, opts);
    for (let i = 0; i < prompts.length; i++) expect(batched[i]).toEqual((await generate(config, params, [prompts[i]!], opts))[0]);
    expect(batched.every((r) => r.length <= 6)).toBe(true);
    // sampling is seeded
    const s = { maxNewTokens: 6, temperature: 1, topK: 20, topP: 0.9, eos: 256, seed: 11 };
    expect(await generate(config, params, prompts, s)).toEqual(await generate(config, params, prompts, s));
  });

  it("tokenizes bytes and GPT-2 BPE without a download, special tokens as text", () => {
    expect(byteLevel.decode(byteLevel.encode("héllo"))).toBe("héllo");
    expect(gpt2Bpe.encode("Hello world")).toEqual([15496, 995]);
    expect(gpt2Bpe.encode("<|endoftext|>")).not.toContain(50256);
  });
});

describe("LoRA adapters apart from the base", () => {
  it("save in PEFT's layout and load back to the same update", async () => {
    const { saveLoraAdapter, loadLoraAdapter } = await import("@/trainer/checkpoint/peft-lora");
    const lora = new LoraAdapter({ r: 2, alpha: 8, targets: ["c_attn", "c_proj"] }, config, 5);
    for (const [name, v] of lora.params) if (name.endsWith("lora_B")) v.assign(tf.randomNormal(v.shape, 0, 0.3, "float32", 8));
    const dir = tmp();
    await saveLoraAdapter(dir, lora, "gpt2-test");
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "adapter_config.json"), "utf8"));
    expect(cfg).toMatchObject({ peft_type: "LORA", r: 2, lora_alpha: 8, fan_in_fan_out: true, target_modules: ["c_attn", "c_proj"] });
    const stored = decodeSafetensors(fs.readFileSync(path.join(dir, "adapter_model.safetensors"))).tensors;
    expect(stored.get("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight")!.shape).toEqual([2, 16]);
    expect(stored.get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight")!.shape).toEqual([48, 2]);
    expect(stored.get("base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight")!.shape).toEqual([16, 2]);
    const back = loadLoraAdapter(dir, config);
    for (const [name, v] of lora.params) expect(Array.from(back.params.get(name)!.dataSync())).toEqual(Array.from(v.dataSync()));
  });
});

describe("sampling", () => {
  it("keeps to top-k and top-p, and is greedy at temperature 0", async () => {
    const { sampleToken } = await import("@/trainer/generate");
    const logits = [0, 5, 4.9, 1, -2, 4.8];
    let s = 1;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    expect(sampleToken(logits, { temperature: 0 }, rand)).toBe(1);
    const seen = new Set(Array.from({ length: 300 }, () => sampleToken(logits, { temperature: 1, topK: 2 }, rand)));
    expect([...seen].sort()).toEqual([1, 2]);
    // top-p 0.5: token 1 alone holds about 0.36 of the mass, 1 and 2 about 0.69
    const nucleus = new Set(Array.from({ length: 300 }, () => sampleToken(logits, { temperature: 1, topP: 0.5 }, rand)));
    expect([...nucleus].sort()).toEqual([1, 2]);
    const all = new Set(Array.from({ length: 3000 }, () => sampleToken(logits, { temperature: 1 }, rand)));
    expect(all.has(3)).toBe(true);
  });
});

describe("tokenizer files for byte-level checkpoints", () => {
  it("give GPT2Tokenizer one token per byte with the byte-level ids", async () => {
    const { bytesToUnicode } = await import("@/trainer/tokenizer/hf-files");
    const map = bytesToUnicode();
    // the mapping of OpenAI's encoder.py: space → "Ġ", newline → "Ċ", printable ASCII as itself
    expect([map[32], map[10], map[65], map[0], map[255]]).toEqual(["Ġ", "Ċ", "A", "Ā", "ÿ"]);
    expect(new Set(map).size).toBe(256);
    const dir = tmp();
    const c = smallConfig({ n_positions: 16, n_embd: 8, n_layer: 1, n_head: 1 });
    await saveCheckpoint(dir, { config: c, params: initParams(c, 1) });
    const vocab = JSON.parse(fs.readFileSync(path.join(dir, "vocab.json"), "utf8"));
    expect(Object.keys(vocab)).toHaveLength(257);
    expect(vocab["Ġ"]).toBe(32);
    expect(vocab["<|endoftext|>"]).toBe(256);
    expect(fs.readFileSync(path.join(dir, "merges.txt"), "utf8")).toBe("#version: 0.2\n");
  });
});
