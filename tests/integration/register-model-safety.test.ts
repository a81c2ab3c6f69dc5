// Registering a checkpoint folder that lies where others can write (the models directory):
// what is stored, hashed and recorded is what was checked, whatever is swapped in while the
// registration waits; links, FIFOs and oversized files are refused before anything is read;
// the sizes a config.json gives are bounded; a registered model is the one a round and the
// playground load, and only as long as its weights match the recorded SHA-256.
// (From a review's reproductions: scratch/review-attack/.)
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NextRequest } from "next/server";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import type { Project } from "@/lib/db/schema";
import { baseModelDir, checkpointsDir } from "@/lib/models/paths";
import { checkCheckpointFolder, registerModelFolder } from "@/lib/models/register-model";
import { roundSettingsSchema } from "@/lib/rounds/round-settings";
import { loadCheckpoint, saveCheckpoint } from "@/trainer/checkpoint/hf-gpt2";
import { gpt2ConfigSchema, smallConfig } from "@/trainer/model/config";
import { initParams } from "@/trainer/model/gpt2";
import { loadTrunk } from "@/trainer/rounds/round-models";
import { policies, samplePolicy } from "@/trainer/serve/policy-sampler";
import { selectBackend } from "@/trainer/tf/backend";
import { anAdmin, aProject } from "./fixtures";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-register-safety-"));
const modelsDir = path.join(work, "data", "models");
/** pg_advisory_xact_lock's class for registrations (register-model.ts) */
const REGISTER_LOCK_CLASS = 0x4172_5267;
let project: Project;
let token: string;

async function tiny(dir: string, seed = 1): Promise<string> {
  const config = smallConfig({ n_layer: 1, n_embd: 16, n_head: 2, n_positions: 32 });
  await saveCheckpoint(dir, { config, params: initParams(config, seed) });
  return dir;
}

async function post(body: unknown): Promise<Response> {
  const { POST } = await import("@/app/api/v1/projects/[id]/models/route");
  const req = new NextRequest(`http://localhost/api/v1/projects/${project.id}/models`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return POST(req, { params: Promise.resolve({ id: project.id }) });
}

/** Holds the registration lock of `name` in another session, so a registration of it waits there; `release` lets it go on. */
async function holdRegistration(name: string): Promise<{ waiting: () => Promise<void>; release: () => Promise<void> }> {
  const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await holder.connect();
  await holder.query("begin");
  await holder.query("select pg_advisory_xact_lock($1, hashtext($2))", [REGISTER_LOCK_CLASS, path.join(project.id, "registered", name)]);
  return {
    // until the registration waits on the lock: past every check of the folder
    waiting: async () => {
      for (let i = 0; i < 400; i++) {
        const { rows } = await holder.query<{ n: number }>("select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = $1 and not granted", [REGISTER_LOCK_CLASS]);
        if (rows[0]!.n > 0) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error("the registration never waited on the lock");
    },
    release: async () => {
      await holder.query("commit");
      await holder.end();
    },
  };
}

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const stored = (name: string) => path.join(checkpointsDir(), project.id, "registered", name);

beforeAll(async () => {
  process.env.ARBITER_DATA_DIR = path.join(work, "data");
  delete process.env.ARBITER_MODELS_DIR;
  await selectBackend("wasm");
  fs.mkdirSync(modelsDir, { recursive: true });
  project = await aProject({ mode: "pairwise" });
  token = (await createApiToken((await anAdmin()).id, "test")).token;
});

afterAll(() => {
  delete process.env.ARBITER_DATA_DIR;
  fs.rmSync(work, { recursive: true, force: true });
});

describe("a folder changed while its registration waits", () => {
  it("a tokenizer file swapped for a link to a server file after the checks: the stored copy is the file that was checked", async () => {
    const dir = await tiny(path.join(modelsDir, "swapped-file"));
    const original = fs.readFileSync(path.join(dir, "vocab.json"), "utf8");
    const secret = path.join(work, "server-secret.txt");
    fs.writeFileSync(secret, "NEXTAUTH_SECRET=top-secret-value\n");
    const lock = await holdRegistration("swapped-file");
    const pending = post({ kind: "base", dir: "swapped-file" });
    await lock.waiting();
    fs.rmSync(path.join(dir, "vocab.json"));
    fs.symlinkSync(secret, path.join(dir, "vocab.json"));
    await lock.release();
    const res = await pending;
    expect(res.status).toBe(201);
    const model = await res.json();
    const copy = fs.readFileSync(path.join(stored("swapped-file"), "vocab.json"), "utf8");
    expect(copy).not.toContain("top-secret-value");
    expect(copy).toBe(original);
    // size and hash are the stored copy's
    expect(model).toMatchObject({ sizeBytes: fs.statSync(path.join(stored("swapped-file"), "model.safetensors")).size, sha256: sha256(path.join(stored("swapped-file"), "model.safetensors")) });
  });

  it("the folder itself swapped for a link to another project's checkpoint: the stored copy is the folder that was checked", async () => {
    const inside = await tiny(path.join(modelsDir, "swapped-folder"));
    const original = fs.readFileSync(path.join(inside, "vocab.json"), "utf8");
    const other = await tiny(path.join(work, "data", "checkpoints", "other-project", "round-1", "policy"), 99);
    fs.writeFileSync(path.join(other, "vocab.json"), "MARKER-from-outside\n");
    const lock = await holdRegistration("swapped-folder");
    const pending = post({ kind: "base", dir: "swapped-folder" });
    await lock.waiting();
    fs.renameSync(inside, `${inside}-moved`);
    fs.symlinkSync(other, inside);
    await lock.release();
    const res = await pending;
    expect(res.status).toBe(201);
    expect(fs.readFileSync(path.join(stored("swapped-folder"), "vocab.json"), "utf8")).toBe(original);
    expect(sha256(path.join(stored("swapped-folder"), "model.safetensors"))).toBe(sha256(path.join(`${inside}-moved`, "model.safetensors")));
  });
});

describe("refused before anything is read", () => {
  it("a config.json that is a link is refused as a link, not parsed (no oracle on a file elsewhere)", async () => {
    const dir = await tiny(path.join(modelsDir, "peek"));
    const outside = path.join(work, "outside.json");
    fs.writeFileSync(outside, JSON.stringify({ vocab_size: "s3cr3t", n_positions: 1, n_embd: 1, n_layer: 1, n_head: 1, bos_token_id: 0, eos_token_id: 0 }));
    fs.rmSync(path.join(dir, "config.json"));
    fs.symlinkSync(outside, path.join(dir, "config.json"));
    const res = await post({ kind: "base", dir: "peek" });
    expect(res.status).toBe(400);
    const { message } = (await res.json()).error;
    expect(message).toMatch(/config\.json is a symbolic link/);
    expect(message).not.toMatch(/GPT-2 config|vocab_size/);
  });

  it("without links, a folder that is itself a link is refused", async () => {
    const real = await tiny(path.join(work, "elsewhere", "real"));
    const link = path.join(modelsDir, "linked-folder");
    fs.symlinkSync(real, link);
    await expect(registerModelFolder(project, { kind: "base", dir: link, symlinks: false })).rejects.toThrow(/linked-folder is a symbolic link/);
    expect(fs.existsSync(stored("linked-folder"))).toBe(false);
  });

  it("the command line follows links (Hugging Face's cache keeps snapshots as links) and stores regular files", async () => {
    const blobs = await tiny(path.join(work, "hf-cache", "blobs"), 3);
    const snapshot = path.join(work, "hf-cache", "snapshots", "abc");
    fs.mkdirSync(snapshot, { recursive: true });
    for (const f of fs.readdirSync(blobs)) fs.symlinkSync(path.join("..", "..", "blobs", f), path.join(snapshot, f));
    const model = await registerModelFolder(project, { kind: "base", dir: snapshot, name: "from-hf-cache" });
    expect(model.sha256).toBe(sha256(path.join(blobs, "model.safetensors")));
    for (const f of fs.readdirSync(stored("from-hf-cache"))) expect(fs.lstatSync(path.join(stored("from-hf-cache"), f)).isFile()).toBe(true);
  });

  it("a FIFO in place of a tokenizer file is refused as not a regular file (it would block a read)", async () => {
    const dir = await tiny(path.join(work, "fifo"));
    fs.rmSync(path.join(dir, "merges.txt"), { force: true });
    execFileSync("mkfifo", [path.join(dir, "merges.txt")]);
    await expect(registerModelFolder(project, { kind: "base", dir })).rejects.toThrow(/merges\.txt is not a regular file/);
  });

  it("a tokenizer file past its cap, and weights past the disk's free space, are refused before copying", async () => {
    const big = await tiny(path.join(work, "big-vocab"));
    fs.truncateSync(path.join(big, "vocab.json"), 33 * 1024 * 1024); // sparse: nothing written
    await expect(registerModelFolder(project, { kind: "base", dir: big })).rejects.toThrow(/vocab\.json is 34603008 bytes, more than the 33554432 Arbiter reads/);

    const huge = await tiny(path.join(work, "huge-weights"));
    const disk = fs.statfsSync(work);
    fs.truncateSync(path.join(huge, "model.safetensors"), disk.bavail * disk.bsize + 2 ** 30); // sparse, larger than the free space
    await expect(registerModelFolder(project, { kind: "base", dir: huge })).rejects.toThrow(/copying it needs \d+ bytes .* disk has \d+ free/);
    // no private copy left behind
    expect(fs.readdirSync(checkpointsDir()).filter((f) => f.startsWith(".register-"))).toEqual([]);
  });
});

describe("bounds", () => {
  it("a config's sizes are bounded (n_layer 1e8 with an 18-byte file once exhausted the process's memory)", () => {
    const dir = path.join(work, "n-layer");
    fs.mkdirSync(dir, { recursive: true });
    const config = { vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 1e8, n_head: 2, bos_token_id: 256, eos_token_id: 256, arbiter_tokenizer: "byte-level" };
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
    fs.writeFileSync(path.join(dir, "model.safetensors"), Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{}"), Buffer.alloc(8)]));
    for (const [field, value] of [["n_layer", 193], ["n_embd", 8192 * 2], ["n_head", 129], ["n_positions", 4097], ["vocab_size", 262_145], ["n_inner", 32_769]] as const) {
      expect(gpt2ConfigSchema.safeParse({ ...config, n_layer: 1, [field]: value }).success).toBe(false);
    }
    const started = Date.now();
    expect(() => checkCheckpointFolder(dir)).toThrow(/n_layer: .*192/);
    expect(Date.now() - started).toBeLessThan(1000);
    // GPT-2 XL's sizes pass
    expect(gpt2ConfigSchema.safeParse({ ...config, n_layer: 48, n_embd: 1600, n_head: 25, n_positions: 1024, vocab_size: 50257 }).success).toBe(true);
  });

  it("weights too small for the parameters the config describes are refused by their size", () => {
    const dir = path.join(work, "too-small");
    fs.mkdirSync(dir, { recursive: true });
    const config = { vocab_size: 50257, n_positions: 1024, n_embd: 1600, n_layer: 48, n_head: 25, bos_token_id: 50256, eos_token_id: 50256 };
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
    fs.writeFileSync(path.join(dir, "model.safetensors"), Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{}"), Buffer.alloc(8)]));
    expect(() => checkCheckpointFolder(dir)).toThrow(/model\.safetensors is 18 bytes, too small for the 1557611200 parameters config\.json describes/);
  });

  it("a name with '.partial-' is refused: registering `m` would sweep `m.partial-*` (folders being written)", async () => {
    await expect(registerModelFolder(project, { kind: "base", dir: await tiny(path.join(work, "m1")), name: "m.partial-keep" })).rejects.toThrow(/without '\.partial-'/);
    expect(fs.existsSync(stored("m.partial-keep"))).toBe(false);
  });
});

describe("loading a registered model", () => {
  it("a round's baseModel is the registered model, not a models-directory folder of the same name added later", async () => {
    await registerModelFolder(project, { kind: "base", dir: await tiny(path.join(work, "elsewhere", "shadowed"), 5) });
    await tiny(path.join(modelsDir, "shadowed"), 6);
    expect(baseModelDir("shadowed", project.id)).toBe(stored("shadowed"));
    const settings = roundSettingsSchema.parse({ baseModel: "shadowed" });
    const trunk = await loadTrunk(getDb(), project.id, settings, 0, false);
    expect(trunk.dir).toBe(stored("shadowed"));
  });

  it("weights changed since registration are refused by a round and by the playground", async () => {
    const base = await registerModelFolder(project, { kind: "base", dir: await tiny(path.join(work, "elsewhere", "tampered-base"), 7) });
    const policy = await registerModelFolder(project, { kind: "policy", dir: await tiny(path.join(work, "elsewhere", "tampered-policy"), 8) });
    const settings = roundSettingsSchema.parse({ baseModel: "tampered-base" });
    // both load while they match
    expect((await loadTrunk(getDb(), project.id, settings, 0, false)).dir).toBe(stored("tampered-base"));
    const opts = { n: 1, maxNewTokens: 2, temperature: 1, topP: 1, seed: 1 };
    expect(await samplePolicy(policy.path, [{ role: "user", content: "hi" }], opts)).toHaveLength(1);
    // one byte of a tensor changed: the file still decodes
    for (const name of ["tampered-base", "tampered-policy"]) {
      const weights = path.join(stored(name), "model.safetensors");
      const bytes = fs.readFileSync(weights);
      bytes[bytes.length - 1]! ^= 0x01;
      fs.writeFileSync(weights, bytes);
      expect(() => loadCheckpoint(stored(name))).not.toThrow();
    }
    await expect(loadTrunk(getDb(), project.id, settings, 0, false)).rejects.toThrow(/does not match the SHA-256 recorded when it was registered/);
    // the playground's trainer loaded it before the change; once it loads it again (two other models pushed it out of its cache), it refuses it
    expect(policies.has(path.join(checkpointsDir(), policy.path))).toBe(true);
    for (const other of ["evict-1", "evict-2"]) await policies.use(path.join(work, other), async () => null, () => ({ config: smallConfig(), params: new Map() }));
    expect(policies.has(path.join(checkpointsDir(), policy.path))).toBe(false);
    await expect(samplePolicy(policy.path, [{ role: "user", content: "hi" }], opts)).rejects.toThrow(/does not match the SHA-256 recorded/);
    expect(base.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
