// The API's request limits through its route handlers (the wrapper every route uses):
// cross-site browser requests refused, token requests unaffected, JSON bodies capped.
import "./next-request-scope"; // before anything that loads next/
import { eq } from "drizzle-orm";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as createProjectRoute } from "@/app/api/v1/projects/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { projects, taskLeases } from "@/lib/db/schema";
import { createUser } from "@/lib/users/users";
import { GET as nextTaskRoute } from "@/app/api/v1/projects/[id]/tasks/next/route";
import { callRoute, sessionCookie } from "./browser-session";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";
import { uniqueEmail } from "./helpers";

async function anAdmin() {
  return (await createUser({ email: uniqueEmail("admin"), role: "admin", password: "a long enough password" })).user;
}

const SITE = "http://arbiter.test:3000";
const noParams = { params: Promise.resolve({}) };
let saved: string | undefined;

beforeAll(() => {
  saved = process.env.NEXTAUTH_URL;
  process.env.NEXTAUTH_URL = SITE;
});
afterAll(() => {
  if (saved === undefined) delete process.env.NEXTAUTH_URL;
  else process.env.NEXTAUTH_URL = saved;
});

function post(headers: Record<string, string>, body: BodyInit, extra: RequestInit = {}): NextRequest {
  return new NextRequest(`${SITE}/api/v1/projects`, { method: "POST", headers, body, ...extra } as ConstructorParameters<typeof NextRequest>[1]);
}

async function projectsNamed(name: string) {
  return getDb().select().from(projects).where(eq(projects.name, name));
}

/** A body of `total` bytes in 64 KiB chunks that counts how much of it was read. */
function countingBody(total: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => sent };
}

describe("cross-site requests with the session cookie", () => {
  it("refuses a foreign Origin with 403 and writes nothing", async () => {
    const name = `csrf-${Date.now()}`;
    const res = await createProjectRoute(post({ cookie: "next-auth.session-token=x", origin: "http://evil.example", "content-type": "application/json" }, JSON.stringify({ name })), noParams);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "forbidden" } });
    expect(await projectsNamed(name)).toHaveLength(0);
  });

  it("refuses a text/plain body from the site's own origin with 415", async () => {
    const name = `plain-${Date.now()}`;
    const res = await createProjectRoute(post({ cookie: "next-auth.session-token=x", origin: SITE, "content-type": "text/plain" }, JSON.stringify({ name })), noParams);
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
    expect(await projectsNamed(name)).toHaveLength(0);
  });

  it("checks a session request with an empty or malformed Authorization header, and never authenticates it by the cookie", async () => {
    const cookie = await sessionCookie(await anAdmin());
    for (const authorization of ["", "Basic eDp5", "Bearer"]) {
      const name = `malformed-auth-${Date.now()}-${authorization.length}`;
      const foreign = await callRoute(createProjectRoute, { cookie }, { method: "POST", path: "/api/v1/projects", json: { name }, headers: { authorization, origin: "http://evil.example" } });
      expect(foreign.status, JSON.stringify(authorization)).toBe(403);
      const ours = await callRoute(createProjectRoute, { cookie }, { method: "POST", path: "/api/v1/projects", json: { name }, headers: { authorization } });
      expect(ours.status, JSON.stringify(authorization)).toBe(401);
      expect(await projectsNamed(name)).toHaveLength(0);
    }
    // the control: the same session without the header creates the project
    const name = `session-${Date.now()}`;
    expect((await callRoute(createProjectRoute, { cookie }, { method: "POST", path: "/api/v1/projects", json: { name } })).status).toBe(201);
  });

  it("leaves API-token requests as they were, whatever their Origin and type", async () => {
    const admin = await anAdmin();
    const { token } = await createApiToken(admin.id, "script");
    const name = `token-${Date.now()}`;
    const res = await createProjectRoute(post({ authorization: `Bearer ${token}`, origin: "http://evil.example", "content-type": "text/plain" }, JSON.stringify({ name })), noParams);
    expect(res.status).toBe(201);
    expect(await projectsNamed(name)).toHaveLength(1);
  });
});

describe("reads with the session cookie that a page embeds or another site starts", () => {
  it("are refused (403, no task leased): an image, script or style of the API, a navigation from another site; the app's own fetch is served", async () => {
    const project = await aProject();
    await importText(project, ndjson(responseRecords(3, 2, "embed")));
    const [annotator] = await annotators(project, 1);
    const cookie = await sessionCookie(annotator!);
    const nextTask = (fetchMetadata: Record<string, string>) =>
      callRoute(nextTaskRoute, { cookie }, { path: `/api/v1/projects/${project.id}/tasks/next`, params: { id: project.id }, headers: fetchMetadata });
    const leases = async () => (await getDb().select().from(taskLeases).where(eq(taskLeases.annotatorId, annotator!.id))).length;
    for (const dest of ["image", "script", "style", "iframe", "video"]) {
      const res = await nextTask({ "sec-fetch-dest": dest, "sec-fetch-site": "same-origin", "sec-fetch-mode": "no-cors" });
      expect(res.status, dest).toBe(403);
    }
    for (const site of ["cross-site", "same-site"]) {
      const res = await nextTask({ "sec-fetch-dest": "document", "sec-fetch-site": site, "sec-fetch-mode": "navigate" });
      expect(res.status, site).toBe(403);
    }
    expect(await leases()).toBe(0);
    // the annotator's screen (fetch from the site's page), a typed URL, and a client without fetch metadata
    expect((await nextTask({ "sec-fetch-dest": "empty", "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" })).status).toBe(200);
    expect((await nextTask({ "sec-fetch-dest": "document", "sec-fetch-site": "none", "sec-fetch-mode": "navigate" })).status).toBe(200);
    expect((await nextTask({})).status).toBe(200);
    expect(await leases()).toBe(1);
  });
});

describe("JSON body cap", () => {
  it("answers 413 to a streamed 8 MiB body after reading little more than the cap", async () => {
    const admin = await anAdmin();
    const { token } = await createApiToken(admin.id, "script");
    const body = countingBody(8 * 1024 * 1024);
    const res = await createProjectRoute(post({ authorization: `Bearer ${token}`, "content-type": "application/json" }, body.stream, { duplex: "half" } as RequestInit), noParams);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "too_large" } });
    // read up to the 1 MiB cap, plus what the stream had buffered ahead, never the 8 MiB
    expect(body.pulled()).toBeLessThan(2 * 1024 * 1024);
  });

  it("answers 413 from a declared Content-Length without reading the body", async () => {
    const admin = await anAdmin();
    const { token } = await createApiToken(admin.id, "script");
    const body = countingBody(8 * 1024 * 1024);
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": String(8 * 1024 * 1024) };
    const res = await createProjectRoute(post(headers, body.stream, { duplex: "half" } as RequestInit), noParams);
    expect(res.status).toBe(413);
    expect(body.pulled()).toBeLessThanOrEqual(128 * 1024);
  });

  it("still takes a body under the cap", async () => {
    const admin = await anAdmin();
    const { token } = await createApiToken(admin.id, "script");
    const name = `big-${Date.now()}`;
    const res = await createProjectRoute(post({ authorization: `Bearer ${token}`, "content-type": "application/json" }, JSON.stringify({ name, instructions: "x".repeat(50_000) })), noParams);
    expect(res.status).toBe(201);
  });
});
