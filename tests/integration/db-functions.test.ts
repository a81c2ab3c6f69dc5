// Each SQL function's current text lives in lib/db/functions/<name>.sql, so a reader finds
// it in one place instead of in the newest of several migrations. This checks the two
// agree: running a file over the migrated database must leave its function exactly as
// the migrations made it, and every arbiter_* function must have its file.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";

const dir = path.join(process.cwd(), "lib/db/functions");
const files = readdirSync(dir).filter((f) => f.endsWith(".sql"));

type Def = { name: string; def: string };

async function definitions(db: Pick<ReturnType<typeof getDb>, "execute">): Promise<Def[]> {
  const rows = await db.execute(sql`
    select p.proname as name, pg_get_functiondef(p.oid) as def
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = current_schema() and p.proname like 'arbiter\_%'
    order by p.proname, pg_get_function_identity_arguments(p.oid)`);
  return rows.rows as Def[];
}

class Rollback extends Error {}

describe("lib/db/functions", () => {
  it("has one file for each arbiter_* function the migrations create", async () => {
    const names = (await definitions(getDb())).map((d) => d.name);
    expect(new Set(names).size).toBe(names.length); // no stale overloads left behind
    expect(files.map((f) => f.replace(/\.sql$/, "")).sort()).toEqual([...names].sort());
  });

  it.each(files)("%s is the text the migrations produce", async (file) => {
    const db = getDb();
    const before = await definitions(db);
    let after: Def[] = [];
    await db
      .transaction(async (tx) => {
        await tx.execute(sql.raw(readFileSync(path.join(dir, file), "utf8")));
        after = await definitions(tx);
        throw new Rollback();
      })
      .catch((err) => {
        if (!(err instanceof Rollback)) throw err;
      });
    expect(after).toEqual(before);
  });
});
