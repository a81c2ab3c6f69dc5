// The trainer's server takes only requests the web app signed: the right key over this
// trainer's address, method, path, timestamp, nonce and body, within ±30 s, each once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_SKEW_MS, NonceCache, signRequest } from "@/lib/models/internal-auth";
import { advertisedUrl } from "@/trainer/serve/advertised-url";
import { startScoreServer } from "@/trainer/serve/score-server";

const SECRET = "score-server-auth-test";
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  server = await startScoreServer({ key: SECRET, host: "127.0.0.1", port: 0, log: () => {} });
});
afterAll(async () => {
  await server.close();
});

/** Sends `body` to `path` with the given headers; 400 means it got past the signature to the route's input check. */
async function send(path: string, body: string, headers: Record<string, string>): Promise<number> {
  return (await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })).status;
}

const signed = (path: string, body: string, opts: { now?: number; nonce?: string; secret?: string; method?: string; trainerUrl?: string } = {}) =>
  signRequest(opts.secret ?? SECRET, { trainerUrl: opts.trainerUrl ?? server.url, method: opts.method ?? "POST", path, body }, opts);

describe("the trainer server's request signatures", () => {
  it("let a signed request through, once", async () => {
    const headers = signed("/score", "{}");
    expect(await send("/score", "{}", headers)).toBe(400); // past the signature: the body is not a scoring request
    expect(await send("/score", "{}", headers)).toBe(403); // the same request again: a replay
  });

  it("refuse unsigned requests and those signed with another key, for another path, method or body", async () => {
    expect(await send("/score", "{}", {})).toBe(403);
    expect(await send("/score", "{}", signed("/score", "{}", { secret: "not the secret" }))).toBe(403);
    expect(await send("/generate", "{}", signed("/score", "{}"))).toBe(403);
    expect(await send("/score", "{}", signed("/score", "{}", { method: "GET" }))).toBe(403);
    expect(await send("/score", '{"artifactPath":"x"}', signed("/score", "{}"))).toBe(403);
  });

  it("refuse a request signed for another trainer (a capture replayed to a second trainer, whose nonces are its own)", async () => {
    const other = new URL(server.url);
    other.port = String(Number(other.port) + 1);
    expect(await send("/score", "{}", signed("/score", "{}", { trainerUrl: other.toString() }))).toBe(403);
    expect(await send("/score", "{}", signed("/score", "{}", { trainerUrl: `${server.url}/some/path` }))).toBe(400); // the origin is what counts
  });

  it("accept a timestamp within ±30 s of the trainer's clock and nothing beyond", async () => {
    expect(await send("/score", "{}", signed("/score", "{}", { now: Date.now() - MAX_SKEW_MS + 2_000 }))).toBe(400);
    expect(await send("/score", "{}", signed("/score", "{}", { now: Date.now() + MAX_SKEW_MS - 2_000 }))).toBe(400);
    expect(await send("/score", "{}", signed("/score", "{}", { now: Date.now() - MAX_SKEW_MS - 1_000 }))).toBe(403);
    expect(await send("/score", "{}", signed("/score", "{}", { now: Date.now() + MAX_SKEW_MS + 1_000 }))).toBe(403);
  });
});

describe("the nonce cache", () => {
  it("forgets a nonce only once its timestamp is out of the window, and refuses rather than forget when full", () => {
    const cache = new NonceCache(2);
    const t = 1_000_000;
    expect(cache.remember("aaaaaaaaaaaaaaaa", t, t)).toBe(true);
    expect(cache.remember("aaaaaaaaaaaaaaaa", t, t + MAX_SKEW_MS)).toBe(false);
    expect(cache.remember("bbbbbbbbbbbbbbbb", t, t)).toBe(true);
    expect(cache.remember("cccccccccccccccc", t, t)).toBe(false); // full of live nonces
    expect(cache.remember("cccccccccccccccc", t + 40_000, t + 40_000)).toBe(true); // the old ones have expired
  });
});

describe("the trainer's advertised URL", () => {
  const interfaces = {
    lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }],
    eth0: [
      { address: "fe80::1", family: "IPv6", internal: false },
      { address: "10.1.2.3", family: "IPv4", internal: false },
    ],
  } as never;

  it("is the bound address, a network address for a wildcard bind, or TRAINER_PUBLIC_URL", () => {
    expect(advertisedUrl("127.0.0.1", 4000, { interfaces })).toBe("http://127.0.0.1:4000");
    expect(advertisedUrl("0.0.0.0", 4000, { interfaces })).toBe("http://10.1.2.3:4000");
    expect(advertisedUrl("::", 4000, { interfaces })).toBe("http://10.1.2.3:4000");
    expect(advertisedUrl("::1", 4000, { interfaces })).toBe("http://[::1]:4000");
    expect(advertisedUrl("0.0.0.0", 4000, { interfaces: { lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }] } as never })).toBe("http://127.0.0.1:4000");
    expect(advertisedUrl("0.0.0.0", 4000, { interfaces, publicUrl: "http://trainer.internal:4000/" })).toBe("http://trainer.internal:4000");
  });
});
