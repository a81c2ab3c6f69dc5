// The browser's submit (app/annotate/[projectId]/task-client.ts) against a real HTTP server
// that turns it away: 503 with Retry-After is waited out and sent again with the same
// clientId until the server takes it; a 4xx is final; an attempt left unanswered is
// abandoned after its timeout and sent again.
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { submitVerdict } from "@/app/annotate/[projectId]/task-client";
import { attemptSignal, isRetryableFailure, retryDelayMs } from "@/lib/api/retry-policy";

type Seen = { at: number; clientId: string };

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A server that answers each POST with the next of `answers` (status, headers); status 0: never answers. */
async function serve(answers: [number, Record<string, string>][]): Promise<{ origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({ at: Date.now(), clientId: (JSON.parse(body) as { clientId: string }).clientId });
      const [status, headers] = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      if (status === 0) return; // hangs, as behind a stalled database
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(status < 300 ? { id: "judgment-1" } : { error: { code: "unavailable", message: "busy" } }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${(server!.address() as { port: number }).port}`, seen };
}

const verdict = { ranking: [["a"], ["b"]], durationMs: 1000 };

describe("submitVerdict", () => {
  it("waits out 503s as Retry-After asks and sends the same clientId again until it is taken", async () => {
    const busy: [number, Record<string, string>] = [503, { "retry-after": "1" }];
    const { origin, seen } = await serve([busy, busy, [201, {}]]);
    const id = await submitVerdict("c-1", "client-1", verdict, { origin });
    expect(id).toBe("judgment-1");
    expect(seen.map((s) => s.clientId)).toEqual(["client-1", "client-1", "client-1"]);
    // at least the second Retry-After asked for, not the old 300/600 ms backoff
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(990);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(990);
  }, 15_000);

  it("keeps trying past four refusals while within its patience (a database restart takes seconds)", async () => {
    const busy: [number, Record<string, string>] = [503, { "retry-after": "0" }];
    const { origin, seen } = await serve([busy, busy, busy, busy, busy, busy, [200, {}]]);
    expect(await submitVerdict("c-1", "client-2", verdict, { origin })).toBe("judgment-1");
    expect(seen).toHaveLength(7);
  }, 15_000);

  it("gives up after its patience, and takes a 4xx as final at once", async () => {
    const { origin, seen } = await serve([[503, { "retry-after": "1" }]]);
    await expect(submitVerdict("c-1", "client-3", verdict, { origin, patienceMs: 1500 })).rejects.toThrow("busy");
    expect(seen.length).toBeLessThanOrEqual(2);
    await new Promise<void>((r) => server!.close(() => r()));
    const refused = await serve([[409, {}]]);
    await expect(submitVerdict("c-1", "client-4", verdict, { origin: refused.origin })).rejects.toThrow("busy");
    expect(refused.seen).toHaveLength(1);
  }, 15_000);
});

describe("submitVerdict with an attempt that hangs", () => {
  it("abandons it after the attempt timeout and sends the same clientId again", async () => {
    const { origin, seen } = await serve([[0, {}], [201, {}]]);
    const started = Date.now();
    expect(await submitVerdict("c-1", "client-5", verdict, { origin, attemptTimeoutMs: 400 })).toBe("judgment-1");
    expect(seen.map((s) => s.clientId)).toEqual(["client-5", "client-5"]);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(400); // the timeout, then the backoff
    expect(Date.now() - started).toBeLessThan(5_000);
    server!.closeAllConnections(); // the abandoned request's socket
  }, 15_000);

  it("gives up with a plain message once its patience is spent on attempts that all hang", async () => {
    const { origin, seen } = await serve([[0, {}]]);
    await expect(submitVerdict("c-1", "client-6", verdict, { origin, attemptTimeoutMs: 300, patienceMs: 1_000 })).rejects.toThrow("The server did not answer in time");
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen.map((s) => s.clientId))).toEqual(new Set(["client-6"]));
    server!.closeAllConnections();
  }, 15_000);
});

describe("isRetryableFailure and attemptSignal", () => {
  it("retries a network error or the attempt's own timeout, nothing else", async () => {
    expect(isRetryableFailure(new TypeError("fetch failed"))).toBe(true);
    const signal = attemptSignal(50);
    await new Promise((r) => setTimeout(r, 120));
    expect(signal.aborted).toBe(true);
    expect(isRetryableFailure(signal.reason)).toBe(true); // a DOMException named TimeoutError
    expect(isRetryableFailure(new DOMException("The user aborted a request.", "AbortError"))).toBe(false);
    expect(isRetryableFailure(new Error("busy"))).toBe(false);
    expect(isRetryableFailure(undefined)).toBe(false);
  });
});

describe("retryDelayMs", () => {
  it("follows Retry-After in seconds or as a date, else backs off from 300 ms, capped, with at most a fifth of jitter", () => {
    expect(retryDelayMs(0, "2", () => 0)).toBe(2000);
    expect(retryDelayMs(0, "2", () => 1)).toBe(2400);
    expect(retryDelayMs(5, "3600", () => 0)).toBe(30_000);
    expect(retryDelayMs(0, new Date(Date.now() + 5000).toUTCString(), () => 0)).toBeGreaterThan(3000);
    expect([0, 1, 2, 10].map((a) => retryDelayMs(a, null, () => 0))).toEqual([300, 600, 1200, 10_000]);
  });

  it("waits at least 250 ms when Retry-After is 0 or a date already past (no hot loop of retries)", () => {
    expect(retryDelayMs(0, "0", () => 0)).toBe(250);
    expect(retryDelayMs(3, "0", () => 1)).toBe(300);
    expect(retryDelayMs(0, new Date(Date.now() - 60_000).toUTCString(), () => 0)).toBe(250);
  });
});
