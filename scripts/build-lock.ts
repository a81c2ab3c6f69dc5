// Two `npm start`s with ARBITER_ROLE=web in one folder (two web processes on one machine)
// must not run `next build` into the same .next at once. A session advisory lock on the
// database they share, keyed by machine and folder, makes the second wait; it then finds
// the build current and skips it. PostgreSQL drops the lock if the holder dies.
import { hostname } from "node:os";
import pg from "pg";

const BUILD_LOCK = 0x4172_6242; // "ArbB"

export async function withBuildLock<T>(databaseUrl: string, root: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1, hashtext($2))", [BUILD_LOCK, `${hostname()}:${root}`]);
    return await fn();
  } finally {
    await client.end().catch(() => {}); // ends the session, and with it the lock
  }
}
