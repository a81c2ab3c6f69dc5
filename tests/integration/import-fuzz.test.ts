// Property-based test of the import through its route (issue 18, "Proof"): any body (NDJSON,
// CSV, gzip, Parquet-looking or garbage, made of valid, mutated and arbitrary records) with
// any options is answered 200/201/400/413, never 500, and writes exactly what the answer
// says: nothing unless it committed, and when it did, the rows its counts name.
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as importRoute } from "@/app/api/v1/projects/[id]/import/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import type { Project } from "@/lib/db/schema";
import { DATASETS } from "@/lib/import/datasets";
import { anAdmin, aProject } from "./fixtures";
import { importBody, runs } from "../fuzz/arbitraries";

type Counts = { prompts: number; responses: number; comparisons: number; judgments: number; demonstrations: number };

async function rowCounts(projectId: string): Promise<Counts> {
  const { rows } = await getDb().execute<Counts>(sql`
    select (select count(*) from prompts where project_id = ${projectId})::int as prompts,
           (select count(*) from responses r join prompts p on p.id = r.prompt_id where p.project_id = ${projectId})::int as responses,
           (select count(*) from comparisons where project_id = ${projectId})::int as comparisons,
           (select count(*) from judgments where project_id = ${projectId})::int as judgments,
           (select count(*) from demonstrations where project_id = ${projectId})::int as demonstrations`);
  return rows[0]!;
}

const diff = (a: Counts, b: Counts): Counts => ({
  prompts: b.prompts - a.prompts,
  responses: b.responses - a.responses,
  comparisons: b.comparisons - a.comparisons,
  judgments: b.judgments - a.judgments,
  demonstrations: b.demonstrations - a.demonstrations,
});
const NONE: Counts = { prompts: 0, responses: 0, comparisons: 0, judgments: 0, demonstrations: 0 };

const options = fc.record(
  {
    onInvalid: fc.constantFrom("fail", "skip"),
    dryRun: fc.constantFrom("0", "1"),
    format: fc.constantFrom("ndjson", "csv"),
    dataset: fc.constantFrom(...DATASETS),
    fileName: fc.constantFrom("data.jsonl", "x\u0000y.csv", " "),
  },
  { requiredKeys: [] },
);

let token: string;
let pairwise: Project;
let kwise: Project;

beforeAll(async () => {
  token = (await createApiToken((await anAdmin()).id, "fuzz")).token;
  pairwise = await aProject({ mode: "pairwise" });
  kwise = await aProject({ mode: "kwise", k: 3 });
});

describe("import route, any body", () => {
  it("answers 200/201/400/413 and writes only what a committed import reports", async () => {
    await fc.assert(
      fc.asyncProperty(importBody, options, fc.boolean(), fc.constantFrom("application/x-ndjson", "text/csv", "application/octet-stream"), async (body, opts, k, type) => {
        const project = k ? kwise : pairwise;
        const before = await rowCounts(project.id);
        const query = new URLSearchParams(opts as Record<string, string>).toString();
        const url = `http://localhost/api/v1/projects/${project.id}/import?${query}`;
        const req = new NextRequest(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": type }, body: body.bytes as Uint8Array<ArrayBuffer> });
        const res = await importRoute(req, { params: Promise.resolve({ id: project.id }) });
        const answer = (await res.json()) as { committed?: boolean; imported?: Counts & { records: number }; error?: unknown };
        const written = diff(before, await rowCounts(project.id));
        const label = `${body.note} ?${query} → ${res.status} ${JSON.stringify(answer).slice(0, 300)}`;
        expect([200, 201, 400, 413], label).toContain(res.status);
        if (res.status === 201) {
          expect(answer.committed, label).toBe(true);
          const { records: _, ...counts } = answer.imported!;
          expect(written, label).toEqual(counts);
        } else {
          expect(written, label).toEqual(NONE);
        }
      }),
      { numRuns: runs(80) },
    );
  });
});
