// The trainer's small HTTP server for work the web app hands over: POST /score runs a
// reward model on responses, POST /generate samples answers from a policy or SFT model.
// Bound to 127.0.0.1 by default (TRAINER_HOST to share it on a network), on TRAINER_PORT or
// a free port; its URL (advertised-url.ts) goes into trainer_workers so the web app finds
// it. Every request must be signed by the web app, within ±30 s and once only
// (lib/models/internal-auth.ts).
//
// Trainers on several machines need not share a checkpoint folder: a request for a model
// whose files are not in this trainer's folder is answered 404 `model_not_here` at once,
// and the web app asks the next live trainer (lib/models/trainer-client.ts). Which models
// are loaded goes into the heartbeat (loaded(), worker-registry.ts).
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { z } from "zod";
import { MODEL_NOT_HERE } from "@/lib/models/trainer-answers";
import { NonceCache, sha256Hex, verifySignature } from "@/lib/models/internal-auth";
import { checkpointPath, checkpointsDir } from "@/lib/models/paths";
import { advertisedUrl } from "./advertised-url";
import { policies, SampleInputError, samplePolicy } from "./policy-sampler";
import { rewardModels, scoreResponses } from "./reward-scorer";

const messages = z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })).min(1);

const scoreRequest = z
  .object({
    artifactPath: z.string().min(1),
    messages,
    responses: z.array(z.string()).min(1).max(256),
  })
  .strict();

const generateRequest = z
  .object({
    artifactPath: z.string().min(1),
    messages,
    n: z.number().int().min(1).max(8),
    maxNewTokens: z.number().int().min(1).max(512),
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
    seed: z.number().int(),
  })
  .strict();

/** The model's files are not in this trainer's checkpoint folder (another trainer may have them). */
class ModelNotHere extends Error {}

/** Refuses, before any loading, a model whose folder this trainer does not have. */
function requireLocal(artifactPath: string): void {
  if (!existsSync(path.join(checkpointPath(artifactPath), "config.json"))) throw new ModelNotHere(`${artifactPath} is not in this trainer's checkpoint folder`);
}

/** Each path: how its body is read, and the work that answers it. */
const ROUTES: Record<string, (body: unknown) => Promise<object>> = {
  "/score": async (body) => {
    const req = scoreRequest.parse(body);
    requireLocal(req.artifactPath);
    return { scores: await scoreResponses(req.artifactPath, req.messages, req.responses) };
  },
  "/generate": async (body) => {
    const { artifactPath, messages, ...opts } = generateRequest.parse(body);
    requireLocal(artifactPath);
    return { samples: await samplePolicy(artifactPath, messages, opts) };
  },
};

/** Artifact paths loaded in this process's model caches, as the database names them. */
function loadedArtifacts(): string[] {
  const root = checkpointsDir();
  return [...new Set([...rewardModels.loaded(), ...policies.loaded()].map((dir) => path.relative(root, dir)))].sort();
}

const MAX_BODY = 4 * 1024 * 1024;

/**
 * Requests of a kind in flight at once. Both run on the trainer's one thread, next to a
 * round's training: more at once would only queue there and hold their memory (a cache of
 * keys and values per request) meanwhile. Beyond the limit: 503 with Retry-After.
 */
const IN_FLIGHT_LIMIT: Record<string, number> = { "/score": 4, "/generate": 1 };

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function isInputError(err: unknown): boolean {
  return err instanceof z.ZodError || err instanceof SyntaxError || err instanceof SampleInputError;
}

export async function startScoreServer(opts: {
  /** the trainer RPC key (internal-auth.ts: trainerRpcKey) */
  key: string;
  host: string;
  port: number;
  /** TRAINER_PUBLIC_URL: where the web app reaches this server, when not at the address it listens on */
  publicUrl?: string;
  log: (line: string) => void;
  /** called when a model is loaded (and so perhaps another dropped): the heartbeat reports loaded() at once */
  onModelsChanged?: () => void;
}): Promise<{ url: string; loaded(): string[]; close(): Promise<void> }> {
  rewardModels.onChange = policies.onChange = opts.onModelsChanged;
  const inFlight = new Map<string, number>();
  const nonces = new NonceCache();
  let url = ""; // the advertised URL, once listening: requests are signed for it (internal-auth.ts)
  const server = http.createServer((req, res) => {
    const path = req.url ?? "";
    const verdict = verifySignature(opts.key, { trainerUrl: url, method: req.method ?? "", path, headers: req.headers }, nonces);
    if (!verdict.ok) {
      opts.log(`refused ${req.method} ${path}: ${verdict.reason}`);
      return send(res, 403, { error: "forbidden" });
    }
    const route = req.method === "POST" && Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
    if (!route) return send(res, 404, { error: "not found" });
    if ((inFlight.get(path) ?? 0) >= IN_FLIGHT_LIMIT[path]!) {
      res.setHeader("retry-after", "2");
      return send(res, 503, { error: `busy: ${IN_FLIGHT_LIMIT[path]} ${path.slice(1)} request(s) already running` });
    }
    inFlight.set(path, (inFlight.get(path) ?? 0) + 1);
    res.on("close", () => inFlight.set(path, inFlight.get(path)! - 1));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on("end", async () => {
      try {
        const bytes = Buffer.concat(chunks);
        if (sha256Hex(bytes) !== verdict.bodySha256) return send(res, 403, { error: "forbidden" }); // not the body that was signed
        const started = performance.now();
        const answer = await route(JSON.parse(bytes.toString("utf8")));
        send(res, 200, { ...answer, ms: Math.round(performance.now() - started) });
      } catch (err) {
        if (err instanceof ModelNotHere) return send(res, 404, { error: err.message, code: MODEL_NOT_HERE });
        const message = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : err instanceof Error ? err.message : String(err);
        opts.log(`${req.url?.slice(1)} failed: ${message}`);
        send(res, isInputError(err) ? 400 : 500, { error: message });
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(opts.port, opts.host, resolve));
  const { port } = server.address() as AddressInfo;
  url = advertisedUrl(opts.host, port, { publicUrl: opts.publicUrl });
  return { url, loaded: loadedArtifacts, close: () => new Promise((r) => server.close(() => r())) };
}
