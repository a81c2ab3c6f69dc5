// drizzle's migrator applies only the migrations dated (`when`) after the newest one a
// database has applied, so a migration dated earlier than one before it is silently
// skipped on every database that is already past it. drizzle-kit dates a new migration
// with the clock, which can fall behind a hand-set date; this keeps the journal in order.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

type Entry = { idx: number; when: number; tag: string };

const journal = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../drizzle/meta/_journal.json"), "utf8")) as { entries: Entry[] };

describe("migration journal", () => {
  it("dates every migration after all the ones before it", () => {
    let newest = 0;
    for (const e of journal.entries) {
      expect(e.when, `${e.tag} must be dated after ${newest}: set its "when" higher`).toBeGreaterThan(newest);
      newest = e.when;
    }
  });
});
