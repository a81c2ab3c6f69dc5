// A trainer's answer that redirects (lib/models/trainer-client.ts): the signed request and
// its body must not follow it to wherever it points. A registered "trainer" answers 307
// (which keeps method and body) to another server; that server must hear nothing, and
// the call ends as one to an unreachable trainer does.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { getDb } from "@/lib/db/client";
import { trainerWorkers } from "@/lib/db/schema";
import { postToTrainer } from "@/lib/models/trainer-client";

process.env.TRAINER_RPC_KEY ??= "trainer-redirect-test-key-of-at-least-32-characters";

const heard: { path: string; headers: IncomingMessage["headers"] }[] = [];
const elsewhere = createServer((req, res) => {
  heard.push({ path: req.url ?? "", headers: req.headers });
  res.writeHead(200, { "content-type": "application/json" }).end("{}");
});
let redirecting: Server;
const workerId = `redirecting-trainer-${Date.now()}`;
const artifactPath = `redirect-test/${Date.now()}/policy`;

const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

beforeAll(async () => {
  const target = await listen(elsewhere);
  redirecting = createServer((req, res) => res.writeHead(307, { location: `${target}/stolen${req.url ?? ""}` }).end());
  const url = await listen(redirecting);
  // fresh and claiming the model: asked first
  await getDb().insert(trainerWorkers).values({ id: workerId, hostname: "redirecting", pid: 1, backend: "cpu", version: "test", url, loadedModels: [artifactPath] });
});

afterAll(async () => {
  await getDb().update(trainerWorkers).set({ stoppedAt: sql`now()` }).where(eq(trainerWorkers.id, workerId));
  await new Promise((r) => redirecting.close(r));
  await new Promise((r) => elsewhere.close(r));
});

describe("a trainer that answers with a redirect", () => {
  it("is not followed: the signed request goes nowhere else", async () => {
    const err = await postToTrainer("/score", { artifactPath, texts: ["secret prompt"] }, { what: "Scoring", timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(heard).toEqual([]);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: "unavailable" });
  });
});
