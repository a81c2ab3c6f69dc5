// Live round-event streams share one LISTEN connection per process (round-listener.ts),
// fanned out by round id, and a process serves at most ARBITER_EVENT_STREAMS_MAX of them:
// the next is a 503 with Retry-After, not another database connection.
import { sql } from "drizzle-orm";
import { NextRequest } from "next/server";
import { afterAll, describe, expect, it, vi } from "vitest";
import { GET as eventsRoute } from "@/app/api/v1/rounds/[id]/events/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import pg from "pg";
import { getDb, getPool } from "@/lib/db/client";
import { roundMetrics, rounds } from "@/lib/db/schema";
import { ROUND_CHANNEL } from "@/lib/rounds/queue";
import { roundEvents, type RoundEvent } from "@/lib/rounds/round-events";
import { eventStreamStats } from "@/lib/rounds/round-listener";
import { anAdmin, aProject } from "./fixtures";

vi.hoisted(() => {
  vi.stubEnv("ARBITER_EVENT_STREAMS_MAX", "2");
  // a pool that is full fails a read within half a second (the database error below)
  vi.stubEnv("DB_CONNECT_TIMEOUT_MS", "500");
});
// the worker process may run other files next: give them the environment back
afterAll(() => {
  vi.unstubAllEnvs();
});

/** A running round in a project of its own (one active round per project). */
async function aRunningRound(): Promise<string> {
  const project = await aProject({ mode: "pairwise" });
  const [round] = await getDb()
    .insert(rounds)
    .values({ projectId: project.id, number: 1, trigger: "admin", status: "running", phase: "reward_model", judgmentWatermark: new Date() })
    .returning({ id: rounds.id });
  return round!.id;
}

async function listeners(): Promise<number[]> {
  // by name: after a periodic check (lib/db/listen-check.ts) its last query is no longer the LISTEN
  const { rows } = await getDb().execute<{ pid: number }>(sql`select pid from pg_stat_activity where application_name = 'arbiter round events listener' and pid <> pg_backend_pid()`);
  return rows.map((r) => r.pid);
}

async function listeningConnections(): Promise<number> {
  return (await listeners()).length;
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A metric written and announced as the trainer does (trainer/rounds/round-log.ts). */
async function report(roundId: string, step: number): Promise<void> {
  await getDb().insert(roundMetrics).values({ roundId, phase: "reward_model", step, name: "train/loss", value: 1 / step });
  await getDb().execute(sql`select pg_notify(${ROUND_CHANNEL}, ${JSON.stringify({ roundId, type: "metrics" })})`);
}

/** The next event, and how long it took to come. */
async function nextEvent(events: AsyncGenerator<RoundEvent>): Promise<{ event: RoundEvent; ms: number }> {
  const start = Date.now();
  const next = await events.next();
  if (next.done) throw new Error("stream ended");
  return { event: next.value, ms: Date.now() - start };
}

describe("round-event streams", () => {
  it("share one LISTEN connection, and a notification reaches the stream of its round at once", async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, aRunningRound));
    const abort = new AbortController();
    const streams = ids.map((id) => roundEvents(id, abort.signal));
    try {
      for (const s of streams) expect((await nextEvent(s)).event).toMatchObject({ type: "status", status: "running" });
      await until(async () => (await listeningConnections()) > 0);
      expect(await listeningConnections()).toBe(1);

      const pending = nextEvent(streams[3]!);
      await new Promise((r) => setTimeout(r, 100));
      await report(ids[3]!, 1);
      const { event, ms } = await pending;
      expect(event).toMatchObject({ type: "metrics", metrics: [{ step: 1, name: "train/loss" }] });
      expect(ms).toBeLessThan(2000); // the streams' own re-read comes every 5 s
    } finally {
      abort.abort();
      await Promise.all(streams.map((s) => s.return(undefined)));
    }
    // the connection goes with the last stream
    await until(async () => (await listeningConnections()) === 0);
  });

  it("listen again after the connection is lost, and streams keep going", async () => {
    const id = await aRunningRound();
    const abort = new AbortController();
    const events = roundEvents(id, abort.signal);
    try {
      await nextEvent(events);
      await until(async () => (await listeningConnections()) === 1);
      const [old] = await listeners();
      await getDb().execute(sql`select pg_terminate_backend(${old})`);
      // a new connection, not the old one still on its way out, has sent its LISTEN
      await until(async () => {
        const pids = await listeners();
        return pids.length === 1 && pids[0] !== old;
      });
      const pending = nextEvent(events);
      await report(id, 2);
      const { event, ms } = await pending;
      expect(event).toMatchObject({ type: "metrics", metrics: [{ step: 2 }] });
      expect(ms).toBeLessThan(2000);
    } finally {
      abort.abort();
      await events.return(undefined);
    }
  });

  it("GET /rounds/:id/events answers 503 with Retry-After past ARBITER_EVENT_STREAMS_MAX, and serves again once a stream closes", async () => {
    const admin = await anAdmin();
    const { token } = await createApiToken(admin.id, "t");
    const ids = await Promise.all(Array.from({ length: 3 }, aRunningRound));
    const get = (id: string) =>
      eventsRoute(new NextRequest(`http://localhost/api/v1/rounds/${id}/events`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({ id }) });
    const open = [await get(ids[0]!), await get(ids[1]!)];
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    expect(open[0]!.headers.get("content-type")).toMatch(/text\/event-stream/);
    const readers = open.map((r) => r.body!.getReader());
    for (const reader of readers) expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^event: status/);
    expect(eventStreamStats()).toMatchObject({ streams: 2, max: 2 });

    const refused = await get(ids[2]!);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unavailable");

    await readers[0]!.cancel(); // the browser closes a tab
    expect(eventStreamStats().streams).toBe(1);
    const again = await get(ids[2]!);
    expect(again.status).toBe(200);
    await again.body!.cancel();
    await readers[1]!.cancel();
    expect(eventStreamStats().streams).toBe(0);
  });

  it("a stream whose read fails ends, frees its place and stops its keep-alive timer", async () => {
    const admin = await anAdmin();
    const { token } = await createApiToken(admin.id, "t");
    const id = await aRunningRound();
    const setIntervalSpy = vi.spyOn(globalThis, "setInterval");
    const clearIntervalSpy = vi.spyOn(globalThis, "clearInterval");
    const res = await eventsRoute(new NextRequest(`http://localhost/api/v1/rounds/${id}/events`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({ id }) });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^event: status/);
    const keepAlive = setIntervalSpy.mock.results[setIntervalSpy.mock.calls.findIndex((c) => c[1] === 15_000)]?.value;
    expect(keepAlive).toBeDefined();
    expect(eventStreamStats().streams).toBe(1);

    // every connection of the pool taken: the stream's next read cannot get one (a real
    // database error, "timeout exceeded when trying to connect")
    const pool = getPool();
    const held = await Promise.all(Array.from({ length: pool.options.max }, () => pool.connect()));
    try {
      const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await other.connect();
      await other.query("insert into round_metrics (round_id, phase, step, name, value) values ($1, 'reward_model', 1, 'train/loss', 1)", [id]);
      await other.query("select pg_notify($1, $2)", [ROUND_CHANNEL, JSON.stringify({ roundId: id, type: "metrics" })]);
      await other.end();
      await expect(reader.read()).rejects.toThrow(/Failed query/);
    } finally {
      for (const c of held) c.release();
    }
    expect(eventStreamStats().streams).toBe(0);
    expect(clearIntervalSpy).toHaveBeenCalledWith(keepAlive);
    setIntervalSpy.mockRestore();
    clearIntervalSpy.mockRestore();
  });
});
