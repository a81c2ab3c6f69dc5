// One pg pool per process, created on first use from DATABASE_URL (set by the start
// script when the embedded server is used). Cached on globalThis so Next's dev reloads
// don't open a new pool per edit.
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import os from "node:os";
import pg from "pg";
import * as schema from "./schema";

export type Db = NodePgDatabase<typeof schema>;
/** The handle a `db.transaction(async (tx) => …)` callback receives. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Handle = { pool: pg.Pool; db: Db };

const globalForDb = globalThis as unknown as { __arbiterDb?: Handle };

function open(): Handle {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (npm start sets it for the embedded database)");
  const pool = new pg.Pool({ connectionString: url, max: poolSize() });
  pool.on("error", (err) => console.error("[db] idle client error:", err.message));
  return { pool, db: drizzle(pool, { schema }) };
}

/**
 * DB_POOL_SIZE, else twice the CPU cores (at least 4). The hot path is CPU-bound in
 * PostgreSQL: on 2 cores, 10 connections sustained 540 annotation steps/s and 4 sustained
 * 600 (BENCHMARKS.md), as extra backends only contend. Long work (exports, LISTEN) opens
 * connections of its own.
 */
function poolSize(): number {
  const configured = Number(process.env.DB_POOL_SIZE);
  return configured > 0 ? configured : Math.max(4, 2 * os.availableParallelism());
}

export function getDb(): Db {
  globalForDb.__arbiterDb ??= open();
  return globalForDb.__arbiterDb.db;
}

export function getPool(): pg.Pool {
  globalForDb.__arbiterDb ??= open();
  return globalForDb.__arbiterDb.pool;
}

const closeHooks = new Set<() => Promise<void>>();

/** Work to end with the pool: connections of a module's own (the access-change LISTEN). */
export function onCloseDb(hook: () => Promise<void>): void {
  closeHooks.add(hook);
}

export async function closeDb(): Promise<void> {
  const hooks = [...closeHooks];
  closeHooks.clear();
  await Promise.all(hooks.map((hook) => hook()));
  const handle = globalForDb.__arbiterDb;
  globalForDb.__arbiterDb = undefined;
  await handle?.pool.end();
}
