import { sql } from "drizzle-orm";
import { inject, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { runMigrations } from "@/lib/db/migrate";
import { comparisons, comparisonResponses, judgments, projects, prompts, responses, rounds } from "@/lib/db/schema";
import { createUser } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

async function aComparison() {
  const db = getDb();
  const [project] = await db.insert(projects).values({ name: "p", mode: "pairwise", k: 2 }).returning();
  const [prompt] = await db
    .insert(prompts)
    .values({ projectId: project!.id, messages: [{ role: "user", content: "hi" }], contentHash: "h" })
    .returning();
  const rs = await db
    .insert(responses)
    .values([
      { promptId: prompt!.id, text: "a", source: "m1", contentHash: "a" },
      { promptId: prompt!.id, text: "b", source: "m2", contentHash: "b" },
    ])
    .returning();
  const [comparison] = await db
    .insert(comparisons)
    .values({ projectId: project!.id, promptId: prompt!.id, size: 2, required: 1, responseKey: rs.map((r) => r.id).sort().join(",") })
    .returning();
  await db.insert(comparisonResponses).values(rs.map((r, i) => ({ comparisonId: comparison!.id, responseId: r.id, position: i })));
  return { project: project!, comparison: comparison!, responses: rs };
}

/** Postgres error code of a rejected query (drizzle wraps the driver's error). */
async function pgCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    return e.code ?? e.cause?.code;
  }
}

describe("schema", () => {
  it("applies migrations idempotently", async () => {
    await runMigrations(inject("databaseUrl"));
    const { rows } = await getDb().execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect((rows[0] as { n: number }).n).toBeGreaterThanOrEqual(1);
  });

  it("keeps one judgment per comparison and annotator, and one row per client id", async () => {
    const { project, comparison, responses: [a, b] } = await aComparison();
    const { user } = await createUser({ email: uniqueEmail(), role: "annotator", password: "password-long-1" });
    const base = {
      comparisonId: comparison.id,
      projectId: project.id,
      annotatorId: user.id,
      ranking: [[a!.id], [b!.id]],
      shownOrder: [a!.id, b!.id],
    };
    const clientId = crypto.randomUUID();
    await getDb().insert(judgments).values({ ...base, clientId });
    expect(await pgCode(getDb().insert(judgments).values({ ...base, clientId: crypto.randomUUID() }))).toBe("23505");
    expect(await pgCode(getDb().insert(judgments).values({ ...base, clientId }))).toBe("23505");
  });

  it("refuses rows that point nowhere or break the domain's rules", async () => {
    const db = getDb();
    expect(await pgCode(db.insert(prompts).values({ projectId: crypto.randomUUID(), messages: [], contentHash: "x" }))).toBe("23503");
    expect(await pgCode(db.insert(projects).values({ name: "bad", mode: "kwise", k: 2 }))).toBe("23514");
    expect(await pgCode(db.insert(projects).values({ name: "bad", mode: "kwise", k: 12 }))).toBe("23514");
    expect(await pgCode(db.insert(projects).values({ name: "bad", mode: "pairwise", k: 2, redundancy: 0 }))).toBe("23514");
  });

  it("allows one active round per project", async () => {
    const { project } = await aComparison();
    const round = { projectId: project.id, trigger: "admin" as const, judgmentWatermark: new Date() };
    await getDb().insert(rounds).values({ ...round, number: 1 });
    expect(await pgCode(getDb().insert(rounds).values({ ...round, number: 2 }))).toBe("23505");
  });
});
