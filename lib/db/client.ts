// One pg pool per process, created on first use from DATABASE_URL (set by the start
// script when the embedded server is used). Cached on globalThis so Next's dev reloads
// don't open a new pool per edit.
//
// Every connection waits at most DB_CONNECT_TIMEOUT_MS to be made or handed out by the
// pool, so a database that is down or saturated gives an error (503, errors.ts) instead of
// a request that hangs. Statements are bounded by purpose: the pool serves requests, whose
// statements take milliseconds, and gets DB_STATEMENT_TIMEOUT_MS (30 s); long work
// (imports, backups, the trainer's reads of a whole project) runs on connections of the
// "long" purpose, DB_LONG_STATEMENT_TIMEOUT_MS (none by default), so it is not killed by
// the short limit and does not hold the requests' pool while it runs.
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import os from "node:os";
import pg from "pg";
import { env } from "@/lib/config/env";
import * as schema from "./schema";

export type Db = NodePgDatabase<typeof schema>;
/** The handle a `db.transaction(async (tx) => …)` callback receives. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Handle = { pool: pg.Pool; db: Db };

const globalForDb = globalThis as unknown as { __arbiterDb?: Handle };

/** What a connection is for: serving requests (short statements) or long work. */
export type ConnectionPurpose = "request" | "long";

/** Connection settings of a purpose: the connect timeout, and that purpose's statement timeout (0: none). */
export function connectionConfig(purpose: ConnectionPurpose, url = process.env.DATABASE_URL): pg.ClientConfig {
  if (!url) throw new Error("DATABASE_URL is not set (npm start sets it for the embedded database)");
  const config = env();
  const statementTimeout = purpose === "request" ? config.DB_STATEMENT_TIMEOUT_MS : config.DB_LONG_STATEMENT_TIMEOUT_MS;
  return {
    connectionString: url,
    connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
    ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
  };
}

/** A pool with a purpose's settings (the process's pool is one; tests make others). */
export function openPool(purpose: ConnectionPurpose, opts: { url?: string; max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ ...connectionConfig(purpose, opts.url), max: opts.max ?? poolSize() });
  pool.on("error", (err) => console.error("[db] idle client error:", err.message));
  return pool;
}

/** A connection of its own for long work, outside the pool; the caller ends it. */
export async function openLongConnection(): Promise<pg.Client> {
  const client = new pg.Client(connectionConfig("long"));
  // an error on an idle connection (the server restarted) must not take the process down;
  // the next query on it fails and its caller ends it
  client.on("error", (err) => console.error("[db] long-work connection error:", err.message));
  await client.connect();
  return client;
}

/** Runs `fn` with a drizzle handle on a long-work connection of its own, ended afterwards. */
export async function withLongConnection<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const client = await openLongConnection();
  try {
    return await fn(drizzle(client, { schema }));
  } finally {
    await client.end().catch(() => {});
  }
}

let poolPurpose: ConnectionPurpose = "request";

/**
 * The process's pool serves long work (the trainer: its reads of a project's judgments
 * and demonstrations can outlast a request's limit). Call before the pool's first use.
 */
export function usePoolFor(purpose: ConnectionPurpose): void {
  if (globalForDb.__arbiterDb) throw new Error("usePoolFor must come before the pool's first use");
  poolPurpose = purpose;
}

function open(): Handle {
  const pool = openPool(poolPurpose);
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
