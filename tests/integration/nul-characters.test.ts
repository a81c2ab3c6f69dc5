// A NUL character (U+0000) is refused where it comes in, since PostgreSQL's text and jsonb
// cannot hold it: JSON bodies and query strings with 400, import lines as errors on their
// line (skipped with onInvalid=skip). Before, each reached an insert and was a 500; in an
// import it ended the whole import, skip or not. Found by the judgment and import fuzz tests.
import { inRequestScope } from "./next-request-scope";
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as submitRoute } from "@/app/api/v1/judgments/route";
import { POST as importRoute } from "@/app/api/v1/projects/[id]/import/route";
import { POST as createProjectRoute } from "@/app/api/v1/projects/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { judgments, projects, type Project } from "@/lib/db/schema";
import { nextTask } from "@/lib/tasks/next-task";
import { createProjectAction } from "@/app/admin/projects/actions";
import { sessionCookie, SITE } from "./browser-session";
import { anAdmin, annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

let adminToken: string;
beforeAll(async () => {
  adminToken = (await createApiToken((await anAdmin()).id, "nul")).token;
});

function post(url: string, token: string, body: BodyInit, type = "application/json"): NextRequest {
  return new NextRequest(`http://localhost${url}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": type }, body });
}

async function promptsOf(project: Project): Promise<number> {
  const { rows } = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from prompts where project_id = ${project.id}`);
  return rows[0]!.n;
}

describe("JSON bodies and query strings", () => {
  it("a judgment whose rationale holds \\u0000 is a 400 naming the field, and writes nothing", async () => {
    const project = await aProject();
    await importText(project, ndjson(responseRecords(2)));
    const [me] = await annotators(project, 1);
    const token = (await createApiToken(me!.id, "t")).token;
    const task = (await nextTask(project, me!))!;
    const body = { comparisonId: task.comparisonId, clientId: randomUUID(), ranking: [[task.responses[0]!.id], [task.responses[1]!.id]], rationale: "because\u0000" };
    const res = await submitRoute(post("/api/v1/judgments", token, JSON.stringify(body)), { params: Promise.resolve({}) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^rationale: .*NUL/);
    expect(await getDb().select().from(judgments).where(eq(judgments.projectId, project.id))).toHaveLength(0);
    // the same judgment without it goes in
    const ok = await submitRoute(post("/api/v1/judgments", token, JSON.stringify({ ...body, rationale: "because" })), { params: Promise.resolve({}) });
    expect(ok.status).toBe(201);
  });

  it("any JSON route: a project named with \\u0000 (also as an object key) is a 400", async () => {
    const name = `nul-${randomUUID().slice(0, 6)}`;
    for (const body of [{ name: `${name}\u0000` }, { name, qualityBar: { "min\u0000": 1 } }]) {
      const res = await createProjectRoute(post("/api/v1/projects", adminToken, JSON.stringify(body)), { params: Promise.resolve({}) });
      expect(res.status).toBe(400);
    }
    expect(await getDb().select().from(projects).where(eq(projects.name, name))).toHaveLength(0);
  });

  it("an import's ?fileName=%00 is a 400 before anything is read", async () => {
    const project = await aProject();
    const url = `/api/v1/projects/${project.id}/import?fileName=a%00b.jsonl`;
    const res = await importRoute(post(url, adminToken, ndjson(responseRecords(1)), "application/x-ndjson"), { params: Promise.resolve({ id: project.id }) });
    expect(res.status).toBe(400);
    expect(await promptsOf(project)).toBe(0);
  });
});

describe("import lines", () => {
  const lines = (nul: unknown) => ndjson([...responseRecords(2, 2, "before"), nul, ...responseRecords(2, 2, "after")]);

  it.each([
    ["NDJSON prompt", lines({ prompt: "what\u0000", responses: [{ text: "a" }, { text: "b" }] }), "application/x-ndjson", /^messages\.0\.content: .*NUL/],
    ["NDJSON response source", lines({ prompt: "q", responses: [{ text: "a", source: "m\u0000" }, { text: "b" }] }), "application/x-ndjson", /^responses\.0\.source: .*NUL/],
    ["CSV cell", `prompt,chosen,rejected\nq1,a,b\nq2,a\u0000,b\nq3,a,b\n`, "text/csv", /^responses\.0\.text: .*NUL/],
  ])("%s: an error on its line; nothing written, or the other lines with onInvalid=skip", async (_, text, type, message) => {
    const project = await aProject();
    const call = (query: string) => importRoute(post(`/api/v1/projects/${project.id}/import${query}`, adminToken, text, type), { params: Promise.resolve({ id: project.id }) });
    const refused = await call("");
    const answer = (await refused.json()) as { errors: { line: number; message: string }[] };
    expect(refused.status).toBe(400);
    expect(answer.errors).toEqual([{ line: type === "text/csv" ? 3 : 3, message: expect.stringMatching(message) }]);
    expect(await promptsOf(project)).toBe(0);
    const skipped = await call("?onInvalid=skip");
    expect(skipped.status).toBe(201);
    expect(((await skipped.json()) as { skippedCount: number }).skippedCount).toBe(1);
    expect(await promptsOf(project)).toBe(type === "text/csv" ? 2 : 4);
  });

  it("server action form: the field named, nothing written (forms are not JSON bodies)", async () => {
    const admin = await anAdmin();
    const name = `nul ${randomUUID()}`;
    const form = new FormData();
    form.set("name", name);
    form.set("instructions", "judge\u0000 well");
    const headers = { cookie: await sessionCookie(admin), origin: SITE };
    const state = await inRequestScope(`${SITE}/admin/projects`, headers, "action", () => createProjectAction({}, form));
    expect(state.error).toMatch(/^instructions: .*NUL/);
    expect(await getDb().select().from(projects).where(eq(projects.name, name))).toEqual([]);
  });
});
