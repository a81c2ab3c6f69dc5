// Property-based test of the judgment endpoint (issue 18, "Proof"): POST /api/v1/judgments and
// POST /api/v1/comparisons/:id/judgments take any body (bytes, any JSON, and near-valid
// judgments with each field bent: rankings over this comparison's responses, another's and
// made-up ids, ties, criteria, strength, rationale, clientIds new, reused and malformed,
// ?next) and answer it without a 500; a refused judgment writes nothing, an accepted one
// writes exactly one row (a replayed clientId none), and every comparison's count stays
// equal to its judgments.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { asc, eq, sql } from "drizzle-orm";
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as submitByBody } from "@/app/api/v1/judgments/route";
import { POST as submitByPath } from "@/app/api/v1/comparisons/[id]/judgments/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { comparisonResponses, comparisons, type Project } from "@/lib/db/schema";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";
import { jsonish, runs, trickyString } from "../fuzz/arbitraries";

type Fixture = { project: Project; comparisons: { id: string; responseIds: string[] }[] };

async function comparisonsOf(project: Project) {
  const rows = await getDb()
    .select({ id: comparisons.id, responseId: comparisonResponses.responseId })
    .from(comparisons)
    .innerJoin(comparisonResponses, eq(comparisonResponses.comparisonId, comparisons.id))
    .where(eq(comparisons.projectId, project.id))
    .orderBy(asc(comparisons.id), asc(comparisonResponses.position));
  const byId = new Map<string, string[]>();
  for (const r of rows) byId.set(r.id, [...(byId.get(r.id) ?? []), r.responseId]);
  return [...byId].map(([id, responseIds]) => ({ id, responseIds }));
}

let pairwise: Fixture;
let kwise: Fixture;
let elsewhere: Fixture; // a project the annotators are not members of
const tokens: string[] = [];
const usedClientIds: string[] = [];
const statuses = new Map<number, number>();

beforeAll(async () => {
  const p = await aProject({ mode: "pairwise", redundancy: 3, allowTies: false, criteria: ["helpful", "safe"] });
  await importText(p, ndjson(responseRecords(12, 2, "fuzz-p")));
  const k = await aProject({ mode: "kwise", k: 3, redundancy: 3, allowTies: true });
  await importText(k, ndjson(responseRecords(12, 3, "fuzz-k")));
  const other = await aProject({ mode: "pairwise" });
  await importText(other, ndjson(responseRecords(3, 2, "fuzz-o")));
  const team = [...(await annotators(p, 3))];
  const { addMembers } = await import("@/lib/projects/projects");
  await addMembers(k.id, team.map((u) => u.email));
  for (const u of team) tokens.push((await createApiToken(u.id, "fuzz")).token);
  pairwise = { project: p, comparisons: await comparisonsOf(p) };
  kwise = { project: k, comparisons: await comparisonsOf(k) };
  elsewhere = { project: other, comparisons: await comparisonsOf(other) };
});

type Counted = { judgments: number; counters: number; mismatched: number };

async function counted(): Promise<Counted> {
  const ids = [pairwise.project.id, kwise.project.id, elsewhere.project.id];
  const { rows } = await getDb().execute<Counted>(sql`
    select (select count(*) from judgments where project_id in (${sql.join(ids, sql`, `)}))::int as judgments,
           (select coalesce(sum(judgment_count), 0) from comparisons where project_id in (${sql.join(ids, sql`, `)}))::int as counters,
           (select count(*) from comparisons c where c.project_id in (${sql.join(ids, sql`, `)})
              and c.judgment_count <> (select count(*) from judgments j where j.comparison_id = c.id))::int as mismatched`);
  return rows[0]!;
}

/** A near-valid judgment for `c`: each field valid or bent. */
function judgmentFor(c: { id: string; responseIds: string[] }, other: { responseIds: string[] }) {
  const id = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...c.responseIds) }, fc.constantFrom(...other.responseIds), fc.uuid(), trickyString);
  const ranking = fc.oneof(
    { weight: 4, arbitrary: fc.shuffledSubarray(c.responseIds, { minLength: c.responseIds.length }).map((ids) => ids.map((x) => [x])) },
    { weight: 2, arbitrary: fc.shuffledSubarray(c.responseIds, { minLength: 1 }).map((ids) => [ids]) },
    { weight: 3, arbitrary: fc.array(fc.array(id, { maxLength: 4 }), { maxLength: 4 }) },
    { weight: 1, arbitrary: jsonish },
  );
  const clientId = fc.oneof(
    { weight: 5, arbitrary: fc.constant(null).map(() => randomUUID()) },
    { weight: 2, arbitrary: fc.constant(null).map(() => usedClientIds.at(-1) ?? randomUUID()) },
    { weight: 1, arbitrary: trickyString },
  );
  const validRanking = ranking; // mostly valid, sometimes not
  return fc
    .record({
      clientId,
      ranking,
      strength: field(fc.integer({ min: 1, max: 3 }), fc.oneof(fc.integer({ min: -1, max: 4 }), fc.double(), trickyString)),
      bothBad: field(fc.boolean(), trickyString),
      criteria: field(
        fc.dictionary(fc.constantFrom("helpful", "safe"), validRanking, { maxKeys: 2 }),
        fc.oneof(fc.dictionary(trickyString, validRanking, { maxKeys: 2 }), jsonish),
      ),
      rationale: field(fc.oneof(fc.string({ maxLength: 40 }), trickyString, fc.constantFrom("why\u0000", "\u0000", " \t ")), fc.constant("x".repeat(20_001))),
      durationMs: field(fc.integer({ min: 0, max: 86_400_000 }), fc.oneof(fc.integer({ min: -5, max: 90_000_000 }), fc.double())),
      extra: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, jsonish),
    })
    .map((j) => Object.fromEntries(Object.entries(j).filter(([, v]) => v !== undefined)));
}

/** An optional field: left out, valid, or bent. */
function field<T, U>(valid: fc.Arbitrary<T>, bent: fc.Arbitrary<U>): fc.Arbitrary<T | U | undefined> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: valid }, { weight: 1, arbitrary: bent });
}

/** The id as a URL path segment (a lone surrogate has no encoding: the handler still gets it as its param). */
function urlSegment(id: string): string {
  try {
    return encodeURIComponent(id);
  } catch {
    return "unencodable";
  }
}

const submission = fc
  .tuple(fc.boolean(), fc.nat(1_000), fc.nat(2), fc.constantFrom("", "?next=1", "?next=0", "?next=yes", "?x=1"))
  .chain(([k, pick, who, query]) => {
    const fx = k ? kwise : pairwise;
    const target = fc.oneof({ weight: 8, arbitrary: fc.constant(fx.comparisons[pick % fx.comparisons.length]!) }, fc.constant(elsewhere.comparisons[pick % elsewhere.comparisons.length]!));
    return target.chain((c) =>
      fc.record({
        byPath: fc.boolean(),
        query: fc.constant(query),
        token: fc.constant(tokens[who]!),
        comparisonId: fc.oneof({ weight: 8, arbitrary: fc.constant(c.id) }, fc.uuid(), trickyString),
        body: fc.oneof(
          { weight: 6, arbitrary: judgmentFor(c, (k ? pairwise : kwise).comparisons[0]!).map((j) => ({ json: j as unknown })) },
          { weight: 2, arbitrary: jsonish.map((j) => ({ json: j })) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }).map((raw) => ({ raw })) },
        ),
      }),
    );
  });

describe("judgment endpoint, any body", () => {
  it("never answers 500; a refusal writes nothing, an acceptance one judgment, and counts stay true", async () => {
    await fc.assert(
      fc.asyncProperty(submission, async (s) => {
        const before = await counted();
        let body: BodyInit;
        if ("raw" in s.body) body = s.body.raw;
        else {
          const json = s.byPath ? s.body.json : s.body.json && typeof s.body.json === "object" && !Array.isArray(s.body.json) ? { ...s.body.json, comparisonId: s.comparisonId } : s.body.json;
          body = JSON.stringify(json) ?? "";
        }
        const path = s.byPath ? `/api/v1/comparisons/${urlSegment(s.comparisonId)}/judgments` : "/api/v1/judgments";
        const req = new NextRequest(`http://localhost${path}${s.query}`, { method: "POST", headers: { authorization: `Bearer ${s.token}`, "content-type": "application/json" }, body });
        const res = s.byPath ? await submitByPath(req, { params: Promise.resolve({ id: s.comparisonId }) }) : await submitByBody(req, { params: Promise.resolve({}) });
        const answer = (await res.json()) as { id?: string; error?: { code: string } };
        const after = await counted();
        const label = `${path}${s.query} ${typeof body === "string" ? body.slice(0, 300) : "bytes"} → ${res.status} ${JSON.stringify(answer).slice(0, 200)}`;
        expect([200, 201, 400, 403, 404, 409], label).toContain(res.status);
        expect(after.judgments - before.judgments, label).toBe(res.status === 201 ? 1 : 0);
        expect(after.counters - before.counters, label).toBe(res.status === 201 ? 1 : 0);
        expect(after.mismatched, label).toBe(0);
        if (res.status === 201 && "json" in s.body) usedClientIds.push((s.body.json as { clientId: string }).clientId);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }),
      { numRuns: runs(400) },
    );
    // the runs reached the database, not only validation: some judgments went in
    expect(statuses.get(201) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
  });
});
