import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { comparisons, judgments, prompts, responses } from "@/lib/db/schema";
import { aProject, importText, ndjson, responseRecords } from "./fixtures";

async function countRows(projectId: string) {
  const db = getDb();
  const [p] = await db.select({ n: sql<number>`count(*)::int` }).from(prompts).where(eq(prompts.projectId, projectId));
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(responses).innerJoin(prompts, eq(prompts.id, responses.promptId)).where(eq(prompts.projectId, projectId));
  const [c] = await db.select({ n: sql<number>`count(*)::int` }).from(comparisons).where(eq(comparisons.projectId, projectId));
  const [j] = await db.select({ n: sql<number>`count(*)::int` }).from(judgments).where(eq(judgments.projectId, projectId));
  return { prompts: p!.n, responses: r!.n, comparisons: c!.n, judgments: j!.n };
}

describe("import", () => {
  it("imports every record kind of API.md and forms comparisons", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 2 });
    const result = await importText(
      project,
      ndjson([
        { prompt: "What is 2+2?", responses: [{ text: "4", source: "m1" }, { text: "Four, because 2+2=4.", source: "m2" }] },
        { prompt: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }], chosen: "Hello!", rejected: "Go away." },
        { chosen: "\n\nHuman: Tell me a joke\n\nAssistant: Why did the chicken cross the road?", rejected: "\n\nHuman: Tell me a joke\n\nAssistant: No." },
        { prompt: "Rank these", ranking: ["best answer here", "worst answer here"] },
        { prompt: "Write a haiku about the sea" },
      ]),
    );
    expect(result.errors).toEqual([]);
    expect(result.committed).toBe(true);
    expect(result.imported).toEqual({ records: 5, prompts: 5, responses: 8, comparisons: 4, judgments: 3, demonstrations: 0 });

    const hh = await getDb().select().from(prompts).where(eq(prompts.projectId, project.id));
    expect(hh.map((p) => p.messages)).toContainEqual([{ role: "user", content: "Tell me a joke" }]);
    const imported = await getDb().select().from(judgments).where(eq(judgments.projectId, project.id));
    expect(imported.every((j) => j.origin === "imported")).toBe(true);
    // An imported preference counts as one judgment of the two wanted.
    const cs = await getDb().select().from(comparisons).where(eq(comparisons.projectId, project.id));
    expect(cs.map((c) => c.judgmentCount).sort()).toEqual([0, 1, 1, 1]);
  });

  it("rejects the whole import when any line is invalid, listing every error by line", async () => {
    const project = await aProject();
    const lines = [
      JSON.stringify({ prompt: "ok", responses: [{ text: "a" }, { text: "b" }] }),
      "{not json",
      JSON.stringify({ prompt: "one response only", responses: [{ text: "a" }] }),
      "",
      JSON.stringify({ hello: "world" }),
      JSON.stringify({ prompt: "ties", ranking: ["x", "y", "z"] }),
      JSON.stringify({ prompt: "ok again", responses: [{ text: "c" }, { text: "d" }] }),
    ];
    const result = await importText(project, lines.join("\n"));
    expect(result.committed).toBe(false);
    expect(result.errors.map((e) => e.line)).toEqual([2, 3, 5, 6]);
    expect(result.errors[0]!.message).toMatch(/invalid JSON/);
    expect(result.errors[1]!.message).toMatch(/at least 2 responses/);
    expect(result.errors[2]!.message).toMatch(/unknown record/);
    expect(result.errors[3]!.message).toMatch(/pairwise: a ranking must rank exactly 2/);
    expect(await countRows(project.id)).toEqual({ prompts: 0, responses: 0, comparisons: 0, judgments: 0 });
  });

  it("finds the same records again on re-import instead of duplicating them", async () => {
    const project = await aProject({ mode: "pairwise" });
    const text = ndjson([...responseRecords(20, 3), { prompt: "p", chosen: "yes", rejected: "no" }]);
    const first = await importText(project, text);
    const before = await countRows(project.id);
    const second = await importText(project, text);
    expect(first.imported.comparisons).toBeGreaterThan(20);
    expect(second.imported).toEqual({ records: 21, prompts: 0, responses: 0, comparisons: 0, judgments: 0, demonstrations: 0 });
    expect(await countRows(project.id)).toEqual(before);
  });

  it("counts an imported preference on a comparison that was already there, once", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 3 });
    // a plain record forms the pair; a preference between the same texts and sources judges it
    await importText(project, ndjson([{ prompt: "Q", responses: [{ text: "Yes, certainly.", source: "a" }, { text: "No, never.", source: "b" }] }]));
    const preference = { prompt: "Q", chosen: "Yes, certainly.", rejected: "No, never.", chosen_source: "a", rejected_source: "b" };
    const first = await importText(project, ndjson([preference]));
    const again = await importText(project, ndjson([preference]));
    expect(first.imported).toMatchObject({ comparisons: 0, judgments: 1 });
    expect(again.imported).toMatchObject({ comparisons: 0, judgments: 0 });
    const cs = await getDb().select().from(comparisons).where(eq(comparisons.projectId, project.id));
    expect(cs.map((c) => c.judgmentCount)).toEqual([1]);
  });

  it("spreads pairs over every response, and never pairs near-identical ones", async () => {
    const project = await aProject({ mode: "pairwise" });
    const texts = [
      "The capital of France is Paris.",
      "the capital of france is paris",
      "Paris is France's capital city, on the Seine.",
      "I am not sure, maybe Lyon?",
      "France's capital is Paris, home of the Louvre.",
      "Berlin.",
    ];
    await importText(project, ndjson([{ prompt: "Capital of France?", responses: texts.map((text, i) => ({ text, source: `m${i}` })) }]));
    const pairs = await getDb().execute<{ a: string; b: string }>(sql`
      select min(r.text) as a, max(r.text) as b from comparisons c
      join comparison_responses cr on cr.comparison_id = c.id join responses r on r.id = cr.response_id
      where c.project_id = ${project.id} group by c.id`);
    const used = new Set(pairs.rows.flatMap((p) => [p.a, p.b]));
    expect(used.size).toBe(texts.length);
    for (const p of pairs.rows) expect([p.a, p.b].sort()).not.toEqual([texts[0], texts[1]].sort());
  });

  it("forms k-subsets that cover every response in k-wise projects", async () => {
    const project = await aProject({ mode: "kwise", k: 4 });
    const result = await importText(project, ndjson(responseRecords(3, 6)));
    expect(result.imported.comparisons).toBe(6); // 6 responses → two sets of 4 per prompt
    const sizes = await getDb().select({ size: comparisons.size }).from(comparisons).where(eq(comparisons.projectId, project.id));
    expect(sizes.every((s) => s.size === 4)).toBe(true);
  });

  it("reads CSV with a header", async () => {
    const project = await aProject({ mode: "pairwise" });
    const csv = [
      "prompt,response_1,source_1,response_2,source_2",
      '"Say hi","Hello, friend!",m1,"Hi.",m2',
      '"Multi-line","first line\nsecond line",m1,"one line",m2',
      '"Only one","just one",m1,,',
    ].join("\n");
    const result = await importText(project, csv, "csv");
    // Line numbers count physical lines: the quoted newline makes the bad row line 5.
    expect(result.errors).toEqual([{ line: 5, message: expect.stringMatching(/at least 2 responses/) }]);
    const good = await importText(project, csv.split("\n").slice(0, 4).join("\n"), "csv");
    expect(good.errors).toEqual([]);
    expect(good.imported).toMatchObject({ records: 2, comparisons: 2 });
  });

  it("refuses a body over the size limit and writes nothing", async () => {
    const project = await aProject();
    await expect(importText(project, ndjson(responseRecords(200, 2)), "ndjson", 10_000)).rejects.toThrow(/larger than the limit/);
    expect((await countRows(project.id)).prompts).toBe(0);
  });
});
