// The LISTEN connections (lib/cache/access-cache.ts, lib/rounds/round-listener.ts) when the
// network drops them without a word, as a NAT's idle timeout does: they reach PostgreSQL
// through a TCP proxy here that, on demand, stops passing bytes on the connections it holds
// while closing none (new ones pass). Without the periodic check (lib/db/listen-check.ts),
// the access caches kept answering and the round streams were never woken: nothing failed.
// With it, within two check intervals the caches stop answering, streams are woken, and
// both listeners reconnect and hear notifications again. A backend ended by the server
// (pg_terminate_backend) is the loud case, handled the same way.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccessCache, ACCESS_CHANNEL, isListeningForAccessChanges } from "@/lib/cache/access-cache";
import { getDb } from "@/lib/db/client";
import { ROUND_CHANNEL } from "@/lib/rounds/queue";
import { subscribeToRound } from "@/lib/rounds/round-listener";

const CHECK_MS = 200;
process.env.DB_LISTEN_CHECK_MS = String(CHECK_MS);

/** A TCP proxy to PostgreSQL whose connections can be silenced (bytes dropped both ways, nothing closed). */
class SilencingProxy {
  private readonly pairs: { silenced: boolean; sockets: Socket[] }[] = [];
  private readonly server: Server;
  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      const pair = { silenced: false, sockets: [client, upstream] };
      this.pairs.push(pair);
      client.on("data", (d) => void (pair.silenced || upstream.write(d)));
      upstream.on("data", (d) => void (pair.silenced || client.write(d)));
      client.on("close", () => pair.silenced || upstream.destroy());
      upstream.on("close", () => pair.silenced || client.destroy());
      client.on("error", () => {});
      upstream.on("error", () => {});
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as AddressInfo).port)));
  }
  /** Every connection open now goes silent; later ones pass. */
  silenceAll(): void {
    for (const pair of this.pairs) pair.silenced = true;
  }
  close(): Promise<void> {
    for (const pair of this.pairs) for (const s of pair.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

const realUrl = process.env.DATABASE_URL!;
let proxy: SilencingProxy;
const roundId = "00000000-0000-4000-8000-00000000abcd";
let wakes = 0;
let unsubscribe: () => void;
let loads = 0;
const cache = new AccessCache<string, number>(60_000);
const lookup = () => cache.remember("k", async () => ++loads);

async function notify(channel: string, payload: string): Promise<void> {
  await getDb().execute(sql`select pg_notify(${channel}, ${payload})`);
}

/** Until the round listener hears a notification for our round. */
async function roundListenerHears(): Promise<void> {
  const before = wakes;
  await until(
    "the round listener to hear a notification",
    async () => {
      await notify(ROUND_CHANNEL, JSON.stringify({ roundId }));
      await new Promise((r) => setTimeout(r, 50));
      return wakes > before;
    },
    10_000,
  );
}

/** Until the access cache listens, then fills it: a second lookup is answered from it. */
async function accessCacheAnswers(): Promise<void> {
  await lookup();
  await until("the access cache to listen", isListeningForAccessChanges, 10_000);
  const filled = await lookup();
  expect(await lookup()).toBe(filled);
}

beforeAll(async () => {
  await getDb().execute(sql`select 1`); // the pool keeps the real address; only the listeners use the proxy
  const url = new URL(realUrl);
  proxy = new SilencingProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.host = `127.0.0.1:${await proxy.listen()}`;
  process.env.DATABASE_URL = url.toString();
  unsubscribe = subscribeToRound(roundId, () => wakes++);
});

afterAll(async () => {
  unsubscribe();
  process.env.DATABASE_URL = realUrl;
  await proxy.close();
});

describe("LISTEN connections", () => {
  it("a connection the network silently drops is taken as lost: caches stop answering, streams are woken, both reconnect", async () => {
    await accessCacheAnswers();
    await roundListenerHears();

    const wakesBefore = wakes;
    proxy.silenceAll();
    const ms = await until("the access cache to stop listening", () => !isListeningForAccessChanges(), 5_000);
    expect(ms).toBeLessThan(2 * CHECK_MS + 1_000);
    const loadsBefore = loads;
    await lookup();
    expect(loads).toBe(loadsBefore + 1); // not answered from the cache
    await until("the round streams to be woken", () => wakes > wakesBefore, 2_000);

    // a second later, on new connections
    await accessCacheAnswers();
    await roundListenerHears();
    const cached = await lookup();
    await notify(ACCESS_CHANNEL, "");
    await until("a notification to clear the cache", async () => (await lookup()) !== cached, 2_000);
  });

  it("a backend ended by the server is taken as lost at once, and the listeners reconnect", async () => {
    await accessCacheAnswers();
    // the newest of each: the silenced ones of the test before still hold a backend each (the server has not noticed either)
    const ended = await getDb().execute<{ n: number }>(
      sql`select count(pg_terminate_backend(pid))::int as n from (
            select distinct on (application_name) pid from pg_stat_activity
            where application_name in ('arbiter access listener', 'arbiter round events listener')
            order by application_name, backend_start desc) newest`,
    );
    expect(ended.rows[0]!.n).toBe(2);
    await until("the access cache to stop listening", () => !isListeningForAccessChanges(), 2_000);
    await accessCacheAnswers();
    await roundListenerHears();
  });
});
