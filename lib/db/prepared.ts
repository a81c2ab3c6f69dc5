// Hot paths (tasks/next, submit) talk to pg directly with named statements: PostgreSQL
// parses and plans an unnamed statement on every call, and for the assignment queries
// that planning cost as much as running them (pg_stat_statements, BENCHMARKS.md).
// A named statement is prepared once per connection and its plan reused.
import type { PoolClient } from "pg";
import { getDb, getPool, type Db } from "./client";

export type Query = <R extends object>(name: string, text: string, values?: unknown[]) => Promise<R[]>;

function queryOn(client: PoolClient): Query {
  return async (name, text, values = []) => (await client.query({ name, text, values })).rows;
}

/** One statement outside a transaction. */
export async function namedQuery<R extends object>(name: string, text: string, values: unknown[] = []): Promise<R[]> {
  return (await getPool().query({ name, text, values })).rows as R[];
}

/**
 * Runs `fn` in a transaction on one pooled connection; commits when it returns, rolls
 * back when it throws. `asyncCommit` skips waiting for the WAL flush at commit (for rows
 * whose loss in a crash is harmless, never for judgments).
 */
export async function inTransaction<T>(fn: (q: Query) => Promise<T>, opts: { asyncCommit?: boolean } = {}): Promise<T> {
  const client = await getPool().connect();
  try {
    // Generic plans: the statements here are keyed by ids and indexed lookups, where a plan
    // made for the parameters buys nothing and costs as much as running the query.
    const setup = ["begin", "set local plan_cache_mode = force_generic_plan"];
    if (opts.asyncCommit) setup.push("set local synchronous_commit = off");
    await client.query(setup.join("; "));
    const result = await fn(queryOn(client));
    await client.query("commit");
    return result;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * A drizzle query built once per database handle and run as a named statement: drizzle
 * otherwise rebuilds the SQL text on every call, which on the per-request lookups (token,
 * membership) cost CPU and garbage on every cache miss. Keyed by handle, so a closed and
 * reopened pool (tests) gets statements of its own.
 */
export function preparedOnce<Q>(build: (db: Db) => Q): () => Q {
  const built = new WeakMap<Db, Q>();
  return () => {
    const db = getDb();
    let q = built.get(db);
    if (q === undefined) built.set(db, (q = build(db)));
    return q;
  };
}
