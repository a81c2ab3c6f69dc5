// An external policy's answers (POST /import?externalPolicy=1, lib/import/external-policy.ts)
// after a review: the `policy@` source names are Arbiter's alone (an ordinary import naming
// one is refused, and a number too long for the numbering is ignored, not a 500 on every
// later import); the body is read and checked before the numbering lock is taken, its
// answers bounded in number; and the import is recorded in import_records.
// (From a review's reproductions: scratch/review-attack/attack.test.ts.)
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { importRecords, prompts, responses, type Project, type User } from "@/lib/db/schema";
import { importExternalPolicy, MAX_EXTERNAL_ANSWERS } from "@/lib/import/external-policy";
import { registerModelFolder } from "@/lib/models/register-model";
import { saveCheckpoint } from "@/trainer/checkpoint/hf-gpt2";
import { smallConfig } from "@/trainer/model/config";
import { initParams } from "@/trainer/model/gpt2";
import { selectBackend } from "@/trainer/tf/backend";
import { anAdmin, aProject, bodyOf, importText, ndjson, responseRecords } from "./fixtures";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-external-policy-"));
/** pg_advisory_xact_lock's class for the numbering (external-policy.ts) */
const EXTERNAL_LOCK_CLASS = 0x4172_4578;
let admin: User;
let token: string;

async function post(project: Project, query: string, body: string): Promise<Response> {
  const { POST } = await import("@/app/api/v1/projects/[id]/import/route");
  const req = new NextRequest(`http://localhost/api/v1/projects/${project.id}/import?${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    body,
  });
  return POST(req, { params: Promise.resolve({ id: project.id }) });
}

async function aProjectWithPrompts(n: number): Promise<Project> {
  const project = await aProject({ mode: "pairwise", redundancy: 1 });
  await importText(project, ndjson(responseRecords(n)));
  return project;
}

beforeAll(async () => {
  process.env.ARBITER_DATA_DIR = path.join(work, "data");
  await selectBackend("wasm");
  admin = await anAdmin();
  token = (await createApiToken(admin.id, "test")).token;
});

afterAll(() => {
  delete process.env.ARBITER_DATA_DIR;
  fs.rmSync(work, { recursive: true, force: true });
});

describe("policy@ source names", () => {
  it("an ordinary import naming a policy@ source is refused with the reason (it once made every later external import and registration a 500)", async () => {
    const project = await aProjectWithPrompts(3);
    const res = await post(project, "", ndjson([{ prompt: "Question 1: explain topic 1", responses: [{ text: "a", source: "policy@external-99999999999" }, { text: "b", source: "x" }] }]));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ committed: false, errors: [{ line: 1, message: expect.stringMatching(/source "policy@external-99999999999" is reserved/) }] });
    // a dataset reader's sources (Chatbot Arena's model names) are checked too, and a demonstration's
    const arena = { question_id: "q1", model_a: "policy@round-1", model_b: "gpt-4", winner: "model_a", conversation_a: [{ role: "user", content: "Q" }, { role: "assistant", content: "A" }], conversation_b: [{ role: "user", content: "Q" }, { role: "assistant", content: "B" }] };
    for (const refused of [await post(project, "dataset=chatbot-arena", ndjson([arena])), await post(project, "", ndjson([{ prompt: "Q", completion: "C", source: "policy@x" }]))]) {
      expect(refused.status).toBe(400);
      expect((await refused.json()).errors[0].message).toMatch(/is reserved/);
    }
    // the next external policy is numbered as usual
    const external = await post(project, "externalPolicy=1", ndjson([{ prompt: "Question 1: explain topic 1", completion: "An external answer" }]));
    expect(external.status).toBe(201);
    expect(await external.json()).toMatchObject({ source: "policy@external-1", responses: 1 });
  });

  it("a number too long for the numbering, already in the database (written some other way), is not counted", async () => {
    const project = await aProjectWithPrompts(2);
    const [prompt] = await getDb().select({ id: prompts.id }).from(prompts).where(eq(prompts.projectId, project.id)).limit(1);
    await getDb().insert(responses).values({ promptId: prompt!.id, text: "planted", source: "policy@external-99999999999", contentHash: "planted" });
    const result = await importExternalPolicy(project, bodyOf(ndjson([{ prompt: "Question 0: explain topic 0", completion: "An external answer" }])), { maxBytes: 1 << 20 });
    expect(result).toMatchObject({ source: "policy@external-1", committed: true });
    const config = smallConfig({ n_layer: 1, n_embd: 16, n_head: 2, n_positions: 32 });
    const dir = path.join(work, "policy");
    await saveCheckpoint(dir, { config, params: initParams(config, 1) });
    expect(await registerModelFolder(project, { kind: "policy", dir })).toMatchObject({ source: "policy@external-2" });
  });
});

describe("the body is read before anything is written", () => {
  it("the numbering lock is not held while the client is still sending", async () => {
    const project = await aProjectWithPrompts(2);
    const encoder = new TextEncoder();
    let finish!: () => void;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(`${JSON.stringify({ prompt: "Question 0: explain topic 0", completion: "A slow client's answer" })}\n`));
        await new Promise<void>((resolve) => (finish = resolve));
        controller.close();
      },
    });
    const pending = importExternalPolicy(project, body, { maxBytes: 1 << 20 });
    await new Promise((r) => setTimeout(r, 300)); // the first line has been read
    const held = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = ${EXTERNAL_LOCK_CLASS}`);
    expect(held.rows[0]!.n).toBe(0);
    finish();
    expect(await pending).toMatchObject({ committed: true, responses: 1 });
  });

  it(`more than ${MAX_EXTERNAL_ANSWERS} answers: 413, nothing written`, async () => {
    const project = await aProjectWithPrompts(1);
    const line = `${JSON.stringify({ prompt: "p", completion: "c" })}\n`;
    const res = await post(project, "externalPolicy=1", line.repeat(MAX_EXTERNAL_ANSWERS + 1));
    expect(res.status).toBe(413);
    expect((await res.json()).error.message).toMatch(/at most 100000 answers/);
    const external = await getDb().select({ id: responses.id }).from(responses).innerJoin(prompts, eq(prompts.id, responses.promptId)).where(and(eq(prompts.projectId, project.id), eq(responses.source, "policy@external-1")));
    expect(external).toHaveLength(0);
    expect(await getDb().select().from(importRecords).where(eq(importRecords.projectId, project.id))).toHaveLength(0);
  });

  it("answers past one write batch are all written, each with its comparisons", async () => {
    const project = await aProjectWithPrompts(620);
    const lines = Array.from({ length: 620 }, (_, i) => ({ prompt: `Question ${i}: explain topic ${i}`, completion: `An external answer number ${i}, different from the others` }));
    const result = await importExternalPolicy(project, bodyOf(ndjson([...lines, lines[0]])), { maxBytes: 1 << 24 });
    expect(result).toMatchObject({ answers: 621, responses: 620, comparisons: 1240, leftOut: 1, committed: true });
    const written = await getDb().select({ id: responses.id }).from(responses).innerJoin(prompts, eq(prompts.id, responses.promptId)).where(and(eq(prompts.projectId, project.id), eq(responses.source, result.source)));
    expect(written).toHaveLength(620);
  });
});

describe("import records", () => {
  it("an external policy's import is recorded like an ordinary one: who, the file, its hash, the counts; a refused one too", async () => {
    const project = await aProjectWithPrompts(2);
    const text = ndjson([{ prompt: "Question 0: explain topic 0", completion: "A recorded external answer" }]);
    const res = await post(project, "externalPolicy=1&fileName=answers.jsonl", text);
    expect(res.status).toBe(201);
    const result = await res.json();
    expect(result.importId).toEqual(expect.any(String));
    const [row] = await getDb().select().from(importRecords).where(eq(importRecords.id, result.importId));
    expect(row).toMatchObject({
      projectId: project.id,
      userId: admin.id,
      fileName: "answers.jsonl",
      format: "ndjson",
      options: { externalPolicy: true, source: result.source },
      bytes: Buffer.byteLength(text),
      sha256: createHash("sha256").update(text).digest("hex"),
      counts: { answers: 1, responses: 1, comparisons: 2, unmatchedPrompts: 0, leftOut: 0 },
      validRecords: 1,
      invalidLines: 0,
      committed: true,
    });
    const refused = await post(project, "externalPolicy=1", `${text}{"prompt": 1}\n`);
    expect(refused.status).toBe(400);
    const refusedResult = await refused.json();
    expect(refusedResult).toMatchObject({ committed: false, errors: [{ line: 2 }] });
    const [refusedRow] = await getDb().select().from(importRecords).where(eq(importRecords.id, refusedResult.importId));
    expect(refusedRow).toMatchObject({ userId: admin.id, committed: false, validRecords: 1, invalidLines: 1 });
  });
});
