// Connections and statements are bounded (lib/db/client.ts): a request's statement past
// DB_STATEMENT_TIMEOUT_MS is cancelled, a connection the pool cannot hand out or the server
// cannot make within DB_CONNECT_TIMEOUT_MS is an error, and both reach clients as 503 with
// Retry-After. Long work (its own connection, or the trainer's pool) is not cut short.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it, vi } from "vitest";
import { toErrorResponse } from "@/lib/api/errors";
import { closeDb, getPool, openLongConnection, openPool, usePoolFor } from "@/lib/db/client";
import { isDatabaseUnavailable } from "@/lib/db/unavailable";

// before anything in this file reads the environment (env() caches it)
vi.hoisted(() => {
  vi.stubEnv("DB_STATEMENT_TIMEOUT_MS", "300");
  vi.stubEnv("DB_CONNECT_TIMEOUT_MS", "500");
});
// the worker process may run other files next: give them the environment back
afterAll(() => {
  vi.unstubAllEnvs();
});

async function failure(p: Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const start = Date.now();
  try {
    await p;
  } catch (err) {
    return { err, ms: Date.now() - start };
  }
  throw new Error("expected a failure");
}

async function expect503(err: unknown): Promise<void> {
  expect(isDatabaseUnavailable(err)).toBe(true);
  const res = toErrorResponse(err);
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("1");
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unavailable");
}

describe("statement timeouts", () => {
  it("cancels a request's statement that runs past DB_STATEMENT_TIMEOUT_MS, and the API answers 503 with Retry-After", async () => {
    const { err, ms } = await failure(getPool().query("select pg_sleep(3)"));
    expect((err as { code?: string }).code).toBe("57014"); // query_canceled
    expect(ms).toBeLessThan(2000);
    await expect503(err);
    // the connection is usable after the cancel
    expect((await getPool().query("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });

  it("leaves long work on a connection of its own alone", async () => {
    const client = await openLongConnection();
    try {
      const { rows } = await client.query("select pg_sleep(0.8), 'done' as status");
      expect(rows[0].status).toBe("done");
    } finally {
      await client.end();
    }
  });

  it("leaves the trainer's pool (usePoolFor('long')) alone", async () => {
    await closeDb();
    usePoolFor("long");
    try {
      const { rows } = await getPool().query("select pg_sleep(0.8), 'done' as status");
      expect(rows[0].status).toBe("done");
    } finally {
      await closeDb();
      usePoolFor("request");
    }
    await expect(getPool().query("select pg_sleep(3)")).rejects.toMatchObject({ code: "57014" });
  });
});

describe("connect timeouts", () => {
  it("a pool with every connection taken fails the next caller after DB_CONNECT_TIMEOUT_MS instead of queueing it forever", async () => {
    const pool = openPool("request", { max: 1 });
    const held = await pool.connect();
    try {
      const { err, ms } = await failure(pool.query("select 1"));
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(3000);
      await expect503(err);
    } finally {
      held.release();
      await pool.end();
    }
  });

  describe("a server that accepts connections and never answers (a stalled PostgreSQL)", () => {
    const sockets: Socket[] = [];
    let server: Server;
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server?.close(r));
    });

    it("fails the connection after DB_CONNECT_TIMEOUT_MS", async () => {
      server = createServer((s) => sockets.push(s)); // accepts, says nothing
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const { port } = server.address() as { port: number };
      const pool = openPool("request", { url: `postgres://u:p@127.0.0.1:${port}/db`, max: 2 });
      try {
        const { err, ms } = await failure(pool.query("select 1"));
        expect(ms).toBeLessThan(3000);
        await expect503(err);
      } finally {
        await pool.end();
      }
    });
  });
});
