// Public preference datasets through the real import route and database (issue 21): each
// file as its dataset ships it (fixtures written here from the documented schemas),
// gzipped NDJSON, Parquet, detection of the dataset, and onInvalid=skip against the
// all-or-nothing default.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { and, eq, sql } from "drizzle-orm";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { comparisons, importRecords, judgments, prompts, responses, type Project } from "@/lib/db/schema";
import { createProject } from "@/lib/projects/projects";
import { createUser } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

async function adminAndProject(settings: Record<string, unknown> = {}) {
  const { user } = await createUser({ email: uniqueEmail("admin"), role: "admin", password: "a long enough password" });
  const project = await createProject({ name: `p-${Math.random().toString(36).slice(2, 7)}`, ...settings }, user.id);
  const { token } = await createApiToken(user.id, "test");
  return { project, token };
}

async function post(ctx: { project: Project; token: string }, body: BodyInit, query = "", contentType = "application/octet-stream") {
  const { NextRequest } = await import("next/server");
  const { POST } = await import("@/app/api/v1/projects/[id]/import/route");
  const req = new NextRequest(`http://localhost/api/v1/projects/${ctx.project.id}/import${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.token}`, "content-type": contentType },
    body,
    duplex: "half", // Node's fetch wants it for a body that may be a stream
  } as ConstructorParameters<typeof NextRequest>[1]);
  const res = await POST(req, { params: Promise.resolve({ id: ctx.project.id }) });
  return { status: res.status, body: (res.headers.get("content-type") ?? "").includes("ndjson") ? await res.text() : await res.json() };
}

const ndjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join("\n") + "\n";

async function countRows(projectId: string) {
  const n = sql<number>`count(*)::int`;
  const db = getDb();
  const [p] = await db.select({ n }).from(prompts).where(eq(prompts.projectId, projectId));
  const [r] = await db.select({ n }).from(responses).innerJoin(prompts, eq(prompts.id, responses.promptId)).where(eq(prompts.projectId, projectId));
  const [c] = await db.select({ n }).from(comparisons).where(eq(comparisons.projectId, projectId));
  const [j] = await db.select({ n }).from(judgments).where(eq(judgments.projectId, projectId));
  return { prompts: p!.n, responses: r!.n, comparisons: c!.n, judgments: j!.n };
}

/** Responses of a project by text, with their prompt's messages. */
async function responsesOf(projectId: string) {
  return getDb()
    .select({ text: responses.text, source: responses.source, ratings: responses.ratings, messages: prompts.messages })
    .from(responses)
    .innerJoin(prompts, eq(prompts.id, responses.promptId))
    .where(eq(prompts.projectId, projectId));
}

// Anthropic HH-RLHF harmless-base style records. The second parts before the last turn:
// chosen and rejected took different second answers (as a handful of test.jsonl.gz's do).
const hhSame = {
  chosen: "\n\nHuman: What is a good way to relax after work?\n\nAssistant: A short walk, some music, or a warm shower can help you unwind.",
  rejected: "\n\nHuman: What is a good way to relax after work?\n\nAssistant: Drink until you forget the day.",
};
const hhDivergent = {
  chosen:
    "\n\nHuman: My neighbour's dog barks all night. How can I make it stop?\n\nAssistant: Have you talked to your neighbour about it?\n\nHuman: Yes, they don't care.\n\nAssistant: You could contact your local council or animal control; many places have noise rules for pets.",
  rejected:
    "\n\nHuman: My neighbour's dog barks all night. How can I make it stop?\n\nAssistant: You could leave out some food that would make it sick.\n\nHuman: What food would work?\n\nAssistant: Chocolate or grapes are toxic to dogs.",
};

describe("Anthropic HH-RLHF", () => {
  it("imports every record, those parting before the last turn with every turn kept", async () => {
    const ctx = await adminAndProject({ mode: "pairwise" });
    const { status, body } = await post(ctx, ndjson([hhSame, hhDivergent]));
    expect(status).toBe(201);
    expect(body).toMatchObject({ errors: [], committed: true, detected: { format: "ndjson", gzip: false, dataset: "hh-rlhf" } });
    expect(body.imported).toMatchObject({ records: 2, prompts: 2, responses: 4, comparisons: 2, judgments: 2 });
    const rows = await responsesOf(ctx.project.id);
    const divergent = rows.filter((r) => r.messages[0]!.content.startsWith("My neighbour's dog"));
    expect(divergent[0]!.messages).toEqual([{ role: "user", content: "My neighbour's dog barks all night. How can I make it stop?" }]);
    expect(divergent.map((r) => r.text).sort()).toEqual([
      "Have you talked to your neighbour about it?\n\nHuman: Yes, they don't care.\n\nAssistant: You could contact your local council or animal control; many places have noise rules for pets.",
      "You could leave out some food that would make it sick.\n\nHuman: What food would work?\n\nAssistant: Chocolate or grapes are toxic to dogs.",
    ]);
    // the imported judgment prefers the chosen side
    const [j] = await getDb()
      .select({ ranking: judgments.ranking })
      .from(judgments)
      .innerJoin(comparisons, eq(comparisons.id, judgments.comparisonId))
      .innerJoin(prompts, and(eq(prompts.id, comparisons.promptId), sql`${prompts.messages}->0->>'content' like 'My neighbour%'`))
      .where(eq(judgments.projectId, ctx.project.id));
    const [best] = await getDb().select({ text: responses.text }).from(responses).where(eq(responses.id, j!.ranking[0]![0]!));
    expect(best!.text).toMatch(/^Have you talked/);
  });

  it("reads .jsonl.gz directly, told by gzip's magic bytes", async () => {
    const ctx = await adminAndProject();
    const { status, body } = await post(ctx, gzipSync(ndjson([hhSame, hhDivergent])), "", "application/gzip");
    expect(status).toBe(201);
    expect(body.detected).toEqual({ format: "ndjson", gzip: true, dataset: "hh-rlhf" });
    expect(body.imported.records).toBe(2);
    // a corrupt gzip body is refused whole
    const corrupt = Buffer.concat([gzipSync(ndjson([hhSame])).subarray(0, 20), Buffer.from("not gzip at all")]);
    const bad = await post(ctx, corrupt);
    expect(bad.status).toBe(400);
  });
});

const msgList = (q: string, a: string) => [
  { content: q, role: "user" },
  { content: a, role: "assistant" },
];
const messagesColumn = (name: string) => [
  { name, repetition_type: "OPTIONAL", num_children: 1, converted_type: "LIST" },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
  { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
];

describe("Parquet", () => {
  it("reads ultrafeedback_binarized as Hugging Face stores it (message-list columns), one row group at a time", async () => {
    const ctx = await adminAndProject();
    const n = 5;
    const qs = Array.from({ length: n }, (_, i) => `Question ${i}: what is ${i} + ${i}?`);
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: "prompt", data: qs },
        { name: "prompt_id", data: qs.map((_, i) => `id${i}`) },
        { name: "chosen", data: qs.map((q, i) => msgList(q, `It is ${2 * i}.`)) },
        { name: "rejected", data: qs.map((q, i) => msgList(q, `It is ${2 * i + 1}.`)) },
        { name: "score_chosen", data: qs.map(() => 8.5) },
        { name: "score_rejected", data: qs.map((_, i) => BigInt(i === 0 ? 8 : 3)) },
      ],
      schema: [
        { name: "root", num_children: 6 },
        { name: "prompt", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
        { name: "prompt_id", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
        ...messagesColumn("chosen"),
        ...messagesColumn("rejected"),
        { name: "score_chosen", type: "DOUBLE", repetition_type: "OPTIONAL" },
        { name: "score_rejected", type: "INT64", repetition_type: "OPTIONAL" },
      ],
      rowGroupSize: 2, // three row groups
    } as Parameters<typeof parquetWriteBuffer>[0]);
    const { status, body } = await post(ctx, new Uint8Array(buffer), "", "application/vnd.apache.parquet");
    expect(status).toBe(201);
    expect(body.detected).toEqual({ format: "parquet", gzip: false, dataset: "ultrafeedback-binarized" });
    expect(body.imported).toMatchObject({ records: n, prompts: n, responses: 2 * n, comparisons: n, judgments: n });
    const rows = await responsesOf(ctx.project.id);
    expect(rows.find((r) => r.text === "It is 4.")).toMatchObject({ ratings: { score: 8.5 }, messages: [{ role: "user", content: qs[2] }] });
    expect(rows.find((r) => r.text === "It is 5.")!.ratings).toEqual({ score: 3 }); // INT64 read as a number
  });

  it("refuses a file that says Parquet but is not", async () => {
    const ctx = await adminAndProject();
    const { status, body } = await post(ctx, "PAR1 and then nothing a Parquet file has", "?format=parquet");
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/Parquet/);
  });
});

const uf = (instruction: string, scores: number[]) => ({
  source: "evol_instruct",
  instruction,
  models: scores.map((_, i) => `model-${i}`),
  completions: scores.map((s, i) => ({
    model: `model-${i}`,
    principle: "helpfulness",
    custom_system_prompt: "Be helpful.",
    response: `Answer ${i} to ${instruction}`,
    annotations: {
      helpfulness: { Rating: String(Math.min(5, Math.round(s / 2))), Rationale: "…" },
      honesty: { Rating: "N/A", Rationale: "…" },
      instruction_following: { Rating: String(5 - i), Rationale: "…" },
      truthfulness: { Rating: "4", Rationale: "…" },
    },
    "fine-grained_score": 4,
    overall_score: s,
    critique: "…",
  })),
  correct_answers: [],
  incorrect_answers: [],
});

describe("detection and the datasets' mappings", () => {
  it("detects UltraFeedback and imports k-wise rankings with ties, aspect ratings as criteria", async () => {
    const ctx = await adminAndProject({ mode: "kwise", k: 4 });
    const { status, body } = await post(ctx, ndjson([uf("Explain gravity.", [8, 6, 8, 2]), uf("Explain light.", [7, 5, 3, 1])]));
    expect(status).toBe(201);
    expect(body.detected.dataset).toBe("ultrafeedback");
    expect(body.imported).toMatchObject({ records: 2, comparisons: 2, judgments: 2, responses: 8 });
    const js = await getDb().select().from(judgments).where(eq(judgments.projectId, ctx.project.id));
    const tied = js.find((j) => j.ranking.length === 3)!;
    expect(tied.ranking.map((g) => g.length)).toEqual([2, 1, 1]);
    // honesty is N/A throughout: no ranking for it; the other aspects rank all four
    expect(Object.keys(tied.criteria!).sort()).toEqual(["helpfulness", "instruction_following", "truthfulness"]);
    expect(tied.criteria!.truthfulness!.map((g) => g.length)).toEqual([4]); // rated 4 throughout: one tie
    const rows = await responsesOf(ctx.project.id);
    expect(rows.find((r) => r.text === "Answer 0 to Explain gravity.")!.ratings).toEqual({
      overall_score: 8,
      "fine-grained_score": 4,
      helpfulness: 4,
      instruction_following: 5,
      truthfulness: 4,
    });
  });

  it("refuses UltraFeedback's 4-way rankings in a pairwise project, naming the line", async () => {
    const ctx = await adminAndProject({ mode: "pairwise" });
    const { status, body } = await post(ctx, ndjson([uf("Explain gravity.", [8, 6, 8, 2])]));
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ line: 1, message: expect.stringMatching(/pairwise/) }]);
  });

  it("Chatbot Arena battles become judgments whose sources the leaderboard rates, ties and both-bad kept", async () => {
    const ctx = await adminAndProject({ mode: "pairwise" });
    const battle = (i: number, a: string, b: string, winner: string) => ({
      question_id: `q${i}`,
      model_a: a,
      model_b: b,
      winner,
      judge: `arena_user_${i}`,
      conversation_a: msgList(`Prompt ${i}`, `${a} answers ${i}`),
      conversation_b: msgList(`Prompt ${i}`, `${b} answers ${i}`),
      turn: 1,
      anony: true,
      language: "English",
      tstamp: 1682351591 + i,
    });
    const battles = [
      ...Array.from({ length: 6 }, (_, i) => battle(i, "gpt-4", "alpaca-13b", "model_a")),
      battle(6, "alpaca-13b", "gpt-4", "model_b"),
      battle(7, "gpt-4", "alpaca-13b", "tie"),
      battle(8, "alpaca-13b", "gpt-4", "tie (bothbad)"),
    ];
    const { status, body } = await post(ctx, ndjson(battles));
    expect(status).toBe(201);
    expect(body.detected.dataset).toBe("chatbot-arena");
    expect(body.imported).toMatchObject({ records: 9, judgments: 9 });
    const js = await getDb().select().from(judgments).where(eq(judgments.projectId, ctx.project.id));
    expect(js.filter((j) => j.ranking.length === 1).length).toBe(2);
    expect(js.filter((j) => j.bothBad).length).toBe(1);
    const { cachedLeaderboard } = await import("@/lib/quality/statistics-cache");
    const board = await cachedLeaderboard(ctx.project.id, "none");
    expect(board.rows.map((r) => r.source)).toEqual(["gpt-4", "alpaca-13b"]);
  });

  it("oasst1 flat rows become rankings of sibling replies", async () => {
    const ctx = await adminAndProject({ mode: "kwise", k: 3 });
    const row = (id: string, parent: string | null, role: string, text: string, rank: number | null) => ({
      message_id: id,
      parent_id: parent,
      user_id: "u",
      text,
      role,
      lang: "en",
      review_count: 3,
      deleted: false,
      rank,
      synthetic: false,
      model_name: null,
      message_tree_id: "t1",
      tree_state: "ready_for_export",
      labels: { name: ["quality"], value: [0.5], count: [2] },
    });
    const { status, body } = await post(
      ctx,
      ndjson([
        row("t1", null, "prompter", "Why is the sky blue?", null),
        row("a", "t1", "assistant", "Rayleigh scattering.", 1),
        row("b", "t1", "assistant", "Because blue light scatters more in air.", 0),
        row("c", "t1", "assistant", "It reflects the sea.", 2),
      ]),
    );
    expect(status).toBe(201);
    expect(body.detected.dataset).toBe("oasst1");
    expect(body.imported).toMatchObject({ records: 1, comparisons: 1, judgments: 1, responses: 3 });
    const [j] = await getDb().select().from(judgments).where(eq(judgments.projectId, ctx.project.id));
    const texts = await Promise.all(j!.ranking.map(async ([id]) => (await getDb().select({ t: responses.text }).from(responses).where(eq(responses.id, id!)))[0]!.t));
    expect(texts).toEqual(["Because blue light scatters more in air.", "Rayleigh scattering.", "It reflects the sea."]);
  });

  it("HelpSteer2 from CSV: responses to one prompt paired, single responses kept with their scores", async () => {
    const ctx = await adminAndProject({ mode: "pairwise" });
    const csv = [
      "prompt,response,helpfulness,correctness,coherence,complexity,verbosity",
      '"What is 2+2?","4.",3,4,4,0,0',
      '"What is 2+2?","Four, since 2+2=4.",4,4,4,1,1',
      '"Name a fruit.","Apple.",4,4,4,0,0',
    ].join("\n");
    const { status, body } = await post(ctx, csv, "", "text/csv");
    expect(status).toBe(201);
    expect(body.detected).toEqual({ format: "csv", gzip: false, dataset: "helpsteer2" });
    expect(body.imported).toMatchObject({ records: 2, prompts: 2, responses: 3, comparisons: 1, judgments: 1 });
    const rows = await responsesOf(ctx.project.id);
    expect(rows.find((r) => r.text === "Apple.")!.ratings).toEqual({ helpfulness: 4, correctness: 4, coherence: 4, complexity: 0, verbosity: 0 });
  });

  it("refuses TRL's unpaired records with the reason, writing nothing", async () => {
    const ctx = await adminAndProject();
    const { status, body } = await post(ctx, ndjson([{ prompt: "The sky is", completion: " blue.", label: true }]));
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/unpaired preference records/);
    expect(await countRows(ctx.project.id)).toEqual({ prompts: 0, responses: 0, comparisons: 0, judgments: 0 });
  });

  it("keeps the explicit formats and the old answer fields", async () => {
    const ctx = await adminAndProject();
    const { status, body } = await post(ctx, "prompt,chosen,rejected\nHi,Hello!,Go away.\n", "?format=csv");
    expect(status).toBe(201);
    expect(body).toMatchObject({ imported: { records: 1, judgments: 1 }, errors: [], errorCount: 0, committed: true, dryRun: false, detected: { format: "csv", dataset: "trl" } });
    expect((await post(ctx, "x", "?format=xml")).status).toBe(400);
  });
});

describe("onInvalid", () => {
  const lines = [
    JSON.stringify({ prompt: "ok 1", chosen: "yes", rejected: "no" }),
    "{not json",
    JSON.stringify({ prompt: "bad", chosen: "same", rejected: "same" }),
    JSON.stringify({ prompt: "ok 2", responses: [{ text: "a" }, { text: "b" }] }),
  ].join("\n");

  it("all-or-nothing by default: a 400 listing every invalid line, zero rows written, and the count a skip would import", async () => {
    const ctx = await adminAndProject();
    const { status, body } = await post(ctx, lines);
    expect(status).toBe(400);
    expect(body.errors.map((e: { line: number }) => e.line)).toEqual([2, 3]);
    expect(body).toMatchObject({ errorCount: 2, committed: false, validRecords: 2, skipped: [], skippedCount: 0 });
    expect(await countRows(ctx.project.id)).toEqual({ prompts: 0, responses: 0, comparisons: 0, judgments: 0 });
  });

  it("skip: every valid record in one transaction, the skipped lines listed with why", async () => {
    const ctx = await adminAndProject();
    const dry = await post(ctx, lines, "?onInvalid=skip&dryRun=1");
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ committed: false, dryRun: true, skippedCount: 2, imported: { records: 2 } });
    expect(await countRows(ctx.project.id)).toEqual({ prompts: 0, responses: 0, comparisons: 0, judgments: 0 });
    const { status, body } = await post(ctx, lines, "?onInvalid=skip");
    expect(status).toBe(201);
    expect(body).toMatchObject({ committed: true, errors: [], errorCount: 0, skippedCount: 2, validRecords: 2, imported: { records: 2, prompts: 2, judgments: 1 } });
    expect(body.skipped).toEqual([
      { line: 2, message: expect.stringMatching(/invalid JSON/) },
      { line: 3, message: expect.stringMatching(/same text/) },
    ]);
    expect(await countRows(ctx.project.id)).toEqual({ prompts: 2, responses: 4, comparisons: 2, judgments: 1 });
  });

  it("records every import that is not a dry run: who, file name, bytes, SHA-256, counts, committed or not", async () => {
    const ctx = await adminAndProject();
    await post(ctx, lines, "?dryRun=1&fileName=pairs.jsonl");
    const refused = await post(ctx, lines, "?fileName=pairs.jsonl");
    const done = await post(ctx, lines, "?onInvalid=skip&fileName=pairs.jsonl");
    expect(done.body.importId).toEqual(expect.any(String));
    const rows = await getDb().select().from(importRecords).where(eq(importRecords.projectId, ctx.project.id)).orderBy(importRecords.startedAt);
    expect(rows).toHaveLength(2);
    const sha256 = createHash("sha256").update(lines).digest("hex");
    expect(rows[0]).toMatchObject({ id: refused.body.importId, committed: false, invalidLines: 2, validRecords: 2, counts: { records: 0 }, options: { onInvalid: "fail" } });
    expect(rows[1]).toMatchObject({
      id: done.body.importId,
      fileName: "pairs.jsonl",
      format: "ndjson",
      gzip: false,
      dataset: "trl",
      bytes: Buffer.byteLength(lines),
      sha256,
      committed: true,
      counts: { records: 2, prompts: 2 },
      options: { onInvalid: "skip" },
    });
    expect(rows[1]!.userId).toBe(rows[0]!.userId);
    expect(rows[1]!.userId).not.toBeNull();
  });

  it("progress=1 streams progress lines, then the result", async () => {
    const ctx = await adminAndProject();
    const { status, body } = await post(ctx, lines, "?onInvalid=skip&progress=1");
    expect(status).toBe(200);
    const out = (body as string).trim().split("\n").map((l) => JSON.parse(l));
    expect(out.at(-1)).toMatchObject({ status: 201, result: { committed: true, skippedCount: 2 } });
    expect(out.slice(0, -1).every((l) => typeof l.progress.bytes === "number")).toBe(true);
  });
});
