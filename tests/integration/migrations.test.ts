// 0010 was first dated before 0009 in the journal, so a database already at 0009 skipped
// it; it is now dated after 0009 and written to be run again where it did run. Running it
// over the migrated database must succeed and change nothing.
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";

class Rollback extends Error {}

describe("migrations", () => {
  it("runs 0010_sft_demonstrations again without error or change", async () => {
    const text = readFileSync(path.join(process.cwd(), "drizzle/0010_sft_demonstrations.sql"), "utf8");
    const shape = sql`select table_name, column_name, data_type from information_schema.columns
      where table_schema = current_schema() and table_name in ('demonstrations', 'rounds') order by 1, 2`;
    const db = getDb();
    const before = (await db.execute(shape)).rows;
    let after: unknown[] = [];
    await db
      .transaction(async (tx) => {
        for (const statement of text.split("--> statement-breakpoint")) await tx.execute(sql.raw(statement));
        after = (await tx.execute(shape)).rows;
        throw new Rollback();
      })
      .catch((err) => {
        if (!(err instanceof Rollback)) throw err;
      });
    expect(after).toEqual(before);
  });
});
