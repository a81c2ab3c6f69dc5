// Demonstrations for supervised fine-tuning: the `{ prompt, completion }` import record and
// the admin's list of them (docs/API.md, "Import records" and the v1 additions).
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { comparisons, demonstrations, judgments, prompts, responses, type Project, type User } from "@/lib/db/schema";
import { importStream } from "@/lib/import/import-stream";
import { nextTask } from "@/lib/tasks/next-task";
import { anAdmin, annotators, aProject, bodyOf, importText, ndjson } from "./fixtures";

async function countRows(projectId: string) {
  const db = getDb();
  const count = async (q: Promise<{ n: number }[]>) => (await q)[0]!.n;
  const n = sql<number>`count(*)::int`;
  return {
    prompts: await count(db.select({ n }).from(prompts).where(eq(prompts.projectId, projectId))),
    responses: await count(db.select({ n }).from(responses).innerJoin(prompts, eq(prompts.id, responses.promptId)).where(eq(prompts.projectId, projectId))),
    comparisons: await count(db.select({ n }).from(comparisons).where(eq(comparisons.projectId, projectId))),
    judgments: await count(db.select({ n }).from(judgments).where(eq(judgments.projectId, projectId))),
    demonstrations: await count(db.select({ n }).from(demonstrations).where(eq(demonstrations.projectId, projectId))),
  };
}

const demos = (n: number, tag = "") =>
  Array.from({ length: n }, (_, i) => ({ prompt: `Explain ${tag}topic ${i}`, completion: `Topic ${tag}${i} is explained like this.`, source: "human" }));

async function list(project: Project, user: User, query = "") {
  const { NextRequest } = await import("next/server");
  const { GET } = await import("@/app/api/v1/projects/[id]/demonstrations/route");
  const { token } = await createApiToken(user.id, "test");
  const req = new NextRequest(`http://localhost/api/v1/projects/${project.id}/demonstrations${query}`, { headers: { authorization: `Bearer ${token}` } });
  return GET(req, { params: Promise.resolve({ id: project.id }) });
}

describe("demonstration import", () => {
  it("imports NDJSON demonstrations as prompts with completions, forming no comparisons", async () => {
    const project = await aProject({ mode: "pairwise" });
    const result = await importText(
      project,
      ndjson([
        { prompt: "Write a haiku about rain", completion: "Soft rain on the roof", source: "writer-1" },
        { prompt: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }], completion: "Hello!" },
      ]),
    );
    expect(result.errors).toEqual([]);
    expect(result.committed).toBe(true);
    expect(result.imported).toEqual({ records: 2, prompts: 2, responses: 0, comparisons: 0, judgments: 0, demonstrations: 2 });
    const rows = await getDb().select().from(demonstrations).where(eq(demonstrations.projectId, project.id));
    expect(rows.map((d) => [d.completion, d.source]).sort()).toEqual([
      ["Hello!", "unknown"],
      ["Soft rain on the roof", "writer-1"],
    ]);
    // never shown to annotators: there is nothing to lease
    const [me] = await annotators(project, 1);
    expect(await nextTask(project, me!)).toBeNull();
  });

  it("reads CSV with prompt,completion[,source] columns", async () => {
    const project = await aProject();
    const csv = ["prompt,completion,source", '"Say hi","Hello, friend!",writer-1', '"Multi-line","first line\nsecond line",'].join("\n");
    const result = await importText(project, csv, "csv");
    expect(result.errors).toEqual([]);
    expect(result.imported).toMatchObject({ records: 2, prompts: 2, demonstrations: 2, comparisons: 0 });
    const rows = await getDb().select().from(demonstrations).where(eq(demonstrations.projectId, project.id));
    expect(rows.map((d) => [d.completion, d.source]).sort()).toEqual([
      ["Hello, friend!", "writer-1"],
      ["first line\nsecond line", "unknown"],
    ]);
  });

  it("finds the same demonstrations again on re-import", async () => {
    const project = await aProject();
    const text = ndjson(demos(30));
    const first = await importText(project, text);
    expect(first.imported.demonstrations).toBe(30);
    const before = await countRows(project.id);
    const second = await importText(project, text);
    expect(second.imported).toEqual({ records: 30, prompts: 0, responses: 0, comparisons: 0, judgments: 0, demonstrations: 0 });
    expect(await countRows(project.id)).toEqual(before);
  });

  it("counts in a dry run and writes nothing", async () => {
    const project = await aProject();
    const result = await importStream(project, bodyOf(ndjson(demos(3))), { format: "ndjson", maxBytes: 1 << 20, dryRun: true });
    expect(result.committed).toBe(false);
    expect(result.imported).toMatchObject({ records: 3, prompts: 3, demonstrations: 3 });
    expect(await countRows(project.id)).toEqual({ prompts: 0, responses: 0, comparisons: 0, judgments: 0, demonstrations: 0 });
  });

  it("rejects the whole import on an invalid demonstration and writes nothing", async () => {
    const project = await aProject();
    const lines = [
      JSON.stringify({ prompt: "ok", completion: "fine" }),
      JSON.stringify({ prompt: "empty", completion: "" }),
      JSON.stringify({ prompt: "extra", completion: "x", gold: true }),
      JSON.stringify({ completion: "no prompt" }),
    ];
    const result = await importText(project, lines.join("\n"));
    expect(result.committed).toBe(false);
    expect(result.errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(result.errors[0]!.message).toMatch(/completion: must not be empty/);
    expect(result.errors[1]!.message).toMatch(/gold/);
    expect(result.errors[2]!.message).toMatch(/prompt/);
    expect(result.imported.demonstrations).toBe(0);
    expect(await countRows(project.id)).toEqual({ prompts: 0, responses: 0, comparisons: 0, judgments: 0, demonstrations: 0 });

    // In CSV an empty completion cell is an invalid row too, not a bare prompt.
    const csv = await importText(project, "prompt,completion\nok,fine\nempty,\n", "csv");
    expect(csv.errors).toEqual([{ line: 3, message: expect.stringMatching(/completion: must not be empty/) }]);
    expect((await countRows(project.id)).prompts).toBe(0);
  });

  it("mixes demonstrations with preference records in one file", async () => {
    const project = await aProject({ mode: "pairwise" });
    const result = await importText(
      project,
      ndjson([
        { prompt: "Capital of France?", completion: "Paris.", source: "human" },
        { prompt: "Capital of France?", chosen: "Paris.", rejected: "Lyon." },
        { prompt: "Capital of Spain?", responses: [{ text: "Madrid", source: "m1" }, { text: "Barcelona, I think", source: "m2" }] },
        { prompt: "Capital of Italy?", completion: "Rome." },
      ]),
    );
    expect(result.errors).toEqual([]);
    expect(result.imported).toEqual({ records: 4, prompts: 3, responses: 4, comparisons: 2, judgments: 1, demonstrations: 2 });
    // The demonstration shares its prompt with the preference, but stays out of its comparison.
    const france = await getDb().execute<{ n: number }>(sql`
      select count(distinct d.prompt_id)::int as n from demonstrations d join comparisons c on c.prompt_id = d.prompt_id
      where d.project_id = ${project.id}`);
    expect(france.rows[0]!.n).toBe(1);
    const sizes = await getDb().select({ size: comparisons.size }).from(comparisons).where(eq(comparisons.projectId, project.id));
    expect(sizes.map((s) => s.size)).toEqual([2, 2]);
  });
});

describe("GET /api/v1/projects/:id/demonstrations", () => {
  it("pages through every demonstration in import order", async () => {
    const project = await aProject();
    const admin = await anAdmin();
    await importText(project, ndjson(demos(5, "a")));
    await importText(project, ndjson(demos(2, "b")));
    const seen: { id: string; prompt: unknown; completion: string; source: string; createdAt: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(project, admin, `?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { demonstrations: typeof seen; nextCursor: string | null };
      expect(body.demonstrations.length).toBeLessThanOrEqual(3);
      seen.push(...body.demonstrations);
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen.map((d) => d.id)).size).toBe(7);
    // the second import's rows come after the first's
    expect(seen.slice(5).map((d) => d.completion).sort()).toEqual(["Topic b0 is explained like this.", "Topic b1 is explained like this."]);
    expect(seen[0]).toMatchObject({ prompt: [{ role: "user", content: expect.stringMatching(/^Explain atopic/) }], source: "human", createdAt: expect.any(String) });
  });

  it("answers 400 on a bad limit or cursor and 403 to an annotator", async () => {
    const project = await aProject();
    const admin = await anAdmin();
    await importText(project, ndjson(demos(1)));
    for (const q of ["?limit=0", "?limit=501", "?limit=abc", "?limit=2.5", "?cursor=nope", "?order=desc"]) {
      expect((await list(project, admin, q)).status, q).toBe(400);
    }
    const other = await aProject();
    await importText(other, ndjson(demos(1, "other")));
    const [foreign] = await getDb().select({ id: demonstrations.id }).from(demonstrations).where(eq(demonstrations.projectId, other.id));
    expect((await list(project, admin, `?cursor=${foreign!.id}`)).status).toBe(400);

    const [annotator] = await annotators(project, 1);
    const res = await list(project, annotator!);
    expect(res.status).toBe(403);
  });
});
