// The four machines started at once on an empty database (global-setup.ts): every role
// migrates, under the migration lock, so the schema is made once; only the web machines
// make the first admin, under a lock of its own, so there is one.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { getPool } from "@/lib/db/client";
import { root } from "./cluster";

describe("four processes started at once on an empty database", () => {
  it("applied every migration exactly once and made one first admin", async () => {
    const journal = JSON.parse(readFileSync(path.join(root, "drizzle", "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
    const { rows } = await getPool().query<{ n: number; distinct_hashes: number }>("select count(*)::int as n, count(distinct hash)::int as distinct_hashes from drizzle.__drizzle_migrations");
    expect(rows[0]).toEqual({ n: journal.entries.length, distinct_hashes: journal.entries.length });
    // the start script's first admin (ADMIN_EMAIL unset: admin@arbiter.local), made by whichever web process came first
    const { rows: admins } = await getPool().query<{ n: number }>("select count(*)::int as n from users where role = 'admin' and email not like '%@cluster.test'");
    expect(admins[0]!.n).toBe(1);
  });
});
