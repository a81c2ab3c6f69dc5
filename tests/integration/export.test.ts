import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { datasetExports, judgments, users } from "@/lib/db/schema";
import { finishExportRecord, startExportRecord } from "@/lib/export/export-record";
import { parse as parseCsv } from "csv-parse/sync";
import { parquetStream } from "@/lib/export/parquet";
import { csvStream, exportRecords, ndjsonStream, type ExportFilters, type ExportOptions } from "@/lib/export/stream";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { setExcluded } from "@/lib/projects/projects";
import { nextTask } from "@/lib/tasks/next-task";
import { annotators, aProject, importText, ndjson } from "./fixtures";

const SECRET = "test-secret";

async function exportText(projectId: string, format: ExportOptions["format"], filters: ExportFilters = {}, extra: Partial<ExportOptions> = {}) {
  return new Response(ndjsonStream(exportRecords(projectId, filters, { format, secret: SECRET, ...extra }))).text();
}
const lines = (text: string) => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

async function judgedKwiseProject() {
  const project = await aProject({ mode: "kwise", k: 3, redundancy: 2 });
  await importText(
    project,
    ndjson(
      Array.from({ length: 6 }, (_, i) => ({
        prompt: `Explain idea ${i}`,
        responses: [
          { text: `Best explanation of idea ${i}, complete and clear`, source: "good" },
          { text: `An okay take on ${i} with some detail`, source: "ok" },
          { text: `meh ${i}`, source: "bad" },
        ],
      })),
    ),
  );
  const [first, second] = await annotators(project, 2);
  for (const me of [first!, second!]) {
    for (;;) {
      const task = await nextTask(project, me);
      if (!task) break;
      const bySource = (s: string) => task.responses.find((r) => r.text.startsWith(s === "good" ? "Best" : s === "ok" ? "An okay" : "meh"))!.id;
      // The second annotator ties "ok" and "bad".
      const ranking = me === first ? [[bySource("good")], [bySource("ok")], [bySource("bad")]] : [[bySource("good")], [bySource("ok"), bySource("bad")]];
      await submitJudgment(task.comparisonId, me, { clientId: randomUUID(), ranking });
    }
  }
  return { project, first: first!, second: second! };
}

describe("exports", () => {
  it("write every judgment once in raw, as pseudonyms, in the same bytes every time", async () => {
    const { project, first } = await judgedKwiseProject();
    const text = await exportText(project.id, "raw");
    const raw = lines(text);
    const stored = await getDb().select().from(judgments).where(eq(judgments.projectId, project.id));
    expect(raw.map((r) => r.id).sort()).toEqual(stored.map((j) => j.id).sort());
    expect(new Set(raw.map((r) => r.annotator)).size).toBe(2);
    const [firstUser] = await getDb().select().from(users).where(eq(users.id, first.id));
    expect(text).not.toContain(first.id);
    expect(text).not.toContain(firstUser!.email);
    for (const r of raw) expect(r.ranking).toEqual(stored.find((j) => j.id === r.id)!.ranking);
    expect(await exportText(project.id, "raw")).toBe(text);
  });

  it("expand rankings with ties into pairs: wins across places, ties only on request", async () => {
    const { project } = await judgedKwiseProject();
    const pairs = lines(await exportText(project.id, "pairwise"));
    // first annotator: 3 strict pairs per comparison; second: good over ok and bad = 2.
    expect(pairs).toHaveLength(6 * 3 + 6 * 2);
    for (const p of pairs) {
      expect(p.tie).toBe(false);
      expect(typeof p.prompt).toBe("string");
      const rank = { good: 0, ok: 1, bad: 2 } as Record<string, number>;
      expect(rank[p.meta.chosenSource]).toBeLessThan(rank[p.meta.rejectedSource]!);
    }
    const withTies = lines(await exportText(project.id, "pairwise", {}, { ties: true }));
    expect(withTies.filter((p) => p.tie)).toHaveLength(6);
    const conversational = lines(await exportText(project.id, "pairwise", {}, { conversational: true }));
    expect(conversational[0].prompt[0]).toMatchObject({ role: "user" });
    expect(conversational[0].chosen).toEqual([{ role: "assistant", content: expect.any(String) }]);
  });

  it("are recorded with their row count, size and the checksum of the bytes sent", async () => {
    const { project, first } = await judgedKwiseProject();
    const id = await startExportRecord(project.id, first.id, "raw.ndjson", { gold: "include" });
    const text = await new Response(ndjsonStream(exportRecords(project.id, {}, { format: "raw", secret: SECRET }), (stats) => finishExportRecord(id, stats))).text();
    const { createHash } = await import("node:crypto");
    const [record] = await getDb().select().from(datasetExports).where(eq(datasetExports.id, id));
    expect(record).toMatchObject({ rows: 12, bytes: Buffer.byteLength(text), sha256: createHash("sha256").update(text).digest("hex"), format: "raw.ndjson" });
    expect(record!.finishedAt).not.toBeNull();
  });

  it("write the same records as CSV that a CSV reader gets back", async () => {
    const { project } = await judgedKwiseProject();
    for (const format of ["pairwise", "kwise", "raw", "sft"] as const) {
      const json = lines(await exportText(project.id, format));
      const csv = await new Response(csvStream(exportRecords(project.id, {}, { format, secret: SECRET }), format)).text();
      const rows = parseCsv(csv, { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(json.length);
      if (format === "pairwise") {
        rows.forEach((row, k) => {
          expect(row.chosen).toBe(json[k].chosen);
          expect(row.rejected).toBe(json[k].rejected);
          expect(row.judgment_id).toBe(json[k].meta.judgmentId);
        });
      }
      if (format === "raw") rows.forEach((row, k) => expect(JSON.parse(row.ranking!)).toEqual(json[k].ranking));
    }
  });

  it("quote CSV cells a spreadsheet would run as formulas, unless told not to", async () => {
    const project = await aProject({ mode: "pairwise" });
    const texts = { prompt: "=HYPERLINK(\"http://evil.example\", \"click\")", chosen: "@SUM(1+1)*cmd|' /C calc'!A0", rejected: "-2+3" };
    await importText(project, ndjson([texts, { prompt: "+1", chosen: "\tTabbed", rejected: "\rReturned" }, { prompt: "Plain", chosen: "safe - text", rejected: "also safe" }]));
    const csvOf = async (formulaGuard?: boolean) =>
      parseCsv(
        await new Response(csvStream(exportRecords(project.id, {}, { format: "pairwise", secret: SECRET }), "pairwise", undefined, formulaGuard === undefined ? undefined : { formulaGuard })).text(),
        { columns: true },
      ) as Record<string, string>[];
    // imported in one transaction, the judgments share a time and leave in id order: compare sorted
    const cells = (rows: Record<string, string>[]) => rows.map((r) => [r.prompt, r.chosen, r.rejected]).sort();
    expect(cells(await csvOf())).toEqual([
      [`'${texts.prompt}`, `'${texts.chosen}`, `'${texts.rejected}`],
      ["'+1", "'\tTabbed", "'\rReturned"],
      ["Plain", "safe - text", "also safe"],
    ].sort());
    expect(cells(await csvOf(false))).toEqual([
      [texts.prompt, texts.chosen, texts.rejected],
      ["+1", "\tTabbed", "\rReturned"],
      ["Plain", "safe - text", "also safe"],
    ].sort());
  });

  it("give k-wise rankings as indexes and SFT pairs from the consensus best", async () => {
    const { project } = await judgedKwiseProject();
    const kwise = lines(await exportText(project.id, "kwise"));
    expect(kwise).toHaveLength(12);
    for (const k of kwise) expect(k.responses[k.ranking[0][0]]).toMatch(/^Best explanation/);
    const sft = lines(await exportText(project.id, "sft"));
    expect(sft).toHaveLength(6);
    for (const s of sft) expect(s.completion).toMatch(/^Best explanation/);
  });

  it("leave out excluded annotators and honour the filters", async () => {
    const { project, second } = await judgedKwiseProject();
    await setExcluded(project.id, second.id, true);
    expect(lines(await exportText(project.id, "raw"))).toHaveLength(6);
    expect(lines(await exportText(project.id, "raw", { includeExcluded: true }))).toHaveLength(12);
    expect(lines(await exportText(project.id, "raw", { since: new Date(Date.now() + 60_000) }))).toHaveLength(0);
    expect(lines(await exportText(project.id, "raw", { gold: "only" }))).toHaveLength(0);
  });

  it("keep only comparisons whose judgments agree enough (minAgreement)", async () => {
    const { project, second } = await judgedKwiseProject();
    // Per comparison the two annotators agree on good ≻ ok and good ≻ bad, not on ok vs bad: 2/3.
    expect(lines(await exportText(project.id, "raw", { minAgreement: 0.6 }))).toHaveLength(12);
    expect(lines(await exportText(project.id, "raw", { minAgreement: 0.7 }))).toHaveLength(0);
    expect(lines(await exportText(project.id, "sft", { minAgreement: 0.6 }))).toHaveLength(6);
    // With one judgment left per comparison there is no measured agreement to pass.
    await setExcluded(project.id, second.id, true);
    expect(lines(await exportText(project.id, "raw", { minAgreement: 0 }))).toHaveLength(0);
  });

  it("export one criterion's verdicts as the preference, leaving out judgments without one", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 2, criteria: ["helpful", "harmless"] });
    await importText(project, ndjson(Array.from({ length: 4 }, (_, i) => ({ prompt: `Q${i}`, responses: [{ text: `long careful answer ${i}`, source: "a" }, { text: `short ${i}`, source: "b" }] }))));
    const [me, other] = await annotators(project, 2);
    for (const [who, withCriteria] of [[me!, true], [other!, false]] as const) {
      for (;;) {
        const task = await nextTask(project, who);
        if (!task) break;
        const a = task.responses.find((r) => r.text.startsWith("long"))!.id;
        const b = task.responses.find((r) => r.text.startsWith("short"))!.id;
        // overall and helpful: a; harmless: b
        await submitJudgment(task.comparisonId, who, {
          clientId: randomUUID(),
          ranking: [[a], [b]],
          strength: 3,
          ...(withCriteria ? { criteria: { helpful: [[a], [b]], harmless: [[b], [a]] } } : {}),
        });
      }
    }
    const overall = lines(await exportText(project.id, "pairwise"));
    expect(overall).toHaveLength(8);
    expect(overall.every((p) => p.chosen.startsWith("long"))).toBe(true);
    const harmless = lines(await exportText(project.id, "pairwise", { criterion: "harmless" }));
    expect(harmless).toHaveLength(4); // only the annotator who gave criterion verdicts
    expect(harmless.every((p) => p.chosen.startsWith("short") && p.margin === undefined)).toBe(true);
    expect(lines(await exportText(project.id, "pairwise", { criterion: "helpful" })).every((p) => p.chosen.startsWith("long"))).toBe(true);
  });

  it("write Parquet that an independent reader reads back as the NDJSON records", async () => {
    const { project } = await judgedKwiseProject();
    const parquetjs = (await import("@dsnp/parquetjs")).default as unknown as {
      ParquetReader: { openBuffer(b: Buffer): Promise<{ getRowCount(): bigint | number; getCursor(): { next(): Promise<Record<string, unknown> | null> } }> };
    };
    for (const format of ["pairwise", "kwise", "raw", "sft"] as const) {
      const json = lines(await exportText(project.id, format));
      const bytes = Buffer.from(await new Response(parquetStream(exportRecords(project.id, {}, { format, secret: SECRET }), format)).arrayBuffer());
      expect(bytes.subarray(0, 4).toString()).toBe("PAR1");
      // reproducible: the same data and filters give the same bytes
      const again = Buffer.from(await new Response(parquetStream(exportRecords(project.id, {}, { format, secret: SECRET }), format)).arrayBuffer());
      expect(again.equals(bytes)).toBe(true);
      const reader = await parquetjs.ParquetReader.openBuffer(bytes);
      expect(Number(reader.getRowCount())).toBe(json.length);
      const cursor = reader.getCursor();
      const rows: Record<string, unknown>[] = [];
      for (let r = await cursor.next(); r; r = await cursor.next()) rows.push(r);
      expect(rows).toHaveLength(json.length);
      rows.forEach((row, k) => {
        const rec = json[k];
        if (format === "pairwise") expect([row.chosen, row.rejected, row.margin, row.tie, row.judgment_id]).toEqual([rec.chosen, rec.rejected, rec.margin, rec.tie, rec.meta.judgmentId]);
        // JSON-annotated columns hold the JSON of the value, which the reader decodes (once)
        if (format === "kwise") expect([row.ranking, row.responses]).toEqual([rec.ranking, rec.responses]);
        if (format === "raw") {
          expect(row.id).toBe(rec.id);
          expect([row.ranking, row.prompt, row.responses]).toEqual([rec.ranking, rec.prompt, rec.responses]);
          expect(row.both_bad).toBe(rec.bothBad);
          expect(row.strength ?? null).toBe(rec.strength);
        }
        if (format === "sft") expect([row.completion, row.votes]).toEqual([rec.completion, rec.meta.votes]);
      });
    }
  });
});

describe("export paging", () => {
  it("streams every judgment exactly once across batches, even with identical timestamps", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    const team = await annotators(project, 3);
    const { sql } = await import("drizzle-orm");
    const n = 1200; // comparisons, × 3 judgments = 3600 rows > 3 batches
    const db = getDb();
    const p = project.id;
    await db.execute(sql`insert into prompts (id, project_id, messages, content_hash)
      select md5(${p} || 'p' || g)::uuid, ${p}, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'q' || g)), 'h' || g from generate_series(1, ${n}) g`);
    await db.execute(sql`insert into responses (id, prompt_id, text, source, content_hash)
      select md5(${p} || 'r' || g || s)::uuid, md5(${p} || 'p' || g)::uuid, 'answer ' || g || s, s, s || g from generate_series(1, ${n}) g, unnest(array['a', 'b']) s`);
    await db.execute(sql`insert into comparisons (id, project_id, prompt_id, size, response_key, required, judgment_count)
      select md5(${p} || 'c' || g)::uuid, ${p}, md5(${p} || 'p' || g)::uuid, 2, 'k' || g, 3, 3 from generate_series(1, ${n}) g`);
    await db.execute(sql`insert into comparison_responses (comparison_id, response_id, position)
      select md5(${p} || 'c' || g)::uuid, md5(${p} || 'r' || g || s)::uuid, case s when 'a' then 0 else 1 end from generate_series(1, ${n}) g, unnest(array['a', 'b']) s`);
    // One statement: every judgment gets the same created_at (now()), so only the id orders them.
    await db.execute(sql`insert into judgments (client_id, comparison_id, project_id, annotator_id, origin, ranking, shown_order)
      select gen_random_uuid(), md5(${p} || 'c' || g)::uuid, ${p}, a.id, 'simulated',
        jsonb_build_array(jsonb_build_array(md5(${p} || 'r' || g || 'a')::uuid), jsonb_build_array(md5(${p} || 'r' || g || 'b')::uuid)),
        jsonb_build_array(md5(${p} || 'r' || g || 'a')::uuid, md5(${p} || 'r' || g || 'b')::uuid)
      from generate_series(1, ${n}) g cross join unnest(${`{${team.map((t) => t.id).join(",")}}`}::uuid[]) as a(id)`);
    const raw = lines(await exportText(project.id, "raw"));
    expect(raw).toHaveLength(3 * n);
    expect(new Set(raw.map((r) => r.id)).size).toBe(3 * n);
    const sft = lines(await exportText(project.id, "sft"));
    expect(sft).toHaveLength(n); // grouped by comparison across batch boundaries
  });
});

describe("export memory", () => {
  it("streams a large export in bounded memory: the heap does not grow with the output", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 1 });
    const [me] = await annotators(project, 1);
    const { sql } = await import("drizzle-orm");
    const n = 10_000;
    const p = project.id;
    const long = "x".repeat(3500); // ~3.5 kB per response: the export is ~70 MB
    const db = getDb();
    await db.execute(sql`insert into prompts (id, project_id, messages, content_hash)
      select md5(${p} || 'p' || g)::uuid, ${p}, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'q' || g)), 'h' || g from generate_series(1, ${n}) g`);
    await db.execute(sql`insert into responses (id, prompt_id, text, source, content_hash)
      select md5(${p} || 'r' || g || s)::uuid, md5(${p} || 'p' || g)::uuid, ${long} || g || s, s, s || g from generate_series(1, ${n}) g, unnest(array['a', 'b']) s`);
    await db.execute(sql`insert into comparisons (id, project_id, prompt_id, size, response_key, required, judgment_count)
      select md5(${p} || 'c' || g)::uuid, ${p}, md5(${p} || 'p' || g)::uuid, 2, 'k' || g, 1, 1 from generate_series(1, ${n}) g`);
    await db.execute(sql`insert into comparison_responses (comparison_id, response_id, position)
      select md5(${p} || 'c' || g)::uuid, md5(${p} || 'r' || g || s)::uuid, case s when 'a' then 0 else 1 end from generate_series(1, ${n}) g, unnest(array['a', 'b']) s`);
    await db.execute(sql`insert into judgments (client_id, comparison_id, project_id, annotator_id, origin, ranking, shown_order)
      select gen_random_uuid(), md5(${p} || 'c' || g)::uuid, ${p}, ${me!.id}, 'simulated',
        jsonb_build_array(jsonb_build_array(md5(${p} || 'r' || g || 'a')::uuid), jsonb_build_array(md5(${p} || 'r' || g || 'b')::uuid)),
        jsonb_build_array(md5(${p} || 'r' || g || 'a')::uuid, md5(${p} || 'r' || g || 'b')::uuid)
      from generate_series(1, ${n}) g`);
    // As an import does (lib/import): fresh statistics, or the planner scans every response per row.
    await db.execute(sql`analyze prompts, responses, comparisons, comparison_responses, judgments`);

    // Measure what stays reachable (after a full collection), not garbage not yet collected.
    const { setFlagsFromString } = await import("node:v8");
    const { runInNewContext } = await import("node:vm");
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const reader = ndjsonStream(exportRecords(p, {}, { format: "raw", secret: SECRET })).getReader();
    let bytes = 0;
    let lineCount = 0;
    let chunks = 0;
    let peak = 0;
    gc();
    const base = process.memoryUsage().heapUsed;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (const b of value) if (b === 10) lineCount++;
      if (++chunks % 40 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    expect(lineCount).toBe(n);
    expect(bytes).toBeGreaterThan(60_000_000);
    // One batch of 1,000 rows is a few MB; the whole output is over 60 MB.
    expect(peak).toBeLessThan(32 * 1024 * 1024);

    // Parquet holds one row group (at most ROW_GROUP_TEXT characters of text) at a time.
    const parquetReader = parquetStream(exportRecords(p, {}, { format: "raw", secret: SECRET }), "raw").getReader();
    let parquetBytes = 0;
    let parquetPeak = 0;
    gc();
    const parquetBase = process.memoryUsage().heapUsed;
    for (;;) {
      const { done, value } = await parquetReader.read();
      if (done) break;
      parquetBytes += value.byteLength;
      gc();
      parquetPeak = Math.max(parquetPeak, process.memoryUsage().heapUsed - parquetBase);
    }
    expect(parquetBytes).toBeGreaterThan(1_000_000);
    expect(parquetPeak).toBeLessThan(64 * 1024 * 1024);
  }, 180_000);
});
